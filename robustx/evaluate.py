"""The one orchestration loop: examples x victim x attack -> stored records and metrics."""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustx.attacks.base import BoundAttack, build_attack
from robustx.errors import SpecError
from robustx.families import OnPhase, get_family
from robustx.progress import Stages
from robustx.store import RunStore, atomic_write_json, run_dir, safe_name
from robustx.tasks import DataSource, TaskSpec, get_task, load_examples, resolve_languages
from robustx.tasks.readers import file_sha256
from robustx.tasks.rows import LoadedRows
from robustx.types import Example

LOW_COVERAGE = 0.5  # below this fraction of words covered, a resource-bound attack is reported as weak
_BAR = {"perturbing": "perturbing", "clean": "clean pass", "attacked": "attacked pass"}


@dataclass(frozen=True)
class EvalRequest:
    model: str
    task: str
    source: DataSource
    out: Path
    langs: list[str] | None = None
    attack: str = "none"
    seed: int = 0
    split: str = "test"
    limit: int | None = None
    batch_size: int = 32
    device: str = "auto"
    bf16: bool = False
    resume: bool = False
    max_length: int = 256
    shard_size: int = 1000
    command: list[str] = field(default_factory=list)
    # More directories an attack looks in for resources (e.g. a bundle's muse/), after the data dir.
    resource_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalResult:
    run_dir: Path
    state: str
    metrics: dict[str, Any]


def evaluate(req: EvalRequest, stages: Stages) -> EvalResult:
    """Validate everything cheap first (task, languages, attack, data), then load the model and run."""
    task = get_task(req.task)
    langs = resolve_languages(task, req.langs)
    attack = bind_attack(req.attack, task, req.source, langs, req.resource_dirs)
    data = _load_all(task, req, langs, stages)
    store = RunStore(run_dir(req.out, req.model, safe_name(task.name), attack.canonical, req.seed))
    if _already_complete(store, req, task, langs, attack, data):
        return EvalResult(store.root, "complete", _read_metrics(store))
    coverage = attack_coverage(task, attack, data)
    family = get_family(task.family)
    stages.log(f"loading model {req.model}")
    victim = family.load_victim(task, req)
    config = run_config(req, task, langs, attack, data, victim.describe())
    state = store.prepare(config, req.resume)
    if state == "complete":
        return EvalResult(store.root, state, _read_metrics(store))
    shards = _run_shards(task, data, attack, req, victim, store, stages)
    metrics = finish_run(store, shards, task, attack, req.model, req.seed, coverage)
    return EvalResult(store.root, state, metrics)


def _already_complete(
    store: RunStore,
    req: EvalRequest,
    task: TaskSpec,
    langs: list[str],
    attack: BoundAttack,
    data: dict[str, LoadedRows],
) -> bool:
    """A finished run of the same configuration, recognised without loading the model (a local
    checkpoint's content hash is enough), so re-running a job only re-reads what it wrote."""
    from robustx.models.loading import model_fingerprint, resolve_model_path

    if not store.is_complete():
        return False
    path = resolve_model_path(req.model)
    if not Path(path).is_dir():
        return False  # a hub id: its hash needs the hub's config
    config = run_config(req, task, langs, attack, data, {"hash": model_fingerprint(path)})
    return store.matches(config)


def bind_attack(
    spec: str, task: TaskSpec, source: DataSource, langs: list[str], resource_dirs: tuple[str, ...] = ()
) -> BoundAttack:
    """The run's attack: resources also found under the data dirs, checked for every language."""
    attack = build_attack(spec).for_data([*_data_dirs(source), *resource_dirs])
    attack.check(langs)
    if attack.search is not None and not getattr(get_family(task.family), "adversarial", False):
        raise SpecError(
            f"{attack.canonical}: adversarial search is not implemented for {task.family} tasks yet"
        )
    return attack


def shard_starts(task: TaskSpec, n_examples: int, shard_size: int) -> list[tuple[int, int]]:
    """(start, stop) of each stored shard of one language: the unit of resume (robustx grid reuses it)."""
    # Families that score a language as a whole (retrieval: margins, 1:1 mining) get one shard.
    size = max(n_examples, 1) if task.options.get("whole_language") else shard_size
    return [(start, min(start + size, n_examples)) for start in range(0, n_examples, size)]


def shard_table(
    task: TaskSpec,
    examples: Sequence[Example],
    attack: BoundAttack,
    seed: int,
    victim: Any,
    on_phase: OnPhase | None = None,
) -> Any:
    """One shard's records as an Arrow table (clean + attacked pass through the task's family)."""
    from robustx.records import to_table

    family = get_family(task.family)
    cols = family.shard_columns(task, examples, attack, seed, victim, on_phase or (lambda phase, n: None))
    return to_table(cols)


