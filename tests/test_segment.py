"""Tokenization: exact cover, grapheme clusters kept whole, script-aware words, spaceless segmentation."""

from __future__ import annotations

import gzip
import os
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from robustx.text import XTREME_LANGUAGES, Token, graphemes, segment, segmenter_name, tokenize, words, wordseg

REPO = Path(__file__).resolve().parents[1]


def _data_dir() -> Path:
    return Path(os.environ.get("ROBUSTX_DATA", REPO.parent / "shared" / "data"))


def _xnli_premises(lang: str, n: int = 300) -> list[str]:
    base = _data_dir() / "xtreme" / "xnli" / f"test-{lang}.tsv"
    if base.exists():
        handle = base.open(encoding="utf-8")
    elif base.with_suffix(".tsv.gz").exists():
        handle = gzip.open(base.with_suffix(".tsv.gz"), "rt", encoding="utf-8")
    else:
        pytest.skip(f"XNLI test data for {lang} not found under {base.parent}")
    with handle:
        premises = dict.fromkeys(line.split("\t")[0] for line in handle)
    return list(premises)[:n]


def _grapheme_bounds(text: str) -> set[int]:
    bounds, pos = {0}, 0
    for cluster in graphemes(text):
        pos += len(cluster)
        bounds.add(pos)
    return bounds


def _is_mark(ch: str) -> bool:
    return regex.match(r"\p{M}", ch) is not None


def assert_exact_cover(text: str, toks: list[Token]) -> None:
    """The invariants every caller relies on."""
    assert "".join(t.text for t in toks) == text
    pos = 0
    for tok in toks:
        assert tok.start == pos and tok.end > tok.start, toks
        assert text[tok.start : tok.end] == tok.text
        pos = tok.end
    assert pos == len(text)
    bounds = _grapheme_bounds(text)
    assert all(t.start in bounds and t.end in bounds for t in toks), "a token boundary splits a cluster"
    for prev, nxt in zip(toks, toks[1:], strict=False):
        assert prev.is_word or nxt.is_word, "non-word runs are maximal"
    for tok in toks[1:]:
        assert not _is_mark(tok.text[0]), f"token starts with a combining mark: {tok}"
    for tok in toks:
        if tok.is_word:
            assert regex.match(r"[\p{L}\p{N}]", tok.text), tok


def texts(toks: list[Token]) -> list[str]:
    return [t.text for t in toks if t.is_word]


# --- golden cases, one or more per script ----------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "Don't stop.", ["Don't", "stop"]),
        ("en", "'Quoted' words, state-of-the-art; 3.14 and 1,000 (end).", None),
        ("fr", "l'homme aujourd’hui", ["l'homme", "aujourd’hui"]),
        ("de", "Straße, Öl-Preis.", ["Straße", "Öl-Preis"]),
        ("hi", "हिन्दी भाषा", ["हिन्दी", "भाषा"]),
        ("mr", "महाराष्ट्र राज्य", ["महाराष्ट्र", "राज्य"]),
        ("ta", "தமிழ் மொழி", ["தமிழ்", "மொழி"]),
        ("te", "తెలుగు భాష", ["తెలుగు", "భాష"]),
        ("bn", "বাংলা ভাষা ক্ষেত্র", ["বাংলা", "ভাষা", "ক্ষেত্র"]),
        ("ml", "മലയാളം ഭാഷ", ["മലയാളം", "ഭാഷ"]),
        ("ar", "اَلْعَرَبِيَّةُ لُغَةٌ.", ["اَلْعَرَبِيَّةُ", "لُغَةٌ"]),
        ("fa", "من می‌خواهم بروم", ["من", "می\u200cخواهم", "بروم"]),
        ("he", "עִבְרִית צה״ל", ["עִבְרִית", "צה״ל"]),
        ("ka", "ქართული ენა", ["ქართული", "ენა"]),
        ("ko", "한국어 문장입니다.", ["한국어", "문장입니다"]),
        ("ru", "Привет, мир!", ["Привет", "мир"]),
        ("el", "Καλημέρα κόσμε", ["Καλημέρα", "κόσμε"]),
        ("vi", "Tiếng Việt", ["Tiếng", "Việt"]),
        ("yo", "Yorùbá ni", ["Yorùbá", "ni"]),
    ],
)
def test_golden_words(lang: str, text: str, expected: list[str] | None) -> None:
    toks = tokenize(text, lang)
    assert_exact_cover(text, toks)
    if expected is not None:
        assert texts(toks) == expected
    assert texts(toks) == [w.text for w in words(text, lang)]


