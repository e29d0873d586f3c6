"""`robustx quickstart` end to end with a short fine-tune: the real embedded model, real XNLI data,
every language and attack of the job; a second run re-uses the checkpoint and the finished runs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from robustx.cli import app
from robustx.quickstart import ATTACKS, LANGS


@pytest.mark.slow
def test_quickstart_trains_evaluates_and_reuses(
    xtreme_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBUSTX_DATA", str(xtreme_dir))
    monkeypatch.setenv("ROBUSTX_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "runs"
    args = ["quickstart", "--out", str(out), "--steps", "3", "--limit", "4", "--quiet"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    runs = sorted(p.parent for p in out.rglob("metrics.json"))
    assert len(runs) == len(ATTACKS)
    for run in runs:
        rows = pq.read_table(run / "records.parquet").to_pylist()
        assert {r["lang"] for r in rows} == set(LANGS) and len(rows) == 4 * len(LANGS)
        config = json.loads((run / "config.json").read_text(encoding="utf-8"))
        assert config["lineage"]["target"]["task"] == "xnli"
        assert config["lineage"]["hyperparameters"]["steps"] == 3
    assert "What you are looking at" in first.output
    ckpt = Path(config["model"])
    stamps = {p.name: p.stat().st_mtime_ns for p in ckpt.iterdir()}

    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert {p.name: p.stat().st_mtime_ns for p in ckpt.iterdir()} == stamps  # not retrained
    assert second.output.count("already complete; nothing recomputed") == len(ATTACKS)
