"""QA (XQuAD, MLQA, TyDiQA-GoldP): official normalisations on hand-computed fixtures, loaders, answer
protection under attack, windowed decoding, and end-to-end runs whose records recompute the metrics."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from robustx.attacks.base import BoundAttack, build_attack
from robustx.cli import app
from robustx.errors import DataError, SpecError
from robustx.families import apply
from robustx.families.qa import perturb_question
from robustx.scoring.squad import normalize_mlqa, normalize_squad, qa_scores
from robustx.tasks import DataSource, get_task, load_examples
from robustx.types import Perturbed
from tests.family_models import cli_args, only_run, qa_corpus

runner = CliRunner()


@pytest.mark.parametrize(
    "pred,golds,em,f1",
    [
        ("The Denver Broncos", ["Denver Broncos"], 1.0, 1.0),  # article and case dropped
        ("Broncos!", ["the  Broncos"], 1.0, 1.0),  # ASCII punctuation, extra spaces
        ("the big cat", ["a cat"], 0.0, 2 / 3),  # 'big cat' vs 'cat': P 1/2, R 1
        ("cat cat", ["cat"], 0.0, 2 / 3),  # token multiset: P 1/2, R 1
        ("dog", ["cat", "a dog"], 1.0, 1.0),  # max over gold answers
        ("", ["cat"], 0.0, 0.0),
        ("the", ["a"], 1.0, 0.0),  # both normalise to '': EM 1, F1 0 (official v1.1 behaviour)
        ("1,000 — yes", ["1000 yes"], 0.0, 0.8),  # "—" is not ASCII punctuation: P 2/3, R 1
    ],
)
def test_squad_v1_1_scores_hand_computed(pred: str, golds: list[str], em: float, f1: float) -> None:
    assert qa_scores(pred, golds, "squad") == (em, pytest.approx(f1))


@pytest.mark.parametrize(
    "pred,gold,lang,em,f1",
    [
        ("北京大学", "北京", "zh", 0.0, 2 / 3),  # each Han character is a token: 2 of 4
        ("北京。", "北京", "zh", 1.0, 1.0),  # Unicode punctuation removed
        ("der Hund", "Hund", "de", 1.0, 1.0),
        ("el perro", "perro", "es", 1.0, 1.0),
        ("الكتاب", "كتاب", "ar", 1.0, 1.0),  # every 'ال' removed, as the script's pattern does
        ("của tôi", "tôi", "vi", 1.0, 1.0),
        ("भारत।", "भारत", "hi", 1.0, 1.0),  # danda is Unicode punctuation
        ("1,000 — yes", "1000 yes", "en", 1.0, 1.0),  # '—' removed too
        ("the cat", "a cat sat", "en", 0.0, 2 / 3),  # "cat" vs "cat sat": P 1, R 1/2
    ],
)
def test_mlqa_scores_hand_computed(pred: str, gold: str, lang: str, em: float, f1: float) -> None:
    assert qa_scores(pred, [gold], "mlqa", lang) == (em, pytest.approx(f1))


def test_normalisers_differ_where_the_scripts_do() -> None:
    assert normalize_squad("Hello, World — «x»") == "hello world — «x»"
    assert normalize_mlqa("Hello, World — «x»", "en") == "hello world x"
    assert normalize_mlqa("我爱 NLP", "zh") == "我 爱 nlp"
    with pytest.raises(ValueError, match="no rules for language th"):
        normalize_mlqa("x", "th")


def test_loaders_on_real_data_share_ids_across_languages(xtreme_dir: Path) -> None:
    src = DataSource("dir", path=str(xtreme_dir))
    de = load_examples(get_task("xquad"), src, "de", "test", 30).examples
    th = load_examples(get_task("xquad"), src, "th", "test", 30).examples  # xquad.th.json.gz
    assert [e.id for e in de] == [e.id for e in th] and de[0].id.startswith("xquad/test/56beb")
    for ex in de + th:
        for text, start in ex.label:
            assert ex.fields["context"][start : start + len(text)] == text
    ar = load_examples(get_task("mlqa"), src, "ar", "validation", 5).examples  # mlqa/dev/…ar….json.gz
    en = load_examples(get_task("mlqa"), src, "en", "validation").examples
    assert ar[0].id in {e.id for e in en}  # MLQA questions are parallel across languages
    with pytest.raises(SpecError, match="XQuAD is a test set only"):
        load_examples(get_task("xquad"), src, "de", "validation")
    with pytest.raises(DataError, match="no mlqa/MLQA_V1/test/test-context-de-question-de.json"):
        load_examples(get_task("mlqa"), src, "de", "test")


def test_unlabelled_tydiqa_dev_is_a_clear_error(xtreme_dir: Path) -> None:
    # The shared copy of TyDiQA-GoldP dev has every gold answer blanked: refuse, never score against ''.
    with pytest.raises(
        DataError, match=r"tydiqa\.goldp\.sw\.dev\.json: language sw: .* gold answer is empty"
    ):
        load_examples(get_task("tydiqa"), DataSource("dir", path=str(xtreme_dir)), "sw", "test")


def _tydiqa_layout(xtreme_dir: Path, root: Path, lang: str, n: int) -> Path:
    """A TyDiQA dev file in XTREME's layout built from the real (labelled) train file, ids made unique."""
    src = xtreme_dir / "tydiqa" / "tydiqa-goldp-v1.1-train" / f"tydiqa.goldp.{lang}.train.json.gz"
    data = json.loads(gzip.decompress(src.read_bytes()))
    count = 0
    for article in data["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                qa["id"] = f"swahili-{count:06d}"
                count += 1
    out = root / "tydiqa" / "tydiqa-goldp-v1.1-dev" / f"tydiqa.goldp.{lang}.dev.json"
    out.parent.mkdir(parents=True)
    data["data"] = data["data"][:n]
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return root


def test_hub_mirror_reads_xquad_and_filters_tydiqa_by_id(
    tmp_path: Path, xtreme_dir: Path, monkeypatch
) -> None:
    import pyarrow as pa

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    de = load_examples(get_task("xquad"), DataSource("dir", path=str(xtreme_dir)), "de", "test", 15).examples
    mirror = tmp_path / "xtreme"
    rows = [
        {"id": e.id.split("/")[-1], "context": e.fields["context"], "question": e.fields["question"],
         "answers": {"text": [t for t, _ in e.label], "answer_start": [s for _, s in e.label]}}
        for e in de
    ]  # fmt: skip
    tydi = [
        dict(r, id=f"{name}-{i}")
        for i, (r, name) in enumerate(zip(rows, ["swahili", "finnish"] * 8, strict=False))
    ]
    for config, split, table in (("XQuAD.de", "validation", rows), ("tydiqa", "validation", tydi)):
        (mirror / config).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(table), mirror / config / f"{split}-00000.parquet")
    (mirror / "README.md").write_text(
        "---\nconfigs:\n"
        + "".join(
            f"- config_name: {c}\n  data_files:\n  - split: validation\n    path: {c}/validation-*.parquet\n"
            for c in ("XQuAD.de", "tydiqa")
        )
        + "---\n"
    )
    hub = DataSource("hub", path=str(mirror))
    assert load_examples(get_task("xquad"), hub, "de", "test").examples == de
    sw = load_examples(get_task("tydiqa"), hub, "sw", "test").examples
    assert len(sw) == 8 and all(e.id.startswith("tydiqa/test/swahili-") for e in sw)


