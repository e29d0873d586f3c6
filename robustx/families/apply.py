"""Applying any text attack to tagged sentences and QA contexts without breaking their labels.

Tagging (1:1 words). The sentence's words are joined with U+2028 LINE SEPARATOR, a character that
is never part of a word for the segmenter, is not a sentence end for the entity filter, and occurs in
no XTREME tagging file. The attack sees the whole sentence (context-aware filters such as
``keep_entities`` work) and, since every attack leaves non-word runs byte-identical, the result
splits back into one piece per word. A word's change is *kept* only if the word stays one word: not
empty, and the same whitespace-separated pieces count with no whitespace added at either end
(Vietnamese UD words such as ``sinh viên`` keep their inner space). Any other change (a translation
into two words, a deletion, a merge across the separator) is *rejected*: that word keeps its
original text and is counted in ``rejected``. If the separators themselves did not survive, the
whole sentence is left clean (``rejected`` then lists every word the attack had changed).

QA (answers kept). The gold answers, widened to whole words, are protected; each stretch of
context between them is perturbed on its own, with its own RNG (``context#k``), and the answers'
new offsets are computed from the new stretch lengths. Every answer is checked to read the same
at its new offset (:class:`AnswerChangedError` otherwise: a bug, never a silent label change).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from robustx.attacks.base import BoundAttack
from robustx.text.segment import tokenize
from robustx.types import Perturbed

SEPARATOR = "\u2028"


class AnswerChangedError(RuntimeError):
    """A perturbation touched a gold answer span (a bug in span protection)."""


@dataclass(frozen=True)
class WordsPerturbed:
    tokens: tuple[str, ...]
    changed: tuple[int, ...]  # indices of words whose text changed (and was kept)
    rejected: tuple[int, ...]  # indices of words whose change would split or merge them
    units: int  # words the attack considered

    @property
    def is_changed(self) -> bool:
        return bool(self.changed)


def _same_shape(old: str, new: str) -> bool:
    if not new.strip():
        return False
    if (new[:1].isspace(), new[-1:].isspace()) != (old[:1].isspace(), old[-1:].isspace()):
        return False
    return len(new.split()) == len(old.split())


def perturb_tokens(
    tokens: Sequence[str], lang: str, attack: BoundAttack, rng: random.Random
) -> WordsPerturbed:
    """Perturb a tagged sentence keeping words 1:1 (see the module docstring)."""
    original = tuple(tokens)
    if any(SEPARATOR in tok for tok in original):
        return WordsPerturbed(original, (), (), 0)
    result = attack.perturb(SEPARATOR.join(original), lang, rng)
    parts = result.text.split(SEPARATOR)
    if len(parts) != len(original):
        return WordsPerturbed(original, (), tuple(range(len(original))), result.units)
    out, changed, rejected = list(original), [], []
    for i, (old, new) in enumerate(zip(original, parts, strict=True)):
        if new == old:
            continue
        if _same_shape(old, new):
            out[i] = new
            changed.append(i)
        else:
            rejected.append(i)
    return WordsPerturbed(tuple(out), tuple(changed), tuple(rejected), result.units)


def protected_spans(context: str, answers: Sequence[tuple[str, int]], lang: str) -> list[tuple[int, int]]:
    """Answer spans widened to the words they touch, merged and sorted."""
    spans = sorted((start, start + len(text)) for text, start in answers)
    words = [(t.start, t.end) for t in tokenize(context, lang) if t.is_word]
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        for w0, w1 in words:
            if w0 < end and start < w1:
                start, end = min(start, w0), max(end, w1)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def perturb_outside(
    context: str,
    answers: Sequence[tuple[str, int]],
    lang: str,
    perturb: Callable[[str, int], Perturbed],
) -> tuple[Perturbed, tuple[tuple[str, int], ...]]:
    """Perturb ``context`` outside the (word-widened) answers; return it and the remapped answers.

    ``perturb(text, k)`` perturbs the k-th stretch between protected spans with its own RNG.
    """
    protected = protected_spans(context, answers, lang)
    bounds = [0, *(x for span in protected for x in span), len(context)]
    parts: list[str] = []
    changed: list[tuple[int, int]] = []
    new_start: dict[int, int] = {}  # old protected start -> new protected start
    units = units_changed = pos = 0
    for k in range(0, len(bounds), 2):
        gap = context[bounds[k] : bounds[k + 1]]
        result = perturb(gap, k // 2) if gap else Perturbed(gap)
        changed += [(pos + a, pos + b) for a, b in result.changed]
        units, units_changed = units + result.units, units_changed + result.units_changed
        parts.append(result.text)
        pos += len(result.text)
        if k + 2 < len(bounds):
            new_start[bounds[k + 1]] = pos
            kept = context[bounds[k + 1] : bounds[k + 2]]
            parts.append(kept)
            pos += len(kept)
    text = "".join(parts)
    remapped = tuple((answer, _moved(answer, start, protected, new_start)) for answer, start in answers)
    for answer, start in remapped:
        if text[start : start + len(answer)] != answer:
            raise AnswerChangedError(
                f"gold answer {answer[:30]!r} no longer reads the same at offset {start}"
            )
    return Perturbed(text, tuple(changed), units, units_changed), remapped


def _moved(answer: str, start: int, protected: list[tuple[int, int]], new_start: dict[int, int]) -> int:
    for p0, p1 in protected:
        if p0 <= start and start + len(answer) <= p1:
            return new_start[p0] + (start - p0)
    raise AnswerChangedError(f"gold answer {answer[:30]!r} at {start} is not inside a protected span")
