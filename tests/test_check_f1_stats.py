"""robustx.stats.f1, the corpus-F1 tests behind report and check, against brute force and Monte Carlo.

* The linearised randomisation test (sign-flip on per-sentence terms) gives the p-value of the
  Monte Carlo approximate-randomisation test of the exact F1 difference, to Monte-Carlo error.
* The bootstrap CI of a difference of two models' F1 drops matches a brute-force bootstrap.
* Under H0 (equally robust checkpoints) the gate's F1 cells reject at most alpha; a planted extra
  drop is found.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from robustx import stats
from robustx.gate import compare
from robustx.gate.compare import compare_runs
from robustx.gate.pairing import PairedRun
from robustx.report.metric import SEQEVAL

Q = (0.025, 0.975)


def sentences(
    rng: np.random.Generator, n: int, lose: float, extra_fp: float, gain: float = 0.0, fp_drop: float = 0.0
) -> np.ndarray:
    """(n, 6) tagger counts: gold entities per sentence, a clean pass, an attacked pass that loses each
    clean hit with probability ``lose``, finds a missed one with ``gain``, adds a false positive with
    ``extra_fp`` and drops one with ``fp_drop``."""
    gold = rng.integers(0, 5, n)
    tp_c = rng.binomial(gold, 0.75)
    fp_c = rng.binomial(2, 0.2, n)
    tp_a = tp_c - rng.binomial(tp_c, lose) + rng.binomial(gold - tp_c, gain)
    fp_a = fp_c + rng.binomial(1, extra_fp, n) - rng.binomial(fp_c, fp_drop)
    return np.column_stack([tp_c, fp_c, gold - tp_c, tp_a, fp_a, gold - tp_a]).astype(float)


def f1(c: np.ndarray) -> float:
    return float(2 * c[0] / (2 * c[0] + c[1] + c[2]))


# (sentences, lose, gain): many sentences change both ways, p-values from ~0.005 to ~0.9
CASES = [(300, 0.05, 0.12), (500, 0.05, 0.13), (800, 0.04, 0.1), (1500, 0.03, 0.08), (400, 0.06, 0.15),
         (2000, 0.02, 0.06), (600, 0.12, 0.3), (1000, 0.1, 0.25)]  # fmt: skip


@pytest.mark.parametrize("case", range(len(CASES)))
def test_linearised_test_matches_the_monte_carlo_randomisation_test(case: int) -> None:
    n, lose, gain = CASES[case]
    counts = sentences(np.random.default_rng(100 + case), n, lose, 0.05, gain=gain, fp_drop=0.2)
    # many non-zero terms: the normal limit, not the enumeration, is what is checked
    assert stats.corpus_f1_drop_test(counts)[1].endswith("(normal)")
    for alternative in ("two-sided", "greater", "less"):
        p, method = stats.corpus_f1_drop_test(counts, alternative=alternative)
        mc = stats.corpus_f1_randomization_test(
            counts, n_resamples=40_000, seed=case, alternative=alternative
        )
        se = math.sqrt(mc * (1 - mc) / 40_000)
        # discreteness (few distinct count patterns) costs the continuous limit a little
        assert p == pytest.approx(mc, abs=4 * se + 0.1 * mc + 0.005), (n, alternative, p, mc, method)


def test_terms_sum_to_the_f1_difference_and_flip_sign_with_the_sides() -> None:
    counts = sentences(np.random.default_rng(7), 600, 0.1, 0.05)
    terms = stats.corpus_f1_drop_terms(counts)
    exact = f1(counts[:, :3].sum(0)) - f1(counts[:, 3:].sum(0))
    assert terms.sum() == pytest.approx(exact, rel=1e-3)  # the odd expansion: error is third order
    swapped = np.hstack([counts[:, 3:], counts[:, :3]])
    assert stats.corpus_f1_drop_terms(swapped) == pytest.approx(-terms)
    assert stats.corpus_f1_drop_test(np.hstack([counts[:, :3], counts[:, :3]]))[0] == 1.0  # no change


def test_difference_ci_matches_a_brute_force_paired_bootstrap() -> None:
    rng = np.random.default_rng(8)
    langs = np.repeat(np.array(["de", "hi"]), [300, 150])
    base = sentences(rng, 450, 0.1, 0.05)
    cand = base.copy()
    cand[:, 3] = rng.binomial(base[:, 3].astype(int), 0.9)  # the candidate keeps fewer hits
    cand[:, 5] = base[:, 3] + base[:, 5] - cand[:, 3]

    def drop(rows: np.ndarray) -> float:
        s = rows.sum(0)
        return f1(s[:3]) - f1(s[3:])

    r = 3000
    ref = np.zeros(r)
    for lang in ("de", "hi"):
        idx = np.flatnonzero(langs == lang)
        for k in range(r):
            pick = idx[rng.integers(0, idx.size, idx.size)]
            ref[k] += (drop(cand[pick]) - drop(base[pick])) / 2
    ci = stats.corpus_f1_difference_ci(cand, base, strata=langs, n_resamples=r, seed=3)
    want = np.mean([drop(cand[langs == g]) - drop(base[langs == g]) for g in ("de", "hi")])
    assert ci.estimate == pytest.approx(want, abs=1e-12)
    tol = 0.2 * ref.std()
    assert (ci.low, ci.high) == pytest.approx(tuple(np.quantile(ref, Q)), abs=tol)


def _f1_pair(rng: np.random.Generator, n: int, langs: tuple[str, ...], extra: float, seed: int) -> PairedRun:
    """Two taggers with the same clean outputs; the candidate's attacked pass loses ``extra`` more hits."""
    base = sentences(rng, n * len(langs), 0.1, 0.03)
    cand = base.copy()
    cand[:, 3] = base[:, 3] - rng.binomial(base[:, 3].astype(int), extra)
    cand[:, 5] = base[:, 0] + base[:, 2] - cand[:, 3]  # gold entities are the same sentence's
    return PairedRun(
        task="panx", attack="charnoise", seed=seed, parallel=False, baseline="b", candidate="c",
        langs=np.repeat(np.array(langs), n), ids=np.tile(np.arange(n).astype(str), len(langs)),
        metric=SEQEVAL, base=base, cand=cand,
    )  # fmt: skip


