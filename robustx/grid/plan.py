"""Expanding a grid into run directories (cells) and shards, skipping what is already stored.

A cell is one ``robustx evaluate`` run (model x task x attack x seed, all its languages), with the
same config.json, layout and records; its shards are (language x example range), exactly the
shards ``robustx evaluate`` stores. A shard's content key hashes the run's identity (the
config.json keys a resume must match: model content hash, data files, attack and its resource
files, seed, ...) with its language, range and examples. A run directory whose identity differs is
an error (as for ``robustx evaluate --resume``); inside a matching one a stored shard *is* that
content, so it is skipped, and a complete run is not touched at all.

Planning reads each task's data once (for the data files' hashes, the shard ranges, the examples'
digests and dictionary coverage) and then lets it go: the driver's memory follows one task's data,
never the grid's size. Model weights are hashed here, not loaded.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustx.grid.jobs import ShardJob
from robustx.grid.spec import GridSpec
from robustx.store import IDENTITY_KEYS, RunStore


@dataclass
class Cell:
    """One run directory of the grid and the shards it still waits for."""

    store: RunStore
    model: str
    task: Any  # TaskSpec
    attack: Any  # BoundAttack (driver side: its name and canonical spec for the metrics)
    seed: int
    coverage: dict[str, Any]
    shards: list[tuple[str, int]]  # every (lang, start) of the run, in order
    state: str  # fresh | resume | complete
    pending: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"{self.store.root}"


@dataclass
class GridPlan:
    cells: list[Cell]
    jobs: list[ShardJob]
    cell_of: dict[str, Cell]  # job key -> its cell

    @property
    def shards_total(self) -> int:
        return sum(len(c.shards) for c in self.cells)


def plan_grid(spec: GridSpec, write: bool = True, log: Callable[[str], None] = lambda s: None) -> GridPlan:
    """Cells and the shards still to run; ``write`` also writes config.json of fresh cells."""
    from robustx.tasks import get_task, resolve_languages

    cells: list[Cell] = []
    jobs: list[ShardJob] = []
    cell_of: dict[str, Cell] = {}
    for task_name in spec.tasks:
        task = get_task(task_name)
        langs = resolve_languages(task, list(spec.langs[task_name] or []) or None)
        log(f"planning {task.name}: reading {len(langs)} language(s)")
        for cell, cell_jobs in _task_cells(spec, task_name, task, langs, write):
            cells.append(cell)
            jobs += cell_jobs
            cell_of.update((job.key, cell) for job in cell_jobs)
    return GridPlan(cells, jobs, cell_of)


@dataclass(frozen=True)
class _TaskData:
    """One task's data as planning needs it (the examples themselves are dropped after the task)."""

    name: str  # as the grid file names it (a variant such as tatoeba:layer=12 included)
    task: Any  # TaskSpec
    langs: list[str]
    data: dict[str, Any]  # lang -> LoadedRows
    ranges: dict[str, list[tuple[int, int, str]]]  # lang -> (start, stop, examples digest) per shard


def _task_cells(
    spec: GridSpec, task_name: str, task: Any, langs: list[str], write: bool
) -> list[tuple[Cell, list[ShardJob]]]:
    from robustx.evaluate import attack_coverage, bind_attack
    from robustx.tasks import load_examples

    data = {lang: load_examples(task, spec.source, lang, spec.split, spec.limit) for lang in langs}
    td = _TaskData(task_name, task, langs, data, _ranges(task, data, spec.run.shard_size))
    cells = []
    for attack_spec in spec.attacks:
        attack = bind_attack(attack_spec, task, spec.source, langs)
        coverage = attack_coverage(task, attack, data)
        for model in spec.models_for(task_name):
            for seed in spec.seeds:
                cells.append(_cell(spec, td, attack, coverage, model, seed, write))
    return cells


