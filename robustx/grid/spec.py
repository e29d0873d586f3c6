"""Evaluation grid files (TOML): models x tasks x languages x attacks x seeds, and how to run them.

::

    [grid]
    models = ["ckpt/grid/none-{task}-s0", "ckpt/grid/socialiqa-{task}-s0"]   # {task}: per-task checkpoints
    tasks = ["xnli", "pawsx"]
    langs = ["de", "zh"]          # every task; or a table {xnli = [...], pawsx = [...]}; omitted: all
    attacks = ["none", "charnoise:rate=0.3"]
    seeds = [0, 1]
    out = "runs"
    data_dir = "../shared/data/xtreme"
    split = "validation"
    limit = 500

    [run]                         # defaults for `robustx grid run` options (the command line wins)
    backend = "ray"
    workers = 2
    shard_size = 250

Every error names the file, the key and (where it can be found) its line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from robustx.errors import RobustxError, SpecError
from robustx.registry import did_you_mean
from robustx.tasks import DataSource
from robustx.tasks.spec import SPLITS

_GRID_KEYS = ("models", "tasks", "langs", "attacks", "seeds", "out", "data_dir", "split", "limit")


@dataclass(frozen=True)
class RunOptions:
    """How the shards run; each is also a ``robustx grid run`` option."""

    backend: str = "local"  # local | ray
    address: str | None = None  # an existing Ray cluster ("auto", "ray://head:10001"); None: start one
    workers: int = 1
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    models_per_worker: int = 1  # models a worker keeps loaded (LRU)
    threads: int | None = None  # torch threads per worker (default: cpus_per_worker, at least 1)
    shard_size: int = 1000
    batch_size: int = 32
    max_tokens: int | None = None
    max_length: int = 256
    device: str = "auto"
    bf16: bool = False
    cache: str | None = None  # content-addressed cache root (default $ROBUSTX_CACHE/cas)
    use_cache: bool = True


_RUN_KEYS = tuple(f.name for f in fields(RunOptions))
_RUN_TYPES: dict[str, type] = {
    **{k: str for k in ("backend", "address", "device", "cache")},
    **{k: int for k in ("workers", "models_per_worker", "threads", "shard_size", "batch_size", "max_tokens")},
    **{k: float for k in ("cpus_per_worker", "gpus_per_worker")},
    "max_length": int,
    "bf16": bool,
    "use_cache": bool,
}


@dataclass(frozen=True)
class GridSpec:
    path: Path
    models: tuple[str, ...]
    tasks: tuple[str, ...]
    langs: dict[str, tuple[str, ...] | None]  # per task; None: all of the task's languages
    attacks: tuple[str, ...]
    seeds: tuple[int, ...]
    out: Path
    source: DataSource
    split: str = "test"
    limit: int | None = None
    run: RunOptions = field(default_factory=RunOptions)

    def models_for(self, task: str) -> list[str]:
        return list(dict.fromkeys(m.replace("{task}", task) for m in self.models))


class _Where:
    """Turns a bad key into 'file: line N: [table] key: message'."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, text.splitlines()

    def line(self, table: str, key: str) -> int | None:
        current = None
        for number, line in enumerate(self.lines, 1):
            header = re.match(r"\s*\[([^\]]+)\]", line)
            if header:
                current = header.group(1).strip()
            elif current == table and re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
        return None

    def error(self, table: str, key: str, message: str) -> SpecError:
        number = self.line(table, key)
        at = f" line {number}:" if number else ""
        return SpecError(f"{self.path}:{at} [{table}] {key}: {message}")


def load_grid_spec(path: Path, check_models: bool = True) -> GridSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"grid file not found: {path}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: invalid TOML: {err}") from None
    where = _Where(path, text)
    for table in doc:
        if table not in ("grid", "run"):
            raise SpecError(f"{path}: unknown table [{table}]{did_you_mean(table, ['grid', 'run'])}")
    grid, run = doc.get("grid"), doc.get("run", {})
    if not isinstance(grid, dict) or not isinstance(run, dict):
        raise SpecError(f"{path}: needs a [grid] table with models, tasks and attacks (and optionally [run])")
    _known(where, "grid", grid, _GRID_KEYS)
    _known(where, "run", run, _RUN_KEYS)
    for key in ("models", "tasks"):
        if key not in grid:
            raise SpecError(f"{path}: [grid] lacks '{key}'")
    spec = GridSpec(
        path=path,
        models=_strings(where, grid, "models"),
        tasks=_strings(where, grid, "tasks"),
        langs=_langs(where, grid),
        attacks=_strings(where, grid, "attacks", ["none"]),
        seeds=tuple(_int(where, "grid", "seeds", s) for s in _as_list(grid.get("seeds", [0]))),
        out=Path(str(grid.get("out", "runs"))),
        source=_source(grid.get("data_dir")),
        split=str(grid.get("split", "test")),
        limit=_int(where, "grid", "limit", grid["limit"]) if grid.get("limit") is not None else None,
        run=_run_options(where, run),
    )
    validate(spec, where, check_models)
    return spec