def _swap_null(run: PairedRun, rng: np.random.Generator) -> PairedRun:
    """Exchangeable checkpoints (H0 holds exactly): each sentence's two sides swapped at random."""
    flip = rng.random(run.base.shape[0]) < 0.5
    base = np.where(flip[:, None], run.cand, run.base)
    cand = np.where(flip[:, None], run.base, run.cand)
    return PairedRun(**{**run.__dict__, "base": base, "cand": cand})


def test_f1_gate_false_alarm_rate_under_h0_is_at_most_alpha(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compare, "RESAMPLES", 100)  # the CIs play no part in the verdict
    rng = np.random.default_rng(9)
    sims, rejections, cells, failures = 300, 0, 0, 0
    for s in range(sims):
        run = _swap_null(_f1_pair(rng, 200, ("de", "hi", "zh"), 0.08, s), rng)
        result = compare_runs([run], margin=0.0, alpha=0.05)
        rejections += sum(c.p < 0.05 for c in result.cells)
        cells += len(result.cells)
        failures += bool(result.failed)
    bound = 0.05 + 3 * math.sqrt(0.05 * 0.95 / cells)
    assert 0.02 <= rejections / cells <= bound
    assert failures / sims <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / sims)


def test_f1_gate_finds_a_planted_extra_drop() -> None:
    rng = np.random.default_rng(10)
    result = compare_runs([_f1_pair(rng, 400, ("de", "hi"), 0.08, 0)], margin=0.0, alpha=0.05)
    overall = next(c for c in result.cells if c.lang == "overall")
    assert result.exit_code == 1 and overall.failed and overall.delta > 0 and overall.ci_low > 0
