"""A grid worker: runs shards one at a time, keeping models, data and attacks between them.

The same class runs in-process (local backend) and as a Ray actor (robustx.grid.ray_backend), so
both backends compute every shard with the same code. A model is loaded once per worker and kept
(LRU of ``models_per_worker``); the driver sends a worker shards of the model it already holds.
Memory is bounded by the models kept, the languages of data kept (a few) and one shard's records.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robustx.errors import DataError, ModelError
from robustx.grid.jobs import ShardDone, ShardJob, WorkerOptions
from robustx.grid.lru import LRU


@dataclass(frozen=True)
class _LoadOptions:
    """What a family's ``load_victim`` reads (robustx.families.VictimOptions)."""

    model: str
    device: str
    batch_size: int
    max_length: int
    bf16: bool


class ShardWorker:
    def __init__(self, options: WorkerOptions) -> None:
        self.options = options
        self.victims: LRU[Any] = LRU(options.models_per_worker, on_evict=_release)
        self.data: LRU[list[Any]] = LRU(4)
        self.attacks: LRU[Any] = LRU(32)
        self.store: Any = None
        if options.cache:
            from robustx.cache import ContentStore

            self.store = ContentStore(Path(options.cache))
        if options.threads:
            import torch

            torch.set_num_threads(options.threads)

    def ident(self) -> str:
        """host:pid, so a test or a log can name (and kill) this worker."""
        return f"{socket.gethostname()}:{os.getpid()}"

    def run(self, job: ShardJob) -> ShardDone:
        from robustx.evaluate import shard_table
        from robustx.store import RunStore
        from robustx.tasks import get_task

        began = time.perf_counter()
        store = RunStore(Path(job.run_dir))
        if store.is_complete() or store.has_shard(job.lang, job.start):
            return ShardDone(job.key, 0, 0.0, True, False, self.ident())
        task = get_task(job.task)
        examples = self._examples(job, task)
        attack = self._attack(job, task)
        victim, loaded = self._victim(job, task)
        attack, victim, finish = self._with_cache(job, task, examples, attack, victim)
        table = shard_table(task, examples, attack, job.seed, victim)
        store.write_shard(job.lang, job.start, table)
        counts = finish()
        return ShardDone(
            job.key, table.num_rows, time.perf_counter() - began, False, loaded, self.ident(), counts
        )

    def _examples(self, job: ShardJob, task: Any) -> list[Any]:
        from robustx.cache.perturbations import examples_digest
        from robustx.tasks import load_examples

        key = (job.task, job.source, job.lang, job.split, job.limit)
        rows, _ = self.data.get(
            key, lambda: load_examples(task, job.source, job.lang, job.split, job.limit).examples
        )
        chunk = rows[job.start : job.stop]
        if examples_digest(chunk) != job.examples:
            raise DataError(
                f"{job.label}: worker {self.ident()} reads other examples than the grid driver did "
                f"({job.source.describe()}); every node needs the same data files"
            )
        return chunk

    def _attack(self, job: ShardJob, task: Any) -> Any:
        from robustx.evaluate import bind_attack

        key = (job.attack, job.source, task.name, job.lang)
        attack, _ = self.attacks.get(key, lambda: bind_attack(job.attack, task, job.source, [job.lang]))
        return attack

    def _victim(self, job: ShardJob, task: Any) -> tuple[Any, bool]:
        from robustx.families import get_family

        o = self.options
        key = (job.model, job.task)  # a task variant (e.g. tatoeba:layer=12) loads its own victim

        def load() -> Any:
            opts = _LoadOptions(job.model, o.device, o.batch_size, o.max_length, o.bf16)
            victim = get_family(task.family).load_victim(task, opts)
            if hasattr(victim, "max_tokens"):
                victim.max_tokens = o.max_tokens
            return victim

        victim, loaded = self.victims.get(key, load)
        if victim.describe().get("hash") != job.model_hash:
            raise ModelError(
                f"{job.model} on {self.ident()} is not the checkpoint the grid was planned with "
                "(changed since, or other files on this node)"
            )
        return victim, loaded

    def _with_cache(
        self, job: ShardJob, task: Any, examples: list[Any], attack: Any, victim: Any
    ) -> tuple[Any, Any, Any]:
        """The attack and victim reading/writing the content-addressed cache, and a finisher."""
        if self.store is None:
            return attack, victim, dict
        from robustx.cache.perturbations import cached_attack
        from robustx.cache.predictions import cached_victim

        attack, memo = cached_attack(self.store, attack, job.seed, task.family, job.lang, job.examples)
        cached = cached_victim(self.store, victim, task, examples)

        def finish() -> dict[str, int]:
            if memo is not None:
                memo.save()
            counts = self.store.take_counts()
            counts["perturbations_served"] = memo.served if memo else 0
            counts["perturbations_computed"] = memo.computed if memo else 0
            counts["clean_served"] = getattr(cached, "served", 0)
            counts["clean_computed"] = getattr(cached, "computed", 0)
            return counts

        return attack, cached, finish


def _release(victim: Any) -> None:
    """Drop an evicted model (and its GPU memory) before the next one loads."""
    model = getattr(victim, "model", None)
    if model is not None and str(getattr(victim, "device", "cpu")).startswith("cuda"):
        import torch

        del victim.model
        torch.cuda.empty_cache()
