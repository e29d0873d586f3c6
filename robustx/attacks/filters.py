"""Which words an attack may touch: length, digits, named entities, stopwords; optional marks per script."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence

import regex

from robustx.attacks.resources import ResourceMissingError
from robustx.text.scripts import canonical_lang, script_of
from robustx.text.segment import Token, graphemes

SENTENCE_END = frozenset(".!?。！？।॥؟\n")


def _marks(start: int, end: int) -> frozenset[str]:
    return frozenset(chr(c) for c in range(start, end + 1) if unicodedata.category(chr(c)) == "Mn")


@functools.cache
def optional_marks(lang: str) -> frozenset[str]:
    """Marks a writer may omit without changing the letter: accents, harakat, niqqud.

    Cyrillic keeps the breve of й (a different letter) and drops only the diaeresis of ё and stress
    accents. Indic vowel signs, Thai tone marks and kana voicing marks are never optional.
    """
    script = script_of(lang)
    if script in ("Latin", "Greek"):
        return _marks(0x0300, 0x036F)
    if script == "Cyrillic":
        return frozenset("\u0300\u0301\u0308")
    if script == "Arabic":
        return _marks(0x064B, 0x065F) | _marks(0x0670, 0x0670) | _marks(0x06D6, 0x06ED)
    if script == "Hebrew":
        return _marks(0x0591, 0x05C7)
    return frozenset()


@functools.cache
def stopwords(lang: str) -> frozenset[str]:
    """Stopwords-ISO lists (MIT, PyPI ``stopwordsiso``); a clear error for languages it lacks."""
    import stopwordsiso

    code = canonical_lang(lang)
    if not stopwordsiso.has_lang(code):
        raise ResourceMissingError(
            f"no stopword list for language {code} (stopwords-iso has none); run with skip_stopwords=false"
        )
    return frozenset(w.lower() for w in stopwordsiso.stopwords(code))


def word_filter(
    lang: str, min_len: int, keep_digits: bool, keep_entities: bool, skip_stopwords: bool
) -> Callable[[Sequence[Token], int], bool]:
    """A predicate on (tokens, index) saying whether the word may be perturbed."""
    stops = stopwords(lang) if skip_stopwords else frozenset()
    long_enough = _at_least_clusters(min_len)

    def eligible(tokens: Sequence[Token], index: int) -> bool:
        text = tokens[index].text
        if keep_digits and has_digit(text):
            return False
        if stops and text.lower() in stops:
            return False
        if keep_entities and looks_like_entity(tokens, index):
            return False
        return long_enough(text)

    return eligible


@functools.cache
def _digits() -> frozenset[str]:
    """Every code point for which ``str.isdigit()`` holds (one scan, ~60 ms, on first use)."""
    return frozenset(filter(str.isdigit, map(chr, range(0x110000))))


def has_digit(text: str) -> bool:
    """``any(ch.isdigit() for ch in text)`` without a Python-level loop (~1 us a word saved).

    Letters (``isalpha``) are never digits, so most words are answered by one C call; words with marks
    (Indic vowel signs, harakat) go through a set intersection, also in C."""
    return not text.isalpha() and not _digits().isdisjoint(text)


@functools.cache
def _at_least_clusters(n: int) -> Callable[[str], bool]:
    """``len(graphemes(text)) >= n`` that stops after ``n`` clusters and builds no list."""
    if n <= 1:
        return lambda text: True
    if n > 100:  # regex repeat counts stay small; such a knob is never a hot path
        return lambda text: len(graphemes(text)) >= n
    pattern = regex.compile(rf"\X{{{n}}}")
    return lambda text: len(text) >= n and pattern.match(text) is not None


def looks_like_entity(tokens: Sequence[Token], index: int) -> bool:
    """Capitalised and not sentence-initial (a simple heuristic; scripts without case never match)."""
    text = tokens[index].text
    if not text[:1].isupper():
        return False
    for prev in reversed(tokens[:index]):
        if prev.is_word:
            return True
        if any(ch in SENTENCE_END for ch in prev.text):
            return False
    return False
