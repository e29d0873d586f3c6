"""The CI regression gate: is a candidate checkpoint significantly less robust than the baseline?

The baseline is run directories or a snapshot file (``robustx.gate.snapshot``); the candidate is
run directories, or a checkpoint, which is then evaluated on exactly the baseline's examples and
perturbations first (``robustx.gate.rerun``). Exit codes of ``robustx check``: 0 pass, 1 regression
found, 2 usage or input error (runs that are incomplete, or not comparable: other task/attack/seed,
examples or inputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from robustx.errors import DataError, SpecError
from robustx.gate.compare import GateCell, GateResult, compare_runs
from robustx.gate.pairing import PairedRun, join, pair_runs
from robustx.gate.rerun import RerunOptions
from robustx.gate.sources import RunFilter, RunKey, RunSource

__all__ = ["GateCell", "GateOutcome", "GateRequest", "GateResult", "PairedRun", "RerunOptions", "run_gate"]


@dataclass(frozen=True)
class GateRequest:
    baseline: Path  # run directory, root of runs, or snapshot file
    candidate: Path | None  # checkpoint, run directory or root of runs; None: only write --snapshot
    margin_points: float = 0.0
    alpha: float = 0.05
    max_drop_points: float | None = None  # fail a cell whose estimated extra drop exceeds this
    wanted: RunFilter = field(default_factory=RunFilter)
    rerun: RerunOptions = field(default_factory=RerunOptions)
    update_baseline: bool = False
    force_update: bool = False  # refresh the snapshot even when the gate fails (accept the candidate)
    snapshot: Path | None = None  # where --update-baseline (or the explicit mode) writes


@dataclass(frozen=True)
class GateOutcome:
    result: GateResult | None  # None: nothing compared (the explicit snapshot mode)
    candidate: str  # what was compared, for the report header
    snapshot: Path | None = None  # written or refreshed
    snapshot_runs: int = 0
    snapshot_bytes: int = 0
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return self.result.exit_code if self.result is not None else 0


def run_gate(req: GateRequest) -> GateOutcome:
    """Load both sides (evaluating a candidate checkpoint first), compare, and maybe refresh the snapshot."""
    from robustx.gate.sources import is_checkpoint, load_side

    target = _snapshot_target(req)
    base = load_side(req.baseline, "baseline", req.wanted)
    if req.candidate is None:
        assert target is not None
        return _write(target, list(base.values()), str(req.baseline), None)
    if not req.candidate.exists():
        raise DataError(f"candidate {req.candidate} does not exist")
    skipped: list[str] = []
    if is_checkpoint(req.candidate):
        from robustx.gate.rerun import evaluate_candidate

        skipped = [
            f"{s.label}: attack=none has no drop to compare" for s in base.values() if s.key[1] == "none"
        ]
        base = {k: s for k, s in base.items() if k[1] != "none"}
        if not base:
            raise DataError("nothing to compare: the baseline runs are all attack=none (no drop)")
        cand = evaluate_candidate(req.candidate, base, req.rerun)
        label = f"{req.candidate} (evaluated into {req.rerun.out})"
    else:
        cand, label = load_side(req.candidate, "candidate", req.wanted), str(req.candidate)
    result = compare_sides(base, cand, req.margin_points, req.alpha, req.max_drop_points)
    result = replace(result, skipped=tuple(skipped) + result.skipped)
    if not (req.update_baseline or req.force_update):
        return GateOutcome(result, label)
    assert target is not None
    if result.exit_code and not req.force_update:
        note = (
            f"baseline {target} not updated: the gate failed; to accept this candidate as the new "
            "baseline anyway, re-run with --force-update"
        )
        return GateOutcome(result, label, notes=(note,))
    return _write(target, _refreshed(target, cand), label, result)


def compare_sides(
    base: dict[RunKey, RunSource],
    cand: dict[RunKey, RunSource],
    margin_points: float,
    alpha: float,
    max_drop_points: float | None = None,
) -> GateResult:
    """Pair, join and compare every baseline run with the candidate's (margins in points of the metric)."""
    paired = [join(key, b, c) for key, b, c in pair_runs(base, cand)]
    max_drop = None if max_drop_points is None else max_drop_points / 100.0
    result = compare_runs(paired, margin_points / 100.0, alpha, max_drop)
    if not result.cells:
        raise DataError("nothing to compare: the runs are all attack=none (no drop); gate on attacked runs")
    return result


def _snapshot_target(req: GateRequest) -> Path | None:
    """Where a snapshot would be written; usage errors before any work."""
    from robustx.gate.snapshot import is_snapshot

    if not 0.0 < req.alpha < 1.0:
        raise SpecError(f"--alpha must lie strictly between 0 and 1, got {req.alpha}")
    if not 0.0 <= req.margin_points < 100.0:
        raise SpecError(
            f"--margin is in points of the task's metric and must lie in [0, 100), got {req.margin_points}"
        )
    if req.max_drop_points is not None and not 0.0 <= req.max_drop_points < 100.0:
        raise SpecError(
            f"--max-drop is in points of the task's metric and must lie in [0, 100), got {req.max_drop_points}"
        )
    target = req.snapshot or (req.baseline if is_snapshot(req.baseline) else None)
    if target is not None and target.exists() and not is_snapshot(target):
        raise SpecError(f"--snapshot {target} exists and is not a robustx snapshot; refusing to overwrite it")
    if req.candidate is None and req.snapshot is None:
        raise SpecError(
            "give --candidate (a checkpoint or its runs), or --snapshot FILE to write the baseline"
        )
    if req.candidate is None and req.update_baseline:
        raise SpecError("--update-baseline refreshes the baseline from a --candidate; none was given")
    if req.candidate is not None and req.snapshot is not None and not req.update_baseline:
        raise SpecError(
            "--snapshot with --candidate names where --update-baseline writes; add --update-baseline"
        )
    if req.update_baseline and target is None:
        raise SpecError("--update-baseline needs --snapshot FILE (or a snapshot file as --baseline)")
    return target


def _refreshed(target: Path, cand: dict[RunKey, RunSource]) -> list[RunSource]:
    """The candidate's runs, plus the runs of an existing snapshot at ``target`` that were not compared."""
    from robustx.gate.snapshot import is_snapshot, read_snapshot, refreshed

    if not is_snapshot(target):
        return list(cand.values())
    return refreshed({run.key: run for run in read_snapshot(target)}, cand)


def _write(target: Path, runs: list[RunSource], label: str, result: GateResult | None) -> GateOutcome:
    from robustx.gate.snapshot import write_snapshot

    size = write_snapshot(target, runs)
    return GateOutcome(result, label, snapshot=target, snapshot_runs=len(runs), snapshot_bytes=size)
