"""End to end: `robustx evaluate` on a tiny model and real XNLI rows; records are the source of truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from robustx.cli import app

runner = CliRunner()


def run_cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def evaluate_args(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "evaluate",
        "--model",
        str(model),
        "--task",
        "xnli",
        "--data-dir",
        str(data),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def only_run_dir(out: Path) -> Path:
    found = [p.parent for p in out.rglob("config.json")]
    assert len(found) == 1, found
    return found[0]


def test_records_recompute_metrics(tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    code, output = run_cli(
        *evaluate_args(
            tiny_xnli_model,
            xtreme_dir,
            tmp_path,
            "--langs",
            "de,hi,th",
            "--attack",
            "charnoise:rate=0.5",
            "--limit",
            "60",
        )
    )
    assert code == 0, output
    run = only_run_dir(tmp_path)
    records = pq.read_table(run / "records.parquet")
    metrics = json.loads((run / "metrics.json").read_text())
    langs = np.array(records.column("lang").to_pylist())
    gold = np.array(records.column("gold").to_pylist())
    for column, key in (("pred_clean", "clean"), ("pred_attacked", "attacked")):
        pred = np.array(records.column(column).to_pylist())
        for lang in ("de", "hi", "th"):
            mask = langs == lang
            assert metrics["languages"][lang][key] == pytest.approx(float((pred[mask] == gold[mask]).mean()))
            assert mask.sum() == 60
    config = json.loads((run / "config.json").read_text())
    assert config["attack"].startswith("charnoise:") and "rate=0.5" in config["attack"]
    assert config["model_hash"].startswith("sha256:") and config["data"]["files"]
    # Only changed inputs differ, and the changed spans point into the attacked text.
    for clean, attacked, spans in zip(
        records.column("text_clean").to_pylist(),
        records.column("text_attacked").to_pylist(),
        records.column("changed_spans").to_pylist(),
        strict=True,
    ):
        clean, attacked, spans = json.loads(clean), json.loads(attacked), json.loads(spans)
        for field in ("premise", "hypothesis"):
            assert (clean[field] != attacked[field]) == bool(spans[field])
            for start, end in spans[field]:
                assert 0 <= start < end <= len(attacked[field])


def test_attack_none_equals_clean(tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    code, output = run_cli(
        *evaluate_args(tiny_xnli_model, xtreme_dir, tmp_path, "--langs", "en", "--limit", "40")
    )
    assert code == 0, output
    records = pq.read_table(only_run_dir(tmp_path) / "records.parquet")
    assert records.column("pred_clean").to_pylist() == records.column("pred_attacked").to_pylist()
    assert set(records.column("status").to_pylist()) == {"unchanged"}


def test_results_do_not_depend_on_batch_size(tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    tables = []
    for batch in ("3", "64"):
        out = tmp_path / batch
        code, output = run_cli(
            *evaluate_args(
                tiny_xnli_model,
                xtreme_dir,
                out,
                "--langs",
                "ar",
                "--limit",
                "50",
                "--attack",
                "charnoise",
                "--batch-size",
                batch,
            )
        )
        assert code == 0, output
        tables.append(pq.read_table(only_run_dir(out) / "records.parquet"))
    a, b = tables
    for col in ("example_id", "text_attacked", "pred_clean", "pred_attacked"):
        assert a.column(col).to_pylist() == b.column(col).to_pylist()
    np.testing.assert_allclose(
        a.column("p_gold_attacked").to_numpy(), b.column("p_gold_attacked").to_numpy(), atol=1e-5
    )


def test_complete_run_is_reused_and_conflicting_config_refused(
    tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    args = evaluate_args(tiny_xnli_model, xtreme_dir, tmp_path, "--langs", "de", "--limit", "20")
    assert run_cli(*args)[0] == 0
    code, output = run_cli(*args)
    assert code == 0 and "already complete" in output
    code, output = run_cli(
        *evaluate_args(tiny_xnli_model, xtreme_dir, tmp_path, "--langs", "de", "--limit", "21")
    )
    assert code == 2 and "different configuration (limit differ)" in output
