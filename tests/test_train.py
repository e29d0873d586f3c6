"""robustx train: every head through both phases, multi-task sampling, lineage, evaluate, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from robustx.cli import app
from tests.train_support import conll, run, tiny_encoder, weights

runner = CliRunner()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> Path:
    import torch

    torch.set_num_threads(1)
    return tiny_encoder(tmp_path_factory.mktemp("base") / "tiny", xtreme_dir)


@pytest.fixture(scope="module")
def snli_xnli(tmp_path_factory: pytest.TempPathFactory, base: Path, xtreme_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("runs") / "snli-xnli"
    run(base, out, xtreme_dir, intermediate="snli", target="xnli")
    return out


def _lineage(out: Path) -> dict:
    return json.loads((out / "lineage.json").read_text(encoding="utf-8"))


def _changed(a: object, b: object) -> bool:
    return not np.allclose(np.asarray(a), np.asarray(b))


def test_classification_both_phases_encoder_carried(snli_xnli: Path, base: Path) -> None:
    from transformers import AutoModelForSequenceClassification

    lineage = _lineage(snli_xnli)
    assert lineage["intermediate_tasks"] == ["snli"] and lineage["target"]["task"] == "xnli"
    assert [p["steps_done"] for p in lineage["intermediate"]] == [2]
    assert lineage["target"]["steps_done"] == 2
    assert lineage["intermediate"][0]["tasks"][0]["stand_in"] is True  # shared data has no SNLI train file
    model = AutoModelForSequenceClassification.from_pretrained(snli_xnli)
    assert model.config.id2label == {0: "entailment", 1: "neutral", 2: "contradiction"}
    key = "encoder.layer.0.attention.self.query.weight"
    w0, w1 = weights(base), weights(snli_xnli / "_work" / "1-snli" / "encoder")
    w2 = weights(snli_xnli)
    assert _changed(w0[key], w1[key])  # the intermediate phase trained the encoder ...
    assert _changed(w1[key], w2["roberta." + key])  # ... and the target phase trained on from there
    assert np.allclose(
        w0["embeddings.word_embeddings.weight"], w2["roberta.embeddings.word_embeddings.weight"]
    )
    assert (snli_xnli / "_work" / "1-snli" / "encoder" / "lineage.json").is_file()


@pytest.mark.parametrize(
    ("intermediate", "target", "model_class", "metric"),
    [
        ("socialiqa", "pawsx", "AutoModelForSequenceClassification", "accuracy"),  # multiple choice first
        ("piqa", "tydiqa", "AutoModelForQuestionAnswering", "f1"),  # extractive QA target (real TyDiQA en)
        ("ccg", "udpos", "AutoModelForTokenClassification", "token_accuracy"),  # tagging both phases
        ("squad", "panx", "AutoModelForTokenClassification", "span_f1"),  # QA intermediate, BIO target
    ],
)
def test_every_head_through_both_phases(
    tmp_path: Path,
    base: Path,
    xtreme_dir: Path,
    intermediate: str,
    target: str,
    model_class: str,
    metric: str,
) -> None:
    import transformers

    files = [f"ccg={conll(tmp_path / 'ccg.tsv')}"] if intermediate == "ccg" else []
    if intermediate == "squad":  # a SQuAD-format file: TyDiQA's English training set stands in here
        files = [f"squad={xtreme_dir / 'tydiqa/tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json.gz'}"]
    out = tmp_path / "out"
    run(base, out, xtreme_dir, intermediate=intermediate, target=target, train_file=files)
    lineage = _lineage(out)
    phase, final = lineage["intermediate"][0], lineage["target"]
    assert phase["steps_done"] == 2 and final["steps_done"] == 2
    assert final["dev"]["selected"]["metric"] == metric
    assert all(0.0 <= r["score"] <= 100.0 for r in final["dev"]["history"])
    model = getattr(transformers, model_class).from_pretrained(out)
    if target == "udpos":
        assert model.config.num_labels == 17 and model.config.id2label[0] == "ADJ"


def test_retrieval_target_saves_the_intermediate_encoder(
    tmp_path: Path, base: Path, xtreme_dir: Path
) -> None:
    out = tmp_path / "ret"
    run(base, out, xtreme_dir, intermediate="commonsenseqa", target="tatoeba")
    lineage = _lineage(out)
    assert lineage["target"]["head"] == "retrieval" and lineage["target"]["trained"] is False
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["XLMRobertaModel"]
    key = "encoder.layer.1.output.dense.weight"
    assert np.allclose(weights(out)[key], weights(out / "_work" / "1-commonsenseqa" / "encoder")[key])


def test_fresh_heads_even_from_a_checkpoint_with_one(tmp_path: Path, base: Path) -> None:
    """A base that already has a classifier contributes its encoder only; heads are seeded fresh."""
    from transformers import AutoModelForSequenceClassification

    from robustx.transfer.heads import build_heads, load_encoder

    trained = AutoModelForSequenceClassification.from_pretrained(base, num_labels=3)
    with __import__("torch").no_grad():
        trained.classifier.out_proj.weight.fill_(0.5)
    trained.save_pretrained(tmp_path / "clf")
    labels = ("entailment", "neutral", "contradiction")
    first = build_heads(load_encoder(str(tmp_path / "clf"), 3), {"t": ("classification", labels)}, 3)["t"]
    again = build_heads(load_encoder(str(tmp_path / "clf"), 3), {"t": ("classification", labels)}, 3)["t"]
    head = first.classifier.out_proj.weight.detach().numpy()
    assert not np.allclose(head, 0.5)
    assert np.array_equal(head, again.classifier.out_proj.weight.detach().numpy())  # seeded
    assert np.allclose(
        first.roberta.encoder.layer[0].output.dense.weight.detach(),
        trained.roberta.encoder.layer[0].output.dense.weight.detach(),
    )


def test_sampling_follows_the_temperature_formula() -> None:
    from robustx.transfer.multitask import plan_batches, sampling_probs

    sizes = {"a": 100, "b": 400, "c": 5000}
    for temperature, cap in ((1.0, None), (2.0, None), (5.0, 1000), (1.0, 1000)):
        probs = sampling_probs(sizes, temperature, cap)
        raw = np.array([min(n, cap or n) for n in sizes.values()], dtype=float) ** (1 / temperature)
        assert np.allclose(list(probs.values()), raw / raw.sum())
        plan = plan_batches(sizes, probs, 20_000, 4, seed=1)
        counts = {name: sum(b.task == name for b in plan) / len(plan) for name in sizes}
        assert all(abs(counts[n] - probs[n]) < 0.012 for n in sizes), (temperature, cap, counts, probs)
    plan = plan_batches({"a": 10, "b": 3}, {"a": 0.5, "b": 0.5}, 40, 2, seed=0)
    a_batches = [b.indices for b in plan if b.task == "a"]
    first_pass = [i for batch in a_batches[:5] for i in batch]
    assert sorted(first_pass) == list(range(10))  # without replacement within a pass
    assert plan == plan_batches({"a": 10, "b": 3}, {"a": 0.5, "b": 0.5}, 40, 2, seed=0)


def test_multitask_shared_encoder_one_head_per_task(tmp_path: Path, base: Path, xtreme_dir: Path) -> None:
    out = tmp_path / "mt"
    run(
        base,
        out,
        xtreme_dir,
        intermediate="snli,socialiqa",
        multitask=True,
        target="xnli",
        temperature=2.0,
        keep_checkpoints=True,
    )
    lineage = _lineage(out)
    assert lineage["multitask"] is True and lineage["intermediate_tasks"] == ["snli+socialiqa"]
    sampling = lineage["sampling"]
    assert sampling["temperature"] == 2.0 and set(sampling["probs"]) == {"snli", "socialiqa"}
    selected = lineage["intermediate"][0]["dev"]["selected"]
    assert set(selected["tasks"]) == {"snli", "socialiqa"}
    state = weights(out / "_work" / "1-multitask" / "checkpoints" / "checkpoint-2")
    assert sum(k.endswith("encoder.layer.0.output.dense.weight") for k in state) == 1  # the encoder once
    assert {k.split(".")[1] for k in state if k.startswith("heads.")} == {"snli", "socialiqa"}


def test_lineage_round_trips_into_evaluate(snli_xnli: Path, tmp_path: Path, xtreme_dir: Path) -> None:
    from robustx.transfer.lineage import read_lineage, request_hash

    lineage = read_lineage(snli_xnli)
    assert lineage == _lineage(snli_xnli)
    assert lineage["request_hash"] == request_hash(lineage["request"])
    assert lineage["base"]["hash"].startswith("sha256:") and lineage["robustx_version"]
    args = ["evaluate", "--model", str(snli_xnli), "--task", "xnli", "--langs", "de", "--limit", "12"]
    result = runner.invoke(
        app, [*args, "--data-dir", str(xtreme_dir), "--out", str(tmp_path / "runs"), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    config = json.loads(next((tmp_path / "runs").rglob("config.json")).read_text())
    assert config["lineage"] == lineage and config["lineage"]["intermediate_tasks"] == ["snli"]


def test_finished_run_is_not_retrained(snli_xnli: Path, base: Path, xtreme_dir: Path) -> None:
    before = (snli_xnli / "model.safetensors").stat().st_mtime_ns
    assert run(base, snli_xnli, xtreme_dir, intermediate="snli", target="xnli").state == "complete"
    assert (snli_xnli / "model.safetensors").stat().st_mtime_ns == before


def _fail(*args: str) -> str:
    result = runner.invoke(app, ["train", "--quiet", *args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_bad_input_one_line_exit_2(tmp_path: Path, base: Path, xtreme_dir: Path) -> None:
    common = ["--data-dir", str(xtreme_dir), "--out", str(tmp_path / "o")]
    line = _fail("--base", str(base), "--intermediate", "socialiq", "--target", "xnli", *common)
    assert "unknown intermediate task 'socialiq'" in line and "did you mean 'socialiqa'" in line
    assert "did you mean 'xnli'" in _fail("--base", str(base), "--target", "xnl", *common)
    line = _fail("--base", str(base), "--intermediate", "mnli", "--target", "xnli", *common)
    assert "english/MNLI/multinli_1.0_train.jsonl not found" in line and "multinli_1.0.zip" in line
    (tmp_path / "empty").mkdir()
    assert "has no config.json" in _fail("--base", str(tmp_path / "empty"), "--target", "xnli", *common)
    (tmp_path / "nomodel").mkdir()
    (tmp_path / "nomodel" / "config.json").write_text("{}")
    assert "has no weights" in _fail("--base", str(tmp_path / "nomodel"), "--target", "xnli", *common)
    assert "two or more" in _fail(
        "--base", str(base), "--intermediate", "snli", "--multitask", "--target", "xnli", *common
    )
    assert "TASK=PATH" in _fail("--base", str(base), "--target", "xnli", "--train-file", "xnli", *common)
    line = _fail("--base", str(base), "--target", "xnli", "--fp16", "--device", "cpu", *common)
    assert "--fp16 needs a GPU" in line and not (tmp_path / "o").exists()  # nothing half-started
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "notes.txt").write_text("mine")
    assert "not a robustx training run" in _fail("--base", str(base), "--target", "xnli", *common)


def _mirror(root: Path, dataset: str, config: str, splits: dict[str, list[dict]]) -> None:
    """A local directory laid out like the hub repository: parquet files and a README with configs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    repo = root / dataset
    files = []
    for split, rows in splits.items():
        (repo / config).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), repo / config / f"{split}-00000-of-00001.parquet")
        files.append(f"  - split: {split}\n    path: {config}/{split}-*.parquet")
    readme = repo / "README.md"
    previous = readme.read_text().split("---")[1].removeprefix("\nconfigs:\n") if readme.exists() else ""
    entry = f"- config_name: {config}\n  data_files:\n" + "\n".join(files) + "\n"
    readme.write_text(f"---\nconfigs:\n{previous}{entry}---\n")


