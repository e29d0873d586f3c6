"""robustx.stats against scipy / statsmodels references and slow brute-force implementations."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats as sps

from robustx.stats import (
    Interval,
    StatsInputError,
    benjamini_hochberg,
    cluster_bootstrap_ci,
    corpus_f1,
    corpus_f1_bootstrap_ci,
    discordant_counts,
    holm,
    mcnemar_exact,
    mcnemar_midp,
    min_detectable_drop,
    paired_bootstrap_ci,
    paired_permutation_test,
    stratified_bootstrap_ci,
)

FArr = NDArray[np.float64]
Q = (0.025, 0.5, 0.975)

# ---------------------------------------------------------------- McNemar

BC_GRID = [(b, c) for b in range(0, 26, 1) for c in range(0, 26, 3)] + [
    (0, 40),
    (57, 0),
    (120, 150),
    (480, 520),
    (1000, 1100),
    (3, 2000),
]


@pytest.mark.parametrize(("b", "c"), BC_GRID)
def test_mcnemar_exact_matches_scipy_and_statsmodels(b: int, c: int) -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    p = mcnemar_exact(b, c)
    sm = mcnemar(np.array([[10, b], [c, 10]]), exact=True).pvalue
    if b + c == 0:
        assert p == 1.0
    else:
        assert p == pytest.approx(sps.binomtest(b, b + c, 0.5).pvalue, rel=1e-9, abs=1e-300)
    assert p == pytest.approx(sm, rel=1e-9, abs=1e-300)


def _midp_exact(b: int, c: int) -> float:
    """Mid-p from its definition with exact rational arithmetic."""
    n, k = b + c, min(b, c)
    tail = sum(Fraction(math.comb(n, x), 2**n) for x in range(k)) + Fraction(math.comb(n, k), 2 ** (n + 1))
    return float(min(Fraction(1), 2 * tail))


@pytest.mark.parametrize(("b", "c"), BC_GRID[::3] + [(0, 0), (7, 7), (300, 260)])
def test_mcnemar_midp_matches_definition_and_is_below_exact(b: int, c: int) -> None:
    p = mcnemar_midp(b, c)
    assert p == pytest.approx(_midp_exact(b, c), rel=1e-9, abs=1e-300)
    assert p <= mcnemar_exact(b, c)


def test_mcnemar_symmetric_and_known_values() -> None:
    assert mcnemar_exact(10, 3) == mcnemar_exact(3, 10)
    # 2 * P(X <= 3 | n=13) = 2 * (1 + 13 + 78 + 286) / 8192
    assert mcnemar_exact(10, 3) == pytest.approx(2 * 378 / 8192)
    assert mcnemar_exact(5, 5) == 1.0 and mcnemar_midp(0, 0) == 1.0


def test_discordant_counts_by_hand() -> None:
    clean = [1, 1, 1, 0, 0, 1, 0, 1]
    attacked = [1, 0, 0, 1, 0, 0, 1, 1]
    assert discordant_counts(clean, attacked) == (3, 2)
    assert discordant_counts(np.array(clean, bool), np.array(attacked, bool)) == (3, 2)


def test_min_detectable_drop_matches_paper_figures() -> None:
    # PAPER.md: XNLI (n=5,010, psi=0.1) ~ 1.25 points; Tatoeba (n=1,000) ~ 2.8 points.
    assert min_detectable_drop(5010, 0.1) * 100 == pytest.approx(1.25, abs=0.01)
    assert min_detectable_drop(1000, 0.1) * 100 == pytest.approx(2.8, abs=0.01)
    assert min_detectable_drop(4 * 5010, 0.1) == pytest.approx(min_detectable_drop(5010, 0.1) / 2)
    assert min_detectable_drop(5010, 0.1, power=0.9) > min_detectable_drop(5010, 0.1)


# ---------------------------------------------------------------- paired bootstrap


def _paired_data(n: int, seed: int, continuous: bool) -> tuple[FArr, FArr]:
    rng = np.random.default_rng(seed)
    if continuous:  # heavily right-skewed drops, where BCa and percentile differ by ~3x the tolerance
        return rng.lognormal(0, 1.2, n), rng.lognormal(0, 0.3, n)
    clean = (rng.random(n) < 0.8).astype(float)
    attacked = np.where(rng.random(n) < 0.15, 1 - clean, clean) * (rng.random(n) > 0.05)
    return clean, attacked


def _scipy_ci(clean: FArr, attacked: FArr, method: str, n_resamples: int) -> tuple[float, float, float]:
    res = sps.bootstrap(
        (clean, attacked),
        lambda x, y, axis: x.mean(axis=axis) - y.mean(axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=n_resamples,
        method=method,
        rng=np.random.default_rng(123),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high), float(res.standard_error)


@pytest.mark.parametrize("continuous", [False, True])
@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_paired_bootstrap_matches_scipy(continuous: bool, method: str) -> None:
    clean, attacked = _paired_data(100 if continuous else 400, seed=1, continuous=continuous)
    r = 20_000
    ours = paired_bootstrap_ci(clean, attacked, n_resamples=r, method=method, seed=5)  # type: ignore[arg-type]
    low, high, se = _scipy_ci(clean, attacked, "BCa" if method == "bca" else "percentile", r)
    # A 2.5% quantile from R resamples has MC s.e. ~ sqrt(.025*.975/R)/phi(1.96) * se ~ 0.019 se;
    # the difference of two independent runs ~ 0.027 se. Allow ~5 s.e. plus one lattice step
    # 1/n of the discrete bootstrap distribution of 0/1 data.
    tol = 0.14 * se + (1 / clean.shape[0] if not continuous else 0.0)
    assert ours.estimate == pytest.approx(clean.mean() - attacked.mean())
    assert ours.low == pytest.approx(low, abs=tol)
    assert ours.high == pytest.approx(high, abs=tol)
    assert ours.level == 0.95 and ours.low <= ours.estimate <= ours.high


def test_paired_bootstrap_uses_the_pairing() -> None:
    # attacked = clean with 10% flips: the drop's variance is psi/n, far below the unpaired
    # var(clean)/n + var(attacked)/n. The width must match the paired normal approximation.
    rng = np.random.default_rng(3)
    n = 4000
    clean = (rng.random(n) < 0.7).astype(float)
    attacked = np.where(rng.random(n) < 0.1, 1 - clean, clean)
    ci = paired_bootstrap_ci(clean, attacked, seed=1)
    d = clean - attacked
    expected_width = 2 * 1.96 * d.std() / math.sqrt(n)
    assert ci.high - ci.low == pytest.approx(expected_width, rel=0.08)
    unpaired_width = 2 * 1.96 * math.sqrt((clean.var() + attacked.var()) / n)
    assert ci.high - ci.low < 0.5 * unpaired_width


def test_bca_shifts_towards_skew_where_percentile_does_not() -> None:
    # A strongly right-skewed drop: BCa's upper end goes further out than the percentile one.
    rng = np.random.default_rng(9)
    clean = rng.lognormal(0, 1.2, 200)
    attacked = np.zeros(200)
    pct = paired_bootstrap_ci(clean, attacked, method="percentile", seed=2)
    bca = paired_bootstrap_ci(clean, attacked, method="bca", seed=2)
    assert bca.high > pct.high and bca.low > pct.low


def test_bca_reduces_to_percentile_without_bias_or_skew() -> None:
    # Symmetric 0/1 drops centred on 0: ~14% of resamples tie with the estimate. Counting ties as
    # half below (scipy's mid-rank) gives z0 ~ 0 and a = 0, so BCa equals the percentile CI;
    # counting them as above would move z0 to ~ -0.18 and the interval by a lattice step.
    clean = np.array([1.0] * 4 + [0.0] * 4 + [1.0] * 12)
    attacked = np.array([0.0] * 4 + [1.0] * 4 + [1.0] * 12)
    kwargs = {"seed": 4, "n_resamples": 200_000}
    pct = paired_bootstrap_ci(clean, attacked, method="percentile", **kwargs)
    bca = paired_bootstrap_ci(clean, attacked, method="bca", **kwargs)
    assert (bca.low, bca.high) == pytest.approx((pct.low, pct.high), abs=1e-9)
    assert pct.low == pytest.approx(-pct.high)


def test_bootstrap_deterministic_given_seed() -> None:
    clean, attacked = _paired_data(300, seed=2, continuous=False)
    a = paired_bootstrap_ci(clean, attacked, seed=11, n_resamples=2000)
    assert a == paired_bootstrap_ci(clean, attacked, seed=11, n_resamples=2000)
    others = {paired_bootstrap_ci(clean, attacked, seed=s, n_resamples=2000) for s in range(12, 18)}
    assert len(others | {a}) > 1


def test_constant_drop_gives_degenerate_interval() -> None:
    ci = paired_bootstrap_ci(np.ones(50), np.zeros(50), method="bca")
    assert (ci.estimate, ci.low, ci.high) == (1.0, 1.0, 1.0)


# ---------------------------------------------------------------- permutation test


def _brute_force_p(d: FArr, alternative: str) -> float:
    obs = d.sum()
    null = np.array([np.dot(s, d) for s in itertools.product((-1.0, 1.0), repeat=d.shape[0])])
    eps = 1e-9
    if alternative == "two-sided":
        return float(np.mean(np.abs(null) >= abs(obs) - eps))
    if alternative == "greater":
        return float(np.mean(null >= obs - eps))
    return float(np.mean(null <= obs + eps))


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("seed", range(4))
def test_permutation_exact_matches_enumeration(alternative: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 12
    # discrete drops (ties!) for even seeds, continuous for odd ones; a few exact zeros
    a = rng.integers(-1, 2, n).astype(float) if seed % 2 == 0 else rng.normal(0.3, 1, n)
    b = rng.integers(-1, 2, n).astype(float) if seed % 2 == 0 else rng.normal(0, 1, n)
    b[:2] = a[:2]
    p = paired_permutation_test(a, b, alternative=alternative)  # type: ignore[arg-type]
    assert p == pytest.approx(_brute_force_p(a - b, alternative), abs=1e-12)


@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
def test_permutation_monte_carlo_matches_enumeration(alternative: str) -> None:
    rng = np.random.default_rng(4)
    d = rng.normal(0.35, 1.0, 20)  # 2**20 patterns: enumerate with numpy as the reference
    bits = (np.arange(2**20)[:, None] >> np.arange(20)) & 1
    null = (2.0 * bits - 1.0) @ d
    exact = np.mean(
        np.abs(null) >= abs(d.sum()) - 1e-9 if alternative == "two-sided" else null >= d.sum() - 1e-9
    )
    r = 20_000
    p = paired_permutation_test(d, np.zeros(20), n_resamples=r, alternative=alternative)  # type: ignore[arg-type]
    assert p == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / r) + 1e-4)


def test_permutation_discrete_drops_match_scipy() -> None:
    # per-item drops of two models on 0/1 outcomes take values in {-1, 0, 1}
    rng = np.random.default_rng(8)
    n = 600
    drop_a = (rng.random(n) < 0.12).astype(float) - (rng.random(n) < 0.03)
    drop_b = (rng.random(n) < 0.08).astype(float) - (rng.random(n) < 0.03)
    ref = sps.permutation_test(
        (drop_a, drop_b),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        vectorized=True,
        n_resamples=20_000,
        alternative="greater",
        rng=np.random.default_rng(1),
    ).pvalue
    p = paired_permutation_test(drop_a, drop_b, n_resamples=20_000, alternative="greater")
    assert p == pytest.approx(ref, abs=4 * math.sqrt(ref * (1 - ref) / 20_000) + 1e-3)
    assert paired_permutation_test(drop_a, drop_a) == 1.0


# ---------------------------------------------------------------- multiple comparisons


def _pvalue_families() -> list[FArr]:
    rng = np.random.default_rng(0)
    fams = [rng.random(m) ** 3 for m in (1, 2, 5, 17, 60)]
    fams.append(np.array([0.01, 0.01, 0.04, 0.04, 0.2, 1.0, 0.0, 0.03]))  # ties, 0 and 1
    return fams


@pytest.mark.parametrize("p", _pvalue_families())
def test_holm_matches_statsmodels(p: FArr) -> None:
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=1e-12)


@pytest.mark.parametrize("p", _pvalue_families())
def test_bh_matches_scipy(p: FArr) -> None:
    np.testing.assert_allclose(benjamini_hochberg(p), sps.false_discovery_control(p, method="bh"), rtol=1e-12)


def test_adjustments_monotone_capped_and_empty() -> None:
    p = np.array([0.3, 0.001, 0.02, 0.5, 0.04])
    for adj in (holm(p), benjamini_hochberg(p)):
        assert np.all(adj >= p) and np.all(adj <= 1)
        order = np.argsort(p)
        assert np.all(np.diff(adj[order]) >= 0)
    assert holm([]).shape == (0,) and benjamini_hochberg([]).shape == (0,)


# ---------------------------------------------------------------- cluster / stratified bootstrap


def _parallel_data(
    n_ids: int, n_langs: int, seed: int, rho: float, missing_last: int = 0
) -> tuple[FArr, FArr, NDArray[np.int64], NDArray[np.str_]]:
    """XNLI-shaped rows: each id in every language; with prob rho a row copies the id's outcome.

    Attacks hurt later languages more; ``missing_last`` ids lack their last-language row, so the
    language-averaged and the pooled drop differ.
    """
    rng = np.random.default_rng(seed)
    shared_c = rng.random(n_ids) < 0.75
    shared_a = shared_c & (rng.random(n_ids) > 0.2)
    own_c = rng.random((n_ids, n_langs)) < 0.75
    own_a = own_c & (rng.random((n_ids, n_langs)) > 0.1 + 0.5 * np.arange(n_langs) / n_langs)
    copy = rng.random((n_ids, n_langs)) < rho
    clean = np.where(copy, shared_c[:, None], own_c).astype(float)
    attacked = np.where(copy, shared_a[:, None], own_a).astype(float)
    ids = np.repeat(np.arange(n_ids), n_langs).reshape(n_ids, n_langs)
    langs = np.tile(np.array([f"l{k}" for k in range(n_langs)]), (n_ids, 1))
    keep = np.ones((n_ids, n_langs), bool)
    keep[rng.choice(n_ids, missing_last, replace=False), -1] = False
    return clean[keep], attacked[keep], ids[keep], langs[keep]


def _lang_avg(c: FArr, a: FArr, langs: NDArray[np.str_]) -> float:
    return float(np.mean([c[langs == g].mean() - a[langs == g].mean() for g in np.unique(langs)]))


def _brute_cluster(c: FArr, a: FArr, ids: NDArray[np.int64], langs: NDArray[np.str_] | None, r: int) -> FArr:
    rng = np.random.default_rng(77)
    uniq = np.unique(ids)
    rows_of = {k: np.flatnonzero(ids == k) for k in uniq}
    out = []
    for _ in range(r):
        rows = np.concatenate([rows_of[k] for k in rng.choice(uniq, uniq.shape[0])])
        cc, aa = c[rows], a[rows]
        out.append(cc.mean() - aa.mean() if langs is None else _lang_avg(cc, aa, langs[rows]))
    return np.array(out)


@pytest.mark.parametrize("with_strata", [True, False])
def test_cluster_bootstrap_matches_brute_force(with_strata: bool) -> None:
    c, a, ids, langs = _parallel_data(80, 4, seed=1, rho=0.6, missing_last=50)
    strata = langs if with_strata else None
    r = 3000
    ref = _brute_cluster(c, a, ids, strata, r)
    ci = cluster_bootstrap_ci(c, a, ids, strata=strata, n_resamples=r, seed=3)
    expected = _lang_avg(c, a, langs) if with_strata else c.mean() - a.mean()
    assert ci.estimate == pytest.approx(expected)
    # quantile s.e. of each run ~ 0.03 * sd at 3,000 resamples; differences of two runs ~0.045 sd
    tol = 0.2 * ref.std()
    ours = cluster_bootstrap_ci(c, a, ids, strata=strata, n_resamples=r, level=0.5, seed=3)
    assert ci.low == pytest.approx(np.quantile(ref, Q[0]), abs=tol)
    assert ci.high == pytest.approx(np.quantile(ref, Q[2]), abs=tol)
    assert ours.low == pytest.approx(np.quantile(ref, 0.25), abs=tol)
    assert ours.high == pytest.approx(np.quantile(ref, 0.75), abs=tol)


def test_cluster_ci_wider_than_naive_when_languages_correlate() -> None:
    c, a, ids, langs = _parallel_data(600, 6, seed=2, rho=0.9)
    cl = cluster_bootstrap_ci(c, a, ids, strata=langs, n_resamples=4000)
    naive = stratified_bootstrap_ci(c, a, langs, n_resamples=4000)
    pooled = paired_bootstrap_ci(c, a, n_resamples=4000)
    width = cl.high - cl.low
    # rho = 0.9 over 6 languages: design effect ~ 1 + 5 * 0.81 -> widths ratio ~ 2.2
    assert width > 1.7 * (naive.high - naive.low)
    assert width > 1.7 * (pooled.high - pooled.low)


def test_cluster_ci_close_to_naive_when_languages_independent() -> None:
    c, a, ids, langs = _parallel_data(600, 6, seed=3, rho=0.0)
    cl = cluster_bootstrap_ci(c, a, ids, strata=langs, n_resamples=4000)
    naive = stratified_bootstrap_ci(c, a, langs, n_resamples=4000)
    assert (cl.high - cl.low) / (naive.high - naive.low) == pytest.approx(1.0, abs=0.12)


def test_stratified_bootstrap_matches_brute_force() -> None:
    rng = np.random.default_rng(5)
    sizes = {"en": 300, "sw": 60, "th": 140}  # unequal languages: the average is unweighted
    langs = np.repeat(np.array(list(sizes)), list(sizes.values()))
    n = langs.shape[0]
    c = np.asarray(rng.random(n) < 0.7, dtype=float)
    a = c * np.asarray(rng.random(n) < np.where(langs == "sw", 0.6, 0.9), dtype=float)
    r = 3000
    boot = np.zeros(r)
    for g in sizes:
        d = (c - a)[langs == g]
        boot += d[rng.integers(0, d.shape[0], (r, d.shape[0]))].mean(axis=1) / len(sizes)
    ci = stratified_bootstrap_ci(c, a, langs, n_resamples=r)
    assert ci.estimate == pytest.approx(_lang_avg(c, a, langs))
    tol = 0.2 * boot.std() + 1 / 60 / len(sizes)
    assert ci.low == pytest.approx(np.quantile(boot, Q[0]), abs=tol)
    assert ci.high == pytest.approx(np.quantile(boot, Q[2]), abs=tol)


# ---------------------------------------------------------------- corpus F1


def test_corpus_f1_by_hand() -> None:
    # P = 8/10, R = 8/12 -> F1 = 2PR/(P+R) = 16/22
    assert corpus_f1(8, 2, 4) == pytest.approx(16 / 22)
    assert corpus_f1([3, 5, 0], [1, 1, 0], [2, 2, 0]) == pytest.approx(16 / 22)
    assert corpus_f1(0, 0, 0) == 0.0 and corpus_f1(0, 3, 1) == 0.0 and corpus_f1(5, 0, 0) == 1.0


def test_corpus_f1_bootstrap_matches_brute_force() -> None:
    rng = np.random.default_rng(6)
    n = 250
    gold = rng.integers(0, 4, n)
    tp_c = rng.binomial(gold, 0.85)
    tp_a = rng.binomial(tp_c, 0.8)
    fp_c, fp_a = rng.poisson(0.2, n), rng.poisson(0.5, n)
    fn_c, fn_a = gold - tp_c, gold - tp_a
    cols = np.column_stack([tp_c, fp_c, fn_c, tp_a, fp_a, fn_a]).astype(float)
    r = 3000
    ref = []
    for _ in range(r):
        s = cols[rng.integers(0, n, n)].sum(axis=0)
        ref.append(2 * s[0] / (2 * s[0] + s[1] + s[2]) - 2 * s[3] / (2 * s[3] + s[4] + s[5]))
    ci = corpus_f1_bootstrap_ci(tp_c, fp_c, fn_c, tp_a, fp_a, fn_a, n_resamples=r, seed=4)
    assert ci.estimate == pytest.approx(corpus_f1(tp_c, fp_c, fn_c) - corpus_f1(tp_a, fp_a, fn_a))
    tol = 0.2 * float(np.std(ref))
    assert ci.low == pytest.approx(np.quantile(ref, Q[0]), abs=tol)
    assert ci.high == pytest.approx(np.quantile(ref, Q[2]), abs=tol)


# ---------------------------------------------------------------- bad input

BAD_CALLS = [
    (lambda: paired_bootstrap_ci([1, 0, 1], [1, 0]), "same length"),
    (lambda: paired_bootstrap_ci([], []), "empty"),
    (lambda: paired_bootstrap_ci([1, 0], [0, 0], level=1.0), "level"),
    (lambda: paired_bootstrap_ci([1, 0], [0, 0], level=0), "level"),
    (lambda: paired_bootstrap_ci([1, 0], [0, 0], level=95), "level"),
    (lambda: paired_bootstrap_ci([1, np.nan], [0, 0]), "NaN"),
    (lambda: paired_bootstrap_ci([[1, 0]], [[0, 0]]), "1-D"),
    (lambda: paired_bootstrap_ci([1, 0], [0, 0], n_resamples=0), "n_resamples"),
    (lambda: paired_bootstrap_ci([1, 0], [0, 0], method="basic"), "method"),  # type: ignore[arg-type]
    (lambda: paired_bootstrap_ci(["a", "b"], ["a", "b"]), "numeric"),
    (lambda: cluster_bootstrap_ci([1, 0], [0, 0], [1]), "clusters"),
    (lambda: cluster_bootstrap_ci([1, 0], [0, 0], [1, 2], strata=["en"]), "strata"),
    (lambda: stratified_bootstrap_ci([1, 0], [0, 0], ["en", "de", "fr"]), "strata"),
    (lambda: paired_permutation_test([1, 0], [0]), "same length"),
    (lambda: paired_permutation_test([1, 0], [0, 1], alternative="bigger"), "alternative"),  # type: ignore[arg-type]
    (lambda: corpus_f1_bootstrap_ci([1], [0], [0], [1], [-1], [0]), "non-negative"),
    (lambda: corpus_f1_bootstrap_ci([1, 2], [0], [0], [1], [1], [0]), "same length"),
    (lambda: mcnemar_exact(-1, 3), "non-negative"),
    (lambda: mcnemar_exact(2.5, 3), "integer"),  # type: ignore[arg-type]
    (lambda: discordant_counts([1, 2], [0, 1]), "0/1"),
    (lambda: holm([0.1, 1.2]), "[0, 1]"),
    (lambda: benjamini_hochberg([0.1, np.nan]), "[0, 1]"),
    (lambda: min_detectable_drop(0, 0.1), "n"),
    (lambda: min_detectable_drop(100, 0.0), "discordant_rate"),
    (lambda: min_detectable_drop(100, 0.1, alpha=1.5), "alpha"),
]


@pytest.mark.parametrize(("call", "fragment"), BAD_CALLS)
def test_bad_input_raises_one_line_value_error(call: object, fragment: str) -> None:
    with pytest.raises(ValueError) as err:
        call()  # type: ignore[operator]
    assert isinstance(err.value, StatsInputError)
    assert fragment in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "rows",
    [
        np.array([[0.0], [1.0], [2.0], [5.0]]),  # distinct rows: integer-draw + gather path
        np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [5.0, 1.0]]),  # integer-draw + bincount path
        np.repeat(np.array([[0.0, 1.0], [1.0, 0.0]]), [18, 6], axis=0),  # few distinct: multinomial
    ],
)
def test_resampling_engine_reproduces_exact_bootstrap_distribution(rows: FArr) -> None:
    """Every row is drawn with probability 1/n: sums match exact enumeration of all n**n draws."""
    from robustx.stats._core import make_rng, resampled_sums

    n, r = rows.shape[0], 40_000
    sums = resampled_sums(rows, r, make_rng(0))
    if n <= 4:
        exact = np.array([rows[list(t)].sum(axis=0) for t in itertools.product(range(n), repeat=n)])
        values, probs = np.unique(exact, axis=0, return_counts=True)
        probs = probs / exact.shape[0]
    else:  # 18 of one row, 6 of the other: the count of the second row is Binomial(24, 1/4)
        k = np.arange(n + 1)
        values = (n - k)[:, None] * rows[0] + k[:, None] * rows[-1]
        probs = sps.binom.pmf(k, n, 6 / 24)
    observed = np.array([np.mean(np.all(sums == v, axis=1)) for v in values])
    assert observed.sum() == pytest.approx(1.0)  # no impossible sums
    tol = 4 * np.sqrt(probs * (1 - probs) / r) + 1e-4
    assert np.all(np.abs(observed - probs) <= tol), np.column_stack([values, observed, probs])


def test_interval_is_frozen() -> None:
    ci = Interval(0.1, 0.0, 0.2, 0.95)
    with pytest.raises(AttributeError):
        ci.low = 0.5  # type: ignore[misc]
