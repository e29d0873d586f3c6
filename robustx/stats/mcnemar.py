"""Clean vs attacked on the same items: McNemar on the discordant pairs, and the drop it can detect."""

from __future__ import annotations

import math
import operator

import numpy as np
from numpy.typing import ArrayLike

from robustx.stats._core import StatsInputError, as_vector, same_length


def _count(x: int, name: str) -> int:
    if isinstance(x, bool):
        raise StatsInputError(f"{name} must be a non-negative integer count, got {x!r}")
    try:
        value = operator.index(x)
    except TypeError:
        raise StatsInputError(f"{name} must be a non-negative integer count, got {x!r}") from None
    if value < 0:
        raise StatsInputError(f"{name} must be a non-negative integer count, got {value}")
    return value


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: min(1, 2 * BinomCDF(min(b, c); b + c, 1/2)).

    ``b`` counts items correct clean / wrong attacked, ``c`` the reverse. No discordant pairs -> 1.0.
    """
    from scipy.stats import binom

    b, c = _count(b, "b"), _count(c, "c")
    if b + c == 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(b, c), b + c, 0.5)))


def mcnemar_midp(b: int, c: int) -> float:
    """Mid-p McNemar (Fagerland, Lydersen & Laake 2013): the exact p minus P(X = min(b, c)).

    Less conservative than the exact test while keeping its type-I error close to nominal.
    """
    from scipy.stats import binom

    b, c = _count(b, "b"), _count(c, "c")
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    p = 2.0 * binom.cdf(k, n, 0.5) - binom.pmf(k, n, 0.5)
    return float(min(1.0, max(0.0, p)))


def discordant_counts(clean: ArrayLike, attacked: ArrayLike) -> tuple[int, int]:
    """(b, c): b = correct clean & wrong attacked, c = wrong clean & correct attacked.

    Inputs are per-item correctness as bool or 0/1 arrays of the same length.
    """
    clean_v, attacked_v = as_vector(clean, "clean"), as_vector(attacked, "attacked")
    same_length(clean=clean_v, attacked=attacked_v)
    for name, v in (("clean", clean_v), ("attacked", attacked_v)):
        if not np.all((v == 0) | (v == 1)):
            raise StatsInputError(f"{name} must hold 0/1 or boolean correctness values")
    b = int(np.count_nonzero((clean_v == 1) & (attacked_v == 0)))
    c = int(np.count_nonzero((clean_v == 0) & (attacked_v == 1)))
    return b, c


def min_detectable_drop(n: int, discordant_rate: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest drop (in 0-1 units) a two-sided McNemar test detects with ``power`` at level ``alpha``.

    Normal approximation (z_{1-alpha/2} + z_power) * sqrt(psi / n), psi the discordant rate:
    XNLI (n = 5,010, psi = 0.1) -> ~0.0125, i.e. 1.25 accuracy points.
    """
    from scipy.special import ndtri

    n = _count(n, "n")
    if n == 0:
        raise StatsInputError("n must be at least 1")
    if not 0.0 < float(discordant_rate) <= 1.0:
        raise StatsInputError(f"discordant_rate must lie in (0, 1], got {discordant_rate!r}")
    for name, value in (("alpha", alpha), ("power", power)):
        if not 0.0 < float(value) < 1.0:
            raise StatsInputError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    z = float(ndtri(1.0 - float(alpha) / 2.0)) + float(ndtri(float(power)))
    return z * math.sqrt(float(discordant_rate) / n)
