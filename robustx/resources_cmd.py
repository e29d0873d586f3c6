"""``robustx resources list|build``: what perturbation resources each language has, and dictionary packs.

``list`` reports, per language, the bilingual dictionaries on the search path (en<->xx, with entry
counts and where they came from), whether a FreeDict package is installed, whether a keyboard layout is
bundled and how many of its script's characters have homoglyphs. ``build`` converts installed FreeDict
databases (and MUSE files from a given directory) into normalised packs ``<cache>/dicts/en-xx.txt``
(tab-separated MUSE format) plus ``MANIFEST.json`` recording each pack's sources, versions and sha256.
Packs are built on the user's machine from data they installed: FreeDict is GPL/AGPL and MUSE
CC BY-NC, so none of it ships with robustx.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustx.attacks.dictionaries import MANIFEST, PIVOT, search_dirs
from robustx.attacks.freedict import DICTD_DIR, FREEDICT_LANGS, find_databases
from robustx.errors import DataError

if TYPE_CHECKING:
    from rich.console import Console

    from robustx.attacks.freedict import FreeDictImport

__all__ = [
    "BuiltPack",
    "DictionaryFile",
    "LanguageResources",
    "build_packs",
    "list_resources",
    "print_build",
    "print_resources",
]

_DICT_FILE = re.compile(r"^(?P<a>[a-z]{2,3})-(?P<b>[a-z]{2,3})\.txt(?:\.gz)?$")
_ISO = {"jp": "ja"}  # MUSE/CoSDA file names
_NOTE = (
    "Built locally by `robustx resources build` from installed data: FreeDict is GPL/AGPL, MUSE is "
    "CC BY-NC 4.0. Do not redistribute these packs with robustx."
)


@dataclass(frozen=True)
class DictionaryFile:
    """One dictionary file between English and ``lang`` on the search path."""

    lang: str
    path: Path
    words: int  # distinct source words
    pairs: int  # (source, translation) pairs
    source: str  # 'MUSE-format file' or the pack's sources


@dataclass(frozen=True)
class LanguageResources:
    lang: str
    name: str
    dictionaries: tuple[DictionaryFile, ...]  # search order: the first one is used
    freedict: str  # 'installed' | 'apt-get install <pkg>' | ''
    keyboard: bool
    homoglyph_chars: int | None  # characters of the language's script with a confusable; None: unknown


def list_resources(
    dicts: str = "", data_dirs: Sequence[str | Path] = (), freedict_dir: Path = DICTD_DIR
) -> list[LanguageResources]:
    """Every XTREME language (and any other language a dictionary file names), with its resources."""
    from robustx.attacks.resources import keyboard_languages
    from robustx.text.scripts import LANGUAGE_NAMES

    files = _dictionary_files(search_dirs(dicts, data_dirs))
    installed = {db.lang for db in find_databases(freedict_dir)}
    packages = {iso1: f"dict-freedict-eng-{iso3}" for iso3, iso1 in FREEDICT_LANGS.items()}
    keyboards = set(keyboard_languages())
    homoglyph_counts = _homoglyphs_by_script()
    rows = []
    for lang in sorted(set(LANGUAGE_NAMES) | {f.lang for f in files}):
        found = tuple(f for f in files if f.lang == lang)
        freedict = (
            "installed"
            if lang in installed
            else (f"apt-get install {packages[lang]}" if lang in packages else "")
        )
        rows.append(
            LanguageResources(
                lang,
                LANGUAGE_NAMES.get(lang, lang),
                found,
                freedict,
                lang in keyboards,
                _script_count(lang, homoglyph_counts),
            )
        )
    return rows


def _dictionary_files(dirs: Iterable[Path]) -> list[DictionaryFile]:
    from robustx.attacks.dictionaries import pack_origin, read_file

    out = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            match = _DICT_FILE.match(path.name)
            if not match or PIVOT not in (match["a"], match["b"]) or match["a"] == match["b"]:
                continue
            code = match["b"] if match["a"] == PIVOT else match["a"]
            entries, sha = read_file(path)
            origin = pack_origin(path, sha)
            out.append(
                DictionaryFile(
                    _ISO.get(code, code),
                    path,
                    len(entries),
                    sum(map(len, entries.values())),
                    _describe(origin),
                )
            )
    return out


def _describe(origin: Mapping[str, Any]) -> str:
    if not origin:
        return "MUSE-format file"
    parts = []
    for src in origin.get("sources", []):
        if src.get("kind") == "freedict":
            parts.append(f"FreeDict {src.get('database', '?')} {src.get('edition') or ''}".strip())
        else:
            parts.append(f"MUSE {Path(src.get('path', '?')).name}")
    return "pack: " + " + ".join(parts)


def _homoglyphs_by_script() -> Counter[str]:
    from robustx.attacks.resources import homoglyphs
    from robustx.text.scripts import char_script

    return Counter(char_script(ch) for ch in homoglyphs())


def _script_count(lang: str, counts: Counter[str]) -> int | None:
    from robustx.text.scripts import UnknownLanguageError, script_of

    try:
        script = script_of(lang)
    except UnknownLanguageError:
        return None
    names = {"Japanese": ("Hiragana", "Katakana", "Han")}.get(script, (script,))
    return sum(counts[name] for name in names)


def print_resources(rows: Sequence[LanguageResources], console: Console | None = None) -> None:
    """A rich table of :func:`list_resources`; the first dictionary listed for a language is the one used."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="robustx resources (dictionaries: first listed is used)")
    for column in ("lang", "name", "en<->xx dictionary", "words", "FreeDict", "keyboard", "homoglyphs"):
        table.add_column(column, justify="right" if column in ("words", "homoglyphs") else "left")
    for row in rows:
        first = row.dictionaries[0] if row.dictionaries else None
        table.add_row(
            row.lang,
            row.name,
            _dictionary_cell(row, escape),
            f"{first.words:,}" if first else "",
            row.freedict,
            "yes" if row.keyboard else "no",
            "" if row.homoglyph_chars is None else str(row.homoglyph_chars),
        )
    (console or Console()).print(table)