def _ranges(task: Any, data: dict[str, Any], shard_size: int) -> dict[str, list[tuple[int, int, str]]]:
    """Per language: (start, stop, examples digest) of each shard, as robustx evaluate cuts them."""
    from robustx.cache.perturbations import examples_digest
    from robustx.evaluate import shard_starts

    out = {}
    for lang, rows in data.items():
        cuts = shard_starts(task, len(rows.examples), shard_size)
        out[lang] = [(a, b, examples_digest(rows.examples[a:b])) for a, b in cuts]
    return out


def _cell(
    spec: GridSpec, td: _TaskData, attack: Any, coverage: dict[str, Any], model: str, seed: int, write: bool
) -> tuple[Cell, list[ShardJob]]:
    """The run directory of (model, task, attack, seed): config.json written or checked, shards to do."""
    from robustx.evaluate import EvalRequest, run_config
    from robustx.store import run_dir, safe_name

    o = spec.run
    req = EvalRequest(
        model=model, task=td.name, source=spec.source, out=spec.out, langs=td.langs, attack=attack.canonical,
        seed=seed, split=spec.split, limit=spec.limit, batch_size=o.batch_size, device=o.device,
        bf16=o.bf16, resume=True, max_length=o.max_length, shard_size=o.shard_size, command=sys.argv,
    )  # fmt: skip
    info = {"ref": model, "hash": model_identity(model), "device": o.device, "max_length": o.max_length}
    config = run_config(req, td.task, td.langs, attack, td.data, {**info, "by": "robustx grid"})
    store = RunStore(run_dir(spec.out, model, safe_name(td.task.name), attack.canonical, seed))
    state = store.prepare(config, resume=True) if write else _peek(store, config)
    shards = [(lang, a) for lang in td.langs for a, _, _ in td.ranges[lang]]
    cell = Cell(store, model, td.task, attack, seed, coverage, shards, state)
    jobs = [] if state == "complete" else _jobs(spec, td, cell, config, attack.canonical)
    cell.pending = {job.key for job in jobs}
    return cell, jobs


def _jobs(spec: GridSpec, td: _TaskData, cell: Cell, config: dict[str, Any], attack: str) -> list[ShardJob]:
    """The cell's shards not stored yet, each with its content key."""
    identity = {k: config.get(k) for k in IDENTITY_KEYS}
    jobs = []
    for lang in td.langs:
        for a, b, examples in td.ranges[lang]:
            if cell.store.has_shard(lang, a):
                continue
            jobs.append(ShardJob(
                _digest("shard/v1", identity, lang, a, b, examples), str(cell.store.root), cell.model,
                str(config["model_hash"]), td.name, spec.source, lang, spec.split, spec.limit, a, b, attack,
                cell.seed, examples,
            ))  # fmt: skip
    return jobs


def _digest(*parts: Any) -> str:
    from robustx.cache.cas import digest

    return digest(*parts)


def _peek(store: RunStore, config: dict[str, Any]) -> str:
    """The state ``prepare`` would report, without writing (for --dry-run)."""
    from robustx.errors import RunConflictError

    if not store.config_path.is_file():
        if store.root.exists() and any(store.root.iterdir()):
            raise RunConflictError(f"{store.root} exists and is not a robustx run; choose another --out")
        return "fresh"
    old = store.load_config()
    diff = [k for k in IDENTITY_KEYS if old.get(k) != config.get(k)]
    if diff:
        raise RunConflictError(
            f"{store.root} holds a run with a different configuration ({', '.join(diff)} differ)"
        )
    return "complete" if store.is_complete() else "resume"


@functools.cache
def model_identity(ref: str) -> str:
    """The checkpoint's content hash, as its victim reports it, without loading the weights."""
    from robustx.models.loading import model_fingerprint, resolve_model_path

    path = resolve_model_path(ref)
    if Path(path).is_dir():
        return model_fingerprint(path)
    from transformers import AutoConfig

    return model_fingerprint(path, AutoConfig.from_pretrained(path))
