r"""Did a character-noise tool alter text it did not mean to touch, or break a grapheme cluster?

One definition, applied identically to every tool's (input, output) pairs, from the two texts alone: no
tool's own change log is trusted (robustx's ``Perturbed.changed`` spans are not used here).

**Words and untouched text.** A *word* of the input is a maximal run of extended grapheme clusters
(UAX #29, ``regex`` ``\X``) whose first code point is a letter or a number (``\p{L}``, ``\p{N}``); one
apostrophe or hyphen (``' ’ - ‐ ‑``) between two such clusters, and ``.`` or ``,`` between two digits, stay
inside the word (``don't``, ``COVID-19``, ``3.14``). Everything else (whitespace, punctuation, symbols,
controls) is the input's *untouched text*: the separator runs ``S0 W1 S1 … Wn Sn`` around the words
(``S0`` and ``Sn`` may be empty). Scripts written without spaces (Chinese, Thai) make one long word of each
run between spaces and punctuation, so an edit anywhere inside such a run counts as inside a word: the
check can only under-count there.

**Altered untouched text.** The output keeps the untouched text iff it can be written
``S0 W1' S1 W2' … Wn' Sn`` with the input's separator runs verbatim and in order, every ``Wi'`` non-empty
and free of whitespace: a word may be edited freely, but not split, merged with a neighbour or deleted,
and nothing outside the words may change. Fails: ``Don't`` -> ``Don ' t`` (whitespace inserted),
``again.`` -> ``agai.n`` (the full stop moved into the word), ``a  b`` -> ``a b`` (whitespace rewritten),
a stripped leading space. The reason reported is ``whitespace`` when the sequence of whitespace runs
differs, else ``punctuation`` (punctuation or symbols moved, inserted or removed).

**Broken grapheme cluster.** A *mark* is a code point that extends a cluster (``\p{M}``, ZWJ/ZWNJ, UAX #29
Extend and SpacingMark: Indic vowel signs and viramas, Thai vowel and tone marks, Arabic harakat); its
*base* is the nearest code point before it in its cluster that is not a mark. Align the input and the output
code point by code point (``difflib.SequenceMatcher``, autojunk off): each output code point is kept (from a
known input position), replaced (from a changed input range) or inserted. An output cluster (``\X``) with a
mark in it is *intact* iff

(a) it is a cluster of one of the input words it overlaps (a whole cluster kept, moved or repeated:
    swaps, doubled keys), or such a cluster with marks replaced by marks of the same script (a moved
    cluster whose vowel-sign key was then mistyped: ``ता`` -> ``ती``), or
(b) each of its marks has a base, of the mark's script (or the mark is Inherited/Common), and either
    the mark is kept and sits on the base it had in the input, or on a replacement of that base
    (another consonant key under the same vowel sign: ``कि`` -> ``खि``), or the mark itself replaced
    input text (another vowel-sign key: ``कि`` -> ``की``; a virama key hit as an anusvara:
    ``न्हों`` -> ``नं`` ``हों``).

Every other cluster with a mark is *broken*: a mark left without a base (a cluster that starts with a mark),
a mark moved onto another base or a base pushed between a letter and its mark (``कित`` -> ``कति``), a mark
inserted into a cluster, a mark on a letter of another script (``कि`` -> ``xि``). Clusters without marks
cannot be broken; deleting a whole cluster, or a mark alone (a well-formed cluster remains), is no
breakage. The alignment cannot tell a moved mark from a deleted-and-retyped one, nor a substituted base
from a moved mark, so the count can only err low, the same way for every tool.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
from dataclasses import dataclass
from typing import Any

import regex

from robustx.text.scripts import char_script

_CLUSTER_RE = regex.compile(r"\X")
_WHITESPACE_RE = regex.compile(r"\s+")
_WORD_START_RE = regex.compile(r"[\p{L}\p{N}]")
_EXTENDS_RE = regex.compile(r"[\p{M}\p{GCB=Extend}\p{GCB=SpacingMark}\p{GCB=ZWJ}]")
_JOINERS = frozenset("'\u2019-\u2010\u2011")
_NUMBER_SEPARATORS = frozenset(".,")


@dataclass(frozen=True)
class Segmented:
    """Input clusters, which word each belongs to (None: untouched text), and the separator runs."""

    clusters: list[str]
    word_of: list[int | None]
    separators: list[str]  # n + 1 runs around n words
    starts: list[int]  # code-point offset of each cluster

    @property
    def length(self) -> int:
        return self.starts[-1] + len(self.clusters[-1]) if self.clusters else 0

    def word_spans(self) -> list[tuple[int, int]]:
        """Code-point span of each word, in order."""
        spans: dict[int, tuple[int, int]] = {}
        for start, cluster, word in zip(self.starts, self.clusters, self.word_of, strict=True):
            if word is not None:
                first = spans.get(word, (start, start))[0]
                spans[word] = (first, start + len(cluster))
        return [spans[w] for w in sorted(spans)]

    def cluster_at(self, index: int) -> int:
        """Index of the cluster holding code point ``index``."""
        return bisect.bisect_right(self.starts, index) - 1


def _is_word_cluster(cluster: str) -> bool:
    return _WORD_START_RE.match(cluster) is not None


def _joins(clusters: list[str], i: int) -> bool:
    """Whether the non-word cluster ``i`` sits inside a word (an apostrophe, hyphen or digit separator)."""
    if i == 0 or i + 1 >= len(clusters):
        return False
    before, cluster, after = clusters[i - 1], clusters[i], clusters[i + 1]
    if not (_is_word_cluster(before) and _is_word_cluster(after)):
        return False
    if cluster in _JOINERS:
        return True
    return cluster in _NUMBER_SEPARATORS and before[-1].isdigit() and after[0].isdigit()


def segment(text: str) -> Segmented:
    """Split ``text`` into words and separator runs by the definition in the module docstring."""
    clusters = _CLUSTER_RE.findall(text)
    inside = [_is_word_cluster(c) for c in clusters]
    inside = [flag or _joins(clusters, i) for i, flag in enumerate(inside)]
    word_of: list[int | None] = []
    separators = [""]
    words = 0
    for i, cluster in enumerate(clusters):
        if inside[i]:
            if i == 0 or not inside[i - 1]:
                words += 1
                separators.append("")
            word_of.append(words - 1)
        else:
            word_of.append(None)
            separators[-1] += cluster
    starts = [0, *itertools.accumulate(map(len, clusters))][:-1] if clusters else []
    return Segmented(clusters, word_of, separators, starts)


def untouched_problem(before: str, after: str) -> str | None:
    """None when ``after`` keeps every separator run of ``before``; else 'whitespace' or 'punctuation'."""
    if before == after or _keeps_separators(segment(before).separators, after):
        return None
    if _WHITESPACE_RE.findall(before) != _WHITESPACE_RE.findall(after):
        return "whitespace"
    return "punctuation"


def _keeps_separators(separators: list[str], after: str) -> bool:
    return decompose(separators, after) is not None


def decompose(separators: list[str], after: str) -> list[tuple[int, int]] | None:
    """Spans of W1' .. Wn' when ``after`` == S0 W1' S1 ... Wn' Sn (non-empty, whitespace-free Wi'), else None.

    A small DP over output positions; of several decompositions, the one with the earliest word ends."""
    first, words = separators[0], len(separators) - 1
    if not after.startswith(first):
        return None
    if words == 0:
        return [] if after == first else None
    # layers[i]: position after separator i -> start of word i (the back-pointer)
    layers: list[dict[int, int]] = [{len(first): -1}]
    for index in range(1, words + 1):
        sep, last = separators[index], index == words
        layer: dict[int, int] = {}
        for start in layers[-1]:
            for end in _word_ends(after, start, sep, last):
                layer.setdefault(end, start)
        if not layer:
            return None
        layers.append(layer)
    if len(after) not in layers[-1]:
        return None
    spans: list[tuple[int, int]] = []
    pos = len(after)
    for index in range(words, 0, -1):
        start = layers[index][pos]
        spans.append((start, pos - len(separators[index])))
        pos = start
    return spans[::-1]


def _word_ends(after: str, start: int, sep: str, last: bool) -> list[int]:
    """Positions just past ``sep`` for each way a whitespace-free, non-empty word can start at ``start``."""
    out = []
    end = start
    while end < len(after) and not after[end].isspace():
        end += 1
        if after.startswith(sep, end) and (not last or end + len(sep) == len(after)):
            out.append(end + len(sep))
    return out


def broken_clusters(before: str, after: str) -> list[str]:
    """Output clusters of ``after`` that are broken by the definition above (empty when none).

    When ``after`` keeps the untouched text, word i of the output is compared with word i of the input
    alone (no alignment can drift across words); otherwise the whole texts are aligned."""
    if before == after:
        return []
    seg = segment(before)
    spans = decompose(seg.separators, after)
    if spans is None:
        return _broken_in(before, after)
    broken: list[str] = []
    for (a, b), (c, d) in zip(seg.word_spans(), spans, strict=True):
        if before[a:b] != after[c:d]:
            broken += _broken_in(before[a:b], after[c:d])
    return broken


def _broken_in(before: str, after: str) -> list[str]:
    seg = segment(before)
    origin = _origins(before, after)
    broken: list[str] = []
    pos = 0
    for cluster in _CLUSTER_RE.findall(after):
        start, pos = pos, pos + len(cluster)
        if _EXTENDS_RE.search(cluster) is None:
            continue  # no mark in it: nothing can be attached to the wrong base
        if _unchanged(seg, origin, cluster, start):
            continue  # the very cluster of the input at this place (even an odd one the input began with)
        nearby = _nearby_word_clusters(seg, origin, start, pos)
        if cluster in nearby or any(_mark_edit_of(x, cluster) for x in nearby):
            continue
        if not _marks_ok(before, after, origin, start, pos):
            broken.append(cluster)
    return broken


# Where each output code point comes from: ("kept", input index), ("replaced", (i1, i2)) or ("inserted", None).
Origin = tuple[str, Any]


def _origins(before: str, after: str) -> list[Origin]:
    out: list[Origin] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(("kept", i1 + k) for k in range(j2 - j1))
        elif tag == "replace":
            out.extend(("replaced", (i1, i2)) for _ in range(j2 - j1))
        elif tag == "insert":
            out.extend(("inserted", None) for _ in range(j2 - j1))
    return out


def _unchanged(seg: Segmented, origin: list[Origin], cluster: str, start: int) -> bool:
    """Every code point kept, from one input cluster that equals ``cluster``."""
    first = origin[start]
    if first[0] != "kept":
        return False
    index = seg.cluster_at(first[1])
    if seg.starts[index] != first[1] or seg.clusters[index] != cluster:
        return False
    return all(origin[start + k] == ("kept", first[1] + k) for k in range(len(cluster)))


def _nearby_word_clusters(seg: Segmented, origin: list[Origin], start: int, end: int) -> set[str]:
    """Clusters of the input words in the input region aligned with output[start:end]: from the nearest
    kept code point before it to the nearest kept code point after it."""
    lo, hi = 0, seg.length - 1
    for j in range(start - 1, -1, -1):
        if origin[j][0] == "kept":
            lo = origin[j][1]
            break
    for j in range(end, len(origin)):
        if origin[j][0] == "kept":
            hi = origin[j][1]
            break
    if seg.length == 0:
        return set()
    first, last = seg.cluster_at(min(lo, hi)), seg.cluster_at(max(lo, hi))
    words = {seg.word_of[i] for i in range(first, last + 1)} - {None}
    return {c for c, w in zip(seg.clusters, seg.word_of, strict=True) if w in words}


def _mark_edit_of(old: str, new: str) -> bool:
    """``new`` is ``old`` (a cluster of the same word) with marks replaced by marks of the same script."""
    if len(old) != len(new) or old[0] != new[0] or old == new:
        return False
    return all(
        a == b or (_is_mark(a) and _is_mark(b) and char_script(a) == char_script(b))
        for a, b in zip(old, new, strict=True)
    )


def _is_mark(ch: str) -> bool:
    return _EXTENDS_RE.match(ch) is not None


def _marks_ok(before: str, after: str, origin: list[Origin], start: int, end: int) -> bool:
    """Every mark of output[start:end] sits on the base it had in the input, or on that base's in-place
    substitute of the same script, or is a substitute mark typed onto a base of its own script."""
    base = None
    for j in range(start, end):
        if _EXTENDS_RE.match(after, j) is None:
            base = j
            continue
        if base is None or not _mark_ok(before, after, origin, base, j):
            return False
    return True


def _mark_ok(before: str, after: str, origin: list[Origin], base: int, mark: int) -> bool:
    mark_kind, mark_from = origin[mark]
    base_kind, base_from = origin[base]
    if mark_kind == "inserted" or base_kind == "inserted":
        return False  # a mark typed into a cluster, or a letter pushed between a base and its mark
    if not _same_script(after[base], after[mark]):
        return False
    if mark_kind == "replaced":
        return True  # another mark key on this base (e.g. ि -> ी)
    was = _input_base(before, mark_from)
    if base_kind == "kept":
        return bool(was == base_from)
    return was is not None and bool(base_from[0] <= was < base_from[1])  # the base itself was substituted


def _input_base(before: str, mark: int) -> int | None:
    """The nearest code point before ``mark`` in its input cluster that is not itself a mark."""
    j = mark - 1
    while j >= 0 and _EXTENDS_RE.match(before, j) is not None:
        j -= 1
    return j if j >= 0 else None


def _same_script(base: str, mark: str) -> bool:
    script = char_script(mark)
    return script in ("Inherited", "Common") or script == char_script(base)


@dataclass(frozen=True)
class Verdict:
    changed: bool
    untouched: str | None  # None, 'whitespace' or 'punctuation'
    broken: tuple[str, ...]


def check(before: str, after: str) -> Verdict:
    """Both checks for one (input, output) pair."""
    if before == after:
        return Verdict(False, None, ())
    return Verdict(True, untouched_problem(before, after), tuple(broken_clusters(before, after)))
