"""One side of the gate: the runs of a baseline or candidate, from run directories or a snapshot.

A side is a set of runs keyed by (task, canonical attack spec, seed). Each run brings its
``config.json`` (enough to evaluate another checkpoint on exactly its examples and perturbations),
its ``metrics.json``, and per-example columns: read from ``records.parquet`` for a run directory
(only the columns the gate needs for the task's metric, never the texts), held in memory for a
snapshot run.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robustx.errors import DataError

RunKey = tuple[str, str, int]  # task, canonical attack spec, seed
# Besides the metric's per-item columns (robustx.report.metric), the gate reads these: ids, the
# input hashes that prove both sides saw the same inputs, and queries, which only decides whether
# the attack was model-free.
ID_COLUMNS = ("example_id", "lang")
CHECK_COLUMNS = ("text_hash", "text_hash_attacked", "queries")


def gate_columns(task: str, available: Collection[str]) -> tuple[str, ...]:
    """The columns the gate keeps for a run of ``task`` (its metric judged from ``available``)."""
    from robustx.report.metric import metric_for

    return (*ID_COLUMNS, *metric_for(task, available).columns, *CHECK_COLUMNS)


def check_columns(task: str, available: Collection[str], where: str, hint: str = "") -> None:
    """A one-line error unless the per-item quantities of the task's metric are there."""
    from robustx.report.metric import metric_for, missing_columns

    metric = metric_for(task, available)
    missing = missing_columns(metric, available)
    if missing:
        raise DataError(
            f"{where} lacks {', '.join(missing)}; the gate compares the per-example quantities of "
            f"{task}'s {metric.name}{hint}"
        )


def key_label(key: RunKey) -> str:
    return f"{key[0]} / {key[1]} / seed {key[2]}"


@dataclass(frozen=True, eq=False)
class RunSource:
    """One complete run: where it lives, its configuration and metrics, and how to read its rows."""

    key: RunKey
    label: str  # the run directory, or "<snapshot file>#<task / attack / seed k>"
    config: Mapping[str, Any]
    metrics: Mapping[str, Any]
    run_dir: Path | None = None
    rows: Mapping[str, np.ndarray] | None = field(default=None, repr=False)

    def read(self) -> dict[str, np.ndarray]:
        """The gate's columns as numpy arrays (a run directory: a column-pruned Parquet read)."""
        if self.rows is not None:
            return dict(self.rows)
        assert self.run_dir is not None
        return read_records(self.run_dir / "records.parquet", self.key[0])


@dataclass(frozen=True)
class RunFilter:
    """``--task`` / ``--attack``: a name matches any variant of it, a full spec only itself."""

    task: str | None = None
    attack: str | None = None

    def matches(self, key: RunKey) -> bool:
        return _matches(self.task, key[0]) and _matches(self.attack, key[1], canonical=True)

    def describe(self) -> str:
        parts = [f"--task {self.task}" if self.task else "", f"--attack {self.attack}" if self.attack else ""]
        return " ".join(p for p in parts if p)


def _matches(wanted: str | None, actual: str, canonical: bool = False) -> bool:
    if not wanted:
        return True
    if ":" not in wanted:
        return actual.split(":", 1)[0] == wanted
    if actual == wanted or not canonical:
        return actual == wanted
    from robustx.attacks.base import build_attack

    return actual == build_attack(wanted).canonical  # runs record the canonical spec


def read_records(path: Path, task: str) -> dict[str, np.ndarray]:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except (OSError, ValueError) as err:
        raise DataError(f"{path} is unreadable: {err}") from None
    check_columns(task, names, str(path))
    table = pq.read_table(path, columns=[c for c in gate_columns(task, names) if c in names])
    return {c: np.asarray(table.column(c).to_numpy(zero_copy_only=False)) for c in table.column_names}


def read_json(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as err:
        raise DataError(f"{path} is unreadable: {err}") from None


def run_key(config: Mapping[str, Any], where: str) -> RunKey:
    try:
        return str(config["task"]), str(config["attack"]), int(config["seed"])
    except (KeyError, TypeError, ValueError):
        raise DataError(f"{where}: config.json lacks task, attack or seed") from None


def is_checkpoint(path: Path) -> bool:
    """A Hugging Face checkpoint directory (config.json of a model), not a run or a root of runs."""
    from robustx.report.collect import is_checkpoint_dir

    return path.is_dir() and (path / "config.json").is_file() and is_checkpoint_dir(path)


def run_dir_source(run: Path, side: str) -> RunSource:
    from robustx.store import RunStore

    if not RunStore(run).is_complete():
        raise DataError(
            f"{side} run {run} is incomplete (no metrics.json/records.parquet); finish it with "
            "`robustx evaluate ... --resume` before gating on it"
        )
    config = read_json(run / "config.json")
    return RunSource(
        run_key(config, str(run)), str(run), config, read_json(run / "metrics.json"), run_dir=run
    )


def load_side(path: Path, side: str, wanted: RunFilter | None = None) -> dict[RunKey, RunSource]:
    """The complete runs of one side (run directories below ``path``, or a snapshot file).

    Runs that ``wanted`` leaves out are not read (nor required to be complete).
    """
    from robustx.gate.snapshot import is_snapshot, read_snapshot
    from robustx.report.collect import find_run_dirs

    wanted = wanted or RunFilter()
    if not path.exists():
        raise DataError(f"{side} {path} does not exist")
    if path.is_file() or is_snapshot(path):
        found = read_snapshot(path)
        held = [s.key for s in found]
        found = [s for s in found if wanted.matches(s.key)]
    else:
        dirs = find_run_dirs([path])
        if not dirs:
            raise DataError(f"{side} {path} holds no run directory (config.json)")
        keys = {run: run_key(read_json(run / "config.json"), str(run)) for run in dirs}
        held = list(keys.values())
        found = [run_dir_source(run, side) for run, key in keys.items() if wanted.matches(key)]
    runs: dict[RunKey, RunSource] = {}
    for source in found:
        if source.key in runs:
            raise DataError(
                f"{side} {path} holds two runs of {key_label(source.key)} ({runs[source.key].label}, "
                f"{source.label}); point at one model's runs"
            )
        runs[source.key] = source
    if not runs:
        listed = ", ".join(sorted({key_label(k) for k in held})[:4]) or "none"
        raise DataError(f"{side} {path} holds no run matching {wanted.describe()} (it holds: {listed})")
    return runs
