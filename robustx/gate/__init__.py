"""The CI regression gate: is a candidate checkpoint significantly less robust than the baseline?

Exit codes of ``robustx check``: 0 pass, 1 regression found, 2 usage or input error (runs that are
incomplete, or not comparable: other task/attack/seed, examples or inputs).
"""

from __future__ import annotations

from pathlib import Path

from robustx.errors import DataError, SpecError
from robustx.gate.compare import GateCell, GateResult, compare_runs
from robustx.gate.pairing import PairedRun, join, pair_runs

__all__ = ["GateCell", "GateResult", "PairedRun", "run_gate"]


def run_gate(
    baseline: Path, candidate: Path, *, margin_points: float = 0.0, alpha: float = 0.05
) -> GateResult:
    """Pair, join and compare every run of ``baseline`` with ``candidate`` (margin in accuracy points)."""
    if not 0.0 < alpha < 1.0:
        raise SpecError(f"--alpha must lie strictly between 0 and 1, got {alpha}")
    if not 0.0 <= margin_points < 100.0:
        raise SpecError(f"--margin is in accuracy points and must lie in [0, 100), got {margin_points}")
    paired = [join(key, b, c) for key, b, c in pair_runs(baseline, candidate)]
    result = compare_runs(paired, margin_points / 100.0, alpha)
    if not result.cells:
        raise DataError("nothing to compare: the runs are all attack=none (no drop); gate on attacked runs")
    return result
