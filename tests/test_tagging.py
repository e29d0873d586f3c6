"""Tagging (UD-POS, PAN-X): seqeval-exact chunk F1, loaders on real data, 1:1 word attacks, end to end."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from robustx.attacks.base import BoundAttack, build_attack
from robustx.cli import app
from robustx.errors import DataError
from robustx.families.apply import SEPARATOR, perturb_tokens
from robustx.scoring.chunks import chunks, corpus_counts, sentence_counts
from robustx.tasks import DataSource, get_task, load_examples
from robustx.types import Perturbed
from tests.family_models import cli_args, only_run, tagging_corpus

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "seqeval_golden.json").read_text())
runner = CliRunner()


def _f1(counts: tuple[int, int, int]) -> float:
    tp, fp, fn = counts
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


@pytest.mark.parametrize("case", ["ner", "pos", "pos_plain"])
def test_chunks_match_seqeval_0_0_12_exactly(case: str) -> None:
    data, ref = GOLDEN["cases"][case], GOLDEN["outputs"]["0.0.12"][case]
    for sentence, entities in zip(data["gold"], ref["entities_gold"], strict=True):
        assert sorted(map(list, chunks(sentence))) == entities
    assert _f1(corpus_counts(data["gold"], data["pred"])) == pytest.approx(ref["f1"], abs=1e-12)


@pytest.mark.parametrize("case", ["ner", "pos", "pos_plain"])
def test_seqeval_1_2_2_differs_only_through_x_and_sconj(case: str) -> None:
    data = GOLDEN["cases"][case]
    ours = _f1(corpus_counts(data["gold"], data["pred"]))
    modern = GOLDEN["outputs"]["1.2.2"][case]["f1"]
    if case == "pos":  # with X and SCONJ present, seqeval >= 1.0 counts chunks differently
        assert ours != pytest.approx(modern, abs=1e-6)
    else:
        assert ours == pytest.approx(modern, abs=1e-12)


def test_chunk_rules_hand_computed() -> None:
    assert chunks(["B-PER", "I-PER", "O", "B-LOC"]) == {("PER", 0, 1), ("LOC", 3, 3)}
    assert chunks(["I-ORG", "I-ORG", "B-ORG"]) == {("ORG", 0, 1), ("ORG", 2, 2)}  # I- may open a chunk
    assert chunks(["B-PER", "I-LOC"]) == {("PER", 0, 0), ("LOC", 1, 1)}  # a type change splits
    # POS through seqeval: equal adjacent tags merge; S-initial tags (SCONJ, SYM) never do.
    assert chunks(["NOUN", "NOUN", "VERB", "NOUN"]) == {("NOUN", 0, 1), ("VERB", 2, 2), ("NOUN", 3, 3)}
    assert chunks(["SCONJ", "SCONJ"]) == {("SCONJ", 0, 0), ("SCONJ", 1, 1)}
    # gold chunks NOUN[0,1] VERB[2]; prediction NOUN[0] VERB[1,2]: nothing matches exactly.
    assert sentence_counts(["NOUN", "NOUN", "VERB"], ["NOUN", "VERB", "VERB"]) == (0, 2, 2)
    assert sentence_counts(["B-PER", "O"], ["B-PER", "O"]) == (1, 0, 0)


def test_loaders_read_real_udpos_and_panx(xtreme_dir: Path) -> None:
    src = DataSource("dir", path=str(xtreme_dir))
    de = load_examples(get_task("udpos"), src, "de", "validation", 5)  # dev-de.tsv.gz
    assert de.examples[0].fields["tokens"] == ("Manasse", "ist", "ein", "einzigartiger", "Parfümeur", ".")
    assert de.examples[0].label == ("PROPN", "AUX", "DET", "ADJ", "NOUN", "PUNCT")
    vi = load_examples(get_task("udpos"), src, "vi", "validation").examples
    assert len(vi) == 800 and vi[0].fields["tokens"][:5] == ("Hay", "một", "người", "lính", "hảiquân")
    ja = load_examples(get_task("panx"), src, "ja", "validation", 3).examples
    assert ja[0].id == "panx/validation/000000" and len(ja[0].fields["tokens"]) == len(ja[0].label)
    test = load_examples(get_task("panx"), src, "fr", "test", 3)  # only the labelled test subset exists
    assert "subset" in test.source and test.examples[0].id == "panx/test/000001"
    for ex in de.examples + vi + ja:
        assert len(ex.fields["tokens"]) == len(ex.label) and set(ex.label) <= set(
            ex.task and get_task(ex.task).labels
        )


def test_missing_and_malformed_files_name_file_line_and_language(tmp_path: Path, xtreme_dir: Path) -> None:
    src = DataSource("dir", path=str(xtreme_dir))
    with pytest.raises(DataError, match=r"udpos/test-de\.tsv.*language de"):
        load_examples(get_task("udpos"), src, "de", "test")
    (tmp_path / "panx").mkdir()
    (tmp_path / "panx" / "dev-de.tsv").write_text("Berlin\tB-LOC\n\nist\tB-VERB\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"dev-de\.tsv:3: language de: unknown tag 'B-VERB'"):
        load_examples(get_task("panx"), DataSource("dir", path=str(tmp_path)), "de", "validation")


HUB_README = """---
dataset_info:
- config_name: PAN-X.de
  features:
  - name: tokens
    sequence: string
  - name: ner_tags
    sequence:
      class_label:
        names:
          '0': O
          '1': B-PER
          '2': I-PER
          '3': B-ORG
          '4': I-ORG
          '5': B-LOC
          '6': I-LOC
  - name: langs
    sequence: string
