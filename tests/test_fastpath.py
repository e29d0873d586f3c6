"""Differential tests: the compiled character-noise path against the Python path, byte for byte.

Results must never depend on which path ran, so every comparison is on the whole Perturbed value (text,
changed spans, units, units_changed): arbitrary Unicode (hypothesis, with the cases that matter to
clusters and tokens mixed in), real sentences in all 15 XNLI languages plus ja/ko/my and other scripts,
every compiled attack, and the two callers (``robustx perturb`` streaming, records.perturb_examples).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robustx import _fast
from robustx.attacks.base import BoundAttack, build_attack
from robustx.attacks.resources import keyboard_languages
from robustx.text import segment, wordseg
from tests.conftest import read_tsv_column
from tests.test_segment import _SEQUENCES, _TRICKY

_charnoise = pytest.importorskip("robustx._fast._charnoise", reason="compiled path not built")

XNLI = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
TATOEBA = {
    "ja": "jpn",
    "ko": "kor",
    "he": "heb",
    "ka": "kat",
    "ml": "mal",
    "ta": "tam",
    "te": "tel",
    "bn": "ben",
}
SPECS = (
    "charswap:rate=0.3,min_len=3",
    "keyboard:rate=0.3,min_len=3",
    "charnoise:rate=0.3",
    "charnoise:rate=1.0,edits=3,min_len=1",
    "charnoise:ops=insert+substitute,layout=none,rate=0.8",
    "charnoise:ops=delete+swap,keep_digits=false,keep_entities=true,rate=0.6",
    "homoglyph:rate=0.7",
    "invisible:rate=0.5,kind=both",
)
# Characters where clusters and words get subtle: Prepend, virama/consonants (GB9c), spacing marks,
# ZWJ/ZWNJ, regional indicators, Hangul jamo, CR LF, joiners and number separators, sentence ends, case.
_SPECIAL = (
    "\u0600\u0d4e\u094d\u0915\u093e\u0941\u0930\u200c\u200d\U0001f1e9\U0001f1ea\u1100\u1161\u11a8\r\n"
    "'\u2019-\u2010\u2011\u05be\u05f3\u05f4.,\u066b\u066c\u0663\u0e33\u0e01\u0e48\u1000\u1039\u103a\u102c"
    "\u3042\u30ab\u4e2d\u00e9\u0301\u0308 .!?\u3002\u0964\u061fAZaz09\U0001f468\u2139\U0001f3fb\u0670"
)
TEXT = st.lists(
    st.one_of(
        st.sampled_from(_TRICKY),
        st.sampled_from(_SEQUENCES),
        st.text(st.sampled_from(_SPECIAL), min_size=1, max_size=6),
        st.characters(codec="utf-8"),
    ),
    max_size=30,
).map("".join)
LANGS = ("en", "de", "ru", "ar", "hi", "th", "zh", "ja", "my", "ko", "he", "ta")


@pytest.fixture(autouse=True)
def compiled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run the compiled path whatever sources.VERIFIED says: these tests are what verifies it."""
    _fast.status.cache_clear()
    monkeypatch.setattr(_fast, "enabled", lambda: True)
    yield
    _fast.status.cache_clear()


def _python(
    attack: BoundAttack, seed: int, text: str, lang: str, ex_id: str, field: str
) -> tuple[object, ...]:
    p = attack.perturb(text, lang, attack.rng(seed, ex_id, lang, field))
    return (p.text, p.changed, p.units, p.units_changed)


def assert_same(attack: BoundAttack, texts: list[str], lang: str, seed: int = 0) -> None:
    requests = [(t, lang, f"ex{i}", "premise") for i, t in enumerate(texts)]
    fast = _fast.perturb_many(attack, seed, requests)
    assert fast is not None, f"compiled path declined {attack.canonical} in {lang}"
    for (text, _, ex_id, field), got in zip(requests, fast, strict=True):
        assert got == _python(attack, seed, text, lang, ex_id, field), (attack.canonical, lang, text)


def _applies(spec: str, lang: str) -> bool:
    return not spec.startswith("keyboard") or lang in keyboard_languages()


# ---------------------------------------------------------------------------------------------- parts


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_graphemes_are_regex_X(text: str) -> None:
    assert _charnoise.graphemes(text) == regex.findall(r"\X", text)