def _dictionary_cell(row: LanguageResources, escape: Callable[[str], str]) -> str:
    if row.lang == PIVOT:
        return "(pivot: every dictionary is to or from English)"
    if not row.dictionaries:
        return "[red]missing[/red]"
    first = row.dictionaries[0]
    more = f" (+{len(row.dictionaries) - 1} shadowed)" if len(row.dictionaries) > 1 else ""
    return escape(f"{first.path} [{first.source}]{more}")


@dataclass(frozen=True)
class BuiltPack:
    lang: str
    path: Path
    pairs: int
    sha256: str
    sources: tuple[dict[str, Any], ...]


def build_packs(
    out_dir: Path | None = None,
    freedict: bool = True,
    freedict_dir: Path = DICTD_DIR,
    muse_dir: Path | None = None,
    langs: Sequence[str] = (),
) -> list[BuiltPack]:
    """Write ``en-xx.txt`` packs (MUSE pairs first, then FreeDict's) and update ``MANIFEST.json``."""
    from robustx.attacks.dictionaries import read_file
    from robustx.attacks.freedict import read_database
    from robustx.models.embedded import cache_root

    target = out_dir or cache_root() / "dicts"
    inputs = _gather_inputs(freedict, freedict_dir, muse_dir, langs)
    built = []
    for lang, sources in sorted(inputs.items()):
        pairs: list[tuple[str, str]] = []
        described = []
        for kind, item in sources:
            if kind == "muse":
                entries, sha = read_file(item)
                new = [(word, t) for word, targets in entries.items() for t in targets]
                described.append({"kind": "muse", "path": str(item), "sha256": sha, "pairs": len(new)})
            else:
                got = read_database(item)
                new = got.pairs
                described.append(_freedict_record(got, len(new)))
            pairs += new
        built.append(_write_pack(target, lang, pairs, tuple(described)))
    return built


