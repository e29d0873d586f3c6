"""`robustx quickstart` end to end with a short fine-tune: the real embedded model, the bundled data,
both training pipelines, both task families, all three attack families and the leaderboard; a second
run neither retrains nor recomputes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from robustx.bundle import languages
from robustx.cli import app
from robustx.quickstart import ATTACKS


@pytest.mark.slow
def test_quickstart_trains_evaluates_reports_and_reuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBUSTX_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ROBUSTX_DICTS", raising=False)
    out, report = tmp_path / "runs", tmp_path / "report"
    args = ["quickstart", "--out", str(out), "--report", str(report), "--steps", "2", "--limit", "3"]
    first = CliRunner().invoke(app, [*args, "--retrieval-limit", "3", "--quiet"])
    assert first.exit_code == 0, first.output
    runs = sorted(p.parent for p in out.rglob("metrics.json"))
    assert len(runs) == 4 * len(ATTACKS)  # 2 taggers on PAN-X + 2 encoders on Tatoeba
    lineages = {}
    for run in runs:
        config = json.loads((run / "config.json").read_text(encoding="utf-8"))
        rows = pq.read_table(run / "records.parquet").column("lang").to_pylist()
        assert set(rows) == set(languages(config["task"])) and len(rows) == 3 * len(set(rows))
        lineages[Path(config["model"]).name] = config["lineage"]
    stilts = next(v for k, v in lineages.items() if k.startswith("stilts-"))
    assert [p["task"] for p in stilts["intermediate"]] == ["snli"] and stilts["target"]["task"] == "panx"
    baseline = next(v for k, v in lineages.items() if k.startswith("baseline-"))
    assert baseline["intermediate"] == [] and lineages["multilingual-e5-small"] is None
    assert baseline["base"]["ref"] == stilts["base"]["ref"] == "embedded"  # not this machine's cache path
    board = json.loads((report / "leaderboard.json").read_text(encoding="utf-8"))
    assert len(board["rows"]) == 4
    assert "<svg" in (report / "leaderboard.html").read_text(encoding="utf-8")
    assert "What you are looking at" in first.output

    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    second = CliRunner().invoke(app, [*args, "--retrieval-limit", "3", "--quiet"])
    assert second.exit_code == 0, second.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps  # nothing recomputed
