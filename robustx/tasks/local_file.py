"""Any local TSV/CSV/JSONL/Parquet file with a column mapping (``--columns premise=s1,...``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from robustx.errors import DataError, SpecError
from robustx.tasks.readers import file_format, iter_delimited, iter_jsonl, iter_parquet, resolve_gz
from robustx.tasks.rows import LoadedRows, RowError, example_from_row
from robustx.tasks.spec import TaskSpec
from robustx.types import Example


def parse_columns(text: str | None, task: TaskSpec) -> dict[str, str]:
    """``premise=s1,hypothesis=s2,label=y`` -> field->column; missing fields map to themselves."""
    mapping = {f: f for f in task.fields}
    mapping["id"] = "id"
    mapping["lang"] = "lang"
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, eq, value = part.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise SpecError(f"malformed --columns entry '{part}': expected field=column")
        if key.strip() not in mapping:
            raise SpecError(
                f"--columns: task {task.name} has no field '{key.strip()}' (fields: {', '.join(task.fields)}, id, lang)"
            )
        mapping[key.strip()] = value.strip()
    return mapping


def load_local_file(
    task: TaskSpec, path: Path, lang: str, split: str, columns: Mapping[str, str], limit: int | None
) -> LoadedRows:
    """Rows whose ``lang`` column equals ``lang`` (or all rows if the file has no such column)."""
    path = resolve_gz(path)
    examples: list[Example] = []
    for line, row in _rows(path, columns):
        row_lang = row.get(columns["lang"])
        if row_lang is not None and str(row_lang) != lang:
            continue
        mapped = {field: row.get(column) for field, column in columns.items()}
        # Without an id column, the position among this language's rows is the id (parallel files align).
        row_id = str(mapped["id"]) if mapped.get("id") is not None else f"{len(examples):06d}"
        try:
            examples.append(example_from_row(task, lang, split, row_id, mapped))
        except RowError as err:
            raise DataError(f"{path}:{line}: {err}") from None
        if limit is not None and len(examples) >= limit:
            break
    return LoadedRows(examples, {str(path): path}, {"kind": "file", "path": str(path)})


def _rows(path: Path, columns: Mapping[str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    fmt = file_format(path)
    if fmt == "jsonl":
        yield from iter_jsonl(path)
    elif fmt == "parquet":
        yield from iter_parquet(path)
    else:
        yield from _delimited_with_header(path, "\t" if fmt == "tsv" else ",")


def _delimited_with_header(path: Path, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
    header: list[str] | None = None
    for line, row in iter_delimited(path, delimiter):
        if header is None:
            header = [c.strip() for c in row]
            continue
        if len(row) != len(header):
            raise DataError(
                f"{path}:{line}: expected {len(header)} columns ({', '.join(header)}), found {len(row)}"
            )
        yield line, dict(zip(header, row, strict=True))
    if header is None:
        raise DataError(f"{path}: empty file (expected a header row)")
