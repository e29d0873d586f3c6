"""Grids: intermediate tasks x targets x seeds, trained and evaluated in one command.

A grid file (TOML) names the cells and shares options::

    [grid]
    base = "embedded"
    intermediate = ["socialiqa", "piqa", "none"]   # "a,b": one after the other; "a+b": multi-task
    targets = ["xnli", "pawsx"]
    seeds = [0, 1]
    out = "ckpt/grid"             # a cell trains into <out>/<intermediate>-<target>-s<seed>

    [train]                       # any `robustx train` option, snake_case
    data_dir = "../shared/data/xtreme"
    max_steps = 200

    [evaluate]                    # `robustx evaluate` for every cell and attack
    out = "runs"
    attacks = ["none", "charnoise"]
    langs = ["de", "hi"]
    limit = 200

A cell is skipped when its checkpoint's lineage matches the cell's settings, and each evaluation
when its run directory is complete for the same model hash; interrupted cells continue.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustx.errors import SpecError
from robustx.registry import did_you_mean

_GRID_KEYS = {"base", "intermediate", "targets", "seeds", "out"}
_EVAL_KEYS = {"out", "attacks", "langs", "limit", "split", "seed", "batch_size", "device", "max_length"}


@dataclass(frozen=True)
class Cell:
    intermediate: str  # "none", "a", "a,b" (sequential) or "a+b" (multi-task)
    target: str
    seed: int
    out: Path

    @property
    def label(self) -> str:
        return f"{self.intermediate} -> {self.target} (seed {self.seed})"


@dataclass(frozen=True)
class GridSpec:
    cells: list[Cell]
    base: str
    train: dict[str, Any] = field(default_factory=dict)
    evaluate: dict[str, Any] = field(default_factory=dict)


def load_grid(path: Path) -> GridSpec:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"grid file not found: {path}") from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: invalid TOML: {err}") from None
    grid, train, evaluate = doc.get("grid"), dict(doc.get("train", {})), dict(doc.get("evaluate", {}))
    if not isinstance(grid, dict):
        raise SpecError(f"{path}: needs a [grid] table with intermediate, targets, seeds and out")
    _check_keys(path, "grid", grid, _GRID_KEYS)
    _check_keys(path, "evaluate", evaluate, _EVAL_KEYS)
    _check_train_keys(path, train)
    missing = sorted(k for k in ("intermediate", "targets", "out") if k not in grid)
    if missing:
        raise SpecError(f"{path}: [grid] lacks {', '.join(missing)}")
    cells = [
        Cell(str(i), str(t), int(s), Path(grid["out"]) / f"{_safe(str(i))}-{t}-s{s}")
        for i in _list(grid["intermediate"])
        for t in _list(grid["targets"])
        for s in _list(grid.get("seeds", [0]))
    ]
    for cell in cells:  # validate names before anything trains
        _validate(cell)
    return GridSpec(cells, str(grid.get("base", "embedded")), train, evaluate)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _safe(text: str) -> str:
    return re.sub(r"[^\w.+,-]", "_", text).replace(",", "_then_")


def _check_keys(path: Path, table: str, values: dict[str, Any], known: set[str]) -> None:
    for key in values:
        if key not in known:
            raise SpecError(f"{path}: unknown key '{key}' in [{table}]{did_you_mean(key, sorted(known))}")


def _check_train_keys(path: Path, train: dict[str, Any]) -> None:
    from robustx.commands.train import _DEFAULTS

    known = set(_DEFAULTS) - {"base", "intermediate", "multitask", "resume", "quiet"}
    _check_keys(path, "train", train, known)


def _validate(cell: Cell) -> None:
    from robustx.transfer.catalog import get_target, parse_intermediate

    parse_intermediate(cell.intermediate.replace("+", ","))
    get_target(cell.target)


def run_grid(spec: GridSpec, dry_run: bool = False, quiet: bool = False) -> Iterator[str]:
    """Train then evaluate each cell in order, yielding one report line per step."""
    for cell in spec.cells:
        if dry_run:
            yield f"{cell.label}: {'trained' if _trained(cell) else 'to train'} -> {cell.out}"
            continue
        started = time.perf_counter()
        result = _train_cell(spec, cell, quiet)
        took = time.perf_counter() - started
        yield f"{cell.label}: {'already trained' if result.state == 'complete' else f'trained in {took:.0f} s'} -> {cell.out}"
        for line in _evaluate_cell(spec, cell, quiet):
            yield f"  {line}"


def _trained(cell: Cell) -> bool:
    return (cell.out / "lineage.json").is_file()


def _train_cell(spec: GridSpec, cell: Cell, quiet: bool) -> Any:
    from robustx.commands.train import build_request
    from robustx.transfer.pipeline import train

    options = {
        **spec.train,
        "base": spec.base,
        "intermediate": cell.intermediate.replace("+", ","),
        "multitask": "+" in cell.intermediate,
        "target": cell.target,
        "out": cell.out,
        "seed": cell.seed,
        "resume": True,  # an interrupted cell continues
        "quiet": quiet,
    }
    return train(build_request(options))


def _evaluate_cell(spec: GridSpec, cell: Cell, quiet: bool) -> Iterator[str]:
    from robustx.transfer.catalog import get_target

    task = get_target(cell.target).evaluate_as or cell.target
    if not spec.evaluate:
        return
    from robustx.tasks import TASKS

    if task not in TASKS:
        yield f"evaluate {task}: not available in `robustx evaluate` yet (skipped)"
        return
    for attack in _list(spec.evaluate.get("attacks", ["none"])):
        yield _evaluate_one(spec, cell, task, str(attack), quiet)


def _evaluate_one(spec: GridSpec, cell: Cell, task: str, attack: str, quiet: bool) -> str:
    from robustx.attacks.base import build_attack
    from robustx.evaluate import EvalRequest, evaluate
    from robustx.progress import progress_stages

    ev = spec.evaluate
    runs = Path(ev.get("out", "runs"))
    seed = int(ev.get("seed", 0))
    if _eval_done(runs, cell.out, task, build_attack(attack).canonical, seed):
        return f"evaluate {task} / {attack}: already complete"
    langs = ev.get("langs")
    request = EvalRequest(
        model=str(cell.out),
        task=task,
        source=_source(spec),
        out=runs,
        langs=[str(x) for x in _list(langs)] if langs else None,
        attack=attack,
        seed=seed,
        split=str(ev.get("split", "test")),
        limit=ev.get("limit"),
        batch_size=int(ev.get("batch_size", 32)),
        device=str(ev.get("device", "auto")),
        resume=True,
        max_length=int(ev.get("max_length", 256)),
    )
    with progress_stages(enabled=not quiet) as stages:
        result = evaluate(request, stages)
    overall = result.metrics.get("overall", {})
    score = " ".join(
        f"{k} {overall[k]:.4f}" for k in ("clean", "attacked") if isinstance(overall.get(k), float)
    )
    return f"evaluate {task} / {attack}: {result.state} {score} -> {result.run_dir}"


def _eval_done(runs: Path, model: Path, task: str, attack: str, seed: int) -> bool:
    """Complete run dir whose config names this exact model (by content hash)."""
    import json

    from robustx.models.loading import model_fingerprint
    from robustx.store import RunStore, run_dir

    store = RunStore(run_dir(runs, str(model), task, attack, seed))
    if not store.is_complete() or not store.config_path.is_file():
        return False
    config = json.loads(store.config_path.read_text(encoding="utf-8"))
    return bool(config.get("model_hash") == model_fingerprint(str(model)))


def _source(spec: GridSpec) -> Any:
    from robustx.tasks import DataSource, default_data_dir

    data_dir = spec.train.get("data_dir") or default_data_dir()
    return DataSource("dir", path=str(data_dir)) if data_dir else DataSource("hub")
