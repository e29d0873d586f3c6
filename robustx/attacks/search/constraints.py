"""Constraints as composable functions.

* word-level (:func:`protected`): which words must never change: numbers, entities (capitalised, not
  sentence-initial), the language's stopwords; applied before candidates are even generated;
* state-level (:data:`StateCheck`): e.g. :func:`max_words_changed`, a fraction of the input's words;
* input-level (:data:`InputCheck`): e.g. :class:`SimilarityFloor`, the cosine between the clean and the
  attacked input under a multilingual encoder (no TensorFlow), one encoder batch per search step.

:class:`Admit` chains state checks and input checks: the search calls it on a step's candidates before
any of them is sent to the victim, so rejected candidates cost no queries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robustx.attacks.filters import has_digit, looks_like_entity, stopwords
from robustx.attacks.search.problem import Inputs, Problem, Protected, State
from robustx.text.segment import Token

StateCheck = Callable[[Problem, State], bool]
InputCheck = Callable[[Inputs, Sequence[Inputs]], list[bool]]


def protected(lang: str, protect: Sequence[str]) -> Protected:
    """A predicate saying which words must stay: any of ``numbers``, ``entities``, ``stopwords``."""
    stops = stopwords(lang) if "stopwords" in protect else frozenset()
    numbers, entities = "numbers" in protect, "entities" in protect

    def keep(tokens: Sequence[Token], index: int) -> bool:
        text = tokens[index].text
        if numbers and has_digit(text):
            return True
        if stops and text.lower() in stops:
            return True
        return entities and looks_like_entity(tokens, index)

    return keep


def max_words_changed(problem: Problem, state: State) -> bool:
    """At most ``problem.max_changes`` words changed (``max_changed`` of the input's words, at least 1)."""
    return len(state) <= problem.max_changes


@dataclass
class SimilarityFloor:
    """Keep candidates whose every changed field stays within cosine ``floor`` of the clean field.

    Embeddings are mean-pooled last-layer states of ``encoder`` (any HF encoder; ``embedded`` is the
    bundled multilingual-e5-small), loaded on first use and shared by all examples."""

    encoder: str
    floor: float
    _model: Any = field(default=None, repr=False)

    def __call__(self, original: Inputs, candidates: Sequence[Inputs]) -> list[bool]:
        if not candidates:
            return []
        texts = list(dict.fromkeys([*original, *(t for c in candidates for t in c)]))
        vectors = self._encoder().encode(texts)
        row = {t: vectors[i] for i, t in enumerate(texts)}
        out = []
        for cand in candidates:
            sims = [float(np.dot(row[a], row[b])) for a, b in zip(original, cand, strict=True) if a != b]
            out.append(min(sims, default=1.0) >= self.floor)
        return out

    def _encoder(self) -> Any:
        if self._model is None:
            from robustx.models.encoder import load_encoder

            self._model = load_encoder(self.encoder, layer=-1)
        return self._model


@dataclass(frozen=True)
class Admit:
    """The constraints of one attack, composed: ``admit(problem, states)`` keeps the allowed states."""

    state_checks: tuple[StateCheck, ...] = (max_words_changed,)
    input_checks: tuple[InputCheck, ...] = ()

    def __call__(self, problem: Problem, states: Sequence[State]) -> list[State]:
        kept = [s for s in dict.fromkeys(states) if all(check(problem, s) for check in self.state_checks)]
        for check in self.input_checks:
            verdicts = check(problem.original, [problem.inputs(s) for s in kept])
            kept = [s for s, ok in zip(kept, verdicts, strict=True) if ok]
        return kept


def admit_for(min_similarity: float, encoder: str) -> Admit:
    """The default composition for a search: word budget, plus a similarity floor when asked for."""
    checks: tuple[InputCheck, ...] = (SimilarityFloor(encoder, min_similarity),) if min_similarity > 0 else ()
    return Admit((max_words_changed,), checks)
