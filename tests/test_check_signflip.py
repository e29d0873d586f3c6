"""The gate's sign-flip p-values: each path against a reference, and the gate's size under H0."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import binomtest

from robustx.gate import compare
from robustx.gate.compare import compare_runs
from robustx.gate.pairing import PairedRun
from robustx.report.metric import ACCURACY
from robustx.stats import paired_permutation_test, sign_flip_test
from robustx.stats.signflip import _convolved

ALTERNATIVES = ("two-sided", "greater", "less")


def brute_force(v: np.ndarray, alternative: str) -> float:
    obs = v.sum()
    null = np.array([np.dot(s, v) for s in itertools.product((-1.0, 1.0), repeat=v.shape[0])])
    if alternative == "two-sided":
        return float(np.mean(np.abs(null) >= abs(obs) - 1e-9))
    if alternative == "greater":
        return float(np.mean(null >= obs - 1e-9))
    return float(np.mean(null <= obs + 1e-9))


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("seed", range(3))
def test_convolution_equals_enumeration(alternative: str, seed: int) -> None:
    v = np.random.default_rng(seed).choice([-2, -1, 1, 2], size=14, p=[0.1, 0.2, 0.4, 0.3])
    assert _convolved(v, alternative) == pytest.approx(brute_force(v.astype(float), alternative), abs=1e-12)  # type: ignore[arg-type]
    p, method = sign_flip_test(v, alternative=alternative)  # type: ignore[arg-type]
    assert method == "exact" and p == pytest.approx(brute_force(v.astype(float), alternative), abs=1e-12)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_unit_values_reduce_to_the_binomial_test(alternative: str) -> None:
    v = np.where(np.random.default_rng(3).random(700) < 0.56, 1.0, -1.0)
    p, method = sign_flip_test(v, alternative=alternative)  # type: ignore[arg-type]
    want = binomtest(int(np.sum(v > 0)), v.shape[0], 0.5, alternative=alternative).pvalue
    assert method == "exact-convolution" and p == pytest.approx(want, rel=1e-9)


def test_large_integer_values_match_monte_carlo() -> None:
    rng = np.random.default_rng(4)
    v = rng.choice([-2, -1, 0, 1, 2], size=4000, p=[0.02, 0.05, 0.85, 0.06, 0.02]).astype(float)
    p, method = sign_flip_test(v, alternative="greater")
    r = 100_000
    mc = paired_permutation_test(v, np.zeros_like(v), n_resamples=r, alternative="greater")
    assert method == "exact-convolution"
    assert p == pytest.approx(mc, abs=4 * math.sqrt(p * (1 - p) / r) + 1e-4)


def test_continuous_values_use_a_normal_approximation_close_to_monte_carlo() -> None:
    v = np.random.default_rng(5).normal(0.08, 1.0, 3000)
    p, method = sign_flip_test(v, alternative="greater")
    r = 100_000
    mc = paired_permutation_test(v, np.zeros_like(v), n_resamples=r, alternative="greater")
    assert method == "normal"
    assert p == pytest.approx(mc, abs=4 * math.sqrt(p * (1 - p) / r) + 2e-3)


def test_tiny_p_values_have_no_monte_carlo_floor() -> None:
    v = np.ones(60)
    p, _ = sign_flip_test(v, alternative="greater")
    assert p == pytest.approx(0.5**60)
    assert sign_flip_test(np.zeros(10))[0] == 1.0


def _null_pair(rng: np.random.Generator, n_ids: int, langs: tuple[str, ...], seed: int) -> PairedRun:
    """Two checkpoints equally robust (same flip rate), outcomes independent given the item."""
    size = n_ids * len(langs)
    clean = rng.random(size) < 0.75

    def drops() -> np.ndarray:
        return (clean & (rng.random(size) < 0.1)).astype(float)

    def scores() -> np.ndarray:  # (clean, attacked) per item with the drawn drop
        return np.column_stack([drops(), np.zeros(size)])

    return PairedRun(
        task="xnli", attack="charnoise", seed=seed, parallel=True, baseline=None, candidate=None,  # type: ignore[arg-type]
        langs=np.repeat(np.array(langs), n_ids), ids=np.tile(np.arange(n_ids).astype(str), len(langs)),
        metric=ACCURACY, base=scores(), cand=scores(),
    )  # fmt: skip


def test_gate_false_alarm_rate_under_h0_is_at_most_alpha(monkeypatch: pytest.MonkeyPatch) -> None:
    """Equally robust checkpoints: per-cell rejection at 0.05 (unadjusted) is near, and not above, 0.05
    (exact tests on discrete data are a little conservative); the Holm-corrected gate fails no more
    often than alpha."""
    monkeypatch.setattr(compare, "RESAMPLES", 200)  # the CIs play no part in the verdict
    rng = np.random.default_rng(6)
    sims, cell_rejections, cells, gate_failures = 400, 0, 0, 0
    for s in range(sims):
        result = compare_runs([_null_pair(rng, 300, ("en", "de", "hi"), seed=s)], margin=0.0, alpha=0.05)
        cell_rejections += sum(c.p < 0.05 for c in result.cells)
        cells += len(result.cells)
        gate_failures += bool(result.failed)
    rate = cell_rejections / cells
    assert 0.025 <= rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / cells)
    assert gate_failures / sims <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / sims)