def _known(where: _Where, table: str, values: dict[str, Any], known: tuple[str, ...]) -> None:
    for key in values:
        if key not in known:
            raise where.error(table, key, f"unknown key{did_you_mean(key, list(known))}")


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _strings(
    where: _Where, grid: dict[str, Any], key: str, default: list[str] | None = None
) -> tuple[str, ...]:
    values = _as_list(grid.get(key, default))
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise where.error("grid", key, "expected a non-empty list of strings")
    return tuple(dict.fromkeys(v.strip() for v in values))


def _int(where: _Where, table: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise where.error(table, key, f"expected a whole number >= 0, got {value!r}")
    return value


def _langs(where: _Where, grid: dict[str, Any]) -> dict[str, tuple[str, ...] | None]:
    tasks = _strings(where, grid, "tasks")
    value = grid.get("langs")
    if value is None:
        return dict.fromkeys(tasks)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in tasks]
        if unknown:
            raise where.error("grid", "langs", f"'{unknown[0]}' is not one of the grid's tasks")
        return {t: tuple(_strings(where, value, t)) if t in value else None for t in tasks}
    langs = _strings(where, grid, "langs")
    return dict.fromkeys(tasks, langs)


def _source(data_dir: Any) -> DataSource:
    from robustx.tasks import default_data_dir

    path = data_dir or default_data_dir()
    return DataSource("dir", path=str(path)) if path else DataSource("hub")


def _run_options(where: _Where, run: dict[str, Any]) -> RunOptions:
    values: dict[str, Any] = {}
    for key, value in run.items():
        expected = _RUN_TYPES[key]
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) is not (expected is bool) or not isinstance(value, expected):
            raise where.error("run", key, f"expected {expected.__name__}, got {value!r}")
        values[key] = value
    try:
        return check_run_options(replace(RunOptions(), **values))
    except SpecError as err:
        key = str(err).split(" ", 1)[0].lstrip("-").replace("-", "_")
        raise where.error("run", key, str(err)) from None


def check_run_options(opts: RunOptions) -> RunOptions:
    """Reject impossible settings with one line (also used for command-line overrides)."""
    if opts.backend not in ("local", "ray"):
        raise SpecError(
            f"--backend '{opts.backend}' is not local or ray{did_you_mean(opts.backend, ['local', 'ray'])}"
        )
    for name in ("workers", "shard_size", "batch_size", "max_length", "models_per_worker"):
        if int(getattr(opts, name)) < 1:
            raise SpecError(f"--{name.replace('_', '-')} must be >= 1")
    if opts.max_tokens is not None and opts.max_tokens < 1:
        raise SpecError("--max-tokens must be >= 1")
    if (
        opts.cpus_per_worker < 0
        or opts.gpus_per_worker < 0
        or opts.cpus_per_worker + opts.gpus_per_worker == 0
    ):
        raise SpecError("--cpus-per-worker and --gpus-per-worker must be >= 0 and not both 0")
    return opts


def validate(spec: GridSpec, where: _Where | None = None, check_models: bool = True) -> None:
    """Names that must resolve before anything runs: tasks, languages, attacks, split, checkpoints."""
    from robustx.attacks.base import build_attack
    from robustx.tasks import get_task, resolve_languages

    where = where or _Where(spec.path, "")
    for key, names, check in (
        ("tasks", spec.tasks, get_task),
        ("attacks", spec.attacks, build_attack),
    ):
        for name in names:
            try:
                check(name)
            except RobustxError as err:
                raise where.error("grid", key, str(err)) from None
    for task_name, langs in spec.langs.items():
        try:
            resolve_languages(get_task(task_name), list(langs) if langs else None)
        except RobustxError as err:
            raise where.error("grid", "langs", str(err)) from None
    from robustx.models.loading import resolve_model_path

    for task_name in spec.tasks if check_models else ():
        for model in spec.models_for(task_name):
            try:
                resolve_model_path(model)  # a missing checkpoint dir fails here, before any data loads
            except RobustxError as err:
                raise where.error("grid", "models", str(err)) from None
    if spec.split not in SPLITS:
        raise where.error("grid", "split", f"'{spec.split}' is not one of {', '.join(SPLITS)}")
