"""Bilingual dictionaries for code-switching: MUSE-format files on a search path, read lazily.

A file ``src-tgt.txt`` (or ``.txt.gz``) holds one ``source target`` pair per line, tab or space
separated (MUSE, CoSDA-ML, and the packs ``robustx resources build`` writes). Duplicate sources give
several translations, kept in file order so that an RNG picks among them deterministically. Any pair is
served: a ``src-tgt`` file as is, a ``tgt-src`` file inverted (de->en from en-de), and two non-English
languages composed through English (de->hi = de->en then en->hi).

Where files are looked for, in order (first directory holding a file for the pair wins):

1. the ``dicts`` argument (``codeswitch:dicts=DIR``), directories separated by ``os.pathsep``;
2. ``$ROBUSTX_DICTS`` (same syntax);
3. ``$ROBUSTX_CACHE/dicts`` (default ``~/.cache/robustx/dicts``): packs built by ``robustx resources build``;
4. ``muse/`` or ``xtreme/muse/`` under each ``data_dirs`` argument and under ``$ROBUSTX_DATA``.

Nothing is read until a pair is first asked for; parsed files are cached by path, size and mtime.
Keys are lower-cased (lookups lower-case the word); pairs whose target equals the source are dropped,
because "switching" a word to itself changes nothing and would overstate coverage.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from robustx.attacks.resources import ResourceMissingError
from robustx.errors import DataError

__all__ = [
    "PIVOT",
    "Dictionaries",
    "DictionaryMissingError",
    "FileTables",
    "Lexicon",
    "MemoryTables",
    "TableSource",
    "compose",
    "coverage",
    "default_dictionaries",
    "dictionary_manifest",
    "invert",
    "pack_origin",
    "parse_muse",
    "read_file",
    "search_dirs",
]

PIVOT = "en"
# MUSE and CoSDA-ML name Japanese 'jp'; robustx uses ISO 639-1 codes everywhere else.
_FILE_CODES: dict[str, tuple[str, ...]] = {"ja": ("ja", "jp")}
_SUFFIXES = (".txt", ".txt.gz")
MANIFEST = "MANIFEST.json"

Entries = Mapping[str, tuple[str, ...]]


class DictionaryMissingError(ResourceMissingError):
    """No dictionary serves a requested language pair; the message names the pair and how to get one."""


@dataclass(frozen=True)
class Source:
    """One file a dictionary came from: to store in a run's config (path, sha256, pack provenance)."""

    path: str
    sha256: str
    inverted: bool = False
    origin: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "sha256": self.sha256, "inverted": self.inverted}
        if self.origin:
            out["origin"] = dict(self.origin)
        return out


@dataclass(frozen=True)
class Lexicon:
    """A one-directional word table ``src`` -> ``tgt``: lower-cased word -> translations in file order."""

    src: str
    tgt: str
    entries: Entries
    sources: tuple[Source, ...] = ()
    via: str | None = None  # the pivot language when composed

    def translations(self, word: str) -> tuple[str, ...]:
        return self.entries.get(word.lower(), ())

    def __len__(self) -> int:
        return len(self.entries)


def build_entries(pairs: Iterable[tuple[str, str]]) -> Entries:
    """Group (source, target) pairs into a read-only table (lower-cased keys, no identity pairs)."""
    table: dict[str, list[str]] = {}
    for src, tgt in pairs:
        _add(table, src.strip().lower(), tgt.strip())
    return _freeze(table)


def _add(table: dict[str, list[str]], key: str, target: str) -> None:
    if not key or not target or target.lower() == key:
        return
    bucket = table.setdefault(key, [])
    if target not in bucket:
        bucket.append(target)


def _freeze(table: dict[str, list[str]]) -> Entries:
    return MappingProxyType({key: tuple(values) for key, values in table.items()})


def split_line(line: str) -> tuple[str, str] | None:
    """``src<TAB>tgt`` (the target may hold spaces) or ``src tgt``; None for a blank/one-field line."""
    line = line.strip()
    if "\t" in line:
        src, _, tgt = line.partition("\t")
        return src, tgt
    parts = line.split(None, 1)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def parse_muse(lines: Iterable[str]) -> Entries:
    """A MUSE dictionary's lines -> table (see :func:`build_entries`)."""
    return build_entries(pair for pair in map(split_line, lines) if pair is not None)


def invert(lex: Lexicon) -> Lexicon:
    """``tgt`` -> ``src``: every target word (lower-cased) maps to the sources that translate to it."""
    table: dict[str, list[str]] = {}
    for word, targets in lex.entries.items():
        for target in targets:
            _add(table, target.lower(), word)
    sources = tuple(replace(s, inverted=not s.inverted) for s in lex.sources)
    return Lexicon(lex.tgt, lex.src, _freeze(table), sources, lex.via)


