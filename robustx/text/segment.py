"""Script-aware tokenization that covers the text exactly and never splits a grapheme cluster.

``tokenize(text, lang)`` returns word tokens and the non-word runs between them (spaces, punctuation,
symbols, emoji) with code-point offsets into ``text``; joining the token texts gives ``text`` back
unchanged, so a perturbation that edits one word leaves every other character as it was.

What a word is (one precompiled ``regex`` pattern, no per-character Python loop):

- a run of extended grapheme clusters (``\\X``, UAX #29) that each start with a letter (``\\p{L}``) or a
  number (``\\p{N}``). Combining marks (Mn/Mc/Me: Indic vowel signs and viramas, Arabic harakat, Hebrew
  niqqud, Thai tone marks), ZWJ/ZWNJ (Indic conjuncts, Persian ``می‌خواهم``) and emoji modifiers belong to
  the cluster of their base, so they stay in the word. Python's ``\\w`` misses Mc marks and splits
  ``हिन्दी``; this pattern does not.
- an apostrophe or hyphen between two such clusters stays inside the word (``don't``, ``COVID-19``,
  ``l'homme``, Hebrew geresh/gershayim ``צה״ל``, maqaf). French elision is therefore one word
  (``l'homme``): splitting it would need per-language rules and would not change what noise does to it.
- ``.`` / ``,`` (and the Arabic decimal/thousands signs) between two digits stay inside the number
  (``3.14``, ``1,000``).
- everything else (spaces, punctuation, symbols, emoji, controls) forms maximal non-word runs. A combining
  mark with no base (after a space or a line break) is part of the non-word cluster it attaches to, so no
  token starts with a combining mark unless the text does.

Scripts written without spaces (Han, Kana, Thai, Myanmar) are split further by ``robustx.text.wordseg``,
whichever the language argument: code-switched text ("I like 寿司") is segmented too. ``lang`` decides
only whether a Han-only run is Chinese or Japanese (``ja``), and is validated (unknown -> ValueError).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import regex

from robustx.text import wordseg
from robustx.text.scripts import canonical_lang

__all__ = ["Token", "graphemes", "tokenize", "words"]


@dataclass(frozen=True, slots=True)
class Token:
    """A span ``text[start:end]`` (code points) of the original string; ``is_word`` False for spaces,
    punctuation and symbols."""

    start: int
    end: int
    text: str
    is_word: bool


# A word starts with a letter or number that begins a grapheme cluster (not a spacing/extending letter such
# as Thai U+0E33, not a pictograph such as U+2139) and goes on over letters, numbers, marks and everything
# UAX #29 attaches to the previous character (ZWJ, ZWNJ, emoji modifiers, spacing marks).
_START = r"[[\p{L}\p{N}]--[\p{GCB=Extend}\p{GCB=SpacingMark}\p{Extended_Pictographic}]]"
_CONT = r"[[\p{L}\p{N}\p{M}\p{GCB=Extend}\p{GCB=SpacingMark}\p{GCB=ZWJ}]--\p{Extended_Pictographic}]"
_JOINERS = "'\u2019\\-\u2010\u2011\u05be\u05f3\u05f4"  # ' ’ - ‐ ‑ maqaf geresh gershayim
_NUM_SEPARATORS = ".,\u066b\u066c"  # . , Arabic decimal and thousands separators


def _word_pattern(part: str) -> str:
    """A word: ``part`` runs joined by single apostrophes/hyphens, or by a separator between digits."""
    return rf"{part}(?:[{_JOINERS}]{part}|(?<=\p{{N}})[{_NUM_SEPARATORS}](?=\p{{N}}){part})*"


# Fast path, one C-level regex.split with character classes only. Every start/end of such a word is a
# grapheme boundary, so it gives exactly what the cluster-based pattern below gives (tests/test_segment.py
# checks it on random text), except in two cases sent to the exact path: a Prepend character (U+0600 ARABIC
# NUMBER SIGN and ~25 others) joins what follows it, and a virama outside a word joins the consonant after
# it (the ``regex`` module applies the conjunct rule GB9c without its preceding consonant: " ्क" is one
# cluster there).
_FAST_RE = regex.compile("(" + _word_pattern(f"{_START}{_CONT}*") + ")", regex.V1)
# Exact path, cluster by cluster (about 3x slower): used only for text holding a Prepend character.
_EXACT_WORD = rf"(?={_START})\X(?:(?={_CONT})\X)*"
_EXACT_RE = regex.compile(
    rf"(?P<w>{_word_pattern(_EXACT_WORD)})|(?:(?!{_START})\X)+",
    regex.V1,
)
_INNER_PUNCT_RE = regex.compile(f"[{_JOINERS}{_NUM_SEPARATORS}]")
_NEEDS_EXACT_RE = regex.compile(rf"\p{{GCB=Prepend}}|(?<!{_START}{_CONT}*)\p{{InCB=Linker}}", regex.V1)
_GRAPHEME_RE = regex.compile(r"\X")

# Token's own __init__ goes through object.__setattr__ (frozen): ~0.8 us a token. Setting the slots
# through their descriptors halves that, and tokenization makes ~2 tokens per word.
_new_object = object.__new__
_set_start, _set_end, _set_text, _set_is_word = (
    cast(Any, Token.__dict__[name]).__set__ for name in ("start", "end", "text", "is_word")
)


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters of ``text`` (user-perceived characters); ``''.join(...) == text``."""
    return _GRAPHEME_RE.findall(text)


