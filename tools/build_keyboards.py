"""Build robustx/data/keyboards/*.json: which keys neighbour which on each language's keyboard.

Run once (``.venv/bin/python tools/build_keyboards.py``) on a Debian/Ubuntu machine with ``xkb-data``,
``libxkbcommon0`` and ICU installed, and commit the output; ``--check`` rebuilds in memory and fails
if the committed files differ (same package versions required).

Why libxkbcommon instead of a hand-written parser of the xkb symbols files: the layouts use includes
with merge modes (override / augment), ``replace key``, key types and per-group levels; libxkbcommon is
the reference compiler of exactly these files (it is what Wayland/X clients use), so the symbols we
record are the ones a user of that layout really types. We load it through ctypes; no build step.

What a "neighbour" is: two (key, level) positions are neighbours when the keys touch on the physical
keyboard (same row, adjacent; or the two overlapping keys on the staggered row above/below) and the
level is the same (level 1 = plain, 2 = Shift, 3 = AltGr, 4 = Shift+AltGr). So lower case maps to lower
case, upper to upper, and the relation is symmetric by construction. Levels 1-2 keep every printable
character. Levels 3-4 keep only characters of the language's own alphabet or punctuation (ICU/CLDR
exemplar sets, plus ASCII digits): that keeps Polish ą ę ś ż (AltGr letters) and Bangla independent
vowels, and drops the symbol soup most layouts put on AltGr (ŧ ø þ ĸ on de).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import hashlib
import json
import subprocess
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "robustx" / "data" / "keyboards"
XKB_COPYRIGHT = Path("/usr/share/doc/xkb-data/copyright")
RULES, MODEL = "evdev", "pc105"
MAX_LEVELS = 4
ASCII_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class Choice:
    """The xkb layout chosen for a language, the ICU locale of its alphabet, and why."""

    layout: str
    variant: str
    locale: str
    why: str
    hiragana: bool = False  # jp(kana) types katakana; in hiragana mode the same keys type hiragana
    iso: bool = False  # national ISO board whose xkb layout keeps the generic < > | on <LSGT>


LAYOUTS: dict[str, Choice] = {
    "af": Choice("za", "", "af", "English (South Africa): US + AltGr ê ë ô û, the South African layout"),
    "ar": Choice("ara", "", "ar", "Arabic (xkb default; the common PC layout)"),
    "bg": Choice("bg", "", "bg", "Bulgarian BDS 5237:2006, the state standard"),
    "bn": Choice("bd", "", "bn", "Bangla National (BSTI) standard of Bangladesh"),
    "de": Choice("de", "", "de", "German QWERTZ (DIN 2137)"),
    "el": Choice("gr", "", "el", "Greek"),
    "en": Choice("us", "", "en", "US QWERTY"),
    "es": Choice("es", "", "es", "Spanish (Spain); latam moves only punctuation and dead keys", iso=True),
    "et": Choice("ee", "", "et", "Estonian (xkb 'et' is Ethiopian)", iso=True),
    "eu": Choice("es", "", "eu", "Basque is typed on the Spanish layout", iso=True),
    "fa": Choice("ir", "", "fa", "Persian (ISIRI 9147)"),
    "fi": Choice("fi", "", "fi", "Finnish (SFS 5966 kotoistus)", iso=True),
    "fr": Choice("fr", "", "fr", "French AZERTY", iso=True),
    "he": Choice("il", "", "he", "Hebrew (SI 1452)"),
    "hi": Choice("in", "deva", "hi", "Hindi InScript (Devanagari), the Government of India standard"),
    "hu": Choice("hu", "", "hu", "Hungarian QWERTZ"),
    "id": Choice("us", "", "id", "Indonesian is typed on US QWERTY (xkb 'id' is Arab Melayu)"),
    "it": Choice("it", "", "it", "Italian"),
    "ja": Choice("jp", "kana", "ja", "JIS kana layout; most users type romaji into an IME", True),
    "jv": Choice("us", "", "jv", "XTREME Javanese is Latin script, typed on US QWERTY"),
    "ka": Choice("ge", "", "ka", "Georgian"),
    "kk": Choice("kz", "", "kk", "Kazakh (Cyrillic)"),
    "ml": Choice("in", "mal", "ml", "Malayalam InScript"),
    "mr": Choice("in", "marathi", "mr", "Marathi enhanced InScript"),
    "ms": Choice("us", "", "ms", "Malay is typed on US QWERTY (xkb 'my' is Jawi)"),
    "my": Choice("mm", "", "my", "Burmese (Unicode; mm(zawgyi) types the non-Unicode Zawgyi encoding)"),
    "nl": Choice("us", "", "nl", "the Netherlands use US QWERTY in practice; xkb 'nl' is rarely sold"),
    "pl": Choice("pl", "", "pl", "Polish programmer's QWERTY; ą ę ś ż … on AltGr (not an XTREME language)"),
    "pt": Choice("pt", "", "pt", "Portuguese (Portugal); br(abnt2) places letters the same"),
    "ru": Choice("ru", "", "ru", "Russian JCUKEN"),
    "sw": Choice("ke", "swa", "sw", "Swahili (Kenya), Latin; xkb tz(swa) is Arabic script"),
    "ta": Choice("in", "tam_tamilnet", "ta", "Tamil99 (TamilNet '99), the Tamil Nadu government standard"),
    "te": Choice("in", "tel", "te", "Telugu InScript"),
    "th": Choice("th", "", "th", "Thai Kedmanee"),
    "tl": Choice("ph", "", "fil", "Filipino QWERTY (US + ñ on AltGr)"),
    "tr": Choice("tr", "", "tr", "Turkish Q", iso=True),
    "ur": Choice("pk", "", "ur", "Urdu (Pakistan), phonetic: xkb's default for Pakistan"),
    "vi": Choice("vn", "", "vi", "Vietnamese"),
    "yo": Choice("ng", "yoruba", "yo", "Yoruba (Nigeria): ẹ ọ ṣ on the Q X V keys"),
}

NO_LAYOUT: dict[str, str] = {
    "ko": "ko types through a Hangul input method that composes syllables from jamo "
    "(xkb 'kr' is US QWERTY plus Hangul/Hanja keys), so no key types a Korean syllable",
    "zh": "zh types through an input method (pinyin, zhuyin, wubi); xkb 'cn' is US QWERTY",
}

# Physical key positions: row (0 = digits) and x of the key's left edge in key widths.
_ROW_E = {"TLDE": 0.0, **{f"AE{i:02d}": float(i) for i in range(1, 13)}}
_ROW_D = {f"AD{i:02d}": 0.5 + i for i in range(1, 13)}
_ROW_C = {f"AC{i:02d}": 0.75 + i for i in range(1, 12)}
_ROW_B = {f"AB{i:02d}": 1.25 + i for i in range(1, 11)}


def _grid(*rows: Mapping[str, float]) -> dict[str, tuple[int, float]]:
    return {key: (row, x) for row, keys in enumerate(rows) for key, x in keys.items()}


GEOMETRIES: dict[str, dict[str, tuple[int, float]]] = {
    # ISO (105 keys): <BKSL> sits left of Enter on the home row, <LSGT> left of Z.
    "iso": _grid(_ROW_E, _ROW_D, {**_ROW_C, "BKSL": 12.75}, {"LSGT": 1.25, **_ROW_B}),
    # ANSI (104 keys): <BKSL> ends the top letter row, there is no <LSGT>.
    "ansi": _grid(_ROW_E, {**_ROW_D, "BKSL": 13.5}, _ROW_C, _ROW_B),
    # JIS (109 keys): extra yen key <AE13> and ro key <AB11>; <BKSL> on the home row; no <LSGT>.
    "jis": _grid({**_ROW_E, "AE13": 13.0}, _ROW_D, {**_ROW_C, "BKSL": 12.75}, {**_ROW_B, "AB11": 12.25}),
}
ALL_KEYS = tuple(dict.fromkeys(k for g in GEOMETRIES.values() for k in g))


class _RuleNames(ctypes.Structure):
    _fields_ = [(n, ctypes.c_char_p) for n in ("rules", "model", "layout", "variant", "options")]


class Xkb:
    """The few libxkbcommon calls we need: compile a keymap by RMLVO names, read a key's levels."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(ctypes.util.find_library("xkbcommon") or "libxkbcommon.so.0")
        p, u32 = ctypes.c_void_p, ctypes.c_uint32
        lib.xkb_context_new.restype, lib.xkb_context_new.argtypes = p, [ctypes.c_int]
        lib.xkb_keymap_new_from_names.restype = p
        lib.xkb_keymap_new_from_names.argtypes = [p, ctypes.POINTER(_RuleNames), ctypes.c_int]
        lib.xkb_keymap_unref.argtypes = [p]
        lib.xkb_keymap_key_by_name.restype, lib.xkb_keymap_key_by_name.argtypes = u32, [p, ctypes.c_char_p]
        lib.xkb_keymap_num_levels_for_key.restype = u32
        lib.xkb_keymap_num_levels_for_key.argtypes = [p, u32, u32]
        lib.xkb_keymap_key_get_syms_by_level.restype = ctypes.c_int
        lib.xkb_keymap_key_get_syms_by_level.argtypes = [
            p,
            u32,
            u32,
            u32,
            ctypes.POINTER(ctypes.POINTER(u32)),
        ]
        lib.xkb_keysym_to_utf32.restype, lib.xkb_keysym_to_utf32.argtypes = u32, [u32]
        self._lib = lib
        self._ctx = lib.xkb_context_new(0)

    def levels(self, layout: str, variant: str) -> dict[str, list[str | None]]:
        """Key name -> the character each of levels 1..4 types (None: dead key, nothing, or a keysym
        with no character)."""
        lib = self._lib
        names = _RuleNames(RULES.encode(), MODEL.encode(), layout.encode(), variant.encode(), None)
        keymap = lib.xkb_keymap_new_from_names(self._ctx, ctypes.byref(names), 0)
        if not keymap:
            raise SystemExit(f"libxkbcommon cannot compile layout {layout}({variant})")
        try:
            out: dict[str, list[str | None]] = {}
            for name in ALL_KEYS:
                code = lib.xkb_keymap_key_by_name(keymap, name.encode())
                n = min(MAX_LEVELS, lib.xkb_keymap_num_levels_for_key(keymap, code, 0)) if code else 0
                chars = [self._char(keymap, code, level) for level in range(n)]
                chars += [None] * (MAX_LEVELS - len(chars))
                if any(chars):
                    out[name] = chars
            return out
        finally:
            lib.xkb_keymap_unref(keymap)

    def _char(self, keymap: int, code: int, level: int) -> str | None:
        syms = ctypes.POINTER(ctypes.c_uint32)()
        count = self._lib.xkb_keymap_key_get_syms_by_level(keymap, code, 0, level, ctypes.byref(syms))
        if count != 1:  # 0: empty; >1: a key that types several keysyms at once (none on our layouts)
            return None
        return normalise(chr(self._lib.xkb_keysym_to_utf32(syms[0])))


