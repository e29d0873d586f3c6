"""Character noise on grapheme clusters: swap, delete, insert, substitute.

Edits operate on extended grapheme clusters, so an Indic consonant keeps its vowel sign and an
emoji sequence is never split. Inserted and substituted characters come from the same word's
script (the word's own graphemes), so noise stays within the script being typed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from robustx.attacks.base import Perturbation, register_attack
from robustx.attacks.words import perturb_words
from robustx.text.segment import Token, graphemes
from robustx.types import Perturbed

GraphemeOp = Callable[[list[str], random.Random], list[str] | None]


def op_swap(units: list[str], rng: random.Random) -> list[str] | None:
    spots = [i for i in range(len(units) - 1) if units[i] != units[i + 1]]
    if not spots:
        return None
    i = rng.choice(spots)
    return [*units[:i], units[i + 1], units[i], *units[i + 2 :]]


def op_delete(units: list[str], rng: random.Random) -> list[str] | None:
    if len(units) < 2:
        return None
    i = rng.randrange(len(units))
    return units[:i] + units[i + 1 :]


def op_insert(units: list[str], rng: random.Random) -> list[str] | None:
    i = rng.randrange(len(units) + 1)
    return [*units[:i], rng.choice(units), *units[i:]]


def op_substitute(units: list[str], rng: random.Random) -> list[str] | None:
    i = rng.randrange(len(units))
    others = sorted(set(units) - {units[i]})
    if not others:
        return None
    return [*units[:i], rng.choice(others), *units[i + 1 :]]


OPS: dict[str, GraphemeOp] = {
    "swap": op_swap,
    "delete": op_delete,
    "insert": op_insert,
    "substitute": op_substitute,
}


def edit_word(word: str, rng: random.Random, ops: tuple[str, ...], edits: int) -> str | None:
    units = graphemes(word)
    for _ in range(edits):
        order = list(ops)
        rng.shuffle(order)
        for name in order:
            new = OPS[name](units, rng)
            if new is not None:
                units = new
                break
    out = "".join(units)
    return out if out != word else None


def _eligible(min_len: int, keep_digits: bool) -> Callable[[Token], bool]:
    def check(tok: Token) -> bool:
        if keep_digits and any(ch.isdigit() for ch in tok.text):
            return False
        return len(graphemes(tok.text)) >= min_len

    return check


@register_attack("charnoise")
def charnoise(
    rate: float = 0.2,
    edits: int = 1,
    min_len: int = 3,
    ops: tuple[str, ...] = ("swap", "delete", "insert", "substitute"),
    keep_digits: bool = True,
) -> Perturbation:
    """Random grapheme edits (swap/delete/insert/substitute) in a `rate` fraction of words."""
    _check(rate, edits, min_len, ops)
    eligible = _eligible(min_len, keep_digits)

    def perturb(text: str, lang: str, rng: random.Random) -> Perturbed:
        return perturb_words(text, lang, rng, rate, eligible, lambda w, r: edit_word(w, r, ops, edits))

    return perturb


def _check(rate: float, edits: int, min_len: int, ops: tuple[str, ...]) -> None:
    from robustx.errors import SpecError
    from robustx.registry import did_you_mean

    if not 0.0 <= rate <= 1.0:
        raise SpecError(f"charnoise:rate={rate} is outside [0, 1]")
    if edits < 1 or min_len < 1:
        raise SpecError("charnoise: edits and min_len must be >= 1")
    for name in ops:
        if name not in OPS:
            raise SpecError(f"charnoise: unknown op '{name}'{did_you_mean(name, list(OPS))}; ops: {', '.join(OPS)}")
    if not ops:
        raise SpecError("charnoise: ops is empty")