def test_apostrophes_hyphens_and_numbers() -> None:
    toks = tokenize("'Quoted' words, state-of-the-art; 3.14 and 1,000 (end).", "en")
    assert texts(toks) == ["Quoted", "words", "state-of-the-art", "3.14", "and", "1,000", "end"]
    assert [t.text for t in toks if not t.is_word] == ["'", "' ", ", ", "; ", " ", " ", " (", ")."]
    # a trailing or doubled joiner is punctuation, not part of the word
    assert texts(tokenize("rock-- and roll' x", "en")) == ["rock", "and", "roll", "x"]


def test_dont_stop_is_byte_identical_and_offsets_point_into_the_text() -> None:
    text = "Don't stop."
    toks = tokenize(text, "en")
    assert [(t.start, t.end, t.text, t.is_word) for t in toks] == [
        (0, 5, "Don't", True),
        (5, 6, " ", False),
        (6, 10, "stop", True),
        (10, 11, ".", False),
    ]
    assert "".join(t.text for t in toks).encode() == text.encode()


def test_indic_words_keep_their_marks() -> None:
    """Python's \\w misses Mc vowel signs and splits these words; robustx must not."""
    for lang, text in [("hi", "किताबें"), ("ta", "கொண்டு"), ("te", "వ్యక్తి"), ("bn", "কর্মী"), ("ml", "കേരളം")]:
        assert re.findall(r"\w+", text) != [text]  # the peers' bug this guards against
        assert texts(tokenize(text, lang)) == [text]


def test_graphemes_keep_emoji_flags_and_jamo_whole() -> None:
    family = "👨\u200d👩\u200d👧"
    assert graphemes(family) == [family]
    assert graphemes("🇩🇪🇫🇷") == ["🇩🇪", "🇫🇷"]
    assert graphemes("👍🏽") == ["👍🏽"]
    jamo = "\u1112\u1161\u11ab"  # 한 as conjoining jamo
    assert graphemes(jamo + "글") == [jamo, "글"]
    assert texts(tokenize(f"{jamo}글 말", "ko")) == [f"{jamo}글", "말"]
    text = f"Hi {family}🇩🇪 there👍🏽!"
    toks = tokenize(text, "en")
    assert_exact_cover(text, toks)
    assert texts(toks) == ["Hi", "there"]


def test_orphan_mark_stays_with_what_precedes_it() -> None:
    for text in ["\u0301abc", "a\n\u0301b", "x \u093fक"]:
        assert_exact_cover(text, tokenize(text, "hi"))
    assert tokenize("\u0301abc", "en")[0].text == "\u0301"


@pytest.mark.parametrize("text", ["رقم \u0600١٢ و\u06ddكذا", "x \u094dक", "\u1039မာ", "a ำ्क"])
def test_prepend_and_orphan_virama_keep_clusters_whole(text: str) -> None:
    assert_exact_cover(text, tokenize(text, "ar"))


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="did you mean"):
        tokenize("hello", "eng")


# --- spaceless scripts ---------------------------------------------------------------------------------


def test_thai_is_segmented_into_words() -> None:
    text = "และฉันนึกว่านั้นเป็นสิทธิพิเศษ ฉันเป็นเก้า"
    toks = tokenize(text, "th")
    assert_exact_cover(text, toks)
    found = texts(toks)
    assert len(found) >= 6
    if segmenter_name("th") != wordseg.FALLBACK:
        assert "สิทธิพิเศษ" in found and "ฉัน" in found


def test_chinese_is_segmented_into_multi_character_words() -> None:
    text = "我现在仍然这样想，我是唯一的922 Ex-O。"
    toks = tokenize(text, "zh")
    assert_exact_cover(text, toks)
    found = texts(toks)
    assert "922" in found and "Ex-O" in found
    if segmenter_name("zh") == wordseg.FALLBACK:
        pytest.skip("no Chinese segmenter installed")
    assert {"现在", "仍然", "这样", "唯一"} <= set(found)