def test_hub_loaders_through_load_dataset(tmp_path: Path, base: Path, xtreme_dir: Path) -> None:
    """Real hub ids/configs/columns, read by the same datasets.load_dataset call from a local mirror."""
    from robustx.transfer.catalog import get_intermediate, get_target
    from robustx.transfer.data import DataOptions, load_task_data

    siqa = [
        json.loads(x)
        for x in (xtreme_dir / "english/siqa/socialIQa_v1.4_dev.jsonl").read_text().splitlines()[:30]
    ]
    hub_rows = [
        {k: r[k] for k in ("context", "question", "answerA", "answerB", "answerC")}
        | {"label": str("ABC".index(r["correct"]) + 1)}
        for r in siqa
    ]
    _mirror(tmp_path, "allenai/social_i_qa", "default", {"train": hub_rows[10:], "validation": hub_rows[:10]})
    tags = {"tokens": ["The", "dog", "ran"], "pos_tags": [5, 7, 15]}
    _mirror(tmp_path, "google/xtreme", "udpos.English", {"train": [tags] * 6, "validation": [tags] * 3})
    tydi = [
        {
            "id": f"{lang}-{i}",
            "title": "t",
            "context": "Paris is in France.",
            "question": "Where?",
            "answers": {"text": ["France"], "answer_start": [12]},
        }
        for i, lang in enumerate(["english", "arabic"] * 6)
    ]
    _mirror(tmp_path, "google/xtreme", "tydiqa", {"train": tydi, "validation": tydi})
    options = DataOptions(hub_mirror=tmp_path, dev_size=8)
    hub = load_task_data(get_intermediate("socialiqa"), options)
    local = load_task_data(get_intermediate("socialiqa"), DataOptions(data_dir=xtreme_dir, dev_size=8))
    assert hub.dev == local.dev  # same items from the hub schema and the release files
    assert hub.source["dataset"] == "allenai/social_i_qa" and hub.source["revision"] is None
    pos = load_task_data(get_target("udpos"), options)
    assert pos.train[0].tags == ("DET", "NOUN", "VERB")
    tydiqa = load_task_data(get_target("tydiqa"), DataOptions(hub_mirror=tmp_path, dev_size=4))
    # English rows only; the dev split is XTREME's evaluation set, so selection holds out train rows
    assert [i.id for i in tydiqa.dev] == ["english-0", "english-2", "english-4", "english-6"]
    assert [i.id for i in tydiqa.train] == ["english-8", "english-10"]
    paws = [{"id": i, "sentence1": f"a {i}", "sentence2": f"b {i}", "label": i % 2} for i in range(24)]
    _mirror(tmp_path, "google-research-datasets/paws-x", "en", {"train": paws, "validation": paws[:8]})
    out = tmp_path / "hub-run"
    run(base, out, None, hub_mirror=tmp_path, target="pawsx")
    target = _lineage(out)["target"]
    assert target["tasks"][0]["data"]["kind"] == "hub" and target["tasks"][0]["data"]["config"] == "en"