@pytest.mark.parametrize("lang", ["en", "zh", "ja", "th", "my"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT)
def test_tokens_are_segment_tokenize(lang: str, text: str) -> None:
    got = _charnoise.tokenize(text, lang, wordseg._backend, wordseg.segment_word)
    assert got == [(t.start, t.end, t.is_word) for t in segment.tokenize(text, lang)]


def test_a_raising_segmenter_falls_back_exactly_as_python(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        name = "broken"

        @staticmethod
        def cut(text: str) -> list[str]:
            raise RuntimeError("segmenter failed")

    monkeypatch.setattr(wordseg, "_backend", lambda code: Broken())
    wordseg._segment_cached.cache_clear()
    try:
        for text in ("ภาษาไทยง่าย", "我们喜欢中文 and ภาษา", "日本語です"):
            got = _charnoise.tokenize(text, "th", wordseg._backend, wordseg.segment_word)
            assert got == [(t.start, t.end, t.is_word) for t in segment.tokenize(text, "th")]
    finally:
        wordseg._segment_cached.cache_clear()


# ------------------------------------------------------------------------------------ arbitrary text


@pytest.mark.parametrize("spec", SPECS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(TEXT, min_size=1, max_size=4), lang=st.sampled_from(LANGS), seed=st.integers(0, 2**40))
def test_any_text_same_output(spec: str, texts: list[str], lang: str, seed: int) -> None:
    if _applies(spec, lang):
        assert_same(build_attack(spec), texts, lang, seed)


@pytest.mark.parametrize("lang", ["en", "de", "ru", "ar", "hi"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT)
def test_stopword_skip_same_output(lang: str, text: str) -> None:
    attack = build_attack("charnoise:skip_stopwords=true,rate=0.9,min_len=1")
    assert_same(attack, [text, text.upper() + " the der и في और"], lang)


def test_lone_surrogates_unicode_ids_and_odd_seeds_same_output() -> None:
    """Texts with lone surrogates (a str may hold them), ids and seeds the key's UTF-8 must carry exactly."""
    texts = ["ab\ud800cd efgh \udfffijk", "naïve café \U0001f600 résumé", "\ud83d\ude00 mixed halves here"]
    for spec in ("charnoise:rate=1.0", "charswap:rate=0.5"):
        attack = build_attack(spec)
        for seed in (-1, 0, 2**70):
            requests = [(t, "fr", f"例/{i}/ñ", "hypothesis") for i, t in enumerate(texts)]
            fast = _fast.perturb_many(attack, seed, requests)
            assert fast is not None
            for (text, lang, ex_id, field), got in zip(requests, fast, strict=True):
                assert got == _python(attack, seed, text, lang, ex_id, field)


# ------------------------------------------------------------------------------------ real sentences


def _sentences(xtreme: Path, lang: str, n: int) -> list[str]:
    if lang in XNLI:
        path = xtreme / "xnli" / f"test-{lang}.tsv"
        path = path if path.exists() else path.with_name(path.name + ".gz")
        return list(dict.fromkeys(read_tsv_column(path, 0, 3 * n)))[:n]
    if lang in TATOEBA:
        code = TATOEBA[lang]
        lines = (xtreme / "tatoeba" / f"tatoeba.{code}-eng.{code}").read_text(encoding="utf-8").splitlines()
        return lines[:n]
    words: list[str] = []  # PAN-X Burmese: one "my:token<TAB>tag" per line, sentences joined without spaces
    sentences: list[str] = []
    for line in (xtreme / "panx" / "dev-my.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            words.append(line.split("\t")[0].split(":", 1)[-1])
        elif words:
            sentences.append("".join(words))
            words = []
        if len(sentences) >= n:
            break
    return sentences


@pytest.mark.parametrize("lang", [*XNLI, *TATOEBA, "my"])
def test_real_sentences_same_output(xtreme_dir: Path, lang: str) -> None:
    texts = _sentences(xtreme_dir, lang, 60)
    assert len(texts) >= 30
    for spec in SPECS:
        if _applies(spec, lang):
            assert_same(build_attack(spec), texts, lang)


def test_long_texts_draw_through_the_set_branch_of_sample(xtreme_dir: Path) -> None:
    """Few chosen words among many candidates: Random.sample's set branch (n > setsize), end to end."""
    for lang in ("en", "ru", "hi", "zh"):
        texts = _sentences(xtreme_dir, lang, 60)
        paragraphs = [" ".join(texts[i : i + 12]) for i in range(0, 48, 12)]
        for spec in ("charswap:rate=0.02", "charnoise:rate=0.05,min_len=1", "charnoise:rate=0.3"):
            assert_same(build_attack(spec), paragraphs, lang)


# --------------------------------------------------------------------------------------------- callers


def _stream(spec: str, lines: list[str], monkeypatch: pytest.MonkeyPatch, fast: bool, **kw: object) -> str:
    from robustx.perturb_io import PerturbJob, perturb_stream

    monkeypatch.setattr(_fast, "enabled", lambda: fast)
    defaults: dict[str, object] = dict(
        jsonl=False, fields=("text",), id_field=None, lang_field=None, record=False
    )
    defaults.update(kw)
    job = PerturbJob(spec, "hi", 7, **defaults)  # type: ignore[arg-type]
    out = io.StringIO()
    perturb_stream(job, lines, out)
    return out.getvalue()


def test_stream_text_lines_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["नमस्ते दुनिया, यह एक परीक्षण है\n", "\n", "हिन्दी में लिखा गया वाक्य", "  किताब  \r\n"] * 300
    for spec in ("charswap:rate=0.5", "keyboard:rate=0.5", "charnoise:rate=0.3"):
        assert _stream(spec, lines, monkeypatch, True) == _stream(spec, lines, monkeypatch, False)


def test_stream_jsonl_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        {"id": f"r{i}", "lang": lang, "a": text, "b": text[::-1], "n": i}
        for i, (lang, text) in enumerate(
            [
                ("en", "Don't stop believing, Mr. Smith!"),
                ("th", "ภาษาไทยง่ายนิดเดียว"),
                ("zh", "我们喜欢学习中文。"),
            ]
            * 50
        )
    ]
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in rows] + ["   \n", "{}\n"]
    kw: dict[str, object] = dict(jsonl=True, fields=("a", "b"), id_field="id", lang_field="lang", record=True)
    for spec in ("charswap:rate=0.5", "charnoise:rate=0.3"):
        with pytest.raises(Exception) as fast_err:
            _stream(spec, lines, monkeypatch, True, **kw)
        with pytest.raises(Exception) as python_err:
            _stream(spec, lines, monkeypatch, False, **kw)
        assert str(fast_err.value) == str(python_err.value)  # the {} row lacks field 'a', at the same line
        good = lines[:-1]
        assert _stream(spec, good, monkeypatch, True, **kw) == _stream(spec, good, monkeypatch, False, **kw)


def test_records_perturb_examples_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from robustx.records import perturb_examples
    from robustx.types import Example

    examples = [
        Example(f"xnli/test/{i}", "xnli", lang, {"premise": p, "hypothesis": h}, "neutral")
        for i, (lang, p, h) in enumerate(
            [
                ("de", "Das Wetter ist heute schön.", "Es regnet."),
                ("ru", "Кошка спит на диване.", "Собака лает."),
            ]
            * 40
        )
    ]
    attack = build_attack("charnoise:rate=0.5")
    fast = perturb_examples(examples, ["premise", "hypothesis"], attack, 3)
    monkeypatch.setattr(_fast, "enabled", lambda: False)
    assert fast == perturb_examples(examples, ["premise", "hypothesis"], attack, 3)


def test_declines_what_it_does_not_compile() -> None:
    """Diacritics (NFD/NFC), codeswitch and adversarial specs stay on the Python path."""
    requests = [("Café déjà vu", "fr", "1", "text")]
    assert _fast.perturb_many(build_attack("diacritics"), 0, requests) is None
    assert _fast.perturb_many(build_attack("none"), 0, requests) is None
    assert _fast.perturb_many(build_attack("keyboard"), 0, [("中文", "zh", "1", "text")]) is None  # no layout
    assert (
        _fast.perturb_many(build_attack("charswap"), 0, [("text", "xx", "1", "text")]) is None
    )  # unknown lang
