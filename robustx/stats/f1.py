"""Tests and intervals for differences of corpus-level F1 (NER, POS, BUCC), resampling sentences.

Corpus F1 = 2 TP / (2 TP + FP + FN) of counts summed over sentences is not a mean of per-sentence
values, so the sign-flip machinery for per-item differences does not apply to it directly. Two tools:

* :func:`corpus_f1_terms`: per-sentence *linear terms* of a difference of corpus F1s. The paired
  randomisation test of "A and B are exchangeable per sentence" (approximate randomisation, Noreen
  1989; Yeh 2000 for F1) swaps each sentence's A counts with its B counts at random. The sum of both
  sides is unchanged by any swap, so with M the midpoint of the two totals and
  h = 1/2 * sum_i s_i (a_i - b_i) (s_i = +-1), the statistic under a swap pattern is
  F(M + h) - F(M - h): an *odd* function of h, whose expansion has no second-order term. Hence
  F(sum a) - F(sum b) under any swap equals sum_i s_i * w_i, w_i = grad F(M) . (a_i - b_i), up to
  O(|h|^3), and the randomisation null is that of a sign-flip statistic on the w_i, which
  :func:`robustx.stats.sign_flip_test` evaluates exactly (few terms) or by its normal limit, without
  the 1 / (R + 1) floor a Monte Carlo estimate would put under every p-value (a floor that makes a
  cell unable to reach significance after Holm over hundreds of cells).
* :func:`corpus_f1_randomization_test`: the same randomisation test on the exact statistic, by
  Monte Carlo; the reference the linearised test is checked against.
* :func:`corpus_f1_difference_ci`: bootstrap CI (sentences resampled, within languages) of a
  difference of two corpus-F1 *drops* on the same sentences (the CI gate's candidate vs baseline).

Count arrays have shape (n, 3) for (tp, fp, fn), or (n, 6) for clean then attacked counts.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from robustx.stats._core import (
    FloatArray,
    Interval,
    StatsInputError,
    as_labels,
    check_level,
    check_resamples,
    make_rng,
    percentile_interval,
    resampled_sums,
)

Alternative = Literal["two-sided", "greater", "less"]
_CHUNK_ELEMENTS = 4_000_000


def _f1(tp: FloatArray, fp: FloatArray, fn: FloatArray) -> FloatArray:
    num = 2.0 * np.asarray(tp, dtype=np.float64)
    den = num + np.asarray(fp, dtype=np.float64) + np.asarray(fn, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(den), where=den > 0)


def counts_matrix(x: ArrayLike, name: str, width: int) -> FloatArray:
    """A non-empty (n, width) float array of non-negative finite counts."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != width or arr.shape[0] == 0:
        raise StatsInputError(f"{name} must have shape (n, {width}) with n >= 1, got {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise StatsInputError(f"{name} must hold non-negative finite counts")
    return arr


def f1_gradient(tp: float, fp: float, fn: float) -> FloatArray:
    """Partial derivatives of 2tp / (2tp + fp + fn) in (tp, fp, fn); zero where F1 is undefined (all 0)."""
    den = 2.0 * tp + fp + fn
    if den <= 0:
        return np.zeros(3)
    return np.array([2.0 * (fp + fn), -2.0 * tp, -2.0 * tp]) / den**2


def corpus_f1_terms(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Per-sentence terms w_i with sum(w) ~ F1(sum a) - F1(sum b) and the same randomisation null.

    ``a`` and ``b`` are (n, 3) counts of the same sentences under two conditions (clean and
    attacked, or two models); w_i = grad F1(M) . (a_i - b_i) at the midpoint M of the two totals.
    """
    a_m, b_m = counts_matrix(a, "a", 3), counts_matrix(b, "b", 3)
    if a_m.shape != b_m.shape:
        raise StatsInputError(f"a and b must have the same shape, got {a_m.shape} and {b_m.shape}")
    mid = (a_m.sum(axis=0) + b_m.sum(axis=0)) / 2.0
    return np.asarray((a_m - b_m) @ f1_gradient(*mid), dtype=np.float64)


def corpus_f1_drop_terms(counts: ArrayLike) -> FloatArray:
    """:func:`corpus_f1_terms` of clean vs attacked for (n, 6) counts (clean tp fp fn, attacked tp fp fn)."""
    m = counts_matrix(counts, "counts", 6)
    return corpus_f1_terms(m[:, :3], m[:, 3:])


def _drop(rows: FloatArray) -> FloatArray:
    """Corpus-F1 drop(s) from summed (.., 6) counts."""
    return _f1(rows[..., 0], rows[..., 1], rows[..., 2]) - _f1(rows[..., 3], rows[..., 4], rows[..., 5])


def corpus_f1_randomization_test(
    counts: ArrayLike,
    *,
    n_resamples: int = 10_000,
    seed: int = 0,
    alternative: Alternative = "two-sided",
) -> float:
    """Monte Carlo randomisation p of "clean and attacked counts are exchangeable per sentence".

    Statistic: the exact corpus-F1 drop, F1(clean) - F1(attacked); each resample swaps the clean and
    attacked counts of a random half of the sentences. (count + 1) / (R + 1), as Noreen's test.
    """
    m = counts_matrix(counts, "counts", 6)
    n_resamples = check_resamples(n_resamples)
    if alternative not in ("two-sided", "greater", "less"):
        raise StatsInputError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    observed = float(_drop(m.sum(axis=0)))
    delta = m[:, :3] - m[:, 3:]
    mid = (m[:, :3].sum(axis=0) + m[:, 3:].sum(axis=0)) / 2.0
    rng = make_rng(seed)
    null = np.empty(n_resamples)
    chunk = max(1, _CHUNK_ELEMENTS // m.shape[0])
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        signs = rng.integers(0, 2, size=(size, m.shape[0])) * 2.0 - 1.0
        h = signs @ delta / 2.0  # clean totals = mid + h, attacked = mid - h
        up, down = mid + h, mid - h
        null[start : start + size] = _f1(up[:, 0], up[:, 1], up[:, 2]) - _f1(
            down[:, 0], down[:, 1], down[:, 2]
        )
    tol = 1e-12
    if alternative == "two-sided":
        hits = np.count_nonzero(np.abs(null) >= abs(observed) - tol)
    elif alternative == "greater":
        hits = np.count_nonzero(null >= observed - tol)
    else:
        hits = np.count_nonzero(null <= observed + tol)
    return float((hits + 1) / (n_resamples + 1))


def corpus_f1_difference_ci(
    first: ArrayLike,
    second: ArrayLike,
    *,
    strata: ArrayLike | None = None,
    n_resamples: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """CI of drop(first) - drop(second): corpus-F1 drops of two models on the same sentences.

    Rows of ``first`` and ``second`` (each (n, 6): clean then attacked counts) are the same
    sentences; a resample draws sentences with both models' counts together (paired). With
    ``strata`` (languages) the statistic is the mean over languages of each language's difference,
    sentences resampled within each language.
    """
    a, b = counts_matrix(first, "first", 6), counts_matrix(second, "second", 6)
    if a.shape != b.shape:
        raise StatsInputError(f"first and second must have the same shape, got {a.shape} and {b.shape}")
    level, n_resamples = check_level(level), check_resamples(n_resamples)
    if strata is None:
        codes, k = np.zeros(a.shape[0], dtype=np.intp), 1
    else:
        codes, k = as_labels(strata, "strata", a.shape[0])
    rng = make_rng(seed)
    stats = np.zeros(n_resamples)
    estimates = []
    for code in range(k):
        rows = np.hstack([a[codes == code], b[codes == code]])
        drawn = resampled_sums(rows, n_resamples, rng)
        stats += _drop(drawn[:, :6]) - _drop(drawn[:, 6:])
        total = rows.sum(axis=0)
        estimates.append(float(_drop(total[:6]) - _drop(total[6:])))
    return percentile_interval(float(np.mean(estimates)), stats / k, level)


def stratified_f1_terms(first: ArrayLike, second: ArrayLike, strata: ArrayLike | None = None) -> FloatArray:
    """:func:`corpus_f1_terms` within each language, divided by the number of languages.

    Their sum approximates the language-averaged difference mean_l [F1(sum a_l) - F1(sum b_l)] and
    they carry its randomisation null (sentences of different languages are independent).
    """
    a, b = counts_matrix(first, "first", 3), counts_matrix(second, "second", 3)
    if a.shape != b.shape:
        raise StatsInputError(f"first and second must have the same shape, got {a.shape} and {b.shape}")
    if strata is None:
        return corpus_f1_terms(a, b)
    codes, k = as_labels(strata, "strata", a.shape[0])
    out = np.zeros(a.shape[0])
    for code in range(k):
        mask = codes == code
        out[mask] = corpus_f1_terms(a[mask], b[mask]) / k
    return out


def corpus_f1_drop_test(
    counts: ArrayLike, *, strata: ArrayLike | None = None, alternative: Alternative = "two-sided"
) -> tuple[float, str]:
    """p of "no corpus-F1 drop" (clean vs attacked exchangeable per sentence) and the method used.

    The linearised randomisation test above: a sign-flip test on per-sentence terms (with
    ``strata``: of the language-averaged drop).
    """
    from robustx.stats.signflip import sign_flip_test

    m = counts_matrix(counts, "counts", 6)
    p, method = sign_flip_test(stratified_f1_terms(m[:, :3], m[:, 3:], strata), alternative=alternative)
    return p, f"sign-flip on linearised F1 ({method})"