def normalise(ch: str) -> str | None:
    """The character as it appears in normalised text, or None if text cannot contain it: controls,
    spaces, unassigned, canonical singletons that NFC rewrites to a sequence (U+0958 क़), and Arabic
    presentation forms (a lam-alef key types the ligature glyph, text holds two letters)."""
    if ch == "\0" or unicodedata.category(ch)[0] in "CZ":
        return None
    nfc = unicodedata.normalize("NFC", ch)
    if len(nfc) != 1 or unicodedata.decomposition(nfc).startswith(("<isolated>", "<final>", "<initial>")):
        return None
    return nfc


class Icu:
    """ICU's CLDR exemplar sets (main alphabet + punctuation) through ctypes."""

    def __init__(self) -> None:
        uc_name = ctypes.util.find_library("icuuc") or "libicuuc.so"
        self.major = uc_name.rsplit(".so.", 1)[-1].split(".")[0]
        self._uc = ctypes.CDLL(uc_name)
        self._i18n = ctypes.CDLL(ctypes.util.find_library("icui18n") or "libicui18n.so")
        p, i32, err = ctypes.c_void_p, ctypes.c_int32, ctypes.POINTER(ctypes.c_int)
        self._open = self._fn(self._i18n, "ulocdata_open", p, [ctypes.c_char_p, err])
        self._close = self._fn(self._i18n, "ulocdata_close", None, [p])
        self._exemplars = self._fn(
            self._i18n, "ulocdata_getExemplarSet", p, [p, p, ctypes.c_uint32, i32, err]
        )
        self._count = self._fn(self._uc, "uset_getItemCount", i32, [p])
        i32p = ctypes.POINTER(i32)
        self._item = self._fn(self._uc, "uset_getItem", i32, [p, i32, i32p, i32p, p, i32, err])
        self._set_close = self._fn(self._uc, "uset_close", None, [p])

    def _fn(self, lib: ctypes.CDLL, name: str, restype: Any, argtypes: list[Any]) -> Any:
        fn = getattr(lib, f"{name}_{self.major}")
        fn.restype, fn.argtypes = restype, argtypes
        return fn

    def alphabet(self, locale: str) -> frozenset[str]:
        """Main + punctuation exemplar characters of ``locale``, both cases (USET_ADD_CASE_MAPPINGS)."""
        err = ctypes.c_int(0)
        data = self._open(locale.encode(), ctypes.byref(err))
        chars: set[str] = set()
        try:
            for kind in (0, 3):  # ULOCDATA_ES_STANDARD, ULOCDATA_ES_PUNCTUATION
                err = ctypes.c_int(0)
                uset = self._exemplars(data, None, 4, kind, ctypes.byref(err))
                if err.value > 0:
                    raise SystemExit(
                        f"ICU has no exemplar set {kind} for locale {locale!r} (error {err.value})"
                    )
                chars |= self._code_points(uset)
                self._set_close(uset)
        finally:
            self._close(data)
        return frozenset(chars)

    def _code_points(self, uset: int) -> set[str]:
        out: set[str] = set()
        for i in range(self._count(uset)):
            start, end, err = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int(0)
            buf = ctypes.create_string_buffer(256)
            if self._item(uset, i, ctypes.byref(start), ctypes.byref(end), buf, 64, ctypes.byref(err)) == 0:
                out.update(chr(c) for c in range(start.value, end.value + 1))
        return out


