"""Baseline snapshots: a small, committable file that stands in for a baseline's run directories.

Format ``robustx-baseline-snapshot``, version 2: gzip-compressed JSON Lines (UTF-8).

* line 1, the header: ``{"format": "robustx-baseline-snapshot", "version": 2, "hash_digits": 16,
  "runs": N, "robustx_version": ...}``;
* then per run (sorted by task, attack, seed) one run line ``{"run": {"task", "attack", "seed",
  "rows", "columns", "config", "metrics"}}`` followed by ``rows`` row lines, each a JSON array in
  the order of that run's ``columns`` (rows sorted by lang then example_id): ``example_id, lang``,
  the per-item quantities of the task's metric, then ``text_hash, text_hash_attacked, queries``.
  The quantities are ``correct_clean, correct_attacked`` (0/1) for accuracy (XNLI, PAWS-X; Tatoeba
  hits); ``f1_clean, f1_attacked, em_clean, em_attacked`` for QA; ``tp_clean, fp_clean, fn_clean,
  tp_attacked, fp_attacked, fn_attacked`` (integers) for corpus F1 (UD-POS, PAN-X, BUCC).

Version 1 (still read) had one ``columns`` list in the header, ``[example_id, lang, correct_clean,
correct_attacked, text_hash, text_hash_attacked, queries]`` for every run: enough for accuracy only,
so a version-1 run of an F1 or QA task is refused when compared, with a hint to rewrite it.

``config`` is the run's whole ``config.json`` (task, languages, split, limit, canonical attack spec,
seed, data source and file hashes, max_length, shard_size, model hash, lineage): enough to evaluate
another checkpoint on exactly these examples and perturbations. ``metrics`` is its ``metrics.json``
(metric name, per-language and overall scores). No texts are stored. Text hashes keep their first
16 hex digits (64 bits: an accidental match between different inputs has probability ~2^-64), about
half the file; runs are compared on that prefix. The gzip header carries no name or time, so writing
the same runs twice gives identical bytes and an unchanged baseline never shows up as a diff.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from robustx.errors import DataError
from robustx.gate.sources import RunKey, RunSource, gate_columns, key_label, run_key

FORMAT = "robustx-baseline-snapshot"
VERSION = 2
READABLE = (1, 2)
V1_COLUMNS = (
    "example_id", "lang", "correct_clean", "correct_attacked", "text_hash", "text_hash_attacked", "queries",
)  # fmt: skip
HASH_DIGITS = 16
_HASHES = ("text_hash", "text_hash_attacked")
_BOOLS = ("correct_clean", "correct_attacked")
_INTS = ("queries", "tp_clean", "fp_clean", "fn_clean", "tp_attacked", "fp_attacked", "fn_attacked")
_FLOATS = ("f1_clean", "f1_attacked", "em_clean", "em_attacked")


def is_snapshot(path: Path) -> bool:
    """A gzip file (snapshots are the only files the gate reads)."""
    try:
        with path.open("rb") as fh:
            return fh.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def write_snapshot(path: Path, runs: Iterable[RunSource]) -> int:
    """Write ``runs`` as a snapshot at ``path`` (atomically); returns its size in bytes."""
    from robustx import __version__
    from robustx.store import atomic_write_bytes

    ordered = sorted(runs, key=lambda r: r.key)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        header = {
            "format": FORMAT,
            "version": VERSION,
            "hash_digits": HASH_DIGITS,
            "runs": len(ordered),
            "robustx_version": __version__,
        }
        gz.write(_line(header))
        for run in ordered:
            for line in _run_lines(run):
                gz.write(line)
    data = buffer.getvalue()
    atomic_write_bytes(path, data)
    umask = os.umask(0)  # atomic writes create 0600 files; a snapshot is shared: honour the umask
    os.umask(umask)
    path.chmod(0o666 & ~umask)
    return len(data)


def _line(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()


def _run_lines(run: RunSource) -> Iterator[bytes]:
    cols = run.read()
    order = np.lexsort((cols["example_id"].astype(str), cols["lang"].astype(str)))
    n = int(order.size)
    task, attack, seed = run.key
    columns = list(gate_columns(task, cols))
    meta = {
        "task": task,
        "attack": attack,
        "seed": seed,
        "rows": n,
        "columns": columns,
        "config": run.config,
        "metrics": run.metrics,
    }
    yield _line({"run": meta})
    values = [_column_values(cols, name, order) for name in columns]
    for row in zip(*values, strict=True):
        yield _line(list(row))


def _column_values(cols: Mapping[str, np.ndarray], name: str, order: np.ndarray) -> list[Any]:
    if name not in cols:
        return [None] * int(order.size)
    column = cols[name][order]
    if name in _BOOLS:
        return column.astype(bool).astype(int).tolist()
    if name in _INTS:
        return column.astype(np.int64).tolist()
    if name in _FLOATS:
        return column.astype(np.float64).tolist()
    if name in _HASHES:
        return [str(h)[:HASH_DIGITS] for h in column.tolist()]
    return [str(v) for v in column.tolist()]


def read_snapshot(path: Path) -> list[RunSource]:
    """The runs of a snapshot; anything else (not gzip, other format, newer version, truncated) is refused."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return _parse(path, fh)
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as err:
        raise DataError(f"{path} is not a readable robustx baseline snapshot: {err}") from None
    except (ValueError, TypeError) as err:
        raise DataError(f"{path}: the snapshot is damaged ({err})") from None


