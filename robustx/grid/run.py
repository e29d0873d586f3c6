"""``robustx grid run``: plan the grid, run its shards on a backend, finish each run as it completes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from robustx.grid.jobs import ShardDone, WorkerOptions
from robustx.grid.plan import Cell, GridPlan, plan_grid
from robustx.grid.spec import GridSpec

Log = Callable[[str], None]


@dataclass
class GridSummary:
    """What a grid run did; ``to_json`` is what the benchmark and ``--json`` record."""

    backend: str
    workers: int
    runs: int
    runs_finished: int
    shards_total: int
    shards_run: int
    shards_skipped: int
    examples: int
    seconds: float
    shard_seconds: float
    model_loads: int
    restarts: int
    first_shard_s: float | None = None  # backend start -> first shard stored (worker start-up, model load)
    steady_examples_per_s: float | None = None  # once every worker had stored a shard (start-up excluded)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def examples_per_s(self) -> float:
        return self.examples / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "examples_per_s": self.examples_per_s}

    def lines(self) -> list[str]:
        c = self.counts
        out = [
            f"{self.runs} runs, {self.shards_total} shards: {self.shards_run} computed now, "
            f"{self.shards_total - self.shards_run} already stored; {self.runs_finished} runs finished now",
        ]
        if self.shards_run:
            out.append(
                f"{self.examples} examples in {self.seconds:.1f} s ({self.examples_per_s:.1f}/s) on "
                f"{self.workers} {self.backend} worker(s); models loaded {self.model_loads} times, "
                f"workers replaced {self.restarts} times"
            )
        if c:
            out.append(
                f"cache: perturbations {c.get('perturbations_served', 0)} served / "
                f"{c.get('perturbations_computed', 0)} computed; clean passes {c.get('clean_served', 0)} "
                f"served / {c.get('clean_computed', 0)} computed"
            )
        return out


def worker_options(spec: GridSpec) -> WorkerOptions:
    from robustx.cache import cas_root

    o = spec.run
    return WorkerOptions(
        device=o.device,
        batch_size=o.batch_size,
        max_length=o.max_length,
        max_tokens=o.max_tokens,
        bf16=o.bf16,
        threads=o.threads,
        cache=str(cas_root(o.cache).resolve()) if o.use_cache else None,
        models_per_worker=o.models_per_worker,
    )


def run_grid(spec: GridSpec, log: Log = lambda s: None, on_started: Any = None) -> GridSummary:
    """Run every shard the grid still needs; each run finishes (records + metrics) when its last shard is in."""
    began = time.perf_counter()
    plan = plan_grid(spec, write=True, log=log)
    tally = _Tally(plan, log)
    for cell in plan.cells:  # every shard stored by an earlier, interrupted grid: finish it now
        if cell.state != "complete" and not cell.pending:
            tally.finish(cell)
    log(f"{len(plan.cells)} runs, {plan.shards_total} shards, {len(plan.jobs)} to run on {spec.run.backend}")
    started = tally.started = time.perf_counter()
    backend = _run_backend(spec, plan, tally.done, on_started) if plan.jobs else {"workers": 0, "restarts": 0}
    return GridSummary(
        backend=spec.run.backend,
        workers=backend["workers"],
        runs=len(plan.cells),
        runs_finished=tally.finished,
        shards_total=plan.shards_total,
        shards_run=tally.run,
        shards_skipped=tally.skipped,
        examples=tally.examples,
        seconds=time.perf_counter() - (started if plan.jobs else began),
        shard_seconds=tally.shard_seconds,
        model_loads=tally.model_loads,
        restarts=backend["restarts"],
        first_shard_s=tally.first_shard_s,
        steady_examples_per_s=tally.steady_rate(),
        counts=tally.counts,
    )


def _run_backend(
    spec: GridSpec, plan: GridPlan, on_done: Callable[[ShardDone], None], on_started: Any
) -> Any:
    options = worker_options(spec)
    if spec.run.backend == "local":
        from robustx.grid.local_backend import run_local

        return run_local(plan.jobs, options, on_done)
    from robustx.grid.ray_backend import RaySettings, run_ray

    o = spec.run
    settings = RaySettings(o.workers, o.cpus_per_worker, o.gpus_per_worker, o.address)
    return run_ray(plan.jobs, options, settings, on_done, on_started)


class _Tally:
    """Counts shard results and finishes a run when its last shard arrives."""

    def __init__(self, plan: GridPlan, log: Log) -> None:
        self.plan, self.log = plan, log
        self.run = self.skipped = self.examples = self.model_loads = self.finished = 0
        self.shard_seconds = 0.0
        self.started = time.perf_counter()
        self.first_shard_s: float | None = None
        self.arrivals: list[tuple[float, str, int]] = []  # (time, worker, rows) of each computed shard
        self.counts: dict[str, int] = {}

    def done(self, result: ShardDone) -> None:
        cell = self.plan.cell_of[result.key]
        if result.key not in cell.pending:
            return  # a duplicate report (a replaced worker's shard): already counted
        cell.pending.discard(result.key)
        if self.first_shard_s is None:
            self.first_shard_s = time.perf_counter() - self.started
        self.run += int(not result.skipped)
        self.arrivals.append((time.perf_counter(), result.worker, result.rows))
        self.skipped += int(result.skipped)
        self.examples += result.rows
        self.shard_seconds += result.seconds
        self.model_loads += int(result.model_loaded)
        for name, n in result.counts.items():
            self.counts[name] = self.counts.get(name, 0) + n
        if not cell.pending:
            self.finish(cell)

    def steady_rate(self) -> float | None:
        """Examples/s after every worker had stored its first shard (None: too few shards to tell)."""
        firsts: dict[str, float] = {}
        for at, worker, _ in self.arrivals:
            firsts.setdefault(worker, at)
        if not firsts:
            return None
        since = max(firsts.values())
        later = [(at, rows) for at, _, rows in self.arrivals if at > since]
        if not later:
            return None
        return sum(rows for _, rows in later) / (later[-1][0] - since)

    def finish(self, cell: Cell) -> None:
        from robustx.evaluate import finish_run

        metrics = finish_run(
            cell.store, cell.shards, cell.task, cell.attack, cell.model, cell.seed, cell.coverage
        )
        self.finished += 1
        overall = metrics.get("overall", {})
        score = " ".join(
            f"{k} {overall[k]:.4f}" for k in ("clean", "attacked") if isinstance(overall.get(k), float)
        )
        self.log(f"finished {cell.store.root} {score}".rstrip())
