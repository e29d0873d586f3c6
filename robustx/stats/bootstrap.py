"""Bootstrap confidence intervals for the clean -> attacked drop.

Every function returns an :class:`Interval` for ``drop = score(clean) - score(attacked)`` in the units
of the inputs (0-1 for accuracy). Resamples are drawn as counts (see ``_core``), so no function loops
over resamples in Python; loops run only over languages.
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
    as_vector,
    bca_interval,
    check_level,
    check_resamples,
    make_rng,
    percentile_interval,
    resampled_sums,
    same_length,
)


def _paired_drops(clean: ArrayLike, attacked: ArrayLike) -> FloatArray:
    clean_v, attacked_v = as_vector(clean, "clean"), as_vector(attacked, "attacked")
    same_length(clean=clean_v, attacked=attacked_v)
    return clean_v - attacked_v


def _mean_acceleration(d: FloatArray) -> float:
    """BCa acceleration from the jackknife of a mean, in closed form (O(n)).

    Leaving out item i moves the mean by (d_i - mean) / (n - 1); the (n - 1) factors cancel in
    a = sum(u^3) / (6 * sum(u^2)^1.5).
    """
    u = d - d.mean()
    denom = 6.0 * float(np.sum(u**2)) ** 1.5
    return float(np.sum(u**3)) / denom if denom > 0 else 0.0


def paired_bootstrap_ci(
    clean: ArrayLike,
    attacked: ArrayLike,
    *,
    n_resamples: int = 10_000,
    level: float = 0.95,
    method: Literal["percentile", "bca"] = "percentile",
    seed: int = 0,
) -> Interval:
    """CI of mean(clean) - mean(attacked), resampling items (both arrays with the same indices)."""
    d = _paired_drops(clean, attacked)
    level, n_resamples = check_level(level), check_resamples(n_resamples)
    if method not in ("percentile", "bca"):
        raise StatsInputError(f"method must be 'percentile' or 'bca', got {method!r}")
    n = d.shape[0]
    estimate = float(d.sum() / n)
    stats = resampled_sums(d[:, None], n_resamples, make_rng(seed))[:, 0] / n
    if method == "percentile" or np.all(d == d[0]):
        return percentile_interval(estimate, stats, level)
    return bca_interval(estimate, stats, level, _mean_acceleration(d))


def cluster_bootstrap_ci(
    clean: ArrayLike,
    attacked: ArrayLike,
    clusters: ArrayLike,
    *,
    strata: ArrayLike | None = None,
    n_resamples: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """CI of the drop when rows come in clusters (one example id in all its languages).

    Cluster ids are resampled with replacement and each drawn id brings all its rows. With
    ``strata`` (languages) the statistic is the language-averaged drop, the mean over languages of
    each language's drop; otherwise the pooled mean drop. A language that no drawn cluster covers
    (possible only for non-parallel sets) is left out of that resample's average.
    """
    d = _paired_drops(clean, attacked)
    level, n_resamples = check_level(level), check_resamples(n_resamples)
    n = d.shape[0]
    cluster_codes, n_clusters = as_labels(clusters, "clusters", n)
    if strata is None:
        strata_codes, n_strata = np.zeros(n, dtype=np.intp), 1
    else:
        strata_codes, n_strata = as_labels(strata, "strata", n)
    # Per cluster and language: summed drop and row count; a resample is a weighted sum of these.
    cell = cluster_codes * n_strata + strata_codes
    size = n_clusters * n_strata
    sums = np.bincount(cell, weights=d, minlength=size).reshape(n_clusters, n_strata)
    counts = np.bincount(cell, minlength=size).reshape(n_clusters, n_strata).astype(np.float64)
    estimate = float(np.mean(sums.sum(axis=0) / counts.sum(axis=0)))
    drawn = resampled_sums(np.hstack([sums, counts]), n_resamples, make_rng(seed))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_stratum = drawn[:, :n_strata] / drawn[:, n_strata:]
    stats = np.nanmean(per_stratum, axis=1)
    return percentile_interval(estimate, stats, level)


def stratified_bootstrap_ci(
    clean: ArrayLike,
    attacked: ArrayLike,
    strata: ArrayLike,
    *,
    n_resamples: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """CI of the language-averaged drop, resampling rows within each language independently.

    Right when languages hold *different* items; for parallel sets use :func:`cluster_bootstrap_ci`,
    which keeps the between-language correlation of one item and so gives honest (wider) CIs.
    """
    d = _paired_drops(clean, attacked)
    level, n_resamples = check_level(level), check_resamples(n_resamples)
    codes, n_strata = as_labels(strata, "strata", d.shape[0])
    rng = make_rng(seed)
    stats = np.zeros(n_resamples, dtype=np.float64)
    means = np.empty(n_strata, dtype=np.float64)
    for k in range(n_strata):
        d_k = d[codes == k]
        means[k] = d_k.sum() / d_k.shape[0]
        stats += resampled_sums(d_k[:, None], n_resamples, rng)[:, 0] / d_k.shape[0]
    return percentile_interval(float(means.mean()), stats / n_strata, level)


def _f1(tp: FloatArray | float, fp: FloatArray | float, fn: FloatArray | float) -> FloatArray:
    """2tp / (2tp + fp + fn); 0 where nothing was predicted and nothing was gold (as seqeval)."""
    num = 2.0 * np.asarray(tp, dtype=np.float64)
    den = num + np.asarray(fp, dtype=np.float64) + np.asarray(fn, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(den), where=den > 0)


def _counts(x: ArrayLike, name: str) -> FloatArray:
    v = as_vector(np.atleast_1d(np.asarray(x)), name)
    if np.any(v < 0):
        raise StatsInputError(f"{name} must hold non-negative counts")
    return v


def corpus_f1(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike) -> float:
    """Corpus-level F1 from counts (scalars or per-sentence arrays, summed first)."""
    totals = [_counts(x, name).sum() for x, name in ((tp, "tp"), (fp, "fp"), (fn, "fn"))]
    return float(_f1(*totals))


def corpus_f1_bootstrap_ci(
    tp_clean: ArrayLike,
    fp_clean: ArrayLike,
    fn_clean: ArrayLike,
    tp_att: ArrayLike,
    fp_att: ArrayLike,
    fn_att: ArrayLike,
    *,
    n_resamples: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """CI of corpus F1(clean) - F1(attacked), resampling sentences and re-summing tp/fp/fn."""
    names = ("tp_clean", "fp_clean", "fn_clean", "tp_att", "fp_att", "fn_att")
    columns = [
        _counts(x, name)
        for x, name in zip((tp_clean, fp_clean, fn_clean, tp_att, fp_att, fn_att), names, strict=True)
    ]
    same_length(**dict(zip(names, columns, strict=True)))
    level, n_resamples = check_level(level), check_resamples(n_resamples)
    rows = np.column_stack(columns)
    totals = rows.sum(axis=0)
    estimate = float(_f1(*totals[:3]) - _f1(*totals[3:]))
    drawn = resampled_sums(rows, n_resamples, make_rng(seed))
    stats = _f1(drawn[:, 0], drawn[:, 1], drawn[:, 2]) - _f1(drawn[:, 3], drawn[:, 4], drawn[:, 5])
    return percentile_interval(estimate, stats, level)
