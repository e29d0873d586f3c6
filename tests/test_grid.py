"""robustx grid run on the local backend: robustx evaluate's records, resume, idempotence, the cache."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from robustx.grid.run import run_grid
from robustx.grid.spec import load_grid_spec
from tests.grid_support import LANGS, cli, run_records, shared_models, snapshot, write_grid

CHARNOISE = "charnoise@edits=1,keep_digits=true,keep_entities=false,layout=auto,min_len=3,ops=swap+delete+insert+substitute,rate=0.3,skip_stopwords=false"


@pytest.fixture(scope="module")
def grid_models(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> Path:
    return shared_models(tmp_path_factory, xtreme_dir)


def _grid(tmp_path: Path, models: Path, xtreme: Path, name: str = "g", **run: object) -> Path:
    run = {"cache": str(tmp_path / f"cas-{name}"), **run}
    return write_grid(tmp_path / f"{name}.toml", models, xtreme, tmp_path / f"runs-{name}", **run)


def test_grid_cells_are_robustx_evaluate_runs(grid_models: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    from robustx.evaluate import EvalRequest, evaluate
    from robustx.progress import Stages
    from robustx.tasks import DataSource

    summary = run_grid(load_grid_spec(_grid(tmp_path, grid_models, xtreme_dir)))
    assert (summary.runs, summary.shards_total, summary.shards_run, summary.runs_finished) == (8, 48, 48, 8)
    assert summary.model_loads == 4  # once per model, not per shard
    grid_runs = run_records(tmp_path / "runs-g")
    assert len(grid_runs) == 8 and all(len(r["example_id"]) == 40 for r in grid_runs.values())
    request = EvalRequest(
        model=str(grid_models / "tiny-b-pawsx"), task="pawsx", source=DataSource("dir", path=str(xtreme_dir)),
        out=tmp_path / "evaluate", langs=list(LANGS), attack="charnoise:rate=0.3", split="validation",
        limit=20, batch_size=4, shard_size=8,
    )  # fmt: skip
    result = evaluate(request, Stages(None))
    cell = tmp_path / "runs-g" / "tiny-b-pawsx" / "pawsx" / CHARNOISE / "seed=0"
    assert pq.read_table(cell / "records.parquet").equals(pq.read_table(result.run_dir / "records.parquet"))
    grid_metrics = json.loads((cell / "metrics.json").read_text())
    assert grid_metrics == json.loads((result.run_dir / "metrics.json").read_text())
    # The grid's config is a robustx evaluate config: --resume accepts it as the same run.
    assert load_config_identity(cell) == load_config_identity(result.run_dir)


def load_config_identity(run: Path) -> dict[str, object]:
    from robustx.store import IDENTITY_KEYS

    config = json.loads((run / "config.json").read_text())
    return {k: config.get(k) for k in IDENTITY_KEYS}


def test_rerun_writes_nothing_and_dry_run_writes_nothing(
    grid_models: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    grid = _grid(tmp_path, grid_models, xtreme_dir)
    code, output = cli("grid", "run", str(grid), "--dry-run")
    assert code == 0, output
    assert "8 runs, 48 shards, 48 to run" in output and not (tmp_path / "runs-g").exists()
    code, output = cli("grid", "run", str(grid), "--quiet")
    assert code == 0, output
    before = snapshot(tmp_path / "runs-g", tmp_path / "cas-g")
    code, output = cli("grid", "run", str(grid))
    assert code == 0 and "0 computed now, 48 already stored" in output, output
    assert snapshot(tmp_path / "runs-g", tmp_path / "cas-g") == before


def test_second_checkpoint_reuses_the_first_ones_perturbations(
    grid_models: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    grid = _grid(tmp_path, grid_models, xtreme_dir)
    text = grid.read_text().replace(f'"{grid_models}/tiny-b-{{task}}"', "")
    only_a = tmp_path / "only-a.toml"
    only_a.write_text(text.replace(", ]", "]"))
    first = run_grid(load_grid_spec(only_a))
    per_model = 2 * len(LANGS) * 20 * 2  # tasks x languages x examples x text fields (charnoise only)
    assert first.counts["perturbations_computed"] == per_model
    assert first.counts["perturbations_served"] == 0
    assert first.counts["clean_served"] == first.counts["clean_computed"] == 2 * len(LANGS) * 3
    both = run_grid(load_grid_spec(grid))  # model b's four runs per task are new; a's are complete
    assert both.shards_run == 24 and both.counts["perturbations_computed"] == 0
    assert both.counts["perturbations_served"] == per_model
    runs = run_records(tmp_path / "runs-g")
    for task in ("xnli", "pawsx"):
        a = runs[f"tiny-a-{task}/{task}/{CHARNOISE}/seed=0"]
        b = runs[f"tiny-b-{task}/{task}/{CHARNOISE}/seed=0"]
        assert a["text_attacked"] == b["text_attacked"] and a["example_id"] == b["example_id"]
        assert a["status"].count("perturbed") > 10  # the attack did change texts
    uncached = _grid(tmp_path, grid_models, xtreme_dir, name="nocache", use_cache=False)
    plain = run_grid(load_grid_spec(uncached))
    assert plain.counts == {}
    assert run_records(tmp_path / "runs-nocache") == runs  # the cache changes no record


def test_killed_grid_resumes_with_nothing_lost_or_duplicated(
    grid_models: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    grid = _grid(tmp_path, grid_models, xtreme_dir)
    cmd = [sys.executable, "-m", "robustx.cli", "grid", "run", str(grid), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out = tmp_path / "runs-g"
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        if _stored(out) >= 10:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the grid finished before it could be killed"
    stored = _stored(out)
    assert 10 <= stored < 48
    resumed = run_grid(load_grid_spec(grid))
    assert resumed.shards_run == 48 - stored  # only what was missing
    reference = run_grid(load_grid_spec(_grid(tmp_path, grid_models, xtreme_dir, name="ref")))
    assert reference.shards_run == 48
    got, want = run_records(out), run_records(tmp_path / "runs-ref")
    assert got == want
    for records in got.values():
        keys = list(zip(records["lang"], records["example_id"], strict=True))
        assert len(keys) == len(set(keys)) == 40


def _stored(out: Path) -> int:
    """Shards stored: in unfinished runs' _partial/, and 6 for each finished run."""
    return len(list(out.rglob("_partial/*/*.parquet"))) + 6 * len(list(out.rglob("metrics.json")))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("limit = 20", "limti = 20"), "line 10: [grid] limti: unknown key (did you mean 'limit'?)"),
        (('"none", "charnoise:rate=0.3"', '"charnosie"'), "[grid] attacks: unknown attack 'charnosie'"),
        (('"xnli", "pawsx"', '"xnli", "pawz"'), "[grid] tasks: unknown task 'pawz'"),
        (('["de", "zh"]', '["de", "hi"]'), "[grid] langs: task pawsx has no language 'hi'"),
        (("shard_size = 8", 'shard_size = "8"'), "line 13: [run] shard_size: expected int, got '8'"),
        (("batch_size = 4", "batch_size = 0"), "[run] batch_size: --batch-size must be >= 1"),
        (("[run]", "[runs]"), "unknown table [runs] (did you mean 'run'?)"),
    ],
)
def test_bad_grid_file_is_one_line_naming_file_key_and_line(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    grid = write_grid(tmp_path / "g.toml", tmp_path / "models", tmp_path / "data", tmp_path / "runs")
    text = grid.read_text()
    assert edit[0] in text
    grid.write_text(text.replace(edit[0], edit[1]))
    code, output = cli("grid", "run", str(grid))
    assert code == 2
    assert output.startswith(f"error: {grid}:") and message in output and output.count("\n") == 1, output


def test_token_budget_batches_give_the_same_predictions(grid_models: Path) -> None:
    import numpy as np

    from robustx.models.batching import length_sorted_batches
    from robustx.models.classifier import load_classifier

    victim = load_classifier(str(grid_models / "tiny-a-xnli"), ("entailment", "neutral", "contradiction"))
    first = [("ein kurzer Satz " * (i % 7 + 1)).strip() for i in range(40)]
    second = [f"Hypothese {i}" for i in range(40)]
    victim.batch_size = 1
    one = victim.predict(first, second)
    victim.batch_size, victim.max_tokens = 64, 96
    budget = victim.predict(first, second)
    np.testing.assert_allclose(budget, one, atol=1e-5)  # float noise only (batching.py)
    assert (budget.argmax(1) == one.argmax(1)).all()
    enc = victim.tokenizer(first, second, truncation=True, max_length=256)
    batches = list(length_sorted_batches(enc, 1, 64, 96))
    assert sorted(int(i) for b in batches for i in b.indices) == list(range(40))
    assert all(b.arrays["input_ids"].size <= 96 or len(b.indices) == 1 for b in batches)
    assert len(batches) > 1


def test_tagging_grid_with_and_without_the_cache(xtreme_dir: Path, tmp_path: Path) -> None:
    """Tagging victims go through the same shards and caches (Tagged predictions, 1:1 word attacks)."""
    from robustx.models.tiny_heads import build_tiny_tagger
    from robustx.tasks.tagging import NER_TAGS
    from tests.family_models import tagging_corpus

    text = tagging_corpus(xtreme_dir)
    for seed, name in enumerate(("a", "b")):
        build_tiny_tagger(tmp_path / f"tagger-{name}", text, NER_TAGS, seed=seed)

    def grid(name: str, cache: bool) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(
            f'[grid]\nmodels = ["{tmp_path}/tagger-a", "{tmp_path}/tagger-b"]\ntasks = ["panx"]\n'
            f'langs = ["de", "ar"]\nattacks = ["none", "charnoise:rate=0.5"]\nout = "{tmp_path}/{name}"\n'
            f'data_dir = "{xtreme_dir}"\nsplit = "validation"\nlimit = 12\n'
            f'[run]\nshard_size = 6\nthreads = 1\ncache = "{tmp_path}/cas"\nuse_cache = {str(cache).lower()}\n'
        )
        return path

    cached = run_grid(load_grid_spec(grid("cached", True)))
    assert cached.runs_finished == 4 and cached.counts["clean_served"] == cached.counts["clean_computed"] == 8
    assert cached.counts["perturbations_served"] == cached.counts["perturbations_computed"] == 24
    run_grid(load_grid_spec(grid("plain", False)))
    got, want = run_records(tmp_path / "cached"), run_records(tmp_path / "plain")
    assert got == want and len(got) == 4
    assert any(s == "perturbed" for r in got.values() for s in r["status"])


def test_example_grid_file_plans_on_real_data(
    grid_models: Path, xtreme_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """examples/eval_grid.toml parses, and with tiny checkpoints in its models' place plans its cells."""
    from dataclasses import replace

    from robustx.grid.plan import plan_grid

    example = Path(__file__).resolve().parent.parent / "examples" / "eval_grid.toml"
    monkeypatch.chdir(tmp_path)  # its paths are relative to where it runs; no checkpoints trained here
    code, output = cli("grid", "run", str(example), "--dry-run")
    assert code == 2 and "[grid] models: model dir not found: ckpt/grid/none-xnli-s0" in output, output
    spec = load_grid_spec(example, check_models=False)
    assert spec.tasks == ("xnli", "pawsx") and all("{task}" in m for m in spec.models)
    spec = replace(
        spec,
        models=(f"{grid_models}/tiny-a-{{task}}", f"{grid_models}/tiny-b-{{task}}"),
        out=tmp_path / "runs",
        source=replace(spec.source, path=str(xtreme_dir)),
        limit=30,
    )
    plan = plan_grid(spec, write=False)
    assert len(plan.cells) == 2 * 2 * len(spec.attacks) and len(plan.jobs) == len(plan.cells) * 2
    assert not (tmp_path / "runs").exists()


def test_scheduler_keeps_models_on_their_workers_and_staggers_checkpoints() -> None:
    """Two checkpoints of one task start half a grid apart (their perturbations are shared)."""
    from robustx.grid.jobs import ShardJob
    from robustx.grid.schedule import Scheduler
    from robustx.tasks import DataSource

    def job(model: str, start: int) -> ShardJob:
        src = DataSource("dir", path="x")
        return ShardJob(
            f"{model}{start}",
            "r",
            model,
            "h",
            "xnli",
            src,
            "de",
            "test",
            None,
            start,
            start + 1,
            "none",
            0,
            "e",
        )

    queue = Scheduler([job(m, s) for m in ("a", "b") for s in range(4)])
    first, second = queue.take(None), queue.take(None)  # two fresh workers
    assert first is not None and second is not None
    assert (first.model, first.start, second.model, second.start) == ("a", 0, "b", 2)
    taken = [queue.take("a") for _ in range(4)]  # the worker holding "a" finishes a, then helps with b
    assert [(j.model, j.start) for j in taken if j] == [("a", 1), ("a", 2), ("a", 3), ("b", 3)]
    queue.put_back(first)  # its worker died: first in line again
    assert len(queue) == 3 and queue.take("a") is first
