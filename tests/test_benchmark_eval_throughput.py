"""benchmarks/eval_throughput.py in tiny mode: it runs, times every method on the same pairs, and the
methods it compares compute the same predictions (a throughput race between different answers is void)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "eval_throughput.py"
METHODS = ("robustx", "loop", "pipeline", "raw")


def _run(args: list[str], xtreme_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--data", str(xtreme_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench") / "eval_throughput.json"
    args = [
        "--tiny",
        "--n",
        "31",
        "--langs",
        "en,th,zh",
        "--loop-n",
        "7",
        "--repeats",
        "2",
        "--out",
        str(out),
    ]
    proc = _run(args, xtreme_dir)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text(encoding="utf-8")), proc.stdout


def test_every_method_timed_on_the_requested_pairs(tiny_result: tuple[dict[str, Any], str]) -> None:
    result, _ = tiny_result
    assert result["data"]["n_pairs"] == 31
    assert result["data"]["pairs_per_lang"] == {"en": 11, "th": 10, "zh": 10}
    assert set(result["methods"]) == set(METHODS)
    for name, row in result["methods"].items():
        assert row["pairs"] == (7 if name == "loop" else 31)
        assert len(row["seconds_all"]) == 2
        assert row["seconds_best"] == min(row["seconds_all"]) > 0
        assert row["pairs_per_s"] >= row["pairs_per_s_median"] > 0


def test_methods_agree_on_predictions(tiny_result: tuple[dict[str, Any], str]) -> None:
    agreement = tiny_result[0]["agreement"]
    assert agreement["robustx_vs_loop"]["pairs"] == 7
    for name in ("loop", "pipeline", "raw"):
        row = agreement[f"robustx_vs_{name}"]
        assert row["argmax_agreement"] == 1.0
        assert row["max_abs_prob_diff"] < 1e-4


def test_goals_follow_the_measured_ratios(tiny_result: tuple[dict[str, Any], str]) -> None:
    result, _ = tiny_result
    speed = {k: v["pairs_per_s"] for k, v in result["methods"].items()}
    assert result["ratios"]["robustx_over_raw"] == pytest.approx(speed["robustx"] / speed["raw"], rel=1e-2)
    for goal in result["goals"].values():
        assert goal["met"] == (goal["value"] >= goal["target"])


def test_prints_a_markdown_row_per_method(tiny_result: tuple[dict[str, Any], str]) -> None:
    _, stdout = tiny_result
    rows = [line for line in stdout.splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows[1:]] == list(METHODS)


def test_rejects_bad_arguments(xtreme_dir: Path, tmp_path: Path) -> None:
    proc = _run(["--tiny", "--n", "0", "--out", str(tmp_path / "x.json")], xtreme_dir)
    assert proc.returncode == 2 and "must be positive" in proc.stderr
    proc = _run(["--tiny", "--model", str(tmp_path), "--out", str(tmp_path / "x.json")], xtreme_dir)
    assert proc.returncode == 2 and "not allowed with" in proc.stderr
    assert not (tmp_path / "x.json").exists()
