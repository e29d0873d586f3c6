"""robustx train across processes: kill -9 then --resume, and two-process (gloo) data parallelism."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.train_support import REPO, run, tiny_encoder, weights

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> Path:
    import torch

    torch.set_num_threads(1)
    return tiny_encoder(tmp_path_factory.mktemp("base") / "tiny", xtreme_dir)


def _cli(base: Path, out: Path, xtreme: Path, *extra: str) -> list[str]:
    args = ["--base", str(base), "--out", str(out), "--data-dir", str(xtreme), "--threads", "1", "--quiet"]
    return [*args, "--dev-size", "16", *extra]


def _assert_same_weights(a: Path, b: Path, atol: float) -> float:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    worst = max(float(np.abs(wa[k].numpy() - wb[k].numpy()).max()) for k in wa)
    assert worst <= atol, f"largest weight difference {worst:g} > {atol:g}"
    return worst


RESUME = ("--intermediate", "snli", "--target", "xnli", "--max-steps", "60", "--eval-steps", "10")
RESUME_OPTIONS = {"intermediate": "snli", "target": "xnli", "max_steps": 60, "eval_steps": 10, "dev_size": 16}


def test_kill_9_then_resume_ends_where_an_uninterrupted_run_ends(
    tmp_path: Path, base: Path, xtreme_dir: Path
) -> None:
    killed = tmp_path / "killed"
    extra = [*RESUME, "--batch-size", "8", "--train-limit", "480"]
    cmd = [sys.executable, "-m", "robustx.cli", "train", *_cli(base, killed, xtreme_dir, *extra)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first = killed / "_work" / "1-snli" / "checkpoints" / "checkpoint-10" / "trainer_state.json"
    deadline = time.monotonic() + 120
    while not first.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.kill()  # SIGKILL: no cleanup, no chance to finish the phase
    proc.wait()
    assert first.is_file(), proc.stderr.read().decode() if proc.stderr else ""
    assert not (killed / "_work" / "1-snli" / "phase.json").exists()
    assert not (killed / "lineage.json").exists()
    from robustx.errors import RunConflictError

    options = {**RESUME_OPTIONS, "batch_size": 8, "train_limit": 480}
    with pytest.raises(RunConflictError, match="--resume"):
        run(base, killed, xtreme_dir, **options)
    assert run(base, killed, xtreme_dir, resume=True, **options).state == "resumed"
    straight = tmp_path / "straight"
    run(base, straight, xtreme_dir, **options)
    _assert_same_weights(killed, straight, atol=1e-6)
    lk, ls = (json.loads((d / "lineage.json").read_text()) for d in (killed, straight))
    assert lk["intermediate"][0]["resumed_from"].startswith("checkpoint-")
    scores = [[(r["step"], r["score"]) for r in x["intermediate"][0]["dev"]["history"]] for x in (lk, ls)]
    assert scores[0] == scores[1] and len(scores[0]) == 6
    assert lk["request_hash"] == ls["request_hash"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_process_data_parallel_matches_one_process(tmp_path: Path, xtreme_dir: Path) -> None:
    """torchrun --nproc_per_node 2 (gloo), 4 examples per process == one process with batch 8."""
    base = tiny_encoder(tmp_path / "nodrop", xtreme_dir, dropout=0.0)  # dropout masks differ per process
    extra = [
        "--target",
        "xnli",
        "--max-steps",
        "3",
        "--batch-size",
        "8",
        "--train-limit",
        "64",
        "--lr",
        "1e-3",
    ]
    ddp = tmp_path / "ddp"
    launcher = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(_free_port()),
    ]
    cmd = [*launcher, "-m", "robustx.cli", "train", *_cli(base, ddp, xtreme_dir, *extra)]
    done = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    single = tmp_path / "single"
    run(
        base,
        single,
        xtreme_dir,
        target="xnli",
        max_steps=3,
        batch_size=8,
        train_limit=64,
        lr=1e-3,
        dev_size=16,
    )
    lineage = json.loads((ddp / "lineage.json").read_text())
    assert (
        lineage["target"]["hparams"]["processes"] == 2
        and lineage["target"]["hparams"]["per_device_batch"] == 4
    )
    assert lineage["target"]["steps_done"] == 3
    worst = _assert_same_weights(ddp, single, atol=1e-6)
    key = "encoder.layer.0.output.dense.weight"
    moved = np.abs(weights(single)["roberta." + key].numpy() - weights(base)[key].numpy()).max()
    assert moved > 100 * 1e-6, (moved, worst)  # training moved weights far beyond the tolerance
    print(f"ddp vs single: largest difference {worst:g}, largest update {moved:g}")


def test_grad_accumulation_and_checkpointing_match_the_plain_step(tmp_path: Path, xtreme_dir: Path) -> None:
    """batch 8 == 2 x 4 accumulated == 8 with activation checkpointing (dropout off: same maths)."""
    base = tiny_encoder(tmp_path / "nodrop", xtreme_dir, dropout=0.0)
    options = {
        "target": "xnli",
        "max_steps": 3,
        "batch_size": 8,
        "train_limit": 64,
        "lr": 1e-3,
        "dev_size": 16,
    }
    run(base, tmp_path / "plain", xtreme_dir, **options)
    run(base, tmp_path / "accum", xtreme_dir, grad_accum=2, **options)
    run(base, tmp_path / "ckpt", xtreme_dir, gradient_checkpointing=True, **options)
    _assert_same_weights(tmp_path / "plain", tmp_path / "accum", atol=1e-6)
    _assert_same_weights(tmp_path / "plain", tmp_path / "ckpt", atol=1e-6)
    hparams = json.loads((tmp_path / "accum" / "lineage.json").read_text())["target"]["hparams"]
    assert hparams["grad_accum"] == 2 and hparams["per_device_batch"] == 4