def compose(first: Lexicon, second: Lexicon) -> Lexicon:
    """``first.src`` -> ``second.tgt`` through ``first.tgt``: translations of every pivot translation."""
    if first.tgt != second.src:
        raise ValueError(f"cannot compose {first.src}-{first.tgt} with {second.src}-{second.tgt}")
    table: dict[str, list[str]] = {}
    for word, pivots in first.entries.items():
        for pivot in pivots:
            for target in second.translations(pivot):
                _add(table, word, target)
    return Lexicon(first.src, second.tgt, _freeze(table), first.sources + second.sources, via=first.tgt)


class TableSource(Protocol):
    """Where direct tables come from: files on a search path, or tables held in memory."""

    def table(self, src: str, tgt: str) -> Lexicon | None: ...

    def where(self) -> str: ...


@dataclass(frozen=True)
class MemoryTables:
    """Tables given in code: ``{("en", "de"): {"house": ["Haus"]}}`` (tests, library callers)."""

    tables: Mapping[tuple[str, str], Mapping[str, Sequence[str]]]

    def table(self, src: str, tgt: str) -> Lexicon | None:
        raw = self.tables.get((src, tgt))
        if raw is None:
            return None
        entries = build_entries((word, t) for word, targets in raw.items() for t in targets)
        return Lexicon(src, tgt, entries, (Source(f"memory:{src}-{tgt}", ""),))

    def where(self) -> str:
        return "in-memory tables: " + (", ".join(f"{a}-{b}" for a, b in self.tables) or "none")


@dataclass(frozen=True)
class FileTables:
    """MUSE-format files ``src-tgt.txt[.gz]`` in ``dirs`` (first directory with a file wins)."""

    dirs: tuple[Path, ...]

    def find(self, src: str, tgt: str) -> Path | None:
        for directory in self.dirs:
            for a in _FILE_CODES.get(src, (src,)):
                for b in _FILE_CODES.get(tgt, (tgt,)):
                    for suffix in _SUFFIXES:
                        path = directory / f"{a}-{b}{suffix}"
                        if path.is_file():
                            return path
        return None

    def table(self, src: str, tgt: str) -> Lexicon | None:
        path = self.find(src, tgt)
        if path is None:
            return None
        entries, sha = read_file(path)
        return Lexicon(src, tgt, entries, (Source(str(path), sha, False, pack_origin(path, sha)),))

    def where(self) -> str:
        existing = [str(d) for d in self.dirs if d.is_dir()]
        return "searched " + ", ".join(existing) if existing else "no dictionary directory exists"


def read_file(path: Path) -> tuple[Entries, str]:
    """A dictionary file's table and the sha256 of its bytes (cached while size and mtime stay)."""
    stat = path.stat()
    return _read_file(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _read_file(path: str, mtime_ns: int, size: int) -> tuple[Entries, str]:
    """Parse one dictionary file (cached while its size and mtime stay the same) and hash it."""
    raw = Path(path).read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"dictionary {path} is not UTF-8 text (or gzip of it): {exc}") from None
    entries = parse_muse(text.splitlines())
    if not entries and text.strip():
        raise DataError(f"dictionary {path} holds no 'source target' pairs (MUSE format expected)")
    return entries, sha


def pack_origin(path: Path, sha: str) -> Mapping[str, Any]:
    """The MANIFEST.json entry for a pack (``resources build``), checked against the file's sha256."""
    manifest_path = path.parent / MANIFEST
    if not manifest_path.is_file():
        return {}
    try:
        entry = json.loads(manifest_path.read_text(encoding="utf-8")).get("files", {}).get(path.name)
    except (OSError, ValueError, AttributeError):
        raise DataError(f"{manifest_path} is not a robustx dictionary manifest; rebuild the packs") from None
    if not entry:
        return {}
    if entry.get("sha256") != sha:
        raise DataError(
            f"dictionary {path} does not match the sha256 in {manifest_path}; "
            "run `robustx resources build` again"
        )
    return {k: v for k, v in entry.items() if k != "sha256"}