def test_checkpoint_interval_divides_the_scoring_interval() -> None:
    from robustx.errors import SpecError
    from robustx.transfer.phase import intervals

    assert intervals(steps=40, per_epoch=278, eval_steps=None, save_steps=None) == (40, 40)
    assert intervals(steps=24_000, per_epoch=12_000, eval_steps=None, save_steps=None) == (12_000, 500)
    every, save = intervals(steps=5_000, per_epoch=1_201, eval_steps=None, save_steps=None)
    assert every % save == 0 and save <= 500 and 1_201 <= every < 1_201 + save
    assert intervals(steps=100, per_epoch=10, eval_steps=20, save_steps=None) == (20, 20)
    assert intervals(steps=100, per_epoch=10, eval_steps=20, save_steps=5) == (20, 5)
    with pytest.raises(SpecError, match="must divide"):
        intervals(steps=100, per_epoch=10, eval_steps=20, save_steps=6)


def test_bf16_mixed_precision_runs_on_cpu(tmp_path: Path, base: Path, xtreme_dir: Path) -> None:
    out = tmp_path / "bf16"
    run(base, out, xtreme_dir, target="pawsx", bf16=True)
    target = _lineage(out)["target"]
    assert target["hparams"]["precision"] == "bf16" and target["steps_done"] == 2
    assert all(np.isfinite(v.float().numpy()).all() for v in weights(out).values())


