"""Sign-flip test p-values without Monte-Carlo error, for gates that correct over many cells.

:func:`paired_permutation_test` estimates large nulls by Monte Carlo, whose p-value cannot go below
1 / (R + 1). After Holm over hundreds of cells (tasks x languages x attacks) that floor alone would
keep every cell from ever being significant, so a CI gate built on it could never fail. Here the
null distribution of T = sum(s_i * v_i), s_i fair random signs, is computed

* exactly by enumeration when at most 16 values are non-zero;
* exactly by convolving binomials when the values are integers (per-item 0/1 outcomes give
  differences of drops in {-2, ..., 2}): the items sharing |v| = m contribute
  m * (2 * Binomial(n_m, 1/2) - n_m);
* otherwise by its normal approximation (mean 0, variance sum(v^2)), which for the thousands of
  items or clusters of real test sets is accurate far below any threshold a gate uses.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from robustx.stats._core import FloatArray, StatsInputError, as_vector

Alternative = Literal["two-sided", "greater", "less"]
SignFlipMethod = Literal["exact", "exact-convolution", "normal"]
_EXACT_MAX = 16
# Largest support (sum of |v|) convolved exactly; beyond it the normal approximation is used.
_MAX_SUPPORT = 2_000_000


def sign_flip_test(
    values: ArrayLike, *, alternative: Alternative = "two-sided"
) -> tuple[float, SignFlipMethod]:
    """p-value of "the values are symmetric about 0" and the method that computed it.

    ``greater`` tests whether the values tend to be positive (e.g. the candidate's per-item drop
    minus the baseline's: the candidate drops more).
    """
    v = as_vector(values, "values")
    if alternative not in ("two-sided", "greater", "less"):
        raise StatsInputError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    v = v[v != 0]
    if v.shape[0] == 0:
        return 1.0, "exact"
    if v.shape[0] <= _EXACT_MAX:
        return _enumerated(v, alternative), "exact"
    rounded = np.round(v)
    if np.all(np.abs(v - rounded) < 1e-9) and float(np.abs(rounded).sum()) <= _MAX_SUPPORT:
        return _convolved(rounded.astype(np.int64), alternative), "exact-convolution"
    return _normal(v, alternative), "normal"


def _tail(null: FloatArray, observed: float, alternative: Alternative) -> float:
    tol = 1e-10 * max(1.0, float(np.abs(null).max()))
    if alternative == "two-sided":
        return float(np.mean(np.abs(null) >= abs(observed) - tol))
    if alternative == "greater":
        return float(np.mean(null >= observed - tol))
    return float(np.mean(null <= observed + tol))


def _enumerated(v: FloatArray, alternative: Alternative) -> float:
    k = v.shape[0]
    bits = (np.arange(2**k)[:, None] >> np.arange(k)) & 1
    null = np.asarray((2.0 * bits - 1.0) @ v, dtype=np.float64)
    return min(1.0, _tail(null, float(v.sum()), alternative))


def _convolved(v: np.ndarray, alternative: Alternative) -> float:
    """Exact null of T = 2U - total, U = sum_m m * Binomial(n_m, 1/2), by convolving pmfs."""
    from scipy.signal import fftconvolve
    from scipy.stats import binom

    magnitudes, counts = np.unique(np.abs(v), return_counts=True)
    pmf = np.ones(1)
    for m, n in zip(magnitudes.tolist(), counts.tolist(), strict=True):
        spread = np.zeros(m * n + 1)
        spread[::m] = binom.pmf(np.arange(n + 1), n, 0.5)
        small = pmf.shape[0] * spread.shape[0] <= 20_000_000
        pmf = np.convolve(pmf, spread) if small else np.clip(fftconvolve(pmf, spread), 0.0, None)
    total = int(np.dot(magnitudes, counts))
    observed = int(v.sum())
    u_obs = (observed + total) // 2  # observed and total have the same parity
    upper = float(pmf[u_obs:].sum())
    lower = float(pmf[: u_obs + 1].sum())
    if alternative == "greater":
        p = upper
    elif alternative == "less":
        p = lower
    else:
        hi = (abs(observed) + total) // 2
        lo = (total - abs(observed)) // 2
        p = float(pmf[hi:].sum()) + float(pmf[: lo + 1].sum()) if hi > lo else 1.0
    return min(1.0, max(0.0, p))


def _normal(v: FloatArray, alternative: Alternative) -> float:
    z = float(v.sum()) / math.sqrt(float(np.sum(v**2)))
    if alternative == "greater":
        return 0.5 * math.erfc(z / math.sqrt(2.0))
    if alternative == "less":
        return 0.5 * math.erfc(-z / math.sqrt(2.0))
    return min(1.0, math.erfc(abs(z) / math.sqrt(2.0)))
