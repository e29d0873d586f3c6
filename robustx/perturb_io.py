"""Streaming perturbation of text lines or JSONL fields (``robustx perturb``).

Each line is one example: its id is the value of ``--id-field`` (JSONL) or its 1-based line number,
so a line's output depends only on (seed, attack spec, id, language, field), never on chunking or
the number of worker processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from robustx.attacks.base import BoundAttack, build_attack
from robustx.errors import DataError

CHUNK = 512


@dataclass(frozen=True)
class PerturbJob:
    spec: str
    lang: str
    seed: int
    jsonl: bool
    fields: tuple[str, ...]
    id_field: str | None
    lang_field: str | None
    record: bool
    source: str = "<stdin>"


def perturb_stream(job: PerturbJob, lines: Iterable[str], out: IO[str], workers: int = 1) -> int:
    """Perturb every line of ``lines`` into ``out`` in input order; returns the number of lines."""
    attack = build_attack(job.spec)
    attack.check([job.lang])
    chunks = _chunks(lines)
    if workers > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results: Iterator[list[str]] = pool.imap(_worker, ((job, c) for c in chunks))
            return _write(results, out)
    return _write((perturb_chunk(job, attack, c) for c in chunks), out)


def _write(results: Iterable[list[str]], out: IO[str]) -> int:
    n = 0
    for block in results:
        out.write("".join(block))
        n += len(block)
    out.flush()
    return n


def _chunks(lines: Iterable[str]) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        chunk.append((number, line))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_ATTACKS: dict[str, BoundAttack] = {}


def _worker(args: tuple[PerturbJob, list[tuple[int, str]]]) -> list[str]:
    job, chunk = args
    if job.spec not in _ATTACKS:
        _ATTACKS[job.spec] = build_attack(job.spec)
    return perturb_chunk(job, _ATTACKS[job.spec], chunk)


def perturb_chunk(job: PerturbJob, attack: BoundAttack, chunk: Sequence[tuple[int, str]]) -> list[str]:
    """The chunk's output lines: through the compiled path where it covers the attack (byte-identical),
    else line by line in Python."""
    from robustx._fast.stream import fast_chunk

    fast = fast_chunk(job, attack, chunk)
    if fast is not None:
        return fast
    return [_perturb_line(job, attack, number, line) for number, line in chunk]


def _perturb_line(job: PerturbJob, attack: BoundAttack, number: int, line: str) -> str:
    ending = "\n" if line.endswith("\n") else ""
    body = line[: -len(ending)] if ending else line
    if not job.jsonl:
        out = attack.perturb(body, job.lang, attack.rng(job.seed, str(number), job.lang, "text"))
        return out.text + ending
    if not body.strip():
        return line
    row = _parse(body, job.source, number)
    lang = str(row.get(job.lang_field, job.lang)) if job.lang_field else job.lang
    example_id = str(row[job.id_field]) if job.id_field and job.id_field in row else str(number)
    meta: dict[str, Any] = {}
    for field in job.fields:
        value = row.get(field)
        if not isinstance(value, str):
            raise DataError(f"{job.source}:{number}: field '{field}' is missing or not text")
        result = attack.perturb(value, lang, attack.rng(job.seed, example_id, lang, field))
        row[field] = result.text
        meta[field] = {
            "changed": [list(s) for s in result.changed],
            "units": result.units,
            "units_changed": result.units_changed,
        }
    if job.record:
        row["_robustx"] = {"attack": attack.canonical, "seed": job.seed, "id": example_id, "fields": meta}
    return json.dumps(row, ensure_ascii=False) + ending


def _parse(body: str, source: str, number: int) -> dict[str, Any]:
    try:
        row = json.loads(body)
    except json.JSONDecodeError as err:
        raise DataError(f"{source}:{number}: invalid JSON: {err.msg}") from None
    if not isinstance(row, dict):
        raise DataError(f"{source}:{number}: expected a JSON object per line")
    return row
