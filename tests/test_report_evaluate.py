"""End to end on real XNLI rows: `robustx evaluate` (tiny random model) -> `robustx report` / `robustx check`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from robustx.cli import app

ATTACKS = ("none", "charnoise:rate=0.5")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def evaluate(model: Path, data: Path, out: Path, attack: str) -> None:
    code, output = cli(
        "evaluate", "--model", str(model), "--task", "xnli", "--data-dir", str(data), "--out", str(out),
        "--langs", "de,hi", "--limit", "30", "--attack", attack, "--quiet",
    )  # fmt: skip
    assert code == 0, output


@pytest.fixture(scope="module")
def runs(tiny_xnli_model: Path, xtreme_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    for attack in ATTACKS:
        evaluate(tiny_xnli_model, xtreme_dir, out, attack)
    return out


def test_report_of_real_runs_equals_the_records(runs: Path, tmp_path: Path) -> None:
    code, output = cli("report", str(runs), "--out", str(tmp_path))
    assert code == 0, output
    board = json.loads((tmp_path / "leaderboard.json").read_text())
    (row,) = board["rows"]
    (cell,) = row["cells"].values()
    assert cell["attack"].startswith("charnoise:") and board["families"] == {"holm": 1, "bh": 2}
    records = pq.read_table(Path(cell["run"]) / "records.parquet").to_pydict()
    gold, langs = np.array(records["gold"]), np.array(records["lang"])
    for lang in ("de", "hi"):
        m = langs == lang
        for key, column in (("clean", "pred_clean"), ("attacked", "pred_attacked")):
            assert cell["languages"][lang][key] == pytest.approx(
                np.mean(np.array(records[column])[m] == gold[m])
            )
    assert row["robust_score"] == pytest.approx(cell["overall"]["attacked"])
    assert not board["skipped"] and not board["warnings"]  # metrics.json agrees with the records
    html = (tmp_path / "leaderboard.html").read_text()
    assert "<mark>" in html or "None: no example flipped" in html


def test_gate_passes_the_same_checkpoint_evaluated_twice(
    runs: Path, tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    for attack in ATTACKS:
        evaluate(tiny_xnli_model, xtreme_dir, again, attack)
    code, output = cli(
        "check", "--baseline", str(runs), "--candidate", str(again), "--junit", str(tmp_path / "j.xml")
    )
    assert code == 0, output
    assert "PASS" in output and "skipped xnli / none / seed 0" in output
    assert (tmp_path / "j.xml").read_text().count("<testcase") == 3  # overall, de, hi


# ---------------------------------------------------------------- tagging, QA and retrieval, end to end


def evaluate_task(model: Path, task: str, data: Path, out: Path, *extra: str) -> None:
    for attack in ATTACKS:
        code, output = cli(
            "evaluate", "--model", str(model), "--task", task, "--data-dir", str(data), "--out", str(out),
            "--attack", attack, "--quiet", *extra,
        )  # fmt: skip
        assert code == 0, output


@pytest.fixture(scope="module")
def family_runs(xtreme_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real PAN-X, XQuAD, Tatoeba and BUCC rows through tiny models, clean and under char noise."""
    from robustx.models.tiny_heads import build_tiny_encoder, build_tiny_qa, build_tiny_tagger
    from robustx.tasks import get_task
    from tests.family_models import qa_corpus, tagging_corpus
    from tests.test_retrieval import _bucc_layout

    root = tmp_path_factory.mktemp("family-e2e")
    corpus = tagging_corpus(xtreme_dir)
    models = {
        "panx": build_tiny_tagger(root / "models" / "tagger", corpus, get_task("panx").labels),
        "xquad": build_tiny_qa(root / "models" / "qa", qa_corpus(xtreme_dir)),
        "tatoeba": build_tiny_encoder(root / "models" / "encoder", corpus),
    }
    out = root / "runs"
    evaluate_task(
        models["panx"], "panx", xtreme_dir, out, "--langs", "hi,fr", "--split", "validation", "--limit", "25"
    )
    evaluate_task(
        models["xquad"], "xquad", xtreme_dir, out, "--langs", "de,zh", "--limit", "12", "--max-length", "128"
    )
    evaluate_task(models["tatoeba"], "tatoeba", xtreme_dir, out, "--langs", "de,th", "--limit", "30")
    evaluate_task(
        models["tatoeba"], "bucc", _bucc_layout(xtreme_dir, root / "bucc-data"), out, "--langs", "de"
    )
    return {"root": root, "runs": out, **models}


def test_report_of_real_family_runs_equals_the_records(family_runs: dict[str, Path], tmp_path: Path) -> None:
    from tests.test_report_families import recompute

    code, output = cli("report", str(family_runs["runs"]), "--out", str(tmp_path))
    assert code == 0, output
    board = json.loads((tmp_path / "leaderboard.json").read_text())
    cells = [c for row in board["rows"] for c in row["cells"].values()]
    assert sorted(c["task"] for c in cells) == ["bucc", "panx", "tatoeba", "xquad"]
    for cell in cells:  # BUCC: F1 from the sets of extracted and gold pairs, checked in recompute
        want = recompute(Path(cell["run"]))
        assert cell["overall"]["p"] == pytest.approx(want["p"], rel=1e-9)
        for lang, exp in want["languages"].items():
            got = cell["languages"][lang]
            assert (got["clean"], got["attacked"]) == pytest.approx(
                (exp["clean"], exp["attacked"]), abs=1e-12
            )
            assert got["p"] == pytest.approx(exp["p"], rel=1e-9)
            if "em_clean" in exp:
                assert got["em_clean"] == pytest.approx(exp["em_clean"], abs=1e-12)
    # metrics.json (written by evaluate) agrees with the report's recomputation, and nothing is skipped
    assert not board["skipped"] and not [w for w in board["warnings"] if "disagrees" in w]


def test_gate_evaluates_family_checkpoints_on_the_baselines_examples(
    family_runs: dict[str, Path], xtreme_dir: Path, tmp_path: Path
) -> None:
    for task in ("panx", "xquad"):
        snap = tmp_path / f"{task}.snapshot"
        code, output = cli(
            "check", "--baseline", str(family_runs["runs"]), "--task", task, "--snapshot", str(snap)
        )
        assert code == 0, output
        code, output = cli(
            "check", "--baseline", str(snap), "--candidate", str(family_runs[task]), "--out", str(tmp_path / "c"),
            "--quiet", "--max-drop", "0", "--junit", str(tmp_path / f"{task}.xml"),
        )  # fmt: skip
        assert code == 0, output  # the same checkpoint: identical outputs, Δ = 0 in every cell
        assert "PASS" in output and (tmp_path / f"{task}.xml").read_text().count("<testcase") == 3
