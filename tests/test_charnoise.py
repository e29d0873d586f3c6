"""Character-noise suite: golden outputs, per-op semantics, knobs, and the rate."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from robustx.attacks import build_attack
from robustx.attacks.resources import ResourceMissingError, homoglyphs, keyboard_neighbours
from robustx.text.segment import graphemes, words

GOLDEN = [
    (
        "charnoise:rate=0.5",
        "en",
        "Don't stop believing, said the 3 old men.",
        "Din't dtop believing, xaid th 3 old men.",
    ),
    ("charnoise:rate=0.5", "ru", "Ёжик шёл домой по тёмному лесу", "Ёжик шл омой по оёмному лесу"),
    (
        "keyboard:rate=0.5",
        "de",
        "Die Bürger müssen größere Straßen überqueren.",
        "FDie Bürgfer müssen gtrößere Straßen überqueren.",
    ),
    ("keyboard:rate=0.5", "el", "Η γλώσσα είναι όμορφη", "Η φγλώσσα ρίναι όμορφη"),
    ("keyboard:rate=0.5", "ta", "அவர் வீட்டுக்கு வந்தார்", "இஅவர் வீட்டுக்கி வந்தார்"),
    ("charswap:rate=0.5", "hi", "उन्होंने हिन्दी भाषा में किताबें लिखीं", "उनेन्हों हिन्दी भाषा में किताबें लिखीं"),
    ("charswap:rate=0.5", "zh", "我们今天去北京大学参观", "我们今天去北大京学参观"),
    (
        "diacritics:rate=1.0",
        "de",
        "Die Bürger müssen größere Straßen überqueren.",
        "Die Burger mussen großere Straßen uberqueren.",
    ),
    ("diacritics:rate=1.0", "ar", "وَقَالَ إِنَّهُ سَيَأْتِي غَدًا", "وقال انه سياتي غدا"),
    ("diacritics:rate=1.0", "ru", "Ёжик шёл домой по тёмному лесу", "Ежик шел домой по темному лесу"),
    ("diacritics:rate=1.0", "he", "שָׁלוֹם עֲלֵיכֶם חֲבֵרִים", "שלום עליכם חברים"),
    ("diacritics:rate=1.0", "vi", "Tiếng Việt có dấu", "Tieng Viet co dau"),
    ("diacritics:rate=1.0", "el", "Η γλώσσα είναι όμορφη", "Η γλωσσα ειναι ομορφη"),
    ("invisible:rate=0.5", "th", "ฉันไม่ได้คุยกับเขาอีกเลย", "ฉั\u200bนไม่ไ\u200bด้คุ\u200bยกับเ\u2060ขาอีกเลย"),
]


@pytest.mark.parametrize(("spec", "lang", "text", "expected"), GOLDEN)
def test_golden_outputs(spec: str, lang: str, text: str, expected: str) -> None:
    assert build_attack(spec).perturb(text, lang, random.Random(7)).text == expected


@pytest.mark.parametrize("lang", ["hi", "ta", "te", "bn", "ml", "mr", "th", "ka", "my", "ja", "ko"])
def test_diacritics_never_touch_scripts_without_optional_marks(lang: str) -> None:
    samples = {
        "hi": "उन्होंने हिन्दी भाषा",
        "ta": "வீட்டுக்கு வந்தார்",
        "te": "తెలుగు భాష",
        "bn": "বাংলা ভাষা",
        "ml": "മലയാളം ഭാഷ",
        "mr": "मराठी भाषा",
        "th": "ภาษาไทย ง่าย",
        "ka": "ქართული ენა",
        "my": "မြန်မာ ဘာသာ",
        "ja": "がぎぐげご ひらがな",
        "ko": "한국어 문장",
    }
    out = build_attack("diacritics:rate=1.0").perturb(samples[lang], lang, random.Random(0))
    assert out.text == samples[lang] and out.units_changed == 0


def test_cyrillic_keeps_short_i() -> None:
    out = build_attack("diacritics:rate=1.0").perturb("Мой край", "ru", random.Random(0))
    assert out.text == "Мой край"


def test_keyboard_substitution_uses_real_neighbours() -> None:
    attack = build_attack("charnoise:ops=substitute,rate=1.0,min_len=1")
    table = keyboard_neighbours("de")
    for seed in range(200):
        out = attack.perturb("Straßen über", "de", random.Random(seed)).text
        for before, after in zip(["Straßen", "über"], out.split(" "), strict=True):
            diff = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
            assert len(diff) == 1
            assert diff[0][1] in table[diff[0][0]]


def test_homoglyph_replacements_come_from_confusables() -> None:
    table = homoglyphs()
    attack = build_attack("homoglyph:rate=1.0")
    for seed in range(50):
        out = attack.perturb("paper scope", "en", random.Random(seed)).text
        assert out != "paper scope" and len(out) == len("paper scope")
        for a, b in zip("paper scope", out, strict=True):
            assert a == b or b in table[a]


def test_invisible_characters_are_the_only_change() -> None:
    attack = build_attack("invisible:kind=both,rate=1.0,edits=2")
    text = "Die Bürger überqueren Straßen"
    out = attack.perturb(text, "de", random.Random(3)).text
    visible = "".join(ch for ch in out if unicodedata.category(ch) != "Cf")
    assert visible == text and out != text


def test_knobs_keep_digits_entities_and_stopwords() -> None:
    text = "Yesterday the 3 engineers from Berlin visited the factory in 2021 again"
    attack = build_attack("charnoise:rate=1.0,keep_entities=true,skip_stopwords=true,min_len=1")
    for seed in range(20):
        out = attack.perturb(text, "en", random.Random(seed)).text.split(" ")
        kept = {w for w, o in zip(text.split(" "), out, strict=True) if w == o}
        assert {"3", "2021", "Berlin", "the", "from", "in"} <= kept


def test_stopword_skip_without_a_list_is_an_error() -> None:
    with pytest.raises(ResourceMissingError, match="no stopword list for language ta"):
        build_attack("charnoise:skip_stopwords=true").check(["ta"])


def test_keyboard_requires_a_layout() -> None:
    with pytest.raises(ResourceMissingError, match="'zh'"):
        build_attack("keyboard").check(["de", "zh"])
    build_attack("charnoise").check(["zh", "ko"])  # charnoise falls back to the word's own clusters


def _xnli_sentences(xtreme_dir: Path, lang: str, n: int) -> list[str]:
    from robustx.tasks.readers import resolve_gz
    from tests.conftest import read_tsv_column

    return read_tsv_column(resolve_gz(xtreme_dir / "xnli" / f"test-{lang}.tsv"), 0, n)


@pytest.mark.parametrize("lang", ["en", "hi", "ru"])
def test_rate_is_respected_on_real_sentences(xtreme_dir: Path, lang: str) -> None:
    attack = build_attack("charswap:rate=0.3")
    units = changed = 0
    for i, sentence in enumerate(_xnli_sentences(xtreme_dir, lang, 400)):
        out = attack.perturb(sentence, lang, random.Random(i))
        units += out.units
        changed += out.units_changed
    assert units > 1000
    assert changed / units == pytest.approx(0.3, abs=0.03)


def test_no_grapheme_cluster_is_broken_on_real_indic_and_thai(xtreme_dir: Path) -> None:
    """Every output word still starts with a base character (no orphaned combining mark)."""
    for lang in ("hi", "th", "ur"):
        attack = build_attack("charnoise:rate=0.5,edits=2")
        for i, sentence in enumerate(_xnli_sentences(xtreme_dir, lang, 200)):
            out = attack.perturb(sentence, lang, random.Random(i)).text
            for word in words(out, lang):
                assert unicodedata.category(word.text[0])[0] != "M", (lang, word.text)
            assert all(g for g in graphemes(out))
