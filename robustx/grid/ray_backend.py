"""The Ray backend: shards on a pool of Ray actors (one model kept per actor), locally or on a cluster.

Each actor is a :class:`robustx.grid.worker.ShardWorker` started with a resource request (one GPU,
or a fraction of a CPU), so Ray places it on a node that has them. The driver keeps one shard in
flight per actor, sends an actor shards of the model it already holds, and writes nothing itself:
workers write their shards into the run directories (which, on a cluster, must be on storage every
node sees, as must models, data and the cache). An actor that dies (killed, node lost, out of
memory) is replaced and its shard sent again; stores are atomic, so a shard it had already written
is skipped, never duplicated.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from robustx.errors import RobustxError
from robustx.grid.jobs import ShardDone, ShardJob, WorkerOptions
from robustx.grid.schedule import Scheduler


class GridWorkerError(RobustxError):
    """Grid workers keep dying (a shard that crashes its process every time, or a lost cluster)."""


@dataclass(frozen=True)
class RaySettings:
    workers: int = 1
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    address: str | None = None  # None: start a local Ray instance for this run
    max_restarts: int | None = None  # default: 2 per worker + 2


def run_ray(
    jobs: Sequence[ShardJob],
    options: WorkerOptions,
    settings: RaySettings,
    on_done: Callable[[ShardDone], None],
    on_started: Callable[[list[Any]], None] | None = None,
) -> dict[str, int]:
    """Run ``jobs`` on ``settings.workers`` actors; returns how many workers ran and restarts."""
    import ray

    started_here = _connect(settings)
    pool = _Pool(settings, options)
    try:
        workers = min(settings.workers, max(len(jobs), 1))
        pool.start(workers)
        if on_started is not None:
            on_started(pool.actors)
        restarts = _drive(pool, Scheduler(jobs), on_done, settings)
        return {"workers": workers, "restarts": restarts}
    finally:
        pool.stop()
        if started_here:
            ray.shutdown()


def _connect(settings: RaySettings) -> bool:
    """Join ``address`` or start a local instance; False when Ray was already initialised."""
    import ray

    if ray.is_initialized():
        return False
    common: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING", "log_to_driver": True}
    if settings.address:
        ray.init(address=settings.address, **common)
    else:
        need = settings.workers * settings.cpus_per_worker
        ray.init(num_cpus=max(int(need + 0.999), os.cpu_count() or 1), **common)
    return True


class _Pool:
    def __init__(self, settings: RaySettings, options: WorkerOptions) -> None:
        import ray

        from robustx.grid.worker import ShardWorker

        self.settings, self.options = settings, options
        self.cls = ray.remote(ShardWorker)
        self.actors: list[Any] = []
        self.held: list[str | None] = []

    def new_actor(self) -> Any:
        threads = self.options.threads or max(1, int(self.settings.cpus_per_worker))
        opts = replace(self.options, threads=threads)
        return self.cls.options(
            num_cpus=self.settings.cpus_per_worker, num_gpus=self.settings.gpus_per_worker, max_restarts=0
        ).remote(opts)

    def start(self, n: int) -> None:
        self.actors = [self.new_actor() for _ in range(n)]
        self.held = [None] * n

    def replace(self, index: int) -> None:
        import ray

        ray.kill(self.actors[index], no_restart=True)
        self.actors[index] = self.new_actor()
        self.held[index] = None

    def stop(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []


def _drive(pool: _Pool, queue: Scheduler, on_done: Callable[[ShardDone], None], settings: RaySettings) -> int:
    """One shard in flight per actor until the queue is empty; replace actors that die."""
    import ray
    from ray.exceptions import RayActorError, RayTaskError

    limit = settings.max_restarts if settings.max_restarts is not None else 2 * len(pool.actors) + 2
    inflight: dict[Any, tuple[int, ShardJob]] = {}

    def submit(index: int) -> None:
        job = queue.take(pool.held[index])
        if job is None:
            queue.release(pool.held[index])
            return
        pool.held[index] = job.model
        inflight[pool.actors[index].run.remote(job)] = (index, job)

    for index in range(len(pool.actors)):
        submit(index)
    restarts = 0
    while inflight:
        [ref], _ = ray.wait(list(inflight), num_returns=1)
        index, job = inflight.pop(ref)
        try:
            done = ray.get(ref)
        except RayActorError:
            restarts += 1
            if restarts > limit:
                raise GridWorkerError(
                    f"grid workers died {restarts} times (last on {job.label}); see the Ray logs"
                ) from None
            queue.release(pool.held[index])
            queue.put_back(job)
            pool.replace(index)
        except RayTaskError as err:
            cause = getattr(err, "cause", None)
            if isinstance(cause, RobustxError):
                raise cause from None
            raise
        else:
            on_done(done)
        submit(index)
    return restarts
