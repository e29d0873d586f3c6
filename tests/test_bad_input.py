"""Every bad input: one clear line naming the fault, exit code 2, nothing that looks complete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robustx.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def base_encoder(tmp_path_factory: pytest.TempPathFactory, tiny_xnli_model: Path) -> Path:
    """The tiny model's encoder saved without a classification head."""
    from transformers import AutoModel

    out = tmp_path_factory.mktemp("enc") / "encoder"
    AutoModel.from_pretrained(tiny_xnli_model).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def two_label_model(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> Path:
    from robustx.models.tiny import build_tiny_classifier

    return build_tiny_classifier(
        tmp_path_factory.mktemp("m") / "binary", ["a b c", "d e f"] * 50, ("0", "1"), vocab_size=30
    )


def _fail(*args: str) -> str:
    result = runner.invoke(app, ["evaluate", "--quiet", *args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def _args(model: Path | str, data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--model",
        str(model),
        "--task",
        "xnli",
        "--data-dir",
        str(data),
        "--out",
        str(out),
        "--limit",
        "5",
        *extra,
    ]


def _assert_nothing_complete(out: Path) -> None:
    assert not list(out.rglob("metrics.json")) and not list(out.rglob("records.parquet"))


def test_missing_model_dir(xtreme_dir: Path, tmp_path: Path) -> None:
    assert "model dir not found: ./nope" in _fail(*_args("./nope", xtreme_dir, tmp_path))
    _assert_nothing_complete(tmp_path)


def test_checkpoint_without_classification_head(base_encoder: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    assert "has no sequence-classification head" in _fail(*_args(base_encoder, xtreme_dir, tmp_path))


def test_wrong_number_of_labels(two_label_model: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    line = _fail(*_args(two_label_model, xtreme_dir, tmp_path))
    assert "has 2 labels (0, 1); the task needs 3 (entailment, neutral, contradiction)" in line


def test_mismatched_label_names(tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    import shutil

    model = tmp_path / "renamed"
    shutil.copytree(tiny_xnli_model, model)
    config = json.loads((model / "config.json").read_text())
    config["id2label"] = {"0": "positive", "1": "neutral", "2": "negative"}
    (model / "config.json").write_text(json.dumps(config))
    line = _fail(*_args(model, xtreme_dir, tmp_path / "out"))
    assert (
        "labels (positive, neutral, negative) do not match the task's (entailment, neutral, contradiction)"
        in line
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--task", "xnlii"], "unknown task 'xnlii' (did you mean 'xnli'?)"),
        (["--langs", "de,xx"], "task xnli has no language 'xx'"),
        (["--attack", "charnoize"], "unknown attack 'charnoize' (did you mean 'charnoise'?)"),
        (["--attack", "charnoise:rate=lots"], "bad value 'lots' for charnoise:rate: expected float"),
        (["--attack", "charnoise:rate"], "malformed parameter 'rate'"),
        (["--attack", "charnoise:rate=2"], "charnoise:rate=2.0 is outside [0, 1]"),
        (["--split", "train"], "unknown split 'train'"),
    ],
)
def test_unknown_names_and_malformed_specs(
    tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    assert message in _fail(*_args(tiny_xnli_model, xtreme_dir, tmp_path), *extra)
    _assert_nothing_complete(tmp_path)


def test_data_dir_without_needed_file(tiny_xnli_model: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    line = _fail(*_args(tiny_xnli_model, tmp_path / "data", tmp_path / "out", "--langs", "de"))
    assert "has no xnli/test-de.tsv for task xnli, language de" in line


def test_malformed_row_names_file_and_line(tiny_xnli_model: Path, tmp_path: Path) -> None:
    (tmp_path / "data" / "xnli").mkdir(parents=True)
    (tmp_path / "data" / "xnli" / "test-de.tsv").write_text("a\tb\tneutral\nc\td\n")
    line = _fail(*_args(tiny_xnli_model, tmp_path / "data", tmp_path / "out", "--langs", "de"))
    assert "test-de.tsv:2: expected 3 tab-separated columns" in line


def test_empty_dataset_after_filtering(tiny_xnli_model: Path, tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"premise": "a", "hypothesis": "b", "label": "neutral", "lang": "de"}) + "\n")
    line = _fail(
        "--model",
        str(tiny_xnli_model),
        "--task",
        "xnli",
        "--data-file",
        str(data),
        "--langs",
        "hi",
        "--out",
        str(tmp_path / "out"),
    )
    assert "no xnli examples for language hi" in line


def test_out_dir_with_different_config(tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    ok = runner.invoke(
        app, ["evaluate", "--quiet", *_args(tiny_xnli_model, xtreme_dir, tmp_path, "--langs", "de")]
    )
    assert ok.exit_code == 0, ok.output
    line = _fail(*_args(tiny_xnli_model, xtreme_dir, tmp_path, "--langs", "de", "--split", "validation"))
    assert "holds a run with a different configuration (split, data differ)" in line
