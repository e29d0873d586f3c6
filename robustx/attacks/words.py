"""Choosing which words a perturbation touches, and rebuilding text with changed spans recorded."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from robustx.text.segment import Token, tokenize
from robustx.types import Perturbed

# Returns the replacement for one word, or None to leave it untouched.
WordEdit = Callable[[str, random.Random], str | None]
# Whether tokens[index] may be perturbed (context-aware: entities, sentence starts).
EligibleAt = Callable[[Sequence[Token], int], bool]


def sample_count(n: int, rate: float, rng: random.Random) -> int:
    """Unbiased integer count with expectation ``rate * n`` (stochastic rounding)."""
    exact = rate * n
    whole = int(exact)
    return min(n, whole + (1 if rng.random() < exact - whole else 0))


def perturb_words(
    text: str,
    lang: str,
    rng: random.Random,
    rate: float,
    eligible: Callable[[Token], bool],
    edit: WordEdit,
) -> Perturbed:
    """Edit a ``rate`` fraction of the eligible words of ``text``; everything else stays byte-identical."""
    return perturb_selected(text, lang, rng, rate, lambda toks, i: eligible(toks[i]), edit)


def perturb_selected(
    text: str, lang: str, rng: random.Random, rate: float, eligible_at: EligibleAt, edit: WordEdit
) -> Perturbed:
    """As ``perturb_words`` with a context-aware eligibility predicate."""
    tokens = tokenize(text, lang)
    candidates = [i for i, tok in enumerate(tokens) if tok.is_word and eligible_at(tokens, i)]
    if not candidates:
        return Perturbed(text)
    chosen = sorted(rng.sample(candidates, sample_count(len(candidates), rate, rng)))
    replacements: dict[int, str] = {}
    for index in chosen:
        new = edit(tokens[index].text, rng)
        if new is not None and new != tokens[index].text:
            replacements[index] = new
    return rebuild(tokens, replacements, units=len(candidates))


def rebuild(tokens: Sequence[Token], replacements: dict[int, str], units: int) -> Perturbed:
    """Join tokens, substituting ``replacements``; record the output spans that changed."""
    if not replacements:
        return Perturbed("".join(t.text for t in tokens), (), units=units, units_changed=0)
    parts: list[str] = []
    changed: list[tuple[int, int]] = []
    pos = 0
    for index, tok in enumerate(tokens):
        piece = replacements.get(index, tok.text)
        if index in replacements:
            changed.append((pos, pos + len(piece)))
        parts.append(piece)
        pos += len(piece)
    return Perturbed("".join(parts), tuple(changed), units=units, units_changed=len(replacements))
