"""Loading tasks through ``datasets.load_dataset`` — the hub ids, or a local mirror with the same schema.

A local directory laid out like the hub repository (parquet/JSON files plus a README.md whose YAML
declares the configs) goes through exactly the same call, which is how this path is tested offline.
"""

from __future__ import annotations

from typing import Any

from robustx.errors import DataError
from robustx.tasks.rows import LoadedRows, RowError, example_from_row
from robustx.tasks.spec import HubConfig, TaskSpec


def hub_config(task: TaskSpec, dataset: str | None) -> HubConfig:
    """The task's layout for ``dataset`` (an id like 'facebook/xnli' or a local mirror path)."""
    if dataset is None:
        return task.hub[0]
    for cfg in task.hub:
        if cfg.dataset == dataset:
            return cfg
    # A local mirror of a known dataset: name it '<path>' and take the layout from --hub-schema.
    known = ", ".join(c.dataset for c in task.hub)
    raise DataError(f"task {task.name} knows hub datasets {known}; '{dataset}' is not one of them")


def load_hub(
    task: TaskSpec,
    cfg: HubConfig,
    lang: str,
    split: str,
    limit: int | None,
    path: str | None = None,
    revision: str | None = None,
) -> LoadedRows:
    """Load one language. ``path`` overrides where ``datasets`` looks (a local mirror directory)."""
    from datasets import load_dataset

    where = path or cfg.dataset
    name = cfg.config_for(lang)
    hub_split = cfg.splits.get(split, split)
    try:
        ds = load_dataset(where, name=name, split=hub_split, revision=revision)
    except Exception as err:  # datasets raises many types (connection, missing config, ...)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"cannot load {where} config {name} split {hub_split}: {first}") from None
    if cfg.language_column is not None:
        column = cfg.language_column
        ds = ds.filter(lambda batch: [v == lang for v in batch[column]], batched=True)
    source: dict[str, Any] = {
        "kind": "hub",
        "dataset": cfg.dataset,
        "path": where,
        "config": name,
        "split": hub_split,
        "revision": revision,
        "fingerprint": getattr(ds, "_fingerprint", None),
    }
    examples = []
    for index, row in enumerate(ds):
        mapped = {field: row.get(column) for field, column in cfg.columns.items()}
        row_id = str(row[cfg.id_column]) if cfg.id_column else f"{index:06d}"
        try:
            examples.append(example_from_row(task, lang, split, row_id, mapped))
        except RowError as err:
            raise DataError(f"{where} {name}/{hub_split} row {index}: {err}") from None
        if limit is not None and len(examples) >= limit:
            break
    return LoadedRows(examples, {}, source)
