"""Reading rows from TSV/CSV/JSONL/Parquet files (``.gz`` transparently), with file:line errors."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from robustx.errors import DataError

csv.field_size_limit(1 << 30)


def resolve_gz(path: Path) -> Path:
    """Return ``path`` or ``path.gz``, whichever exists; DataError naming both if neither does."""
    if path.is_file():
        return path
    gz = path.with_name(path.name + ".gz")
    if gz.is_file():
        return gz
    raise DataError(f"data file not found: {path} (nor {gz.name})")


def open_text(path: Path) -> IO[str]:
    """Open a UTF-8 text file, decompressing ``.gz`` on the fly."""
    try:
        if path.suffix == ".gz":
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
        return open(path, encoding="utf-8", newline="")
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_format(path: Path) -> str:
    """'tsv', 'csv', 'jsonl' or 'parquet' from the file name (``.gz`` ignored)."""
    name = path.name.removesuffix(".gz").lower()
    for suffix, fmt in ((".tsv", "tsv"), (".csv", "csv"), (".jsonl", "jsonl"), (".json", "jsonl")):
        if name.endswith(suffix):
            return fmt
    if name.endswith(".parquet"):
        return "parquet"
    raise DataError(f"{path}: unknown file type (expected .tsv, .csv, .jsonl or .parquet, optionally .gz)")


def iter_delimited(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields). TSV is read without quoting, as XTREME writes it."""
    with open_text(path) as fh:
        if delimiter == "\t":
            reader = csv.reader(fh, delimiter=delimiter, quoting=csv.QUOTE_NONE)
        else:
            reader = csv.reader(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
        try:
            for row in reader:
                if row:
                    yield reader.line_num, row
        except (csv.Error, UnicodeDecodeError) as err:
            raise DataError(f"{path}:{reader.line_num + 1}: unreadable row: {err}") from None


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with open_text(path) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{number}: invalid JSON: {err.msg}") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{number}: expected a JSON object per line")
            yield number, row


def iter_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise DataError(f"cannot read {path} as Parquet: {err}") from None
    yield from enumerate(table.to_pylist(), start=1)