def test_freeze_layers_trains_only_the_upper_layers(tmp_path: Path, base: Path, xtreme_dir: Path) -> None:
    """--freeze-layers N: embeddings and the N lowest layers keep the base weights, the rest trains."""
    out = tmp_path / "frozen"
    run(base, out, xtreme_dir, target="pawsx", freeze_layers=1)
    w0, w1 = weights(base), weights(out)
    for name, value in w0.items():
        trained = w1["roberta." + name] if "roberta." + name in w1 else None
        if trained is None:
            continue
        frozen = name.startswith(("embeddings.", "encoder.layer.0."))
        # exact comparison: an attention key bias gets a gradient of ~0 (softmax shift invariance)
        assert np.array_equal(np.asarray(value), np.asarray(trained)) == frozen, name
    target = _lineage(out)["target"]
    assert target["frozen_layers"] == 1 and target["frozen_embedding_params"] > 0


def test_freeze_layers_out_of_range_is_one_line(tmp_path: Path, base: Path, xtreme_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["train", "--base", str(base), "--target", "pawsx", "--data-dir", str(xtreme_dir),
         "--out", str(tmp_path / "bad"), "--max-steps", "1", "--freeze-layers", "2"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--freeze-layers 2: the encoder has 2 layers; give 0 to 1" in result.output
    assert not (tmp_path / "bad" / "lineage.json").exists()
