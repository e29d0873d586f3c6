"""XTREME's on-disk download layout (``download/xnli/test-de.tsv``; headerless TSV)."""

from __future__ import annotations

from pathlib import Path

from robustx.errors import DataError
from robustx.tasks.readers import iter_delimited, resolve_gz
from robustx.tasks.rows import LoadedRows, RowError, example_from_row
from robustx.tasks.spec import TaskSpec


def task_file(task: TaskSpec, data_dir: Path, lang: str, split: str) -> Path:
    if not data_dir.is_dir():
        raise DataError(f"data dir not found: {data_dir}")
    rel = task.download_path.format(split=task.split_files.get(split, split), lang=lang)
    try:
        return resolve_gz(data_dir / rel)
    except DataError:
        raise DataError(
            f"{data_dir} has no {rel} for task {task.name}, language {lang}, split {split}"
        ) from None


def load_xtreme_dir(task: TaskSpec, data_dir: Path, lang: str, split: str, limit: int | None) -> LoadedRows:
    """Read one language's file; the row index is the example id (XNLI rows are parallel)."""
    path = task_file(task, data_dir, lang, split)
    n_cols = len(task.fields)
    examples = []
    header_seen = False
    for index, (line, row) in enumerate(iter_delimited(path, "\t")):
        if index == 0 and _is_header(row, task):
            header_seen = True
            continue
        if len(row) != n_cols:
            raise DataError(
                f"{path}:{line}: expected {n_cols} tab-separated columns ({', '.join(task.fields)}), found {len(row)}"
            )
        row_id = index - 1 if header_seen else index
        try:
            examples.append(
                example_from_row(task, lang, split, f"{row_id:06d}", dict(zip(task.fields, row, strict=True)))
            )
        except RowError as err:
            raise DataError(f"{path}:{line}: {err}") from None
        if limit is not None and len(examples) >= limit:
            break
    return LoadedRows(examples, {str(path): path})


def _is_header(row: list[str], task: TaskSpec) -> bool:
    names = {"premise", "hypothesis", "sentence1", "sentence2", "label", "gold_label", "id"}
    return (
        bool(row) and all(cell.strip().lower() in names for cell in row) and len(row) >= len(task.fields) - 1
    )
