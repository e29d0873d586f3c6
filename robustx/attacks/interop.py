"""Bring your own augmenter: any nlpaug augmenter or TextAttack transformation as a robustx perturbation.

    import nlpaug.augmenter.char as nac
    from robustx.attacks.interop import from_nlpaug, register_perturbation

    register_perturbation("my-keyboard", from_nlpaug(nac.KeyboardAug(aug_word_p=0.3)))
    # now build_attack("my-keyboard") / EvalRequest(attack="my-keyboard") work like any built-in attack

A wrapped tool is seeded from the example's own RNG before every call (``random``, and ``numpy``'s global
state, which is what both tools draw from), so outputs are reproducible per example and independent of
order (not thread-safe: run one wrapped attack per process). The changed spans are recovered by
diffing robustx's script-aware tokens of the input and the output: whatever the tool rewrote is inside
a span, so rewritten punctuation or spacing (nlpaug's ``Don't`` -> ``Don ' t``) shows up as changed
text rather than going unnoticed. An empty output for a non-empty input is not accepted (the input is
kept). Neither package is a dependency of robustx (``pip install robustx[interop]`` adds nlpaug;
TextAttack needs ``transformers<5``, see benchmarks/setup_peers.sh).
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from robustx.text.segment import Token, tokenize
from robustx.types import Perturbed

Augment = Callable[[str], str]


@dataclass(frozen=True)
class External:
    """A text -> text function from another library, seeded per call, with spans found by diffing."""

    augment: Augment
    name: str

    def __call__(self, text: str, lang: str, rng: random.Random) -> Perturbed:
        if not text.strip():
            return Perturbed(text)
        _seed_globals(rng.getrandbits(32))
        out = self.augment(text)
        if not isinstance(out, str) or (not out and text):
            out = text
        return diff(text, out, lang)


def _seed_globals(seed: int) -> None:
    random.seed(seed)
    try:
        import numpy

        numpy.random.seed(seed)
    except ImportError:  # pragma: no cover - numpy is a robustx dependency
        pass


def diff(original: str, new: str, lang: str) -> Perturbed:
    """``new`` as a Perturbed of ``original``: maximal runs of differing tokens become changed spans."""
    old_toks, new_toks = tokenize(original, lang), tokenize(new, lang)
    words = sum(1 for t in old_toks if t.is_word)
    if original == new:
        return Perturbed(new, (), units=words)
    offsets = _offsets(new_toks)
    matcher = difflib.SequenceMatcher(
        None, [t.text for t in old_toks], [t.text for t in new_toks], autojunk=False
    )
    spans: list[list[int]] = []
    for op, _, _, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        j1, j2 = _visible(new_toks, j1, j2)
        start, end = offsets[j1], offsets[j2]
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    changed = tuple((s, e) for s, e in spans if e > s)
    return Perturbed(new, changed, units=max(words, len(changed)), units_changed=len(changed))


def _visible(tokens: Sequence[Token], j1: int, j2: int) -> tuple[int, int]:
    """The output tokens to mark for a differing run (inserted spaces included: text outside the spans
    is the input's); for a pure deletion, the nearest non-space token after it (else before it)."""
    if j1 == j2:
        after = [j for j in range(j1, len(tokens)) if not tokens[j].text.isspace()]
        before = [j for j in range(j1 - 1, -1, -1) if not tokens[j].text.isspace()]
        j = (after or before or [min(j1, len(tokens) - 1)])[0]
        return j, j + 1
    return j1, j2


def _offsets(tokens: Sequence[Token]) -> list[int]:
    out, pos = [0], 0
    for tok in tokens:
        pos += len(tok.text)
        out.append(pos)
    return out


def from_nlpaug(augmenter: Any) -> External:
    """Any nlpaug augmenter (``augment(text)`` returns a list of strings, or one string)."""

    def augment(text: str) -> str:
        out = augmenter.augment(text)
        return str(out[0]) if isinstance(out, list) and out else str(out) if out else text

    return External(augment, f"nlpaug:{type(augmenter).__name__}")


def from_textattack(transformation: Any, constraints: Sequence[Any] = ()) -> External:
    """Any TextAttack transformation: one of its candidates (after ``constraints``), picked at random."""

    def augment(text: str) -> str:
        from textattack.shared import AttackedText

        candidates = transformation(AttackedText(text), pre_transformation_constraints=list(constraints))
        return random.choice(candidates).text if candidates else text

    return External(augment, f"textattack:{type(transformation).__name__}")


def register_perturbation(name: str, perturbation: External, description: str = "") -> None:
    """Make a wrapped augmenter an attack name ``build_attack`` / ``robustx.evaluate`` resolve."""
    from robustx.attacks.base import ATTACKS, AttackInfo, _load_builtin_attacks

    _load_builtin_attacks()

    def factory() -> External:
        return perturbation

    ATTACKS.add(name, AttackInfo(name, factory, description or f"external augmenter {perturbation.name}"))
