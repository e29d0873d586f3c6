"""Turning raw rows (from any source) into validated ``Example`` records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustx.tasks.spec import TaskSpec
from robustx.types import Example


class RowError(ValueError):
    """A row does not fit the task; the caller adds file and line."""


@dataclass
class LoadedRows:
    """Examples of one language plus the files they came from (hashed into the run config)."""

    examples: list[Example]
    files: dict[str, Path] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)


def example_id(task: TaskSpec, split: str, row_id: str) -> str:
    return f"{task.name}/{split}/{row_id}"


def example_from_row(task: TaskSpec, lang: str, split: str, row_id: str, row: Mapping[str, Any]) -> Example:
    """Validate text fields and the label; raise RowError with a short reason."""
    fields: dict[str, str] = {}
    for name in task.text_fields:
        value = row.get(name)
        if not isinstance(value, str):
            raise RowError(f"field '{name}' is missing or not text")
        fields[name] = value
    raw = row.get("label")
    label = task.canonical_label(raw)
    if label is None:
        raise RowError(
            f"unknown label {raw!r} for task {task.name} (expected one of {', '.join(task.labels)})"
        )
    return Example(id=example_id(task, split, row_id), task=task.name, lang=lang, fields=fields, label=label)
