"""Grapheme-level edit operations for character noise.

Every op takes a word as a list of extended grapheme clusters and returns the edited list, or None
when it cannot apply (the caller tries another op). Ops never split a cluster: swaps, deletions
and insertions move whole clusters; substitutions replace one code point of a cluster by one of the
same kind (a base letter by a letter, a combining mark by a mark), so an Indic consonant keeps its
vowel sign and a mark never ends up without a base.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import regex

Units = list[str]


@dataclass(frozen=True)
class OpContext:
    """Per-language resources an op may use (empty when the attack does not need them).

    ``substitutes`` and ``insertable`` are derived from ``neighbours`` once, here, rather than filtered by
    Unicode category for every code point of every edited word: neighbours of the same kind as their key
    (what a substitution may type) and neighbours that are letters (what a fat finger may insert). Order
    is kept and keys without a candidate are dropped, so the ops draw exactly as with on-the-fly filtering.
    """

    neighbours: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    homoglyphs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    optional_marks: frozenset[str] = frozenset()
    invisibles: tuple[str, ...] = ()
    substitutes: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    insertable: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        same_kind = _filtered(self.neighbours, lambda key, near: _kind(near) == _kind(key))
        letters = _filtered(self.neighbours, lambda key, near: _kind(near) == "L")
        object.__setattr__(self, "substitutes", same_kind)
        object.__setattr__(self, "insertable", letters)


def _filtered(
    table: Mapping[str, tuple[str, ...]], keep: Callable[[str, str], bool]
) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, options in table.items():
        kept = tuple(near for near in options if keep(key, near))
        if kept:
            out[key] = kept
    return out


Op = Callable[[Units, random.Random, OpContext], Units | None]


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "M"


# Code points that attach to the cluster before them although their category is not a mark: Thai SARA AM
# (U+0E33, Lo), Lao AM, ZWNJ (Cf), halfwidth kana voicing marks (Lm). UAX #29 Extend / SpacingMark.
_EXTENDING_RE = regex.compile(r"[\p{GCB=Extend}\p{GCB=SpacingMark}]")


def _kind(ch: str) -> str:
    """Letter, mark, number or other: substitutes keep the kind so words stay words.

    A code point that extends the cluster before it counts as a mark whatever its category, so an insertion
    never glues one onto a neighbouring cluster and a letter is never replaced by one (``ก`` -> ``ำ`` would
    hang SARA AM and the tone marks after it on a leading vowel)."""
    if _EXTENDING_RE.match(ch) is not None:
        return "M"
    return unicodedata.category(ch)[0]


def op_swap(units: Units, rng: random.Random, ctx: OpContext) -> Units | None:
    spots = [i for i in range(len(units) - 1) if units[i] != units[i + 1]]
    if not spots:
        return None
    i = rng.choice(spots)
    return [*units[:i], units[i + 1], units[i], *units[i + 2 :]]


def op_delete(units: Units, rng: random.Random, ctx: OpContext) -> Units | None:
    if len(units) < 2:
        return None
    i = rng.randrange(len(units))
    return units[:i] + units[i + 1 :]


def op_insert(units: Units, rng: random.Random, ctx: OpContext) -> Units | None:
    """Fat finger: a neighbour key of an adjacent character (or a repeated cluster without a layout)."""
    i = rng.randrange(len(units) + 1)
    if ctx.neighbours:
        near = units[i - 1] if i > 0 else units[0]
        insertable = ctx.insertable
        options = [n for ch in near for n in insertable.get(ch, ())]
        if not options:
            return None
        return [*units[:i], rng.choice(options), *units[i:]]
    return [*units[:i], rng.choice(units), *units[i:]]


def op_substitute(units: Units, rng: random.Random, ctx: OpContext) -> Units | None:
    """A neighbouring key replaces one code point (same kind); without a layout, another cluster."""
    if ctx.neighbours:
        return _substitute_code_point(units, rng, ctx.substitutes)
    i = rng.randrange(len(units))
    others = sorted(set(units) - {units[i]})
    if not others:
        return None
    return [*units[:i], rng.choice(others), *units[i + 1 :]]


def op_homoglyph(units: Units, rng: random.Random, ctx: OpContext) -> Units | None:
    """A single-code-point cluster becomes a confusable letter (marks never move to a foreign base)."""
    spots = [(i, ctx.homoglyphs.get(u, ())) for i, u in enumerate(units) if len(u) == 1]
    spots = [(i, tuple(o for o in opts if _kind(o) == _kind(units[i]))) for i, opts in spots]
    spots = [(i, opts) for i, opts in spots if opts]
    if not spots:
        return None
    i, options = rng.choice(spots)
    return [*units[:i], rng.choice(options), *units[i + 1 :]]


def op_diacritic(units: Units, rng: random.Random, ctx: OpContext) -> Units | None:
    """Write the word without its optional marks (accents, harakat, niqqud); never Indic vowel signs."""
    stripped = [strip_marks(u, ctx.optional_marks) or u for u in units]
    return stripped if stripped != units else None


def op_invisible(units: Units, rng: random.Random, ctx: OpContext) -> Units | None:
    """Insert a zero-width or bidi control character between two clusters."""
    if len(units) < 2 or not ctx.invisibles:
        return None
    i = rng.randrange(1, len(units))
    return [*units[:i], rng.choice(ctx.invisibles), *units[i:]]


def strip_marks(unit: str, optional: frozenset[str]) -> str:
    decomposed = unicodedata.normalize("NFD", unit)
    kept = "".join(ch for ch in decomposed if ch not in optional)
    return unicodedata.normalize("NFC", kept) if kept != decomposed else unit


def _substitute_code_point(
    units: Units, rng: random.Random, table: Mapping[str, tuple[str, ...]]
) -> Units | None:
    """Replace one code point that has candidates in ``table`` (drawn uniformly over such code points)."""
    get = table.get
    spots = [
        (i, j, options) for i, unit in enumerate(units) for j, ch in enumerate(unit) if (options := get(ch))
    ]
    if not spots:
        return None
    i, j, options = rng.choice(spots)
    unit = units[i]
    return [*units[:i], unit[:j] + rng.choice(options) + unit[j + 1 :], *units[i + 1 :]]


def can_homoglyph(word: str, ctx: OpContext) -> bool:
    """Some single-code-point cluster of ``word`` has a confusable of its own kind (what op_homoglyph needs)."""
    from robustx.text.segment import graphemes

    get = ctx.homoglyphs.get
    return any(len(u) == 1 and any(_kind(o) == _kind(u) for o in get(u, ())) for u in graphemes(word))


def can_diacritic(word: str, ctx: OpContext) -> bool:
    decomposed = unicodedata.normalize("NFD", word)
    return any(ch in ctx.optional_marks for ch in decomposed)


# Ops that can act on only some words: a word where none of the attack's ops can act is not eligible,
# so `rate` is the fraction of words the attack *could* change (an accent-free English word is not
# a candidate for diacritic removal), and `units` shows how many such words a text has.
APPLICABLE: dict[str, Callable[[str, OpContext], bool]] = {
    "homoglyph": can_homoglyph,
    "diacritic": can_diacritic,
}

OPS: dict[str, Op] = {
    "swap": op_swap,
    "delete": op_delete,
    "insert": op_insert,
    "substitute": op_substitute,
    "homoglyph": op_homoglyph,
    "diacritic": op_diacritic,
    "invisible": op_invisible,
}
