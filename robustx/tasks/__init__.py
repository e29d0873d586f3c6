"""Task registry and the one entry point that loads examples from any source."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from robustx.errors import DataError, SpecError
from robustx.registry import Registry, did_you_mean
from robustx.tasks.classification import PAWSX, XNLI
from robustx.tasks.qa import MLQA, TYDIQA, XQUAD
from robustx.tasks.retrieval import BUCC, TATOEBA
from robustx.tasks.rows import LoadedRows
from robustx.tasks.spec import SPLITS, HubConfig, TaskSpec
from robustx.tasks.tagging import PANX, UDPOS

TASKS: Registry[TaskSpec] = Registry("task")
for _task in (XNLI, PAWSX, UDPOS, PANX, XQUAD, MLQA, TYDIQA, TATOEBA, BUCC):
    TASKS.add(_task.name, _task)


def get_task(name: str) -> TaskSpec:
    """A registered task; ``name:key=value,...`` sets its tunable options (robustx.tasks.variants)."""
    base, colon, _ = name.partition(":")
    task = TASKS.get(base.strip().lower().replace("-", ""))
    if not colon:
        return task
    from robustx.tasks.variants import task_variant

    return task_variant(task, name)


@dataclass(frozen=True)
class DataSource:
    """Where examples come from: the hub (or a local mirror of it), an XTREME dir, or one file."""

    kind: Literal["hub", "dir", "file"]
    path: str | None = None
    dataset: str | None = None
    columns: str | None = None
    revision: str | None = None

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def default_data_dir() -> Path | None:
    """``$ROBUSTX_DATA`` (pointing at the folder that holds ``xtreme/``, or at it), else None."""
    env = os.environ.get("ROBUSTX_DATA")
    if not env:
        return None
    root = Path(env)
    return root / "xtreme" if (root / "xtreme").is_dir() else root


def resolve_languages(task: TaskSpec, langs: list[str] | None) -> list[str]:
    if not langs:
        return list(task.languages)
    out = []
    for lang in langs:
        if lang not in task.languages:
            raise SpecError(
                f"task {task.name} has no language '{lang}'{did_you_mean(lang, list(task.languages))}; "
                f"languages: {', '.join(task.languages)}"
            )
        if lang not in out:
            out.append(lang)
    return out


def load_examples(
    task: TaskSpec, source: DataSource, lang: str, split: str, limit: int | None = None
) -> LoadedRows:
    """Load one language's examples; raise DataError if none remain."""
    if split not in SPLITS:
        raise SpecError(
            f"unknown split '{split}'{did_you_mean(split, list(SPLITS))}; splits: {', '.join(SPLITS)}"
        )
    rows = (
        task.loader(task, source, lang, split, limit)
        if task.loader
        else _dispatch(task, source, lang, split, limit)
    )
    if not rows.examples:
        raise DataError(f"no {task.name} examples for language {lang}, split {split} in {_where(source)}")
    return rows


def _dispatch(task: TaskSpec, source: DataSource, lang: str, split: str, limit: int | None) -> LoadedRows:
    if source.kind == "dir":
        from robustx.tasks.xtreme_dir import load_xtreme_dir

        assert source.path is not None
        return load_xtreme_dir(task, Path(source.path), lang, split, limit)
    if source.kind == "file":
        from robustx.tasks.local_file import load_local_file, parse_columns

        assert source.path is not None
        return load_local_file(
            task, Path(source.path), lang, split, parse_columns(source.columns, task), limit
        )
    from robustx.tasks.hub import hub_config, load_hub

    cfg: HubConfig = hub_config(task, source.dataset)
    return load_hub(task, cfg, lang, split, limit, path=source.path, revision=source.revision)


def _where(source: DataSource) -> str:
    return source.path or source.dataset or "the hub"


__all__ = [
    "TASKS",
    "DataSource",
    "LoadedRows",
    "TaskSpec",
    "default_data_dir",
    "get_task",
    "load_examples",
    "resolve_languages",
]