class Dictionaries:
    """Any language pair on demand: a direct table, an inverted one, or a composition through English.

    Cheap to construct; each pair is resolved and cached on first use. A pair no table serves raises
    DictionaryMissingError naming the pair (and the missing leg when composing)."""

    def __init__(self, tables: TableSource) -> None:
        self.tables = tables
        self._pairs: dict[tuple[str, str], Lexicon] = {}
        self._direct: dict[tuple[str, str], Lexicon | None] = {}

    def get(self, src: str, tgt: str) -> Lexicon:
        if src == tgt:
            raise ValueError(f"no dictionary needed from {src} to itself")
        key = (src, tgt)
        if key not in self._pairs:
            self._pairs[key] = self._resolve(src, tgt)
        return self._pairs[key]

    def _resolve(self, src: str, tgt: str) -> Lexicon:
        direct = self._one_way(src, tgt)
        if direct is not None:
            return direct
        if PIVOT in (src, tgt):
            raise DictionaryMissingError(_missing_message(src, tgt, [(src, tgt)], self.tables.where()))
        first, second = self._one_way(src, PIVOT), self._one_way(PIVOT, tgt)
        if first is None or second is None:
            legs = [leg for leg, lex in (((src, PIVOT), first), ((PIVOT, tgt), second)) if lex is None]
            raise DictionaryMissingError(_missing_message(src, tgt, legs, self.tables.where()))
        return compose(first, second)

    def _one_way(self, src: str, tgt: str) -> Lexicon | None:
        key = (src, tgt)
        if key not in self._direct:
            table = self.tables.table(src, tgt)
            if table is None:
                reverse = self.tables.table(tgt, src)
                table = invert(reverse) if reverse is not None else None
            self._direct[key] = table
        return self._direct[key]

    def manifest(self, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """``{"de-hi": {"entries": n, "via": "en", "files": [{path, sha256, inverted, origin}]}}``."""
        out: dict[str, Any] = {}
        for src, tgt in pairs:
            lex = self.get(src, tgt)
            files = [s.describe() for s in lex.sources]
            out[f"{src}-{tgt}"] = {"entries": len(lex), "via": lex.via, "files": files}
        return out


def _missing_message(src: str, tgt: str, legs: list[tuple[str, str]], where: str) -> str:
    from robustx.attacks.freedict import FREEDICT_LANGS

    freedict = {iso1: iso3 for iso3, iso1 in FREEDICT_LANGS.items()}
    need = " and ".join(f"{a}-{b}" for a, b in legs)
    head = f"no {src}-{tgt} dictionary" + (
        f" (composing through English needs {need})" if legs != [(src, tgt)] else ""
    )
    files = " and ".join(f"{a}-{b}.txt (or {b}-{a}.txt)" for a, b in legs)
    hint = f"put MUSE file {files} in $ROBUSTX_DICTS or in a directory given as codeswitch:dicts=DIR"
    packages = [freedict[x] for a, b in legs for x in (a, b) if x != PIVOT and x in freedict]
    if packages:
        apt = " ".join(f"dict-freedict-eng-{p}" for p in packages)
        hint += f", or `apt-get install {apt}` and run `robustx resources build --freedict`"
    return f"{head}: {hint} ({where})"


def search_dirs(dicts: str = "", data_dirs: Sequence[str | Path] = ()) -> tuple[Path, ...]:
    """The directories searched for dictionary files, in order (see the module docstring)."""
    from robustx.models.embedded import cache_root

    out: list[Path] = [Path(p).expanduser() for p in dicts.split(os.pathsep) if p]
    out += [Path(p).expanduser() for p in os.environ.get("ROBUSTX_DICTS", "").split(os.pathsep) if p]
    out.append(cache_root() / "dicts")
    roots = [Path(d).expanduser() for d in data_dirs]
    if os.environ.get("ROBUSTX_DATA"):
        roots.append(Path(os.environ["ROBUSTX_DATA"]).expanduser())
    for root in roots:
        out += [root / "muse", root / "xtreme" / "muse"]
    return tuple(dict.fromkeys(out))


def default_dictionaries(dicts: str = "", data_dirs: Sequence[str | Path] = ()) -> Dictionaries:
    """Dictionaries found on the search path (reads the environment now, files only when asked)."""
    return Dictionaries(FileTables(search_dirs(dicts, data_dirs)))


def dictionary_manifest(
    pairs: Iterable[tuple[str, str]], dicts: str = "", data_dirs: Sequence[str | Path] = ()
) -> dict[str, Any]:
    """Which files (with sha256) serve each pair, for a run's config.json; raises if one is missing."""
    return default_dictionaries(dicts, data_dirs).manifest(pairs)


def coverage(
    text_words: Iterable[str], src: str, tgt: str, dictionaries: Dictionaries | None = None
) -> float:
    """Fraction of ``text_words`` (a word list, repeats counted) with a ``src`` -> ``tgt`` translation;
    0.0 for no words. A low value means code-switching into ``tgt`` can change few words."""
    lex = (dictionaries or default_dictionaries()).get(src, tgt)
    words = list(text_words)
    return sum(1 for w in words if lex.translations(w)) / len(words) if words else 0.0