def _every_word(text: str, lang: str, rng: random.Random) -> Perturbed:
    """Reverse every word (changes lengths nowhere, characters everywhere)."""
    from robustx.attacks.words import perturb_words

    return perturb_words(text, lang, rng, 1.0, lambda tok: True, lambda w, r: w[::-1] + "x")


@pytest.mark.parametrize("lang", ["de", "zh", "th", "ar", "hi"])
def test_answers_survive_attacks_at_remapped_offsets(xtreme_dir: Path, lang: str) -> None:
    examples = load_examples(
        get_task("xquad"), DataSource("dir", path=str(xtreme_dir)), lang, "test", 60
    ).examples
    for attack in (
        BoundAttack("words", {}, "words", _every_word),
        build_attack("charnoise:rate=1.0,min_len=1"),
    ):
        for ex in examples:
            question, context, answers = perturb_question(ex, attack, seed=0)
            assert [t for t, _ in answers] == [t for t, _ in ex.label]
            for text, start in answers:
                assert context.text[start : start + len(text)] == text
                assert all(b <= start or a >= start + len(text) for a, b in context.changed)
            assert perturb_question(ex, attack, seed=0) == (question, context, answers)
        assert any(perturb_question(ex, attack, 0)[1].is_changed for ex in examples)


def test_a_touched_answer_is_an_error(xtreme_dir: Path, monkeypatch) -> None:
    ex = load_examples(get_task("xquad"), DataSource("dir", path=str(xtreme_dir)), "en", "test", 1).examples[
        0
    ]
    monkeypatch.setattr(apply, "protected_spans", lambda context, answers, lang: [])  # protection broken
    with pytest.raises(apply.AnswerChangedError):
        perturb_question(ex, BoundAttack("words", {}, "words", _every_word), seed=0)


