"""``robustx perturb`` chunks through the compiled path: the same lines ``perturb_io._perturb_line`` writes.

A chunk is answered whole or not at all (None): on anything unusual (a bad JSON line, a missing field, a
field named twice, an unknown language) the caller runs the Python path over the chunk, which raises the
same error at the same line it always did.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from robustx._fast import Request, perturb_lines, perturb_many

if TYPE_CHECKING:
    from robustx.attacks.base import BoundAttack
    from robustx.perturb_io import PerturbJob


def _split(line: str) -> tuple[str, str]:
    return (line[:-1], "\n") if line.endswith("\n") else (line, "")


def fast_chunk(job: PerturbJob, attack: BoundAttack, chunk: Sequence[tuple[int, str]]) -> list[str] | None:
    """The chunk's output lines, or None (then the Python path runs it)."""
    if getattr(attack.perturb, "fast_engine", None) is None:
        return None
    if not job.jsonl:
        return _text_lines(job, attack, chunk)
    try:
        return _jsonl_lines(job, attack, chunk)
    except Exception:  # bad input: the Python path raises it where it always did
        return None


def _text_lines(job: PerturbJob, attack: BoundAttack, chunk: Sequence[tuple[int, str]]) -> list[str] | None:
    first = chunk[0][0] if chunk else 0
    if any(number != first + k for k, (number, _) in enumerate(chunk)):  # _chunks numbers lines in a row
        return None
    return perturb_lines(attack, job.seed, job.lang, [line for _, line in chunk], first)


def _jsonl_lines(job: PerturbJob, attack: BoundAttack, chunk: Sequence[tuple[int, str]]) -> list[str] | None:
    from robustx.perturb_io import _parse

    if len(set(job.fields)) != len(job.fields):  # a field named twice is perturbed twice, in turn
        return None
    rows: list[tuple[str, dict[str, Any] | None, str]] = []  # (ending, row or None for a blank line, id)
    requests: list[Request] = []
    for number, line in chunk:
        body, ending = _split(line)
        if not body.strip():
            rows.append((line, None, ""))
            continue
        row = _parse(body, job.source, number)
        lang = str(row.get(job.lang_field, job.lang)) if job.lang_field else job.lang
        example_id = str(row[job.id_field]) if job.id_field and job.id_field in row else str(number)
        for field in job.fields:
            value = row.get(field)
            if not isinstance(value, str):
                return None
            requests.append((value, lang, example_id, field))
        rows.append((ending, row, example_id))
    results = perturb_many(attack, job.seed, requests) if requests else []
    if results is None:
        return None
    return _render(job, attack, rows, results)


def _render(
    job: PerturbJob,
    attack: BoundAttack,
    rows: list[tuple[str, dict[str, Any] | None, str]],
    results: list[Any],
) -> list[str]:
    out: list[str] = []
    at = 0
    for ending, row, example_id in rows:
        if row is None:  # a blank line goes out as it came in
            out.append(ending)
            continue
        meta: dict[str, Any] = {}
        for field in job.fields:
            text, changed, units, units_changed = results[at]
            at += 1
            row[field] = text
            meta[field] = {
                "changed": [list(s) for s in changed],
                "units": units,
                "units_changed": units_changed,
            }
        if job.record:
            row["_robustx"] = {"attack": attack.canonical, "seed": job.seed, "id": example_id, "fields": meta}
        out.append(json.dumps(row, ensure_ascii=False) + ending)
    return out
