"""What travels between the grid driver and its workers: small frozen values, no models or data."""

from __future__ import annotations

from dataclasses import dataclass, field

from robustx.tasks import DataSource


@dataclass(frozen=True)
class WorkerOptions:
    """Settings every worker of one grid run shares."""

    device: str = "auto"
    batch_size: int = 32
    max_length: int = 256
    max_tokens: int | None = None
    bf16: bool = False
    threads: int | None = None  # torch intra-op threads; None leaves torch's default
    cache: str | None = None  # content-addressed cache root; None: no cache
    models_per_worker: int = 1


@dataclass(frozen=True)
class ShardJob:
    """One shard: model x task x language x attack x seed x example range, and where it goes.

    ``key`` is its content key: the run's identity (model hash, task, split, languages, limit,
    attack, resources, seed, data files, max_length, shard_size) with the language, the range and
    the digest of the examples in it. ``examples`` lets a worker check it sees the driver's data.
    """

    key: str
    run_dir: str
    model: str
    model_hash: str
    task: str
    source: DataSource
    lang: str
    split: str
    limit: int | None
    start: int
    stop: int
    attack: str
    seed: int
    examples: str

    @property
    def label(self) -> str:
        return f"{self.run_dir} [{self.lang} {self.start}:{self.stop}]"


@dataclass(frozen=True)
class ShardDone:
    """What a worker reports for a shard (the records themselves are already in the run dir)."""

    key: str
    rows: int
    seconds: float
    skipped: bool  # the shard was already stored (e.g. by a worker that died after writing it)
    model_loaded: bool  # this shard paid for loading its model
    worker: str
    counts: dict[str, int] = field(default_factory=dict)
