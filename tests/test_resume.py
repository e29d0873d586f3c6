"""A run killed mid-way (kill -9 or Ctrl-C) resumes to exactly the records of an uninterrupted run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from robustx.store import RunStore, atomic_write_json


def _args(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
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
        "--langs",
        "de,th,hi,ru",
        "--limit",
        "150",
        "--attack",
        "charnoise",
        "--shard-size",
        "10",
        "--batch-size",
        "2",
        "--quiet",
        *extra,
    ]


def _cmd(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "robustx.cli", *_args(model, data, out, *extra)]


def _in_process(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from robustx.cli import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _kill_after_shards(cmd: list[str], out: Path, sig: int, shards: int = 2) -> None:
    # A shell without job control starts background jobs with SIGINT ignored, and a Python started
    # with SIGINT ignored never raises KeyboardInterrupt: restore the default for the child.
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(list(out.rglob("_partial/*/*.parquet"))) >= shards:
            proc.send_signal(sig)
            break
        time.sleep(0.02)
    proc.wait(timeout=60)
    assert proc.returncode != 0, "the run finished before it could be interrupted"
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and b"--resume" in proc.stderr.read()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_resume_after_interrupt_gives_identical_records(
    tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path, sig: int
) -> None:
    out = tmp_path / "interrupted"
    _kill_after_shards(_cmd(tiny_xnli_model, xtreme_dir, out), out, sig)
    assert not list(out.rglob("metrics.json")) and not list(out.rglob("records.parquet"))
    code, output = _in_process(*_args(tiny_xnli_model, xtreme_dir, out))
    assert code == 2 and "pass --resume" in output
    code, output = _in_process(*_args(tiny_xnli_model, xtreme_dir, out, "--resume"))
    assert code == 0, output
    reference = tmp_path / "reference"
    code, output = _in_process(*_args(tiny_xnli_model, xtreme_dir, reference))
    assert code == 0, output
    got = pq.read_table(next(out.rglob("records.parquet")))
    want = pq.read_table(next(reference.rglob("records.parquet")))
    assert got.num_rows == 4 * 150
    assert got.equals(want)
    ids = list(zip(got.column("lang").to_pylist(), got.column("example_id").to_pylist(), strict=True))
    assert len(set(ids)) == len(ids)  # none duplicated
    m_got = json.loads(next(out.rglob("metrics.json")).read_text())
    m_want = json.loads(next(reference.rglob("metrics.json")).read_text())
    assert m_got["languages"] == m_want["languages"]


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    atomic_write_json(path, {"a": 1})

    class Boom:
        pass

    with pytest.raises(TypeError):
        atomic_write_json(path, {"a": Boom()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temp file left behind


def test_store_is_incomplete_until_metrics_written(tmp_path: Path) -> None:
    import pyarrow as pa

    store = RunStore(tmp_path / "run")
    assert store.prepare({"task": "xnli"}, resume=False) == "fresh"
    store.write_shard("de", 0, pa.table({"x": [1, 2]}))
    assert not store.is_complete()
    store.finalize([("de", 0)], {"ok": True})
    assert store.is_complete() and not (tmp_path / "run" / "_partial").exists()
    assert store.prepare({"task": "xnli"}, resume=False) == "complete"


def test_atomic_writes_honour_the_umask(tmp_path: Path) -> None:
    """Run files are shared like any file the user writes (mkstemp alone would make them 0600)."""
    import os

    import pyarrow as pa

    from robustx.store import atomic_write_json, atomic_write_table

    old = os.umask(0o022)
    try:
        atomic_write_json(tmp_path / "m.json", {"a": 1})
        atomic_write_table(tmp_path / "r.parquet", pa.table({"x": [1]}))
    finally:
        os.umask(old)
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "r.parquet").stat().st_mode & 0o777 == 0o644


def test_a_finished_run_is_recognised_without_loading_the_model(
    tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-running a job re-reads its runs: the model is not even loaded for a complete one."""
    from robustx.evaluate import EvalRequest, evaluate
    from robustx.families.classification import ClassificationFamily
    from robustx.progress import Stages
    from robustx.tasks import DataSource

    req = EvalRequest(
        model=str(tiny_xnli_model),
        task="xnli",
        source=DataSource("dir", path=str(xtreme_dir)),
        out=tmp_path,
        langs=["de"],
        attack="charswap",
        limit=5,
    )
    first = evaluate(req, Stages(None))
    monkeypatch.setattr(ClassificationFamily, "load_victim", lambda *a: pytest.fail("model loaded"))
    again = evaluate(req, Stages(None))
    assert again.state == "complete" and again.metrics == first.metrics