configs:
- config_name: PAN-X.de
  data_files:
  - split: validation
    path: PAN-X.de/validation-*.parquet
- config_name: udpos.German
  data_files:
  - split: validation
    path: udpos.German/validation-*.parquet
---
"""


def test_hub_code_path_on_local_mirror_maps_classlabel_ids(
    tmp_path: Path, xtreme_dir: Path, monkeypatch
) -> None:
    import pyarrow as pa

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    src = DataSource("dir", path=str(xtreme_dir))
    panx = load_examples(get_task("panx"), src, "de", "validation", 20).examples
    udpos = load_examples(get_task("udpos"), src, "de", "validation", 20).examples
    mirror = tmp_path / "xtreme"
    for config, rows in (
        ("PAN-X.de", [{"tokens": list(e.fields["tokens"]), "ner_tags": [get_task("panx").labels.index(t) for t in e.label], "langs": ["de"] * len(e.label)} for e in panx]),
        ("udpos.German", [{"tokens": list(e.fields["tokens"]), "pos_tags": list(e.label)} for e in udpos]),
    ):  # fmt: skip
        (mirror / config).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows), mirror / config / "validation-00000.parquet")
    (mirror / "README.md").write_text(HUB_README)
    hub = DataSource("hub", path=str(mirror))
    assert load_examples(get_task("panx"), hub, "de", "validation").examples == panx
    got = load_examples(get_task("udpos"), hub, "de", "validation")
    assert got.examples == udpos and got.source["config"] == "udpos.German"


def _attack(fn) -> BoundAttack:  # type: ignore[no-untyped-def]
    return BoundAttack("fake", {}, "fake", fn)


def test_words_stay_one_to_one_under_real_attacks(xtreme_dir: Path) -> None:
    src = DataSource("dir", path=str(xtreme_dir))
    attack = build_attack("charnoise:rate=0.8,min_len=1")
    for task, lang in (("udpos", "vi"), ("udpos", "zh"), ("panx", "hi"), ("panx", "ar"), ("udpos", "de")):
        for ex in load_examples(get_task(task), src, lang, "validation", 40).examples:
            out = perturb_tokens(ex.fields["tokens"], lang, attack, random.Random(ex.id))
            assert len(out.tokens) == len(ex.label)
            for i, (old, new) in enumerate(zip(ex.fields["tokens"], out.tokens, strict=True)):
                assert (old != new) == (i in out.changed)
                assert new.strip() and len(new.split()) == len(old.split())
            again = perturb_tokens(ex.fields["tokens"], lang, attack, random.Random(ex.id))
            assert again == out


def test_splitting_or_merging_changes_are_rejected_per_word() -> None:
    def split_long_words(text: str, lang: str, rng: random.Random) -> Perturbed:
        return Perturbed(
            SEPARATOR.join(w[:2] + " " + w[2:] if len(w) > 4 else w.upper() for w in text.split(SEPARATOR)),
            ((0, 1),),
        )

    out = perturb_tokens(("Berlin", "is", "big"), "en", _attack(split_long_words), random.Random(0))
    assert out.tokens == ("Berlin", "IS", "BIG") and out.rejected == (0,) and out.changed == (1, 2)

    def merge(text: str, lang: str, rng: random.Random) -> Perturbed:
        return Perturbed(text.replace(SEPARATOR, " ", 1), ((0, 1),), 3, 1)

    merged = perturb_tokens(("New", "York", "City"), "en", _attack(merge), random.Random(0))
    assert merged.tokens == ("New", "York", "City") and merged.changed == () and merged.rejected == (0, 1, 2)

    def empty(text: str, lang: str, rng: random.Random) -> Perturbed:
        return Perturbed(text.replace("b", ""), ((0, 1),))

    assert perturb_tokens(("a", "b", "c"), "en", _attack(empty), random.Random(0)).rejected == (1,)

    def upper(text: str, lang: str, rng: random.Random) -> Perturbed:
        return Perturbed(text.upper(), ((0, 1),))

    spaced = perturb_tokens(("sinh viên", "học"), "vi", _attack(upper), random.Random(0))
    assert spaced.tokens == ("SINH VIÊN", "HỌC") and spaced.rejected == ()  # a word's inner space is kept


@pytest.fixture(scope="module")
def tiny_taggers(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> dict[str, Path]:
    from robustx.models.tiny_heads import build_tiny_tagger

    corpus = tagging_corpus(xtreme_dir)
    root = tmp_path_factory.mktemp("taggers")
    return {name: build_tiny_tagger(root / name, corpus, get_task(name).labels) for name in ("udpos", "panx")}


def test_tagger_labels_first_subtoken_windows_long_sentences_and_ignores_batching(
    tiny_taggers: dict[str, Path], xtreme_dir: Path
) -> None:
    import numpy as np
    import torch

    from robustx.models.tagger import load_tagger

    task = get_task("panx")
    sents = [
        e.fields["tokens"]
        for e in load_examples(task, DataSource("dir", path=str(xtreme_dir)), "de", "validation", 30).examples
    ]
    victim = load_tagger(str(tiny_taggers["panx"]), task.labels, "cpu", batch_size=7)
    got = victim.predict(sents)
    enc = victim.tokenizer(list(sents[0]), is_split_into_words=True, return_tensors="pt")
    with torch.inference_mode():
        logits = victim.model(**enc).logits[0].numpy()
    first = {w: i for i, w in reversed(list(enumerate(enc.word_ids()))) if w is not None}
    expected = [
        task.labels[int(np.argmax(logits[first[w]][victim.column_order]))] for w in range(len(sents[0]))
    ]
    assert list(got.tags[0]) == expected
    assert (
        load_tagger(str(tiny_taggers["panx"]), task.labels, "cpu", batch_size=1).predict(sents).tags
        == got.tags
    )
    long = [tuple(w for s in sents for w in s)]  # far over 24 sub-tokens: scored in windows of whole words
    short = load_tagger(str(tiny_taggers["panx"]), task.labels, "cpu", max_length=24).predict(long)
    assert len(short.tags[0]) == len(long[0]) and short.untokenized == [0]


def test_wrong_tag_set_is_one_line_exit_2(
    tiny_taggers: dict[str, Path], xtreme_dir: Path, tmp_path: Path
) -> None:
    args = cli_args(
        tiny_taggers["panx"],
        "udpos",
        xtreme_dir,
        tmp_path,
        "--langs",
        "de",
        "--split",
        "validation",
        "--limit",
        "2",
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "do not match the task's" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("task,langs", [("udpos", "de,vi,ja"), ("panx", "hi,zh,fr")])
def test_evaluate_end_to_end_records_recompute_metrics(
    tiny_taggers: dict[str, Path], xtreme_dir: Path, tmp_path: Path, task: str, langs: str
) -> None:
    from robustx.stats import corpus_f1

    for attack in ("none", "charnoise:rate=0.5"):
        result = runner.invoke(
            app,
            cli_args(
                tiny_taggers[task],
                task,
                xtreme_dir,
                tmp_path / attack,
                "--langs",
                langs,
                "--split",
                "validation",
                "--limit",
                "25",
                "--attack",
                attack,
            ),
        )
        assert result.exit_code == 0, result.output
        run = only_run(tmp_path / attack)
        records = pq.read_table(run / "records.parquet").to_pylist()
        metrics = json.loads((run / "metrics.json").read_text())
        for lang in langs.split(","):
            rows = [r for r in records if r["lang"] == lang]
            assert len(rows) == 25
            for side in ("clean", "attacked"):
                counts = [
                    sum(sentence_counts(r["gold"], r[f"pred_{side}"])[i] for r in rows) for i in range(3)
                ]
                assert counts == [sum(r[f"{k}_{side}"] for r in rows) for k in ("tp", "fp", "fn")]
                assert metrics["languages"][lang][side] == pytest.approx(corpus_f1(*counts))
        for r in records:
            clean, att = json.loads(r["text_clean"])["tokens"], json.loads(r["text_attacked"])["tokens"]
            assert len(clean) == len(att) == len(r["gold"]) == len(r["pred_attacked"])
            if clean == att:
                assert r["pred_attacked"] == r["pred_clean"]
        if attack == "none":
            assert all(r["status"] == "unchanged" for r in records) and metrics["overall"]["drop"] == 0
        else:
            assert any(r["status"] == "perturbed" for r in records)
            assert metrics["overall"]["ci_low"] <= metrics["overall"]["drop"] <= metrics["overall"]["ci_high"]


def test_local_jsonl_file_with_list_columns(tmp_path: Path, xtreme_dir: Path) -> None:
    expected = load_examples(
        get_task("panx"), DataSource("dir", path=str(xtreme_dir)), "hi", "validation", 10
    ).examples
    rows = [{"words": list(e.fields["tokens"]), "ner": list(e.label), "lang": "hi"} for e in expected]
    rows.insert(2, {"words": ["Berlin"], "ner": ["B-LOC"], "lang": "de"})
    path = tmp_path / "ner.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    got = load_examples(
        get_task("panx"),
        DataSource("file", path=str(path), columns="tokens=words,label=ner"),
        "hi",
        "validation",
    )
    assert [(e.fields, e.label) for e in got.examples] == [(e.fields, e.label) for e in expected]
    path.write_text(json.dumps({"words": ["a", "b"], "ner": ["O"]}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"ner\.jsonl:1: language hi: 2 tokens but 1 tags"):
        load_examples(
            get_task("panx"),
            DataSource("file", path=str(path), columns="tokens=words,label=ner"),
            "hi",
            "validation",
        )
