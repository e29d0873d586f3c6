"""One example's search space: its fields' tokens, the words that may change and their candidates.

A *state* is a set of word replacements, kept as a tuple of ``(slot, replacement)`` sorted by slot,
so equal states are equal tuples. Inputs are tuples of field texts in the task's field order.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from robustx.attacks.words import rebuild
from robustx.text.segment import Token
from robustx.types import Perturbed

Inputs = tuple[str, ...]
State = tuple[tuple[int, str], ...]
# Whether the word at tokens[index] must stay unchanged (protected numbers, entities, stopwords).
Protected = Callable[[Sequence[Token], int], bool]


class Searchable(Protocol):
    """A transformation the search can draw word candidates from (CharNoise, CodeSwitch, WordSub)."""

    def eligible_words(self, text: str, lang: str) -> tuple[list[Token], list[int]]: ...

    def candidates(
        self,
        tokens: Sequence[Token],
        indices: Sequence[int],
        lang: str,
        rngs: Sequence[random.Random],
        limit: int,
    ) -> list[tuple[str, ...]]: ...


@dataclass(frozen=True)
class Slot:
    """A word that may change: its field (position), token index, text and candidate replacements."""

    field: int
    index: int
    word: str
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    fields: tuple[str, ...]
    tokens: tuple[tuple[Token, ...], ...]
    units: tuple[int, ...]  # words per field (the denominator of the changed fraction)
    slots: tuple[Slot, ...]
    max_changes: int

    @property
    def original(self) -> Inputs:
        return tuple("".join(t.text for t in toks) for toks in self.tokens)

    def inputs(self, state: State) -> Inputs:
        """The field texts with the state's replacements applied."""
        per_field = self._replacements(state)
        return tuple(
            "".join(per_field[f].get(i, tok.text) for i, tok in enumerate(toks))
            for f, toks in enumerate(self.tokens)
        )

    def perturbed(self, state: State) -> dict[str, Perturbed]:
        """Per field, the attacked text with its changed spans (as a model-free perturbation reports them)."""
        per_field = self._replacements(state)
        return {
            name: rebuild(self.tokens[f], per_field[f], units=self.units[f])
            for f, name in enumerate(self.fields)
        }

    def without(self, slot: int, mask: str | None) -> Inputs:
        """The clean input with one word deleted (with one adjacent space) or replaced by ``mask``."""
        target = self.slots[slot]
        out = list(self.original)
        toks = self.tokens[target.field]
        drop = {target.index}
        if mask is None:
            after, before = target.index + 1, target.index - 1
            if after < len(toks) and toks[after].text.isspace():
                drop.add(after)
            elif before >= 0 and toks[before].text.isspace():
                drop.add(before)
        out[target.field] = "".join(
            ((mask or "") if i == target.index else "") if i in drop else tok.text
            for i, tok in enumerate(toks)
        )
        return tuple(out)

    def _replacements(self, state: State) -> list[dict[int, str]]:
        per_field: list[dict[int, str]] = [{} for _ in self.fields]
        for slot, text in state:
            target = self.slots[slot]
            per_field[target.field][target.index] = text
        return per_field


def extend(state: State, slot: int, text: str) -> State:
    return tuple(sorted((*state, (slot, text))))


def build_problem(
    texts: Mapping[str, str],
    fields: Sequence[str],
    lang: str,
    transform: Searchable,
    protected: Protected,
    per_word: int,
    max_changed: float,
    rng_for: Callable[[str, int], random.Random],
) -> Problem:
    """Tokenize each field, keep the words the transformation and the constraints allow, get candidates."""
    tokens, units, slots = [], [], []
    for f, name in enumerate(fields):
        toks, eligible = transform.eligible_words(texts[name], lang)
        keep = [i for i in eligible if not protected(toks, i)]
        rngs = [rng_for(name, i) for i in keep]
        for i, cands in zip(keep, transform.candidates(toks, keep, lang, rngs, per_word), strict=True):
            usable = tuple(c for c in cands if c and c != toks[i].text)
            if usable:
                slots.append(Slot(f, i, toks[i].text, usable))
        tokens.append(tuple(toks))
        units.append(sum(1 for t in toks if t.is_word))
    max_changes = max(1, int(max_changed * sum(units) + 1e-9))
    return Problem(tuple(fields), tuple(tokens), tuple(units), tuple(slots), max_changes)
