"""Drill-down samples: a few examples per model that the attack made worse, with their changed spans.

The statistics pass keeps only example ids of harmed rows (correct clean and wrong attacked; for QA a
lower F1, for tagging and BUCC more errors); here a few of them are picked per model, spread over
runs and languages, and only those rows' text columns are read (a filtered read of the runs the
picks come from). Columns a family does not record (class probabilities outside classification)
are shown as absent; token lists (tagging) are shown joined, the changed tokens highlighted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from robustx.report.collect import RunResult

SAMPLE_COLUMNS = (
    "example_id", "lang", "gold", "pred_clean", "pred_attacked", "p_gold_clean", "p_gold_attacked",
    "text_clean", "text_attacked", "changed_spans",
)  # fmt: skip
TEXT_COLUMNS = ("text_clean", "text_attacked", "changed_spans")

Segment = tuple[str, bool]  # (text, changed by the attack)
Pick = tuple[RunResult, str, str]  # (run, lang, example_id)


@dataclass(frozen=True)
class FieldText:
    name: str
    clean: str
    attacked: tuple[Segment, ...]


@dataclass(frozen=True)
class Sample:
    run: RunResult
    example_id: str
    lang: str
    gold: str
    pred_clean: str
    pred_attacked: str
    p_gold_clean: float | None
    p_gold_attacked: float | None
    fields: tuple[FieldText, ...]


def pick(runs: Sequence[RunResult], per_model: int) -> list[Pick]:
    """Up to ``per_model`` (run, lang, example_id) picks: round-robin over languages, then over runs."""
    from robustx.report.tables import language_order

    per_lang: dict[str, list[list[Pick]]] = defaultdict(list)
    for run in sorted(runs, key=lambda r: (r.info.task, r.info.attack, r.info.seed)):
        for lang, ids in run.candidates.items():
            per_lang[lang].append([(run, lang, example_id) for example_id in ids])
    queues = [_interleave(per_lang[lang]) for lang in language_order(per_lang)]
    return _interleave(queues)[:per_model]


def _interleave(lists: Sequence[Sequence[Pick]]) -> list[Pick]:
    return [x for group in zip_longest(*lists) for x in group if x is not None]


def read_samples(picks: Sequence[Pick]) -> list[Sample]:
    """Read the text of the picked rows only (one filtered read per run they come from)."""
    import pyarrow.parquet as pq

    by_run: dict[int, list[Pick]] = defaultdict(list)
    for p in picks:
        by_run[id(p[0])].append(p)
    found: dict[tuple[int, str, str], Sample] = {}
    for group in by_run.values():
        run = group[0][0]
        ids = sorted({example_id for _, _, example_id in group})
        path = run.info.path / "records.parquet"
        names = set(pq.read_schema(path).names)
        table = pq.read_table(
            path, columns=[c for c in SAMPLE_COLUMNS if c in names], filters=[("example_id", "in", ids)]
        )
        wanted = {(lang, example_id) for _, lang, example_id in group}
        for row in table.to_pylist():
            if (row["lang"], row["example_id"]) in wanted:
                found[(id(run), row["lang"], row["example_id"])] = _sample(run, row)
    return [found[key] for run, lang, ex in picks if (key := (id(run), lang, ex)) in found]


def _sample(run: RunResult, row: Mapping[str, Any]) -> Sample:
    clean, attacked, spans = (_json_dict(row[c]) for c in TEXT_COLUMNS)
    fields = []
    for name, value in attacked.items():
        field_spans = spans.get(name, [])
        if isinstance(value, list):  # tagging: spans are token indices
            pieces = token_segments([str(v) for v in value], field_spans)
        else:
            pieces = segments(_as_text(value), field_spans)
        fields.append(FieldText(str(name), _as_text(clean.get(name, "")), tuple(pieces)))
    return Sample(
        run=run,
        example_id=str(row["example_id"]),
        lang=str(row["lang"]),
        gold=_shown(row.get("gold")),
        pred_clean=_shown(row.get("pred_clean")),
        pred_attacked=_shown(row.get("pred_attacked")),
        p_gold_clean=_probability(row.get("p_gold_clean")),
        p_gold_attacked=_probability(row.get("p_gold_attacked")),
        fields=tuple(fields),
    )


def _shown(value: Any) -> str:
    """A gold or predicted value as text: tag sequences joined by spaces, several answers by " | "."""
    if isinstance(value, list):
        joiner = " | " if any(isinstance(v, str) and " " in v for v in value) else " "
        return joiner.join(map(str, value)) or "\u2205"
    return "\u2205" if value is None or value == "" else str(value)  # BUCC: no pair extracted


def _probability(value: Any) -> float | None:
    return None if value is None else float(value)


def token_segments(tokens: Sequence[str], spans: Any) -> list[Segment]:
    """Tokens joined by spaces, the tokens at the ``[i, i + 1]`` spans marked changed."""
    changed: set[int] = set()
    for span in spans if isinstance(spans, list) else []:
        try:
            changed.update(range(int(span[0]), int(span[1])))
        except (TypeError, ValueError, IndexError):
            continue
    out: list[Segment] = []
    for i, token in enumerate(tokens):
        if i:
            out.append((" ", False))
        out.append((token, i in changed))
    return out or [("", False)]


def _json_dict(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {"text": str(text)}
    return value if isinstance(value, dict) else {"text": value}


def _as_text(value: Any) -> str:
    """A field as display text (token lists of tagging tasks are joined with spaces)."""
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None else str(value)


def segments(text: str, spans: Any) -> list[Segment]:
    """Split ``text`` into unchanged and changed pieces; spans are clipped, sorted and merged."""
    clean_spans: list[tuple[int, int]] = []
    for span in spans if isinstance(spans, list) else []:
        try:
            start, end = max(0, int(span[0])), min(len(text), int(span[1]))
        except (TypeError, ValueError, IndexError):
            continue
        if start < end:
            clean_spans.append((start, end))
    merged: list[list[int]] = []
    for start, end in sorted(clean_spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[Segment] = []
    pos = 0
    for start, end in merged:
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text) or not out:
        out.append((text[pos:], False))
    return out
