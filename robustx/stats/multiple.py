"""Adjusted p-values for families of tests (tasks x languages x attacks)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from robustx.stats._core import FloatArray, StatsInputError


def _pvalues(pvalues: ArrayLike) -> FloatArray:
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise StatsInputError(f"pvalues must be 1-D, got shape {p.shape}")
    if not np.all((p >= 0) & (p <= 1)):
        raise StatsInputError("pvalues must lie in [0, 1] (NaN is not allowed)")
    return p


def holm(pvalues: ArrayLike) -> FloatArray:
    """Holm step-down adjusted p-values (controls the family-wise error rate), in input order.

    Sorted ascending, p_(i) becomes max over j <= i of min(1, (m - j + 1) * p_(j)).
    """
    p = _pvalues(pvalues)
    m = p.shape[0]
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out = np.empty(m, dtype=np.float64)
    out[order] = np.maximum.accumulate(stepped)
    return out


def benjamini_hochberg(pvalues: ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (controls the false discovery rate), in input order.

    Sorted ascending, p_(i) becomes min over j >= i of min(1, m * p_(j) / j).
    """
    p = _pvalues(pvalues)
    m = p.shape[0]
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    out = np.empty(m, dtype=np.float64)
    out[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return out