def test_japanese_is_segmented_into_multi_character_words() -> None:
    text = "私は昨日、東京の大学で勉強しました。"
    toks = tokenize(text, "ja")
    assert_exact_cover(text, toks)
    if segmenter_name("ja") == wordseg.FALLBACK:
        pytest.skip("no Japanese segmenter installed")
    assert {"昨日", "東京", "大学", "勉強"} <= set(texts(toks))


def test_burmese_syllables_never_start_with_a_vowel_sign() -> None:
    text = "မြန်မာဘာသာစကား ကင်္ဘာ ၁၂၃"
    toks = tokenize(text, "my")
    assert_exact_cover(text, toks)
    assert texts(toks) == ["မြန်", "မာ", "ဘာ", "သာ", "စ", "ကား", "ကင်္ဘာ", "၁၂၃"]


def test_code_switched_text_is_segmented_whatever_the_language() -> None:
    toks = tokenize("I like 寿司 and และมันยังคงเป็น", "en")
    han = ["寿", "司"] if segmenter_name("zh") == wordseg.FALLBACK else ["寿司"]
    assert texts(toks)[: 2 + len(han)] == ["I", "like", *han]
    if segmenter_name("th") != wordseg.FALLBACK:
        assert texts(toks)[-4:] == ["และ", "มัน", "ยังคง", "เป็น"]


@pytest.fixture
def fresh_segmenters() -> Iterator[None]:
    wordseg._segment_cached.cache_clear()
    wordseg._backend.cache_clear()
    yield
    wordseg._segment_cached.cache_clear()
    wordseg._backend.cache_clear()


def _patch_backend(monkeypatch: pytest.MonkeyPatch, cut: object) -> None:
    backend = None if cut is None else wordseg._Backend("test", cut)  # type: ignore[arg-type]
    monkeypatch.setattr(wordseg, "_backend", lambda code: backend)


@pytest.mark.usefixtures("fresh_segmenters")
def test_missing_segmenter_falls_back_to_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_backend(monkeypatch, None)
    text = "中文字, ไทยดี"
    toks = tokenize(text, "zh")
    assert_exact_cover(text, toks)
    assert texts(toks) == ["中", "文", "字", "ไ", "ท", "ย", "ดี"]


@pytest.mark.usefixtures("fresh_segmenters")
def test_segmenter_output_is_realigned_onto_the_original(monkeypatch: pytest.MonkeyPatch) -> None:
    # the first piece aligns, the second is normalised (NFKC) and does not: the rest falls back
    _patch_backend(monkeypatch, lambda text: [text[:2], unicodedata.normalize("NFKC", text[2:]) + "x"])
    text = "中文\uf900字"  # U+F900 is a compatibility ideograph: NFKC maps it to U+8C48
    assert texts(tokenize(text, "zh")) == ["中文", "\uf900", "字"]


