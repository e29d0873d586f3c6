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
