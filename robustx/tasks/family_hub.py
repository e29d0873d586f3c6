"""Opening one hub config/split through ``datasets.load_dataset`` for the tagging, QA and retrieval loaders.

The same call reads a local mirror of the hub repository (``--hub-path``), which is how the code path
is tested offline (robustx/tasks/hub.py does the same for XNLI and PAWS-X).
"""

from __future__ import annotations

from typing import Any

from robustx.errors import DataError
from robustx.tasks.spec import HubConfig, TaskSpec


def base_name(task: TaskSpec) -> str:
    """The registered name without variant options (``tatoeba:layer=12`` -> ``tatoeba``): ids use it."""
    return task.name.split(":", 1)[0]


def open_hub(
    task: TaskSpec, source: Any, config_name: str, split: str
) -> tuple[Any, HubConfig, dict[str, Any]]:
    """(dataset, its layout, provenance for config.json); DataError with the first line of any failure."""
    from datasets import load_dataset

    from robustx.tasks.hub import hub_config

    cfg = hub_config(task, source.dataset)
    where = source.path or cfg.dataset
    hub_split = cfg.splits.get(split, split)
    try:
        ds = load_dataset(where, name=config_name, split=hub_split, revision=source.revision)
    except Exception as err:  # datasets raises many types (connection, missing config, ...)
        text = str(err).strip()
        first = text.splitlines()[0] if text else type(err).__name__
        raise DataError(f"cannot load {where} config {config_name} split {hub_split}: {first}") from None
    info = {
        "kind": "hub",
        "dataset": cfg.dataset,
        "path": where,
        "config": config_name,
        "split": hub_split,
        "revision": source.revision,
        "fingerprint": getattr(ds, "_fingerprint", None),
    }
    return ds, cfg, info


def class_names(ds: Any, column: str) -> list[str] | None:
    """Names of a ``Sequence(ClassLabel)`` column (hub tag ids -> tag strings); None for string tags."""
    feature = getattr(ds, "features", {}).get(column)
    inner = getattr(feature, "feature", None)
    names = getattr(inner, "names", None)
    return list(names) if names else None
