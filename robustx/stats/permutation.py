"""Two models, same items: is model A's drop different from model B's? Paired sign-flip test."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from robustx.stats._core import FloatArray, StatsInputError, as_vector, check_resamples, make_rng, same_length

Alternative = Literal["two-sided", "greater", "less"]
_EXACT_MAX = 16  # 2**16 sign patterns enumerate in milliseconds
_CHUNK_ELEMENTS = 4_000_000


def _exact_null(d: FloatArray) -> FloatArray:
    """Sum of s * d over all 2**k sign vectors s (identity included)."""
    k = d.shape[0]
    bits = (np.arange(2**k)[:, None] >> np.arange(k)) & 1
    return np.asarray((2.0 * bits - 1.0) @ d, dtype=np.float64)


def _sampled_null(d: FloatArray, n_resamples: int, rng: np.random.Generator) -> FloatArray:
    """Sums of s * d for random sign vectors s.

    Items sharing |d| = v contribute v * (2 * Binomial(n_v, 1/2) - n_v) in total, so for discrete
    drops (per-item 0/1 outcomes give |d| in {1, 2}) one binomial per distinct |d| replaces n sign
    draws; this is the same distribution, exactly. Otherwise signs come from random bits in chunks.
    """
    values, counts = np.unique(np.abs(d), return_counts=True)
    if values.shape[0] * 12 <= d.shape[0]:
        heads = rng.binomial(counts, 0.5, size=(n_resamples, values.shape[0]))
        return np.asarray((2.0 * heads - counts) @ values, dtype=np.float64)
    k = d.shape[0]
    out = np.empty(n_resamples, dtype=np.float64)
    chunk = max(1, _CHUNK_ELEMENTS // k)
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        bits = np.unpackbits(rng.integers(0, 256, size=(size, (k + 7) // 8), dtype=np.uint8), axis=1)
        out[start : start + size] = 2.0 * (bits[:, :k].astype(np.float64) @ d) - d.sum()
    return out


def paired_permutation_test(
    diff_a: ArrayLike,
    diff_b: ArrayLike,
    *,
    n_resamples: int = 10_000,
    seed: int = 0,
    alternative: Alternative = "two-sided",
) -> float:
    """p-value for "model A's per-item drops equal model B's" by sign-flipping d = diff_a - diff_b.

    ``greater`` tests whether A drops more than B. Exact (all 2**k sign patterns) when at most 16
    items have d != 0 (items with d = 0 do not change the null distribution); otherwise Monte Carlo
    with the (count + 1) / (n_resamples + 1) estimate, which never returns 0.
    """
    a, b = as_vector(diff_a, "diff_a"), as_vector(diff_b, "diff_b")
    same_length(diff_a=a, diff_b=b)
    n_resamples = check_resamples(n_resamples)
    if alternative not in ("two-sided", "greater", "less"):
        raise StatsInputError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    d = (a - b)[a != b]
    if d.shape[0] == 0:
        return 1.0
    observed = float(d.sum())
    exact = d.shape[0] <= _EXACT_MAX
    null = _exact_null(d) if exact else _sampled_null(d, n_resamples, make_rng(seed))
    # Equal sums computed in a different order may differ by rounding; count them as ties.
    tol = 1e-10 * float(np.abs(d).sum())
    if alternative == "two-sided":
        hits = np.count_nonzero(np.abs(null) >= abs(observed) - tol)
    elif alternative == "greater":
        hits = np.count_nonzero(null >= observed - tol)
    else:
        hits = np.count_nonzero(null <= observed + tol)
    p = hits / null.shape[0] if exact else (hits + 1) / (null.shape[0] + 1)
    return float(min(1.0, p))