def choose_geometry(
    levels: Mapping[str, Sequence[str | None]], generic_lsgt: Sequence[str | None], iso: bool
) -> str:
    """JIS if the layout uses the JIS-only keys; ISO if the choice says so or the layout gives <LSGT>
    symbols of its own (it was designed for the 105-key board); else ANSI, with no <LSGT> (the pc105
    model otherwise adds a generic ``< > | ¦`` key to every layout, e.g. to InScript and Thai)."""
    if "AE13" in levels or "AB11" in levels:
        return "jis"
    return "iso" if iso or levels.get("LSGT", generic_lsgt) != generic_lsgt else "ansi"


def adjacent(a: tuple[int, float], b: tuple[int, float]) -> bool:
    """Same row and next to each other, or on neighbouring rows and overlapping horizontally."""
    (row_a, x_a), (row_b, x_b) = a, b
    if row_a == row_b:
        return abs(x_a - x_b) == 1.0
    return abs(row_a - row_b) == 1 and abs(x_a - x_b) < 1.0


def hiragana(ch: str) -> str:
    """Katakana letter -> the hiragana letter on the same key in hiragana mode; others unchanged."""
    return chr(ord(ch) - 0x60) if "\u30a1" <= ch <= "\u30f6" else ch


def positions(
    levels: Mapping[str, Sequence[str | None]], alphabet: frozenset[str], with_hiragana: bool
) -> dict[tuple[str, int], str]:
    """(key, level) -> character, after the level 3-4 filter: the language's alphabet only (see the
    module docstring), and not a character some key types without AltGr (Finnish AltGr+Q types q;
    nobody types q that way, so it must not make q a neighbour of AltGr+2's @)."""
    plain = {ch for chars in levels.values() for ch in chars[:2] if ch}
    out: dict[tuple[str, int], str] = {}
    for key, chars in levels.items():
        for level, ch in enumerate(chars):
            if ch is None or (
                level >= 2 and (ch in plain or (ch not in alphabet and ch not in ASCII_DIGITS))
            ):
                continue
            out[(key, level)] = ch
            if with_hiragana and level < 2:
                out[(key, level + MAX_LEVELS)] = hiragana(ch)  # a virtual "hiragana mode" level
    return out


