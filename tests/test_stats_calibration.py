"""Calibration by simulation: the tests reject as often as they claim, CIs cover as often as they claim.

All simulations use fixed seeds, so the outcomes are deterministic; the tolerances are what a fresh
seed would need (3 Monte-Carlo standard errors plus any approximation error named at the assert).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from robustx.stats import (
    cluster_bootstrap_ci,
    discordant_counts,
    mcnemar_exact,
    mcnemar_midp,
    min_detectable_drop,
    paired_bootstrap_ci,
    stratified_bootstrap_ci,
)

ALPHA = 0.05
PSI = 0.1  # discordant rate; PAPER.md's XNLI / Tatoeba figures use 0.1


def _paired_outcomes(
    rng: np.random.Generator, n_sims: int, n: int, psi: float, drop: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per-item correctness (clean, attacked), shape (n_sims, n).

    P(correct clean, wrong attacked) = (psi + drop) / 2, P(the reverse) = (psi - drop) / 2, so the
    true accuracy drop is ``drop``; concordant items are correct in both with probability 0.8.
    """
    u = rng.random((n_sims, n))
    b_type = u < (psi + drop) / 2
    c_type = (u >= (psi + drop) / 2) & (u < psi)
    both = (u >= psi) & (rng.random((n_sims, n)) < 0.8)
    return b_type | both, c_type | both


def _rejection_rate(n: int, drop: float, seed: int, n_sims: int, test: str = "exact") -> float:
    rng = np.random.default_rng(seed)
    pvalue = mcnemar_exact if test == "exact" else mcnemar_midp
    rejections = 0
    for start in range(0, n_sims, 500):  # chunks keep memory at ~20 MB for n = 5,010
        clean, attacked = _paired_outcomes(rng, min(500, n_sims - start), n, PSI, drop)
        for row_c, row_a in zip(clean, attacked, strict=True):
            rejections += pvalue(*discordant_counts(row_c, row_a)) <= ALPHA
    return rejections / n_sims


def _mc_se(p: float, n_sims: int) -> float:
    return math.sqrt(p * (1 - p) / n_sims)


@pytest.mark.parametrize("n", [1000, 5010])
def test_exact_mcnemar_size_at_most_alpha(n: int) -> None:
    n_sims = 3000
    rate = _rejection_rate(n, 0.0, seed=n, n_sims=n_sims)
    # Exact McNemar is conservative (true size 0.039 at n=1,000 and 0.045 at n=5,010, by summing
    # the binomial mixture), so: never above alpha beyond MC error, and not uselessly conservative.
    assert rate <= ALPHA + 3 * _mc_se(ALPHA, n_sims)
    assert rate > 0.02


def test_midp_mcnemar_size_close_to_alpha() -> None:
    n_sims = 3000
    rate = _rejection_rate(1000, 0.0, seed=7, n_sims=n_sims, test="midp")
    # true size 0.049 (binomial mixture): mid-p is close to nominal, unlike the exact test
    assert abs(rate - ALPHA) <= 3 * _mc_se(ALPHA, n_sims)


@pytest.mark.parametrize("n", [1000, 5010])
def test_power_at_min_detectable_drop_is_about_80_percent(n: int) -> None:
    n_sims = 3000
    power = _rejection_rate(n, min_detectable_drop(n, PSI), seed=n + 1, n_sims=n_sims)
    # Tolerance 0.06 = 3 MC s.e. (0.022) + the formula's approximation error: it is a normal
    # approximation and ignores the exact test's conservatism; summing the binomial mixture gives
    # a true power of 0.778 (n=1,000) and 0.789 (n=5,010), i.e. up to 0.022 below 0.80.
    assert power == pytest.approx(0.80, abs=0.06)


def test_power_at_half_the_min_detectable_drop_is_low() -> None:
    n, n_sims = 5010, 2000
    power = _rejection_rate(n, min_detectable_drop(n, PSI) / 2, seed=11, n_sims=n_sims)
    # normal approximation: Phi(2.80 / 2 - 1.96) = 0.29
    assert power == pytest.approx(0.29, abs=0.06)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_paired_bootstrap_ci_covers_true_drop(method: str) -> None:
    n_sims, n, drop = 1000, 300, 0.03
    rng = np.random.default_rng(21)
    clean, attacked = _paired_outcomes(rng, n_sims, n, 0.12, drop)
    covered = 0
    for k in range(n_sims):
        ci = paired_bootstrap_ci(clean[k], attacked[k], n_resamples=2000, method=method, seed=k)  # type: ignore[arg-type]
        covered += ci.low <= drop <= ci.high
    coverage = covered / n_sims
    # percentile intervals for a mean of n=300 run slightly short (~0.94); allow that plus 3 s.e.
    assert 0.95 - 3 * _mc_se(0.95, n_sims) - 0.01 <= coverage <= 0.95 + 3 * _mc_se(0.95, n_sims)


def _parallel_outcomes(
    rng: np.random.Generator, n_ids: int, n_langs: int, rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """XNLI-shaped: each row copies its example's (clean, attacked) outcome with probability rho.

    Every row has P(clean correct) = 0.75 and P(attacked correct) = 0.75 * 0.8, so the true
    drop in every language, and the language average, is 0.15.
    """
    shared_c = rng.random(n_ids) < 0.75
    shared_a = shared_c & (rng.random(n_ids) < 0.8)
    own_c = rng.random((n_ids, n_langs)) < 0.75
    own_a = own_c & (rng.random((n_ids, n_langs)) < 0.8)
    copy = rng.random((n_ids, n_langs)) < rho
    clean = np.where(copy, shared_c[:, None], own_c).astype(np.float64).ravel()
    attacked = np.where(copy, shared_a[:, None], own_a).astype(np.float64).ravel()
    return clean, attacked, np.repeat(np.arange(n_ids), n_langs), np.tile(np.arange(n_langs), n_ids)


def test_cluster_bootstrap_covers_where_the_naive_one_does_not() -> None:
    n_sims, true_drop = 400, 0.15
    rng = np.random.default_rng(5)
    cluster_hits = naive_hits = 0
    for k in range(n_sims):
        clean, attacked, ids, langs = _parallel_outcomes(rng, 200, 5, rho=0.8)
        ci = cluster_bootstrap_ci(clean, attacked, ids, strata=langs, n_resamples=1000, seed=k)
        naive = stratified_bootstrap_ci(clean, attacked, langs, n_resamples=1000, seed=k)
        cluster_hits += ci.low <= true_drop <= ci.high
        naive_hits += naive.low <= true_drop <= naive.high
    se = _mc_se(0.95, n_sims)
    assert 0.95 - 3 * se - 0.01 <= cluster_hits / n_sims <= 0.95 + 3 * se
    # ignoring the correlation between an example's language versions under-covers badly
    # (design effect ~ 1 + 4 * 0.64 -> naive half-width ~ 1/1.9 of the right one -> coverage ~ 0.70)
    assert naive_hits / n_sims < 0.85