def finish_run(
    store: RunStore,
    shards: list[tuple[str, int]],
    task: TaskSpec,
    attack: BoundAttack,
    model: str,
    seed: int,
    coverage: dict[str, Any],
) -> dict[str, Any]:
    """Metrics from the finished shards, then records.parquet and metrics.json (last)."""
    table = store.read_shards(shards)
    metrics = {
        "task": task.name,
        "attack": attack.canonical,
        "model": model,
        **get_family(task.family).metrics(task, table, seed),
    }
    if coverage:
        metrics["attack_coverage"] = coverage
        metrics["warnings"] = coverage_warnings(attack.name, coverage)
    store.finalize(shards, metrics)
    return metrics


def _data_dirs(source: DataSource) -> list[str]:
    return [source.path] if source.kind == "dir" and source.path else []


def _as_text(value: Any) -> str:
    """A text field as the words an attack sees: tagging fields are word lists, joined by spaces."""
    return " ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def attack_coverage(task: TaskSpec, attack: BoundAttack, data: dict[str, LoadedRows]) -> dict[str, Any]:
    """Per language, the fraction of words each resource of the attack covers (dictionaries)."""
    out: dict[str, Any] = {}
    for lang, rows in data.items():
        texts = [_as_text(ex.fields[f]) for ex in rows.examples for f in task.text_fields]
        got = attack.coverage(texts, lang)
        if got is not None:
            out[lang] = got
    return out


def coverage_warnings(attack: str, coverage: dict[str, dict[str, float]]) -> list[str]:
    """One line per language whose resources cover under half of its words (never a silent no-op)."""
    lines = []
    for lang, per in coverage.items():
        low = {k: v for k, v in per.items() if v < LOW_COVERAGE}
        if low:
            cells = ", ".join(f"{lang}-{k} {100 * v:.0f}%" for k, v in low.items())
            lines.append(f"{attack}: poor dictionary coverage of {lang} words ({cells} have a translation)")
    return lines


def _load_all(task: TaskSpec, req: EvalRequest, langs: list[str], stages: Stages) -> dict[str, LoadedRows]:
    advance = stages.stage("loading data", total=len(langs))
    data = {}
    for lang in langs:
        data[lang] = load_examples(task, req.source, lang, req.split, req.limit)
        advance()
    return data


def _run_shards(
    task: TaskSpec,
    data: dict[str, LoadedRows],
    attack: BoundAttack,
    req: EvalRequest,
    victim: Any,
    store: RunStore,
    stages: Stages,
) -> list[tuple[str, int]]:
    total = sum(len(rows.examples) for rows in data.values())
    bars = {name: stages.stage(name, total) for name in ("perturbing", "clean pass", "attacked pass")}
    shards = []
    for lang, rows in data.items():
        for start, stop in shard_starts(task, len(rows.examples), req.shard_size):
            chunk = rows.examples[start:stop]
            shards.append((lang, start))
            if store.has_shard(lang, start):
                for bar in bars.values():
                    bar(len(chunk))
                continue
            table = shard_table(task, chunk, attack, req.seed, victim, lambda phase, n: bars[_BAR[phase]](n))
            store.write_shard(lang, start, table)
    return shards


def run_config(
    req: EvalRequest,
    task: TaskSpec,
    langs: list[str],
    attack: BoundAttack,
    data: dict[str, LoadedRows],
    model: dict[str, Any],
) -> dict[str, Any]:
    files = {name: file_sha256(path) for rows in data.values() for name, path in rows.files.items()}
    sources = [rows.source for rows in data.values() if rows.source]
    return {
        "robustx_version": _version("robustx"),
        "torch_version": _version("torch"),
        "transformers_version": _version("transformers"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "model": req.model,
        "model_hash": model["hash"],
        "model_info": model,
        "lineage": _lineage(req.model),
        "task": task.name,
        "split": req.split,
        "languages": langs,
        "limit": req.limit,
        "attack": attack.canonical,
        "attack_params": {k: list(v) if isinstance(v, tuple) else v for k, v in attack.params.items()},
        "attack_resources": attack.resources(langs),
        "seed": req.seed,
        "data": {"source": req.source.describe(), "files": files, "hub": sources},
        "max_length": req.max_length,
        "shard_size": req.shard_size,
        "batch_size": req.batch_size,
        "command": req.command,
    }


def _lineage(model: str) -> dict[str, Any] | None:
    """The checkpoint's lineage.json (written by ``robustx train``), copied into the run config."""
    import json

    path = Path(model) / "lineage.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


def _read_metrics(store: RunStore) -> dict[str, Any]:
    import json

    return dict(json.loads(store.metrics_path.read_text(encoding="utf-8")))


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


__all__ = [
    "EvalRequest",
    "EvalResult",
    "atomic_write_json",
    "attack_coverage",
    "bind_attack",
    "evaluate",
    "finish_run",
    "run_config",
    "shard_starts",
    "shard_table",
]
