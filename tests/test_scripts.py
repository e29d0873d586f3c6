"""Languages and scripts: the XTREME language list, script_of, is_spaceless, char_script, clear errors."""

from __future__ import annotations

import collections
import gzip
import json
import os
import unicodedata
from pathlib import Path

import pytest

from robustx.errors import SpecError
from robustx.text import (
    LANGUAGE_NAMES,
    XTREME_LANGUAGES,
    UnknownLanguageError,
    canonical_lang,
    char_script,
    is_spaceless,
    script_of,
)

REPO = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    env = os.environ.get("ROBUSTX_DATA")
    return Path(env).parent if env else REPO.parent / "shared"


def _real_tokens(lang: str, n: int = 400) -> list[str]:
    """First column of PAN-X dev (one token a line), or of XNLI test where PAN-X is absent (th)."""
    xtreme = _shared() / "data" / "xtreme"
    for base in (xtreme / "panx" / f"dev-{lang}.tsv", xtreme / "xnli" / f"test-{lang}.tsv"):
        gz = base.with_suffix(".tsv.gz")
        if base.exists() or gz.exists():
            with (
                base.open(encoding="utf-8") if base.exists() else gzip.open(gz, "rt", encoding="utf-8") as fh
            ):
                rows = (line.split("\t")[0] for line in fh if line.strip())
                return [tok for _, tok in zip(range(n), rows, strict=False)]
    pytest.skip(f"no PAN-X or XNLI data for {lang} under {xtreme}")


def test_xtreme_languages_are_the_pan_x_configs() -> None:
    configs = _shared() / "reference" / "xtreme_hf_configs.json"
    if not configs.exists():
        pytest.skip("xtreme_hf_configs.json not available")
    names = json.loads(configs.read_text(encoding="utf-8"))
    panx = sorted(key.split(".", 1)[1] for key in names if key.startswith("PAN-X."))
    assert list(XTREME_LANGUAGES) == panx
    assert len(XTREME_LANGUAGES) == 40


def test_every_language_has_a_name_and_a_script() -> None:
    assert set(LANGUAGE_NAMES) == set(XTREME_LANGUAGES)
    assert LANGUAGE_NAMES["de"] == "German"
    assert LANGUAGE_NAMES["my"] == "Burmese"
    for lang in XTREME_LANGUAGES:
        assert script_of(lang)


@pytest.mark.parametrize("lang", XTREME_LANGUAGES)
def test_script_of_matches_the_letters_of_real_pan_x_text(lang: str) -> None:
    """The declared script is the commonest script among the letters of the language's PAN-X tokens."""
    counts = collections.Counter(
        char_script(ch) for tok in _real_tokens(lang) for ch in tok if unicodedata.category(ch)[0] == "L"
    )
    top = counts.most_common(1)[0][0]
    expected = script_of(lang)
    if expected == "Japanese":
        assert top in {"Han", "Hiragana", "Katakana"}
    else:
        assert top == expected, counts.most_common(3)


def test_spaceless_languages() -> None:
    assert [lang for lang in XTREME_LANGUAGES if is_spaceless(lang)] == ["ja", "my", "th", "zh"]


@pytest.mark.parametrize(("given", "code"), [("de", "de"), ("DE", "de"), ("de-AT", "de"), ("zh_Hans", "zh")])
def test_canonical_lang_accepts_case_and_region(given: str, code: str) -> None:
    assert canonical_lang(given) == code
    assert script_of(given) == script_of(code)


def test_unknown_language_names_it_and_suggests() -> None:
    with pytest.raises(ValueError, match=r"'dee'.*did you mean 'de' \(German\)"):
        script_of("dee")
    with pytest.raises(ValueError, match=r"'German'.*ISO 639-1 code 'de'"):
        is_spaceless("German")
    with pytest.raises(UnknownLanguageError, match=r"'xx'.*known: af ar"):
        script_of("xx")


def test_unknown_language_is_a_cli_error() -> None:
    with pytest.raises(SpecError):
        canonical_lang("klingon")


@pytest.mark.parametrize(
    ("ch", "script"),
    [
        ("a", "Latin"),
        ("я", "Cyrillic"),
        ("λ", "Greek"),
        ("ب", "Arabic"),
        ("ש", "Hebrew"),
        ("क", "Devanagari"),
        ("ক", "Bengali"),
        ("த", "Tamil"),
        ("త", "Telugu"),
        ("മ", "Malayalam"),
        ("ก", "Thai"),
        ("ა", "Georgian"),
        ("က", "Myanmar"),
        ("漢", "Han"),
        ("あ", "Hiragana"),
        ("ア", "Katakana"),
        ("한", "Hangul"),
        ("\u0301", "Inherited"),
        ("\u200d", "Inherited"),
        ("。", "Common"),
        ("1", "Common"),
        (" ", "Common"),
        ("\ue000", "Unknown"),
    ],
)
def test_char_script(ch: str, script: str) -> None:
    assert char_script(ch) == script


@pytest.mark.parametrize(
    ("first", "last", "prefix", "script"),
    [
        (0x0900, 0x097F, "DEVANAGARI", "Devanagari"),
        (0x0B80, 0x0BFF, "TAMIL", "Tamil"),
        (0x0E00, 0x0E7F, "THAI", "Thai"),
        (0x10A0, 0x10FF, "GEORGIAN", "Georgian"),
        (0x0400, 0x04FF, "CYRILLIC", "Cyrillic"),
    ],
)
def test_char_script_agrees_with_unicode_names(first: int, last: int, prefix: str, script: str) -> None:
    letters = [
        chr(cp) for cp in range(first, last + 1) if unicodedata.category(chr(cp)) in ("Lo", "Lu", "Ll")
    ]
    assert letters
    assert {ch for ch in letters if unicodedata.name(ch).startswith(prefix)} == {
        ch for ch in letters if char_script(ch) == script
    }


@pytest.mark.parametrize("bad", ["", "ab", "e\u0301"])
def test_char_script_wants_one_code_point(bad: str) -> None:
    with pytest.raises(ValueError, match="one code point"):
        char_script(bad)