def _base_tokens(text: str, offset: int = 0) -> list[Token]:
    """Word tokens and maximal non-word runs of ``text``, offsets shifted by ``offset``."""
    if _NEEDS_EXACT_RE.search(text) is not None:
        return _exact_tokens(text, offset)
    return _fast_tokens(text, offset)


def _token(start: int, end: int, text: str, is_word: bool) -> Token:
    """``Token(start, end, text, is_word)`` at about half the cost (see ``_new_object`` above)."""
    tok = _new_object(Token)
    _set_start(tok, start)
    _set_end(tok, end)
    _set_text(tok, text)
    _set_is_word(tok, is_word)
    return tok


def _fast_tokens(text: str, offset: int = 0) -> list[Token]:
    # _token() inlined: one call per token would cost ~10% of the whole tokenization.
    out: list[Token] = []
    pos = offset
    is_word = False  # split() alternates: non-word run (maybe empty), word, non-word run, …
    for piece in _FAST_RE.split(text):
        if piece:
            end = pos + len(piece)
            tok = _new_object(Token)
            _set_start(tok, pos)
            _set_end(tok, end)
            _set_text(tok, piece)
            _set_is_word(tok, is_word)
            out.append(tok)
            pos = end
        is_word = not is_word
    return out


def _exact_tokens(text: str, offset: int = 0) -> list[Token]:
    """Same contract as the fast path, matching whole grapheme clusters (``\\X``) one at a time."""
    return [
        Token(m.start() + offset, m.end() + offset, m.group(), m.lastgroup == "w")
        for m in _EXACT_RE.finditer(text)
    ]


def tokenize(text: str, lang: str) -> list[Token]:
    """Word tokens and the non-word runs between them; ``''.join(t.text for t in toks) == text``.

    Offsets are contiguous code-point offsets into ``text``; no token boundary falls inside a grapheme
    cluster. Non-word runs are maximal (two non-word tokens are never adjacent); word tokens may be
    adjacent where a segmenter split a spaceless run (Chinese, Japanese, Thai, Burmese).
    """
    code = canonical_lang(lang)
    tokens = _base_tokens(text)
    if not wordseg.needs_segmentation(text):
        return tokens
    out: list[Token] = []
    for tok in tokens:
        if not tok.is_word or not wordseg.needs_segmentation(tok.text):
            _append(out, tok)
            continue
        start = tok.start
        plain = _INNER_PUNCT_RE.search(tok.text) is None  # then no piece holds a joiner either
        for length in wordseg.segment_word(tok.text, code):
            end = start + length
            piece = text[start:end]
            if plain or _INNER_PUNCT_RE.search(piece) is None:  # a piece of a word without joiners is a word
                out.append(_token(start, end, piece, True))
            else:  # a segmenter split next to an apostrophe or hyphen: classify the parts again
                for part in _base_tokens(piece, start):
                    _append(out, part)
            start = end
    return out


def _append(out: list[Token], tok: Token) -> None:
    """Append ``tok``, merging it into the previous token when both are non-word runs."""
    if out and not tok.is_word and not out[-1].is_word:
        prev = out[-1]
        out[-1] = Token(prev.start, tok.end, prev.text + tok.text, False)
    else:
        out.append(tok)


def words(text: str, lang: str) -> list[Token]:
    """Only the word tokens of ``tokenize(text, lang)``."""
    return [tok for tok in tokenize(text, lang) if tok.is_word]
