"""Word segmentation for scripts written without spaces: Han, Kana, Thai, Myanmar.

``segment_word(word, lang)`` splits one word token of ``robustx.text.segment`` (letters, marks, digits and
joiners only: no spaces or punctuation) into pieces and returns their lengths. Runs of one script family
inside the word go to that family's segmenter; other runs ("iPhone" in "iPhone手机") stay whole.

Segmenters (imported lazily on first use, loaded once):

- Chinese (Han runs, or any CJK run when ``lang`` is not ``ja`` and it holds no Kana): ``rjieba`` (jieba-rs,
  the jieba dictionary and HMM for unknown words).
- Japanese (CJK runs holding Kana, or any CJK run when ``lang == 'ja'``): ``fugashi`` (MeCab) with the
  ``unidic-lite`` dictionary.
- Thai: ``nlpo3`` (newmm maximal matching in Rust) over PyThaiNLP's ``words_th.txt`` dictionary; if
  ``nlpo3`` is missing, PyThaiNLP's own ``newmm`` (same algorithm, ~14x slower, identical on 5067 of the
  5070 Thai runs of XNLI test premises).
- Burmese: syllable segmentation by regex (the "sylbreak" rules: a syllable starts at a consonant not
  stacked under a virama and not killed by an asat, or at an independent vowel or a digit run). There is no
  light Burmese word segmenter on PyPI; syllables are the unit Burmese NLP falls back to.

Fallback, when a segmenter's package is missing, fails to load or raises on some input: one extended
grapheme cluster per word (Han: one character per word, the usual character-level baseline; Thai: one
cluster per token). ``segmenter_name(lang)`` says which method is in force, for run configs.

Whatever a segmenter returns is re-aligned onto the original characters: pieces that do not match the text
(normalised, dropped or invented characters) end the alignment and the rest of the run falls back. Cuts
that would land inside a grapheme cluster are dropped, so a cluster is never split.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

import regex

__all__ = ["FALLBACK", "needs_segmentation", "segment_word", "segmenter_name"]

log = logging.getLogger(__name__)

FALLBACK = "fallback: one grapheme cluster per word"

_CJK = r"\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}"
_EXT = r"[\p{M}\u200c\u200d]*"
_BEYOND_U0E00_RE = regex.compile(r"[^\x00-\u0dff]")
_SPACELESS_RE = regex.compile(rf"[{_CJK}\p{{Thai}}\p{{Myanmar}}]")
_RUN_RE = regex.compile(
    rf"(?P<cjk>(?:[{_CJK}]{_EXT})+)|(?P<th>(?:\p{{Thai}}{_EXT})+)|(?P<my>(?:\p{{Myanmar}}{_EXT})+)"
    rf"|(?P<other>(?:[^{_CJK}\p{{Thai}}\p{{Myanmar}}]{_EXT})+)"
)
_KANA_RE = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
_GRAPHEME_RE = regex.compile(r"\X")
_MARK_RE = regex.compile(r"\p{M}")
# Burmese syllable starts (sylbreak): a consonant neither stacked (after U+1039) nor killed (before U+103A
# asat or U+1039), an independent vowel or symbol, or the first digit of a digit run.
_MY_SYLLABLE_RE = regex.compile(
    r"(?<!\u1039)[\u1000-\u1021](?![\u103a\u1039])|[\u1023-\u102a\u103f\u104c-\u104f]|(?<![\u1040-\u1049])[\u1040-\u1049]"
)


@dataclass(frozen=True, slots=True)
class _Backend:
    name: str
    cut: Callable[[str], list[str]]


def needs_segmentation(text: str) -> bool:
    """True when ``text`` holds a character of a script written without spaces (Han, Kana, Thai, Myanmar)."""
    if text.isascii() or _BEYOND_U0E00_RE.search(text) is None:  # cheap test first: Thai starts at U+0E00
        return False
    return _SPACELESS_RE.search(text) is not None


def segmenter_name(lang: str) -> str:
    """The segmentation method in force for ``lang`` (loads the segmenter), e.g. ``'rjieba 0.2.2'``."""
    from robustx.text.scripts import canonical_lang

    code = canonical_lang(lang)
    if code == "my":
        return "syllables: sylbreak regex"
    if code not in ("zh", "ja", "th"):
        return "regex: Unicode grapheme clusters and letters"
    backend = _backend(code)
    return backend.name if backend is not None else FALLBACK


def segment_word(word: str, lang: str) -> tuple[int, ...]:
    """Lengths of the pieces ``word`` splits into (they sum to ``len(word)``; cuts fall on grapheme
    boundaries). ``lang`` must be canonical; it matters only for Han-only runs (``ja`` vs Chinese)."""
    return _segment_cached(word, lang == "ja")


@functools.lru_cache(maxsize=1 << 16)
def _segment_cached(word: str, japanese: bool) -> tuple[int, ...]:
    cuts: set[int] = set()
    for match in _RUN_RE.finditer(word):
        start, end, family = match.start(), match.end(), match.lastgroup
        cuts.add(end)
        if family == "other":
            continue
        run = word[start:end]
        if family == "my":
            cuts.update(start + m.start() for m in _MY_SYLLABLE_RE.finditer(run))
            continue
        code = "th" if family == "th" else "ja" if japanese or _KANA_RE.search(run) else "zh"
        cuts.update(start + cut for cut in _cuts(run, _backend(code)))
    # Keep cuts on grapheme boundaries that are not followed by a mark: UAX #29 puts a boundary before some
    # spacing vowel signs (Burmese U+102C "ာ"), and a piece must not start with one.
    bounds = set(accumulate(map(len, _GRAPHEME_RE.findall(word))))
    ends = sorted(c for c in cuts if c in bounds and _MARK_RE.match(word, c) is None)
    return tuple(b - a for a, b in zip([0, *ends], ends, strict=False))


def _cuts(run: str, backend: _Backend | None) -> list[int]:
    """End offsets of the segmenter's pieces in ``run``; the unaligned rest falls back to clusters."""
    ends: list[int] = []
    pos = 0
    if backend is not None:
        try:
            pieces = backend.cut(run)
        except Exception as err:  # a third-party segmenter must not crash a whole evaluation
            log.warning(
                "%s failed on %r (%s); falling back to grapheme clusters", backend.name, run[:40], err
            )
            pieces = []
        for piece in pieces:
            if not piece or piece.isspace():
                continue
            if not run.startswith(piece, pos):
                break
            pos += len(piece)
            ends.append(pos)
    ends.extend(m.end() for m in _GRAPHEME_RE.finditer(run, pos))
    return ends


