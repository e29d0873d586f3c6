"""robustx train-grid: a 2 x 2 grid trains and evaluates every cell, and a re-run skips all of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robustx.cli import app
from tests.train_support import tiny_encoder

runner = CliRunner()


def _grid(tmp_path: Path, base: Path, xtreme: Path) -> Path:
    text = f"""
[grid]
base = "{base}"
intermediate = ["none", "snli"]
targets = ["xnli", "pawsx"]
seeds = [0]
out = "{tmp_path / "ckpt"}"

[train]
data_dir = "{xtreme}"
max_steps = 2
batch_size = 4
dev_size = 8
train_limit = 16
threads = 1

[evaluate]
out = "{tmp_path / "runs"}"
attacks = ["none"]
langs = ["de"]
split = "validation"
limit = 8
"""
    path = tmp_path / "grid.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_grid_trains_evaluates_and_skips_finished_cells(tmp_path: Path, xtreme_dir: Path) -> None:
    import torch

    torch.set_num_threads(1)
    base = tiny_encoder(tmp_path / "tiny", xtreme_dir)
    grid = _grid(tmp_path, base, xtreme_dir)
    first = runner.invoke(app, ["train-grid", str(grid), "--quiet"])
    assert first.exit_code == 0, first.output
    cells = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert cells == ["none-pawsx-s0", "none-xnli-s0", "snli-pawsx-s0", "snli-xnli-s0"]
    assert first.output.count("trained in") == 4 and first.output.count(": fresh") == 4
    metrics = sorted((tmp_path / "runs").rglob("metrics.json"))
    assert len(metrics) == 4
    config = json.loads((metrics[-1].parent / "config.json").read_text())
    assert config["lineage"]["target"]["task"] in {"xnli", "pawsx"}
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "ckpt").rglob("model.safetensors")}
    again = runner.invoke(app, ["train-grid", str(grid), "--quiet"])
    assert again.exit_code == 0, again.output
    assert again.output.count("already trained") == 4 and again.output.count("already complete") == 4
    assert "trained in" not in again.output
    assert stamps == {p: p.stat().st_mtime_ns for p in stamps}
    dry = runner.invoke(app, ["train-grid", str(grid), "--dry-run"])
    assert dry.exit_code == 0 and dry.output.count(": trained ->") == 4


def test_grid_file_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[grid]\nintermediate = ["socialiq"]\ntargets = ["xnli"]\nout = "x"\n')
    result = runner.invoke(app, ["train-grid", str(bad)])
    assert result.exit_code == 2 and "did you mean 'socialiqa'" in result.output
    bad.write_text('[grid]\nintermediate = ["none"]\ntargets = ["xnli"]\nout = "x"\n[train]\nmax_step = 3\n')
    result = runner.invoke(app, ["train-grid", str(bad)])
    assert (
        result.exit_code == 2 and "unknown key 'max_step'" in result.output and "max_steps" in result.output
    )
    result = runner.invoke(app, ["train-grid", str(tmp_path / "missing.toml")])
    assert result.exit_code == 2 and "grid file not found" in result.output


@pytest.mark.parametrize("name", ["examples/train_grid.toml"])
def test_example_grid_parses(name: str) -> None:
    from robustx.transfer.grid import load_grid
    from tests.train_support import REPO

    spec = load_grid(REPO / name)
    assert len(spec.cells) == 4 and spec.base == "embedded"
