"""Character noise on grapheme clusters: keyboard typos, swaps, deletions, diacritics, homoglyphs, invisibles.

``charnoise`` mixes the typo ops; the named variants (``keyboard``, ``charswap``, ``diacritics``,
``homoglyph``, ``invisible``) each run one family with the same knobs. Keyboard ops use the
language's real layout (``robustx/data/keyboards``, derived from xkb-data); a language without a
layout (zh, ko type through input methods) falls back to the word's own clusters for ``charnoise``
and is an error for ``keyboard``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from robustx.attacks.base import Perturbation, register_attack
from robustx.attacks.charops import APPLICABLE, OPS, OpContext
from robustx.attacks.filters import optional_marks, word_filter
from robustx.attacks.resources import ResourceMissingError, homoglyphs, keyboard_neighbours
from robustx.attacks.words import EligibleAt, perturb_selected
from robustx.errors import SpecError
from robustx.registry import did_you_mean
from robustx.text.segment import Token, graphemes, tokenize
from robustx.types import Perturbed

ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060")  # ZWSP, ZWNJ, ZWJ, word joiner
BIDI = ("\u200e", "\u200f", "\u061c")  # LRM, RLM, Arabic letter mark
KEYBOARD_OPS = frozenset({"insert", "substitute"})


@dataclass
class CharNoise:
    """A configured character-noise perturbation; per-language resources are cached on first use."""

    rate: float
    edits: int
    min_len: int
    ops: tuple[str, ...]
    keep_digits: bool
    keep_entities: bool
    skip_stopwords: bool
    layout: Literal["auto", "required", "none"]
    invisibles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _validate(self)
        self._cache: dict[str, tuple[OpContext, Callable[[Sequence[Token], int], bool]]] = {}

    def check(self, lang: str) -> None:
        """Fail early (before any model work) if a language lacks a resource this attack needs."""
        self._resources(lang)

    def __call__(self, text: str, lang: str, rng: random.Random) -> Perturbed:
        ctx, eligible = self._resources(lang)
        return perturb_selected(text, lang, rng, self.rate, eligible, lambda w, r: self._edit(w, r, ctx))

    def fast_engine(self, lang: str) -> Any:
        """Dispatch hook: the compiled batch engine for ``lang`` (robustx._fast), None where it does not
        cover this configuration. Its outputs are byte-identical to ``__call__`` (tests/test_fastpath.py)."""
        from robustx._fast.engine import engine_for, supports

        return engine_for(self, lang) if supports(self) else None

    def eligible_words(self, text: str, lang: str) -> tuple[list[Token], list[int]]:
        """For adversarial search: the text's tokens and the indices of the words this attack may edit."""
        _, eligible = self._resources(lang)
        tokens = tokenize(text, lang)
        return tokens, [i for i, tok in enumerate(tokens) if tok.is_word and eligible(tokens, i)]

    def candidates(
        self,
        tokens: Sequence[Token],
        indices: Sequence[int],
        lang: str,
        rngs: Sequence[random.Random],
        limit: int,
    ) -> list[tuple[str, ...]]:
        """Up to ``limit`` distinct edits of each word, the k-th led by op k (DeepWordBug's one per op)."""
        ctx, _ = self._resources(lang)
        out = []
        for index, rng in zip(indices, rngs, strict=True):
            word, found = tokens[index].text, dict.fromkeys([tokens[index].text])
            for k in range(2 * limit):  # a few extra tries when edits collide
                new = self._edit(word, rng, ctx, first=self.ops[k % len(self.ops)])
                if new is not None:
                    found.setdefault(new)
                if len(found) > limit:
                    break
            out.append(tuple(found)[1:])
        return out

    def _edit(self, word: str, rng: random.Random, ctx: OpContext, first: str | None = None) -> str | None:
        units = graphemes(word)
        for _ in range(self.edits):
            order = list(self.ops)
            if first is not None:  # search candidates: this op is tried first, the others after it
                rest = [name for name in order if name != first]
                rng.shuffle(rest)
                order = [first, *rest]
            elif len(order) > 1:  # shuffling one op draws nothing: skip the call
                rng.shuffle(order)
            for name in order:
                new = OPS[name](units, rng, ctx)
                if new is not None:
                    units = new
                    break
        out = "".join(units)
        return out if out != word else None

    def _resources(self, lang: str) -> tuple[OpContext, Callable[[Sequence[Token], int], bool]]:
        if lang not in self._cache:
            ctx = OpContext(
                neighbours=self._neighbours(lang),
                homoglyphs=homoglyphs(nfkc_stable=True) if "homoglyph" in self.ops else {},
                optional_marks=optional_marks(lang) if "diacritic" in self.ops else frozenset(),
                invisibles=self.invisibles,
            )
            eligible = word_filter(
                lang, self.min_len, self.keep_digits, self.keep_entities, self.skip_stopwords
            )
            self._cache[lang] = (ctx, _applicable(eligible, self.ops, ctx))
        return self._cache[lang]

    def _neighbours(self, lang: str) -> dict[str, tuple[str, ...]]:
        if self.layout == "none" or not KEYBOARD_OPS & set(self.ops):
            return {}
        try:
            return dict(keyboard_neighbours(lang))
        except ResourceMissingError:
            if self.layout == "required":
                raise
            return {}