@pytest.fixture(scope="module")
def tiny_qa(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> Path:
    from robustx.models.tiny_heads import build_tiny_qa

    return build_tiny_qa(tmp_path_factory.mktemp("qa") / "tiny-qa", qa_corpus(xtreme_dir))


def test_windowed_decoding_returns_context_spans_independent_of_batching(
    tiny_qa: Path, xtreme_dir: Path
) -> None:
    from robustx.models.qa import load_qa_model

    examples = load_examples(
        get_task("xquad"), DataSource("dir", path=str(xtreme_dir)), "de", "test", 12
    ).examples
    qs, cs = [e.fields["question"] for e in examples], [e.fields["context"] for e in examples]
    victim = load_qa_model(
        str(tiny_qa), "cpu", batch_size=5, max_length=96, doc_stride=32, max_answer_length=10, n_best=5
    )
    enc = victim._features(qs, cs)
    assert len(enc["input_ids"]) > len(qs)  # long contexts became several windows
    got = victim.predict(qs, cs)
    for answer, context in zip(got, cs, strict=True):
        assert answer.start >= 0 and context[answer.start : answer.start + len(answer.text)] == answer.text
        assert 0 < len(victim.tokenizer(answer.text, add_special_tokens=False)["input_ids"]) <= 12
    one = load_qa_model(
        str(tiny_qa), "cpu", batch_size=1, max_length=96, doc_stride=32, max_answer_length=10, n_best=5
    )
    assert [(a.text, a.start) for a in one.predict(qs, cs)] == [(a.text, a.start) for a in got]


def _check_run(run: Path, style: str) -> None:
    records = pq.read_table(run / "records.parquet").to_pylist()
    metrics = json.loads((run / "metrics.json").read_text())
    for r in records:
        for side in ("clean", "attacked"):
            em, f1 = qa_scores(r[f"pred_{side}"], r["gold"], style, r["lang"])  # type: ignore[arg-type]
            assert (r[f"em_{side}"], r[f"f1_{side}"]) == (em, pytest.approx(f1))
        context = json.loads(r["text_attacked"])["context"]
        for text, start in zip(r["gold"], r["gold_start_attacked"], strict=True):
            assert context[start : start + len(text)] == text
        if r["text_hash"] == r["text_hash_attacked"]:
            assert r["pred_attacked"] == r["pred_clean"]
    for lang, cell in metrics["languages"].items():
        rows = [r for r in records if r["lang"] == lang]
        assert cell["clean"] == pytest.approx(sum(r["f1_clean"] for r in rows) / len(rows))
        assert cell["em_attacked"] == pytest.approx(sum(r["em_attacked"] for r in rows) / len(rows))
        assert 0 <= cell["mcnemar_p"] <= 1


@pytest.mark.parametrize(
    "task,langs,split",
    [("xquad", "de,zh", "test"), ("mlqa", "ar,hi", "validation"), ("tydiqa", "sw", "test")],
)
def test_evaluate_end_to_end(
    tiny_qa: Path, xtreme_dir: Path, tmp_path: Path, task: str, langs: str, split: str
) -> None:
    data = _tydiqa_layout(xtreme_dir, tmp_path / "data", "sw", 6) if task == "tydiqa" else xtreme_dir
    for attack in ("none", "charnoise:rate=0.4"):
        args = cli_args(
            tiny_qa,
            task,
            data,
            tmp_path / attack.split(":")[0],
            "--langs",
            langs,
            "--split",
            split,
            "--limit",
            "12",
            "--attack",
            attack,
            "--max-length",
            "128",
        )
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        _check_run(only_run(tmp_path / attack.split(":")[0]), "mlqa" if task == "mlqa" else "squad")