def neighbours(
    pos: Mapping[tuple[str, int], str], geometry: Mapping[str, tuple[int, float]]
) -> dict[str, list[str]]:
    """Character -> sorted characters typed at the same level on an adjacent key."""
    rel: dict[str, set[str]] = {}
    for (key, level), ch in pos.items():
        for (other, other_level), other_ch in pos.items():
            if level == other_level and other_ch != ch and adjacent(geometry[key], geometry[other]):
                rel.setdefault(ch, set()).add(other_ch)
    return {ch: sorted(near) for ch, near in sorted(rel.items())}


def build_language(lang: str, choice: Choice, xkb: Xkb, icu: Icu, xkb_version: str) -> dict[str, Any]:
    levels = xkb.levels(choice.layout, choice.variant)
    kind = choose_geometry(levels, xkb.levels("us", "")["LSGT"], choice.iso)
    geometry = GEOMETRIES[kind]
    levels = {k: v for k, v in levels.items() if k in geometry}
    pos = positions(levels, icu.alphabet(choice.locale), choice.hiragana)
    keys = [
        {"key": k, "row": geometry[k][0], "x": geometry[k][1], "levels": levels[k]}
        for k in sorted(levels, key=lambda k: geometry[k])
    ]
    return {
        "lang": lang,
        "xkb_layout": choice.layout,
        "xkb_variant": choice.variant,
        "xkb_data_version": xkb_version,
        "xkb_rules": RULES,
        "xkb_model": MODEL,
        "geometry": kind,
        "why": choice.why,
        "neighbours": neighbours(pos, geometry),
        "keys": keys,
    }


