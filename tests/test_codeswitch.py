"""Code-switching: golden cases per script, dictionary inversion/composition, determinism, coverage,
FreeDict import, and clear errors for missing dictionaries."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from robustx.attacks import build_attack
from robustx.attacks.codeswitch import CodeSwitch, embedded_languages, match_case
from robustx.attacks.dictionaries import Dictionaries, DictionaryMissingError, MemoryTables
from robustx.attacks.freedict import entry_translations, find_databases, read_database
from robustx.text.segment import graphemes
from tests.test_attack_contract import assert_untouched_outside_spans

TABLES = MemoryTables(
    {
        ("en", "de"): {"house": ["Haus"], "cat": ["Katze", "Kater"], "big": ["groß"]},
        ("en", "hi"): {"house": ["घर"], "big": ["बड़ा"]},
        ("en", "zh"): {"cat": ["猫"], "dog": ["狗"]},
        ("en", "th"): {"cat": ["แมว"]},
    }
)


def switch(text: str, lang: str, into: tuple[str, ...], seed: int = 0, rate: float = 1.0) -> str:
    return CodeSwitch(Dictionaries(TABLES), rate=rate, langs=into)(text, lang, random.Random(seed)).text


def test_english_words_switch_to_german_keeping_case_and_punctuation() -> None:
    assert switch("The House is big, my HOUSE!", "en", ("de",)) == "The Haus is groß, my HAUS!"


def test_inverted_dictionary_switches_german_to_english() -> None:
    assert switch("Das Haus ist groß.", "de", ("en",)) == "Das House ist big."


def test_composed_through_english_switches_german_to_hindi() -> None:
    assert switch("Das Haus ist groß.", "de", ("hi",)) == "Das घर ist बड़ा."


def test_chinese_words_come_from_the_segmenter() -> None:
    out = CodeSwitch(Dictionaries(TABLES), rate=1.0, langs=("en",))(
        "我喜欢我的猫和狗。", "zh", random.Random(0)
    )
    assert out.text == "我喜欢我的cat和dog。"
    assert [out.text[a:b] for a, b in out.changed] == ["cat", "dog"]
    assert out.units == 7 and out.units_changed == 2


def test_thai_words_are_whole_words_never_split_clusters() -> None:
    text = "ฉันรักแมวของฉัน"
    out = switch(text, "th", ("en",))
    assert out == "ฉันรักcatของฉัน"


def test_hindi_combining_marks_stay_with_their_word() -> None:
    text = "मेरा घर बड़ा है।"
    out = CodeSwitch(Dictionaries(TABLES), rate=1.0, langs=("en",))(text, "hi", random.Random(0))
    assert out.text == "मेरा house big है।"
    assert_untouched_outside_spans(text, out)
    untouched = out.text.replace("house", "").replace("big", "")
    assert set(graphemes(untouched)) <= set(graphemes(text))


def test_translation_choice_is_seeded_and_covers_every_option() -> None:
    seen = {switch("cat", "en", ("de",), seed=s) for s in range(40)}
    assert seen == {"Katze", "Kater"}
    assert all(
        switch("cat", "en", ("de",), seed=s) == switch("cat", "en", ("de",), seed=s) for s in range(10)
    )


def test_rate_is_the_fraction_of_translatable_words_in_expectation() -> None:
    text = " ".join(["house"] * 10 + ["unknownword"] * 10)
    attack = CodeSwitch(Dictionaries(TABLES), rate=0.3, langs=("de",))
    outs = [attack(text, "en", random.Random(s)) for s in range(400)]
    assert all(o.units == 20 for o in outs)
    mean = sum(o.units_changed for o in outs) / len(outs)
    assert 2.7 < mean < 3.3  # 30% of the 10 translatable words
    assert all(o.text.count("unknownword") == 10 for o in outs)


def test_sentence_rate_zero_changes_nothing_but_counts_words() -> None:
    out = CodeSwitch(Dictionaries(TABLES), rate=1.0, sentence_rate=0.0, langs=("de",))(
        "my house", "en", random.Random(0)
    )
    assert out.text == "my house" and not out.changed and out.units == 2


def test_default_embedded_languages() -> None:
    assert embedded_languages("en") == ("de", "es", "fr", "hi", "zh")
    assert embedded_languages("de") == ("en", "es", "fr")
    assert embedded_languages("hi") == ("en", "de", "es")


def test_match_case_only_in_cased_scripts() -> None:
    assert match_case("House", "haus") == "Haus"
    assert match_case("HOUSE", "haus") == "HAUS"
    assert match_case("House", "घर") == "घर"


def test_coverage_per_embedded_language() -> None:
    attack = CodeSwitch(Dictionaries(TABLES), langs=("de", "zh"))
    cov = attack.coverage(["my house is big", "the cat"], "en")
    # eligible (min_len 2): my house is big the cat -> 6 words
    assert cov == {"de": pytest.approx(3 / 6), "zh": pytest.approx(1 / 6)}


def test_missing_pair_names_it_and_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTX_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ROBUSTX_DICTS", raising=False)
    monkeypatch.delenv("ROBUSTX_DATA", raising=False)
    attack = build_attack(f"codeswitch:langs=sw,dicts={tmp_path}")
    with pytest.raises(DictionaryMissingError) as err:
        attack.check(["en"])
    message = str(err.value)
    assert "no en-sw dictionary" in message
    assert "dict-freedict-eng-swh" in message and "\n" not in message


def test_real_muse_dictionaries_switch_real_xnli_sentences(xtreme_dir: Path) -> None:
    attack = build_attack(f"codeswitch:rate=0.5,dicts={xtreme_dir / 'muse'}")
    premise = "The new rights are nice enough, but they are not the ones we wanted."
    out = attack.perturb(premise, "en", attack.rng(0, "x", "en", "premise"))
    assert out.units_changed >= 3
    assert_untouched_outside_spans(premise, out)
    dictionaries = attack.perturb.dictionaries  # type: ignore[attr-defined]
    lexicons = [dictionaries.get("en", t) for t in ("de", "es", "fr", "hi", "zh")]
    tokens = premise.replace(",", " ").replace(".", " ").split()
    for start, end in out.changed:
        new = out.text[start:end]
        assert any(
            new.lower() in {x.lower() for w in tokens for x in lex.translations(w)} for lex in lexicons
        )


# --- FreeDict (dictd) import -------------------------------------------------------------------------

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(n: int) -> str:
    out = ""
    while True:
        out = B64[n % 64] + out
        n //= 64
        if n == 0:
            return out


def write_dictd(directory: Path, name: str, entries: list[tuple[str, str]]) -> None:
    """A dictd database the way dictfmt writes it: gzip data, base64 offsets in the index."""
    blob, index = b"", []
    for headword, text in entries:
        data = text.encode()
        index.append(f"{headword}\t{b64(len(blob))}\t{b64(len(data))}")
        blob += data
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.index").write_text("\n".join(sorted(index)) + "\n", encoding="utf-8")
    (directory / f"{name}.dict.dz").write_bytes(gzip.compress(blob))


SWH_ENTRIES = [
    ("00-database-info", "00-database-info\nEnglish-Swahili FreeDict Dictionary\nEdition: 0.2.2\n"
     "Available under the terms of the GNU General Public License ver. 2.0\n"),
    ("house", "house /hˈaʊs/ <n>\nnyumba\n      \"a big house\"  - nyumba kubwa\n see: {houses}\n"),
    ("water", "water /wˈɔːtə/\n1. maji\n2. kunywesha <v>\n"),
    ("big", "big /bˈɪɡ/\nkubwa, -kubwa [adj.]\n"),
    ("ice cream", "ice cream\naiskrimu\n"),
]  # fmt: skip


def test_freedict_entry_cleaning() -> None:
    head, words = entry_translations('run /ɹˈʌn/ <v>\nrennen, schnell laufen <v, intr>\n      "ex" - x\n')
    assert head == "run" and words == ["rennen", "schnell laufen"]


def test_freedict_database_reads_single_word_headwords(tmp_path: Path) -> None:
    write_dictd(tmp_path, "freedict-eng-swh", SWH_ENTRIES)
    [db] = find_databases(tmp_path)
    assert db.lang == "sw"
    got = read_database(db)
    assert ("house", "nyumba") in got.pairs and ("water", "maji") in got.pairs
    assert ("water", "kunywesha") in got.pairs and ("big", "kubwa") in got.pairs
    assert not any(src == "ice cream" for src, _ in got.pairs)
    assert got.edition == "0.2.2" and got.licence == "GPL"


def test_resources_build_then_codeswitch_uses_the_pack(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from robustx.cli import app

    write_dictd(tmp_path / "dictd", "freedict-eng-swh", SWH_ENTRIES)
    packs = tmp_path / "packs"
    result = CliRunner().invoke(
        app, ["resources", "build", "--freedict-dir", str(tmp_path / "dictd"), "--out", str(packs)]
    )
    assert result.exit_code == 0, result.output
    assert (packs / "en-sw.txt").is_file() and (packs / "MANIFEST.json").is_file()
    attack = build_attack(f"codeswitch:rate=1.0,langs=sw,dicts={packs}")
    out = attack.perturb("A big house by the water.", "en", random.Random(0))
    assert out.text in {"A kubwa nyumba by the maji.", "A kubwa nyumba by the kunywesha."}
    files = attack.resources(["en"])
    assert files is not None and files["en-sw"]["files"][0]["origin"]["sources"][0]["kind"] == "freedict"


@pytest.mark.skipif(
    not find_databases(), reason="no FreeDict package installed (apt-get install dict-freedict-eng-deu)"
)
def test_installed_freedict_databases_import() -> None:
    for db in find_databases():
        got = read_database(db)
        assert len(got.pairs) > 500, db.name
        assert all(src and tgt and "\n" not in tgt for src, tgt in got.pairs[:2000])


def test_coverage_of_tagged_text_counts_its_words_not_tuple_punctuation() -> None:
    from robustx.attacks.base import BoundAttack
    from robustx.evaluate import attack_coverage
    from robustx.tasks import get_task
    from robustx.tasks.rows import LoadedRows
    from robustx.types import Example

    attack = BoundAttack("codeswitch", {}, "codeswitch", CodeSwitch(Dictionaries(TABLES), langs=("de",)))
    words = ("my", "house", "is", "big")
    rows = LoadedRows(
        [Example("udpos/test/0", "udpos", "en", {"tokens": words}, ("PRON", "NOUN", "AUX", "ADJ"))]
    )
    assert attack_coverage(get_task("udpos"), attack, {"en": rows}) == {"en": {"de": pytest.approx(2 / 4)}}
