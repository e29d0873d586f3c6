"""Task variants from the command line: ``--task tatoeba:layer=12,scoring=margin``.

Only the options a task lists under ``options["tunable"]`` may be set. The variant's name is the
canonical spec (sorted, non-default values only), so runs with different settings live in different
run directories and compare as different tasks; ``tatoeba:layer=auto`` is just ``tatoeba``. Example
ids keep the base name, so a variant's records pair with the base task's item by item.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from robustx.errors import SpecError
from robustx.registry import did_you_mean
from robustx.specs import parse_spec
from robustx.tasks.spec import TaskSpec


def _layer(raw: str) -> Any:
    if raw == "auto":
        return raw
    if raw.lstrip("-").isdigit():
        return int(raw)
    raise ValueError("expected 'auto' or a layer number (0 = embeddings, -1 = last)")


def _positive(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError("expected a positive integer")
    return int(raw)


def _scoring(raw: str) -> str:
    if raw not in ("cosine", "margin"):
        raise ValueError("expected cosine or margin")
    return raw


PARSERS: dict[str, Callable[[str], Any]] = {
    "layer": _layer,
    "scoring": _scoring,
    "k": _positive,
    "doc_stride": _positive,
    "max_answer_length": _positive,
    "n_best": _positive,
}


def task_variant(task: TaskSpec, text: str) -> TaskSpec:
    """``task`` with the options of ``text`` (``name:key=value,...``) applied; SpecError on misuse."""
    spec = parse_spec(text)
    tunable = tuple(task.options.get("tunable", ()))
    if spec.params and not tunable:
        raise SpecError(f"task {task.name} has no options to set (spec '{text}')")
    options = dict(task.options)
    changed: dict[str, Any] = {}
    for key, raw in spec.params:
        if key not in tunable:
            raise SpecError(
                f"task {task.name} has no option '{key}'{did_you_mean(key, list(tunable))}; options: {', '.join(tunable)}"
            )
        try:
            value = PARSERS[key](raw)
        except ValueError as err:
            raise SpecError(f"task option {key}={raw}: {err}") from None
        options[key] = value
        if value != task.options.get(key):
            changed[key] = value
    if not changed:
        return task
    name = task.name + ":" + ",".join(f"{k}={v}" for k, v in sorted(changed.items()))
    return dataclasses.replace(task, name=name, options=options)
