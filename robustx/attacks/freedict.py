"""Import FreeDict dictd dictionaries (Debian ``dict-freedict-eng-*``) as English -> xx word pairs.

A dictd database is two files: ``NAME.index`` (one line per headword: headword TAB offset TAB length,
the numbers in dictd's base64 digits) and ``NAME.dict.dz`` (gzip/dictzip; plain ``NAME.dict`` also
works) holding the entry texts at those offsets of the uncompressed data. FreeDict entries look like::

    house /hˈaʊs/ <N>            <- headword, IPA, part of speech
    1. घर                         <- translations: numbered senses or one comma-separated line
          "an example sentence"   <- indented: examples, notes, synonyms, cross-references

Only the entry's own headword is used (the index also points abbreviations such as ``cat`` at the
entry "computed axial tomography (CAT)"), only single-word headwords are kept (code-switching replaces
words), and IPA, POS/gender tags, domain labels, parentheses and numbering are stripped. The data is
GPL/AGPL (varies per dictionary): robustx never bundles it; ``robustx resources build`` converts the
installed packages into packs under the user's cache.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from robustx.errors import DataError

__all__ = [
    "FREEDICT_LANGS",
    "FreeDictDatabase",
    "decode_number",
    "entry_translations",
    "find_databases",
    "read_database",
]

DICTD_DIR = Path("/usr/share/dictd")
_B64 = {ch: i for i, ch in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}

# FreeDict's ISO 639-3 codes -> ISO 639-1, for the eng-* packages Debian ships.
FREEDICT_LANGS: dict[str, str] = {
    "afr": "af", "ara": "ar", "bul": "bg", "ces": "cs", "cym": "cy", "dan": "da", "deu": "de",
    "ell": "el", "fin": "fi", "fra": "fr", "gle": "ga", "hin": "hi", "hrv": "hr", "hun": "hu",
    "ind": "id", "ita": "it", "jpn": "ja", "lat": "la", "lit": "lt", "nld": "nl", "nor": "no",
    "pol": "pl", "por": "pt", "rus": "ru", "spa": "es", "srp": "sr", "swe": "sv", "swh": "sw",
    "tur": "tr",
}  # fmt: skip

_BRACKETED = re.compile(r"<[^>]*>|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|/[^/\n]*/")
_PLACEHOLDER = re.compile(r"(?<!\w)(?:etw|jdm|jdn|jds|jd|sth|sb|qn|qc|alg|algn)\.", re.I)
_NUMBERING = re.compile(r"^\s*\d+\.\s*")
_EDITION = re.compile(r"^\s*Edition:\s*(\S+)", re.M)
_SHORT_VERSION = re.compile(r"\bver\.\s*(\S+)")
_LICENCES = (("Affero", "AGPL"), ("General Public License", "GPL"), ("CC-BY-SA", "CC-BY-SA"),
             ("Creative Commons", "CC"))  # fmt: skip


@dataclass(frozen=True)
class FreeDictDatabase:
    """An installed eng-xx database: its files and the ISO 639-1 code of the target language."""

    name: str  # 'freedict-eng-deu'
    lang: str  # 'de'
    index: Path
    data: Path

    @property
    def package(self) -> str:
        return f"dict-{self.name}"


def decode_number(digits: str) -> int:
    """A dictd base64 number (most significant digit first): ``'B8'`` -> 124."""
    value = 0
    for ch in digits:
        try:
            value = value * 64 + _B64[ch]
        except KeyError:
            raise ValueError(f"bad dictd base64 digit {ch!r} in {digits!r}") from None
    return value


def find_databases(directory: Path = DICTD_DIR) -> list[FreeDictDatabase]:
    """The ``freedict-eng-xxx`` databases in ``directory`` whose target language robustx can map."""
    found: list[FreeDictDatabase] = []
    if not directory.is_dir():
        return found
    for index in sorted(directory.glob("freedict-eng-*.index")):
        name = index.name.removesuffix(".index")
        lang = FREEDICT_LANGS.get(name.rsplit("-", 1)[-1])
        data = next(
            (p for p in (directory / f"{name}.dict.dz", directory / f"{name}.dict") if p.is_file()), None
        )
        if lang is not None and data is not None:
            found.append(FreeDictDatabase(name, lang, index, data))
    return found


def read_entries(index: Path, data: Path) -> Iterator[tuple[str, str]]:
    """(first index headword, entry text) for every distinct entry of a dictd database, in file order
    (the index may point several headwords at one entry)."""
    raw = data.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"dictd data file {data} is not valid gzip/dictzip: {exc}") from None
    spans: dict[tuple[int, int], str] = {}
    for lineno, line in enumerate(index.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split("\t")
        if len(fields) < 3:
            raise DataError(f"dictd index {index} line {lineno}: expected headword TAB offset TAB length")
        try:
            spans.setdefault((decode_number(fields[1]), decode_number(fields[2])), fields[0])
        except ValueError as exc:
            raise DataError(f"dictd index {index} line {lineno}: {exc}") from None
    for (offset, length), headword in sorted(spans.items()):
        yield headword, raw[offset : offset + length].decode("utf-8", errors="replace")


def entry_translations(entry: str) -> tuple[str, list[str]]:
    """The headword of one entry text and its translations, cleaned (see the module docstring)."""
    lines = entry.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return "", []
    headword = _clean(lines[0])
    out: list[str] = []
    for line in lines[1:]:
        if not line.strip() or line[0].isspace():  # examples, notes, synonyms, see-also are indented
            continue
        for part in re.split(r"[,;]", _BRACKETED.sub(" ", _NUMBERING.sub("", line))):
            word = _clean(part).strip("-")  # Swahili/Bantu stems are written '-kubwa'
            if word and word not in out and _usable(word):
                out.append(word)
    return headword, out


def _usable(word: str) -> bool:
    """Not a fragment: no quotes/braces, no placeholder such as 'etw.' or 'sb.' standing for an argument."""
    return not any(ch in word for ch in '"{}?') and not _PLACEHOLDER.search(word)


def _clean(text: str) -> str:
    """Drop IPA, tags, labels and parentheses; FreeDict writes multi-word equivalents with '~'."""
    return " ".join(_BRACKETED.sub(" ", text).replace("~", " ").split())


@dataclass(frozen=True)
class FreeDictImport:
    """The word pairs of one database and what to record about where they came from."""

    database: FreeDictDatabase
    pairs: list[tuple[str, str]]
    edition: str | None
    licence: str | None
    package_version: str | None
    sha256: dict[str, str]


def read_database(db: FreeDictDatabase) -> FreeDictImport:
    """English -> target pairs of one database: single-word headwords, every cleaned translation."""
    pairs: list[tuple[str, str]] = []
    info = ""
    for key, entry in read_entries(db.index, db.data):
        if key.startswith(("00-database", "00database")):  # dictd metadata: info, short name, url
            info += entry + "\n"
            continue
        headword, translations = entry_translations(entry)
        if not headword or any(ch.isspace() for ch in headword):
            continue
        pairs.extend((headword, t) for t in translations)
    sha = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (db.index, db.data)}
    return FreeDictImport(db, pairs, _edition(info), _licence(info), _package_version(db.package), sha)


def _edition(info: str) -> str | None:
    match = _EDITION.search(info) or _SHORT_VERSION.search(info)
    return match.group(1) if match else None


def _licence(info: str) -> str | None:
    found = [name for marker, name in _LICENCES if marker in info]
    return "/".join(dict.fromkeys(found)) or None


def _package_version(package: str) -> str | None:
    """The Debian package version from its changelog (no dpkg call): ``freedict (2022.04.21-1) unstable``."""
    changelog = Path("/usr/share/doc") / package / "changelog.Debian.gz"
    try:
        with gzip.open(changelog, "rt", encoding="utf-8") as fh:
            first = fh.readline()
    except OSError:
        return None
    match = re.match(r"\S+ \(([^)]+)\)", first)
    return match.group(1) if match else None