def _applicable(eligible: EligibleAt, ops: tuple[str, ...], ctx: OpContext) -> EligibleAt:
    """When every op acts on some words only (diacritics, homoglyphs), keep just the words one can change."""
    checks = [APPLICABLE.get(name) for name in ops]
    if not all(checks):
        return eligible
    usable = [c for c in checks if c is not None]

    def both(tokens: Sequence[Token], index: int) -> bool:
        return eligible(tokens, index) and any(c(tokens[index].text, ctx) for c in usable)

    return both


def _validate(cfg: CharNoise) -> None:
    if not 0.0 <= cfg.rate <= 1.0:
        raise SpecError(f"charnoise:rate={cfg.rate} is outside [0, 1]")
    if cfg.edits < 1 or cfg.min_len < 1:
        raise SpecError("charnoise: edits and min_len must be >= 1")
    if not cfg.ops:
        raise SpecError("charnoise: ops is empty")
    for name in cfg.ops:
        if name not in OPS:
            raise SpecError(
                f"charnoise: unknown op '{name}'{did_you_mean(name, list(OPS))}; ops: {', '.join(OPS)}"
            )


Layout = Literal["auto", "required", "none"]


@register_attack("charnoise", searchable=True)
def charnoise(
    rate: float = 0.2,
    edits: int = 1,
    min_len: int = 3,
    ops: tuple[str, ...] = ("swap", "delete", "insert", "substitute"),
    keep_digits: bool = True,
    keep_entities: bool = False,
    skip_stopwords: bool = False,
    layout: Layout = "auto",
) -> Perturbation:
    """Typos in a `rate` fraction of eligible words: swap/delete/insert/substitute graphemes (keyboard-aware)."""
    return CharNoise(rate, edits, min_len, ops, keep_digits, keep_entities, skip_stopwords, layout)


@register_attack("keyboard", searchable=True)
def keyboard(
    rate: float = 0.2,
    edits: int = 1,
    min_len: int = 3,
    keep_digits: bool = True,
    keep_entities: bool = False,
    skip_stopwords: bool = False,
) -> Perturbation:
    """Keyboard typos from the language's real layout: neighbour-key substitution and insertion."""
    ops = ("substitute", "insert")
    return CharNoise(rate, edits, min_len, ops, keep_digits, keep_entities, skip_stopwords, "required")


@register_attack("charswap", searchable=True)
def charswap(
    rate: float = 0.2,
    edits: int = 1,
    min_len: int = 3,
    keep_digits: bool = True,
    keep_entities: bool = False,
    skip_stopwords: bool = False,
) -> Perturbation:
    """Swap two adjacent grapheme clusters inside a word."""
    return CharNoise(rate, edits, min_len, ("swap",), keep_digits, keep_entities, skip_stopwords, "none")


@register_attack("diacritics", searchable=True)
def diacritics(
    rate: float = 0.5,
    edits: int = 1,
    min_len: int = 1,
    keep_digits: bool = True,
    keep_entities: bool = False,
    skip_stopwords: bool = False,
) -> Perturbation:
    """Write a `rate` fraction of words without optional marks (accents, harakat, niqqud, ё); never Indic vowel signs."""
    return CharNoise(rate, edits, min_len, ("diacritic",), keep_digits, keep_entities, skip_stopwords, "none")


@register_attack("homoglyph", searchable=True)
def homoglyph(
    rate: float = 0.2,
    edits: int = 1,
    min_len: int = 2,
    keep_digits: bool = True,
    keep_entities: bool = False,
    skip_stopwords: bool = False,
) -> Perturbation:
    """Replace a character by a visually confusable one from another script (Unicode confusables)."""
    return CharNoise(rate, edits, min_len, ("homoglyph",), keep_digits, keep_entities, skip_stopwords, "none")


@register_attack("invisible", searchable=True)
def invisible(
    rate: float = 0.2,
    edits: int = 1,
    min_len: int = 2,
    kind: Literal["zero-width", "bidi", "both"] = "zero-width",
    keep_digits: bool = True,
    keep_entities: bool = False,
    skip_stopwords: bool = False,
) -> Perturbation:
    """Insert zero-width (ZWSP/ZWNJ/ZWJ/WJ) or bidi-control (LRM/RLM/ALM) characters inside words."""
    chars = {"zero-width": ZERO_WIDTH, "bidi": BIDI, "both": ZERO_WIDTH + BIDI}[kind]
    return CharNoise(
        rate, edits, min_len, ("invisible",), keep_digits, keep_entities, skip_stopwords, "none", chars
    )
