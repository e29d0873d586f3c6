"""Entity chunks as seqeval extracts them, so tagging F1 matches XTREME's published NER and POS numbers.

XTREME scores both PAN-X (NER) and UD-POS through ``seqeval.metrics.f1_score``. On IOB tags that is
the usual entity F1. On raw POS tags (``NOUN``, ``VERB``, ...) seqeval reads the first character as
the chunk prefix and the rest as the type, so a *run* of equal tags is one chunk: two adjacent NOUNs
are one "entity", and a tagger scores only if it gets the whole run right. Tags whose first letter
is a prefix seqeval knows behave like that prefix: ``SYM`` and ``SCONJ`` start with ``S`` (a
single-token chunk, never merged), ``INTJ`` with ``I``. This is not token accuracy; it is what the
published POS numbers are.

The semantics are those of seqeval 0.0.12, the version XTREME installed in 2020 (type = the part
after the last ``-``, so ``NOUN`` has type ``NOUN``). seqeval >= 1.0 types an unprefixed tag by its
characters after the first one (``NOUN`` -> ``OUN``), which changes POS scores in two places: ``X``
gets the empty type of ``O`` (its chunks vanish or take a stale start offset), and ``CCONJ`` and
``SCONJ`` share the type ``CONJ`` (a CCONJ directly before an SCONJ is dropped). NER scores are
identical. tests/test_tagging.py checks both facts against golden outputs of the real packages; on
real UD dev data at ~90% token accuracy the two versions differ by at most 0.15 F1 points.

Sentences are scored independently: seqeval joins sentences with an ``O``, which ends every chunk,
so per-sentence counts sum to exactly its corpus counts.
"""

from __future__ import annotations

from collections.abc import Sequence

Chunk = tuple[str, int, int]  # (type, first index, last index)


def _split(tag: str) -> tuple[str, str]:
    return tag[:1], tag.split("-")[-1]


def _ends(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if prev_tag in ("E", "S"):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag not in ("O", ".") and prev_type != type_


def _starts(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if tag in ("B", "S"):
        return True
    if tag in ("E", "I") and prev_tag in ("E", "S", "O"):
        return True
    return tag not in ("O", ".") and prev_type != type_


def chunks(tags: Sequence[str]) -> set[Chunk]:
    """The chunks of one sentence's tags (seqeval 0.0.12 ``get_entities``, prefix scheme)."""
    out: set[Chunk] = set()
    prev_tag, prev_type, begin = "O", "", 0
    for i, label in enumerate([*tags, "O"]):
        tag, type_ = _split(label)
        if _ends(prev_tag, tag, prev_type, type_):
            out.add((prev_type, begin, i - 1))
        if _starts(prev_tag, tag, prev_type, type_):
            begin = i
        prev_tag, prev_type = tag, type_
    return out


def sentence_counts(gold: Sequence[str], pred: Sequence[str]) -> tuple[int, int, int]:
    """(tp, fp, fn) of one sentence: chunks matching exactly in type and span."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} tags, prediction {len(pred)}")
    g, p = chunks(gold), chunks(pred)
    tp = len(g & p)
    return tp, len(p) - tp, len(g) - tp


def corpus_counts(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> tuple[int, int, int]:
    """Summed (tp, fp, fn) over sentences; F1 = 2tp / (2tp + fp + fn) is seqeval's ``f1_score``."""
    tp = fp = fn = 0
    for g, p in zip(gold, pred, strict=True):
        a, b, c = sentence_counts(g, p)
        tp, fp, fn = tp + a, fp + b, fn + c
    return tp, fp, fn
