"""The local backend: the grid's shards in this process, one worker, in scheduling order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from robustx.grid.jobs import ShardDone, ShardJob, WorkerOptions
from robustx.grid.schedule import Scheduler
from robustx.grid.worker import ShardWorker


def run_local(
    jobs: Sequence[ShardJob], options: WorkerOptions, on_done: Callable[[ShardDone], None]
) -> dict[str, int]:
    """Run every shard in-process; a Ctrl-C keeps finished shards (the next run resumes)."""
    worker = ShardWorker(options)
    queue, held = Scheduler(jobs), None
    while (job := queue.take(held)) is not None:
        on_done(worker.run(job))
        held = job.model
    return {"workers": 1, "restarts": 0}
