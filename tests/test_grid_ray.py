"""robustx grid run on Ray (a local instance, 2 CPUs): the local backend's records, surviving a killed worker."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from robustx.grid.run import run_grid
from robustx.grid.spec import load_grid_spec
from tests.grid_support import run_records, shared_models, snapshot, write_grid

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_session() -> Any:
    began = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    print(f"ray.init(num_cpus=2): {time.perf_counter() - began:.1f} s")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> dict[str, Any]:
    """The test grid (2 models x xnli, pawsx x de, zh x none, charnoise) on the local backend."""
    models = shared_models(tmp_path_factory, xtreme_dir)
    root = tmp_path_factory.mktemp("local")
    grid = write_grid(root / "g.toml", models, xtreme_dir, root / "runs", cache=str(root / "cas"))
    assert run_grid(load_grid_spec(grid)).shards_run == 48
    return {"models": models, "records": run_records(root / "runs")}


def _ray_grid(tmp_path: Path, xtreme: Path, models: Path) -> Path:
    return write_grid(
        tmp_path / "g.toml",
        models,
        xtreme,
        tmp_path / "runs",
        cache=str(tmp_path / "cas"),
        backend="ray",
        workers=2,
    )


def test_ray_grid_gives_the_local_backends_records(
    ray_session: None, local_reference: dict[str, Any], xtreme_dir: Path, tmp_path: Path
) -> None:
    grid = _ray_grid(tmp_path, xtreme_dir, local_reference["models"])
    summary = run_grid(load_grid_spec(grid))
    assert (summary.backend, summary.workers, summary.shards_run, summary.runs_finished) == ("ray", 2, 48, 8)
    assert summary.model_loads <= 6  # one per model and worker that needed it, never one per shard
    assert run_records(tmp_path / "runs") == local_reference["records"]
    before = snapshot(tmp_path / "runs", tmp_path / "cas")
    again = run_grid(load_grid_spec(grid))
    assert again.shards_run == 0 and again.workers == 0  # nothing to run: no actor even starts
    assert snapshot(tmp_path / "runs", tmp_path / "cas") == before


def test_killed_ray_worker_is_replaced_and_no_shard_is_lost_or_duplicated(
    ray_session: None, local_reference: dict[str, Any], xtreme_dir: Path, tmp_path: Path
) -> None:
    spec = load_grid_spec(_ray_grid(tmp_path, xtreme_dir, local_reference["models"]))
    out = tmp_path / "runs"
    killed: list[int] = []

    def kill_one_when_busy(actors: list[Any]) -> None:
        pid = int(ray.get(actors[0].ident.remote()).rsplit(":", 1)[1])

        def watch() -> None:
            deadline = time.time() + 120
            while time.time() < deadline and _stored(out) < 8:
                time.sleep(0.01)
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        threading.Thread(target=watch, daemon=True).start()

    summary = run_grid(spec, on_started=kill_one_when_busy)
    assert killed and summary.restarts >= 1
    assert summary.runs_finished == 8
    records = run_records(out)
    assert records == local_reference["records"]
    for columns in records.values():
        keys = list(zip(columns["lang"], columns["example_id"], strict=True))
        assert len(keys) == len(set(keys)) == 40
    # And a re-run (here on the local backend) finds nothing left to do.
    assert run_grid(replace(spec, run=replace(spec.run, backend="local"))).shards_run == 0


def _stored(out: Path) -> int:
    return len(list(out.rglob("_partial/*/*.parquet"))) + 6 * len(list(out.rglob("metrics.json")))