def package_version(name: str) -> str:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    if result.returncode != 0 or not result.stdout:
        raise SystemExit(f"Debian package {name} is not installed; install it (apt-get install {name})")
    return result.stdout


def dump(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def build_all(langs: Iterable[str]) -> dict[str, bytes]:
    """File name -> content for every language file, the manifest and the licence copy."""
    xkb, icu = Xkb(), Icu()
    versions = {
        "xkb-data": package_version("xkb-data"),
        "libxkbcommon0": package_version("libxkbcommon0"),
        f"libicu{icu.major}": package_version(f"libicu{icu.major}"),
    }
    built = {lang: build_language(lang, LAYOUTS[lang], xkb, icu, versions["xkb-data"]) for lang in langs}
    files = {f"{lang}.json": dump(data) for lang, data in built.items()}
    manifest = {
        "generator": "tools/build_keyboards.py",
        "source": {
            "packages": versions,
            "xkb_rules": RULES,
            "xkb_model": MODEL,
            "licence": "LICENSE.xkb-data",
        },
        "files": {
            f"{lang}.json": {
                "sha256": hashlib.sha256(files[f"{lang}.json"]).hexdigest(),
                "lang": lang,
                "layout": LAYOUTS[lang].layout,
                "variant": LAYOUTS[lang].variant,
            }
            for lang in sorted(built)
        },
        "no_layout": NO_LAYOUT,
    }
    files["MANIFEST.json"] = dump(manifest)
    files["README.md"] = readme(built, versions).encode("utf-8")
    files["LICENSE.xkb-data"] = XKB_COPYRIGHT.read_bytes()
    return files


README_HEAD = """# Keyboard layouts (generated by tools/build_keyboards.py; do not edit)

One JSON file per language: `neighbours` maps a character to the characters typed by the keys that
touch its key at the same shift level; `keys` lists each key's position and its level 1-4 characters.
Source: Debian xkb-data {xkb} compiled by libxkbcommon {xkbcommon} (rules `evdev`, model `pc105`);
levels 3-4 (AltGr) are kept only for characters of the language's CLDR exemplar sets (ICU {icu}) and
only when no key types them without AltGr. Licence of the layout data: LICENSE.xkb-data (MIT/X11
style). Integrity: MANIFEST.json holds the sha256 of every file; robustx checks it on load.

Geometry: `iso` (105 keys: <LSGT> left of Z, <BKSL> left of Enter), `ansi` (104 keys: no <LSGT>,
<BKSL> ends the top letter row), `jis` (109 keys: extra yen and ro keys). Neighbours: same row ±1, and
the two overlapping keys on the staggered row above and below.

| lang | xkb layout | geometry | chars | why this layout |
|---|---|---|---|---|
"""


def readme(built: Mapping[str, Mapping[str, Any]], versions: Mapping[str, str]) -> str:
    """README.md of the output folder: method, sources, and the layout chosen for each language."""
    icu = next(v for k, v in versions.items() if k.startswith("libicu"))
    text = README_HEAD.format(xkb=versions["xkb-data"], xkbcommon=versions["libxkbcommon0"], icu=icu)
    for lang, data in sorted(built.items()):
        variant = f"({data['xkb_variant']})" if data["xkb_variant"] else ""
        layout = f"`{data['xkb_layout']}{variant}`"
        text += f"| {lang} | {layout} | {data['geometry']} | {len(data['neighbours'])} | {data['why']} |\n"
    text += "\nNo layout bundled (robustx raises ResourceMissingError with this reason):\n\n"
    text += "".join(f"- **{lang}**: {why}\n" for lang, why in sorted(NO_LAYOUT.items()))
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--check", action="store_true", help="compare with the files in --out, write nothing")
    args = parser.parse_args(argv)
    files = build_all(sorted(LAYOUTS))
    if args.check:
        stale = [
            n
            for n, data in files.items()
            if not (args.out / n).is_file() or (args.out / n).read_bytes() != data
        ]
        print("up to date" if not stale else f"differ: {', '.join(stale)}")
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    print(f"wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
