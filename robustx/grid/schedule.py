"""Which shard a free worker takes next: the model it already holds, else the least-served model."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from robustx.grid.jobs import ShardJob


class Scheduler:
    """Pending shards grouped by model, each group in grid order from a staggered start."""

    def __init__(self, jobs: Iterable[ShardJob]) -> None:
        self._queues: dict[str, deque[ShardJob]] = {}
        for job in jobs:
            self._queues.setdefault(job.model, deque()).append(job)
        self._stagger()
        self._holders: dict[str, int] = {}  # model -> workers currently on it

    def _stagger(self) -> None:
        """Start the k-th of n models with the same tasks k/n of the way into its shards.

        Workers on different checkpoints would otherwise walk the same shards in lock-step and each
        compute the perturbations the other is computing; staggered, each shard's perturbations are
        computed about once and then served from the cache to the other checkpoints.
        """
        groups: dict[frozenset[str], list[str]] = {}
        for model, queue in self._queues.items():
            groups.setdefault(frozenset(job.task for job in queue), []).append(model)
        for models in groups.values():
            for k, model in enumerate(models):
                self._queues[model].rotate(-(k * len(self._queues[model]) // len(models)))

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def take(self, held: str | None) -> ShardJob | None:
        """The next shard for a worker holding model ``held`` (None: a fresh worker)."""
        if held is not None and self._queues.get(held):
            return self._queues[held].popleft()
        waiting = [m for m, q in self._queues.items() if q]
        if not waiting:
            return None
        # Fewest workers per remaining shard first, so workers spread over models instead of all
        # loading the same one; ties keep the grid's order.
        model = min(waiting, key=lambda m: self._holders.get(m, 0) / len(self._queues[m]))
        if held is not None:
            self._holders[held] = max(0, self._holders.get(held, 0) - 1)
        self._holders[model] = self._holders.get(model, 0) + 1
        return self._queues[model].popleft()

    def put_back(self, job: ShardJob) -> None:
        """A shard whose worker died: first in line again."""
        self._queues.setdefault(job.model, deque()).appendleft(job)

    def release(self, held: str | None) -> None:
        """A worker that holds ``held`` stops (died or done)."""
        if held is not None:
            self._holders[held] = max(0, self._holders.get(held, 0) - 1)