@functools.cache
def _backend(code: str) -> _Backend | None:
    loader = {"zh": _load_zh, "ja": _load_ja, "th": _load_th}[code]
    try:
        return loader()
    except Exception as err:  # ImportError, or a package present but broken (e.g. no MeCab dictionary)
        log.warning("no word segmenter for %r (%s); using %s", code, err, FALLBACK)
        return None


def _version(dist: str) -> str:
    from importlib import metadata  # ~20 ms to import: only when a segmenter loads

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def _load_zh() -> _Backend:
    import rjieba

    return _Backend(f"rjieba {_version('rjieba')}", lambda text: list(rjieba.cut(text)))


def _load_ja() -> _Backend:
    import fugashi

    tagger = fugashi.Tagger()  # finds unidic-lite (or a full unidic) by itself

    def cut(text: str) -> list[str]:
        return [str(node.surface) for node in tagger(text)]

    return _Backend(f"fugashi {_version('fugashi')} + unidic-lite {_version('unidic-lite')}", cut)


def _load_th() -> _Backend:
    from importlib import resources

    dictionary = resources.files("pythainlp.corpus") / "words_th.txt"
    base = f"newmm, PyThaiNLP {_version('pythainlp')} words_th"
    try:
        import nlpo3
    except ImportError:
        from pythainlp.tokenize import word_tokenize

        return _Backend(base, lambda text: list(word_tokenize(text, engine="newmm", keep_whitespace=True)))
    name = "robustx-words_th"
    message, ok = nlpo3.load_dict(str(dictionary), name)
    if not ok and "exist" not in message.lower():  # loading twice under one name is fine
        raise RuntimeError(message)
    # safe=False: nlpo3 1.4.0's safe mode returns pieces that do not add up to its input on long runs
    # (re-alignment would catch it, at the cost of cluster fallback); unsafe mode stays linear in practice.
    return _Backend(
        f"{base} (nlpo3 {_version('nlpo3')})", lambda text: list(nlpo3.segment(text, name, safe=False))
    )