def _parse(path: Path, lines: Iterable[str]) -> list[RunSource]:
    it = iter(lines)
    header = _json(path, next(it, ""), 1)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DataError(f"{path} is not a robustx baseline snapshot (no '{FORMAT}' header)")
    version = header.get("version")
    if version not in READABLE:
        raise DataError(
            f"{path} is a snapshot of format version {version}; this robustx reads versions "
            f"{', '.join(map(str, READABLE))}"
            + (" (upgrade robustx)" if isinstance(version, int) and version > VERSION else "")
        )
    columns: list[str] | None = None
    if version == 1:
        columns = list(header.get("columns", []))
        if columns[: len(V1_COLUMNS)] != list(V1_COLUMNS):
            raise DataError(f"{path}: snapshot columns {columns} are not {list(V1_COLUMNS)}")
    runs, line_no = [], 1
    for _ in range(int(header.get("runs", 0))):
        line_no += 1
        meta = _json(path, next(it, ""), line_no)
        if not (isinstance(meta, dict) and isinstance(meta.get("run"), dict)):
            raise DataError(f"{path}:{line_no}: expected a run line; the snapshot is truncated or damaged")
        run, line_no = _read_run(path, meta["run"], columns, it, line_no)
        runs.append(run)
    if next(it, None) is not None:
        raise DataError(f"{path}: more lines than its header announces; the snapshot is damaged")
    return runs


def _read_run(
    path: Path, meta: Mapping[str, Any], header_columns: Sequence[str] | None, it: Iterator[str], line_no: int
) -> tuple[RunSource, int]:
    """One run: its meta line (read), then its rows; v1 runs use the header's columns, v2 their own."""
    config = meta.get("config")
    if not isinstance(config, dict):
        raise DataError(f"{path}:{line_no}: run without its config")
    key: RunKey = run_key(config, f"{path}:{line_no}")
    columns = list(header_columns if header_columns is not None else meta.get("columns") or [])
    if not columns or not all(isinstance(c, str) for c in columns):
        raise DataError(f"{path}:{line_no}: run without its list of columns; the snapshot is damaged")
    rows: list[list[Any]] = []
    for _ in range(int(meta.get("rows", 0))):
        line_no += 1
        row = _json(path, next(it, ""), line_no)
        if not (isinstance(row, list) and len(row) == len(columns)):
            raise DataError(
                f"{path}:{line_no}: expected a row of {len(columns)} values (truncated or damaged)"
            )
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: run {key_label(key)} holds no rows")
    metrics = meta.get("metrics") if isinstance(meta.get("metrics"), dict) else {}
    label = f"{path}#{key_label(key)}"
    return RunSource(key, label, config, metrics or {}, rows=_arrays(rows, columns)), line_no


def _arrays(rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for i, name in enumerate(columns):
        values = [row[i] for row in rows]
        if all(v is None for v in values):
            continue
        if name in _BOOLS:
            out[name] = np.asarray(values, dtype=bool)
        elif name in _INTS:
            out[name] = np.asarray(values, dtype=np.int64)
        elif name in _FLOATS:
            out[name] = np.asarray(values, dtype=np.float64)
        else:
            out[name] = np.asarray([str(v) for v in values])
    return out


def _json(path: Path, line: str, line_no: int) -> Any:
    if not line.endswith("\n"):  # every line ends with a newline, the last one too
        raise DataError(f"{path}: ends within line {line_no}; the snapshot is truncated")
    try:
        return json.loads(line)
    except ValueError:
        raise DataError(f"{path}:{line_no}: not JSON; the snapshot is damaged") from None


def refreshed(old: Mapping[RunKey, RunSource], new: Mapping[RunKey, RunSource]) -> list[RunSource]:
    """The runs of an updated snapshot: ``new`` runs replace the old ones of their key; others stay."""
    return [run for key, run in old.items() if key not in new] + list(new.values())