@pytest.mark.usefixtures("fresh_segmenters")
def test_a_crashing_segmenter_does_not_crash_tokenize(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(text: str) -> list[str]:
        raise RuntimeError("segmenter bug")

    _patch_backend(monkeypatch, boom)
    assert texts(tokenize("中文", "zh")) == ["中", "文"]


@pytest.mark.usefixtures("fresh_segmenters")
def test_segmenter_cuts_inside_a_cluster_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_backend(monkeypatch, lambda text: list(text))  # one code point each: splits Thai vowel signs
    text = "กี่ที่"
    toks = tokenize(text, "th")
    assert_exact_cover(text, toks)
    assert texts(toks) == ["กี่", "ที่"]


# --- real data -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["hi", "th", "zh", "ar"])
def test_real_xnli_words_never_start_with_a_mark(lang: str) -> None:
    premises = _xnli_premises(lang)
    lengths = []
    for text in premises:
        toks = tokenize(text, lang)
        assert_exact_cover(text, toks)
        for tok in toks:
            assert unicodedata.category(tok.text[0]) not in ("Mn", "Mc"), (text, tok)
            if tok.is_word:
                lengths.append(len(graphemes(tok.text)))
    if lang in ("th", "zh") and segmenter_name(lang) != wordseg.FALLBACK:
        assert sum(lengths) / len(lengths) > 1.4, "segmenter output looks character-level"


# --- properties over arbitrary Unicode -----------------------------------------------------------------

_TRICKY = (
    "\u0301\u0308\u093f\u094d\u0bcd\u0e31\u0e33\u0e48\u102c\u1039\u103a\u05b4\u064e"  # marks
    "\u200c\u200d\ufe0f\U0001f3fd\U0001f1e9\U0001f1ea\U0001f468\u2139"  # joiners, emoji, RI, pictograph
    "\u0600\u06dd\u0d4e\u1100\u1161\u11a8\uff9e"  # Prepend, Hangul jamo, halfwidth voiced mark
    "'-.,\u2019\u05f4 \n\r\t"  # joiners, separators, spaces
    "aZ9क्षกขค中文あアက한ა"  # letters of several scripts
)
# Sequences where UAX #29 joins what a character-class tokenizer would split, and vice versa.
_SEQUENCES = (
    "a\u200d",
    "a\u200c",
    "a\U0001f3fd",
    "a\u0301",
    "क्\u200dष",
    "ก\u0e33",
    "'\u0e33",
    "\u2139\u200d\U0001f468",
    "\U0001f468\u200d\U0001f469",
    "\u0600a",
    "\u0d4e ",
    "\n\u0301",
    "\r\n",
    "\u1100\u1161\u11a8",
    "ｶ\uff9e",
    "မာ",
    "ကင်္ဘာ",
    "3.1",
    "x-y",
    "don't",
    "中文字",
    "ภาษาไทย",
    "日本語です",
    "\U0001f1e9\U0001f1ea",
)
_TEXT = st.lists(
    st.one_of(
        st.sampled_from(_TRICKY),
        st.sampled_from(_SEQUENCES),
        st.characters(codec="utf-8"),  # every code point but surrogates
    ),
    max_size=24,
).map("".join)


@pytest.mark.parametrize("lang", XTREME_LANGUAGES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT)
def test_tokenize_covers_any_text_exactly(lang: str, text: str) -> None:
    toks = tokenize(text, lang)
    assert_exact_cover(text, toks)
    if text and _is_mark(text[0]):
        assert not toks[0].is_word
    assert "".join(graphemes(text)) == text


@settings(max_examples=400, deadline=None)
@given(text=_TEXT)
def test_fast_path_equals_cluster_by_cluster_path(text: str) -> None:
    assume(segment._NEEDS_EXACT_RE.search(text) is None)
    assert segment._fast_tokens(text) == segment._exact_tokens(text)


@settings(max_examples=200, deadline=None)
@given(text=_TEXT, offset=st.integers(0, 5))
def test_exact_path_covers_text_with_prepend_characters(text: str, offset: int) -> None:
    text = "\u0600" + text
    toks = segment._exact_tokens(text)
    assert_exact_cover(text, toks)
    shifted = segment._exact_tokens(text, offset)
    assert [(t.start - offset, t.end - offset) for t in shifted] == [(t.start, t.end) for t in toks]


def test_segmenter_name_reports_the_method() -> None:
    assert segmenter_name("en").startswith("regex")
    assert "sylbreak" in segmenter_name("my")
    for lang in ("zh", "ja", "th"):
        assert segmenter_name(lang)


@pytest.mark.usefixtures("fresh_segmenters")
def test_a_missing_package_means_the_documented_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("rjieba", "fugashi", "nlpo3", "pythainlp", "pythainlp.tokenize"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    assert segmenter_name("zh") == segmenter_name("ja") == segmenter_name("th") == wordseg.FALLBACK
    text = "我是学生。"
    toks = tokenize(text, "zh")
    assert_exact_cover(text, toks)
    assert texts(toks) == ["我", "是", "学", "生"]


@pytest.mark.usefixtures("fresh_segmenters")
def test_thai_without_nlpo3_uses_pythainlp_newmm(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pythainlp")
    monkeypatch.setitem(sys.modules, "nlpo3", None)
    assert segmenter_name("th").startswith("newmm, PyThaiNLP") and "nlpo3" not in segmenter_name("th")
    assert texts(tokenize("และมันยังคงเป็น", "th")) == ["และ", "มัน", "ยังคง", "เป็น"]