def _gather_inputs(
    freedict: bool, freedict_dir: Path, muse_dir: Path | None, langs: Sequence[str]
) -> dict[str, list[tuple[str, Any]]]:
    inputs: dict[str, list[tuple[str, Any]]] = {}
    if muse_dir is not None:
        if not muse_dir.is_dir():
            raise DataError(f"MUSE directory {muse_dir} does not exist")
        for path in sorted(muse_dir.iterdir()):
            match = _DICT_FILE.match(path.name)
            if match and match["a"] == PIVOT and match["b"] != PIVOT:
                inputs.setdefault(_ISO.get(match["b"], match["b"]), []).append(("muse", path))
    if freedict:
        for db in find_databases(freedict_dir):
            inputs.setdefault(db.lang, []).append(("freedict", db))
    if langs:
        missing = [x for x in langs if x not in inputs]
        if missing:
            raise DataError(
                f"no FreeDict database or MUSE file for {', '.join(missing)}{_sources_hint(freedict_dir, muse_dir)}"
            )
        inputs = {x: inputs[x] for x in langs}
    if not inputs:
        raise DataError("nothing to build" + _sources_hint(freedict_dir, muse_dir))
    return inputs


def _sources_hint(freedict_dir: Path, muse_dir: Path | None) -> str:
    where = f"FreeDict databases in {freedict_dir}" + (
        f", MUSE files en-xx.txt[.gz] in {muse_dir}" if muse_dir else ""
    )
    return f" (looked for {where}); install e.g. `apt-get install dict-freedict-eng-deu` or pass a MUSE directory"


def _freedict_record(got: FreeDictImport, pairs: int) -> dict[str, Any]:
    return {
        "kind": "freedict",
        "database": got.database.name,
        "package": got.database.package,
        "package_version": got.package_version,
        "edition": got.edition,
        "licence": got.licence,
        "sha256": got.sha256,
        "pairs": pairs,
    }


def _write_pack(
    target: Path, lang: str, pairs: list[tuple[str, str]], sources: tuple[dict[str, Any], ...]
) -> BuiltPack:
    """Normalise (trimmed, one line per distinct pair, no tabs inside, no identity pairs) and write."""
    from robustx.store import atomic_write_bytes

    seen: set[tuple[str, str]] = set()
    lines = []
    for src, tgt in pairs:
        src, tgt = " ".join(src.split()), " ".join(tgt.split())
        key = (src.lower(), tgt)
        if src and tgt and tgt.lower() != src.lower() and key not in seen:
            seen.add(key)
            lines.append(f"{src}\t{tgt}\n")
    data = "".join(lines).encode("utf-8")
    path = target / f"{PIVOT}-{lang}.txt"
    atomic_write_bytes(path, data)
    path.chmod(0o644)  # mkstemp makes private files; a shared cache must be readable
    sha = hashlib.sha256(data).hexdigest()
    _update_manifest(
        target,
        path.name,
        {"pair": f"{PIVOT}-{lang}", "pairs": len(lines), "sha256": sha, "sources": list(sources)},
    )
    return BuiltPack(lang, path, len(lines), sha, sources)


def _update_manifest(target: Path, name: str, entry: dict[str, Any]) -> None:
    from robustx.store import atomic_write_bytes

    path = target / MANIFEST
    manifest: dict[str, Any] = {"format": "robustx-dictionary-packs/1", "note": _NOTE, "files": {}}
    if path.is_file():
        try:
            manifest["files"] = dict(json.loads(path.read_text(encoding="utf-8")).get("files", {}))
        except (ValueError, AttributeError):
            raise DataError(
                f"{path} is not a robustx dictionary manifest; delete it and build again"
            ) from None
    manifest["files"][name] = entry
    atomic_write_bytes(
        path, (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()
    )
    path.chmod(0o644)


def print_build(packs: Sequence[BuiltPack], console: Console | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="dictionary packs built")
    for column in ("pair", "pairs", "sources", "file"):
        table.add_column(column, justify="right" if column == "pairs" else "left")
    for pack in packs:
        sources = " + ".join(s.get("database") or Path(s["path"]).name for s in pack.sources)
        table.add_row(f"{PIVOT}-{pack.lang}", f"{pack.pairs:,}", sources, str(pack.path))
    (console or Console()).print(table)
