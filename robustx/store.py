"""Run directories: config.json, sharded partial records, then records.parquet and metrics.json.

Layout: ``<out>/<model>/<task>/<attack>/seed=<k>/``. While a run is in progress its records live in
``_partial/<lang>/<start>.parquet`` shards, each written atomically; ``records.parquet`` and
``metrics.json`` appear only when every shard is done (metrics last), so a killed run never looks
complete, and ``--resume`` recomputes only the missing shards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from robustx.errors import RunConflictError

# Keys of config.json that define *what* was computed; a resume must match them exactly.
IDENTITY_KEYS = (
    "model_hash",
    "task",
    "split",
    "languages",
    "limit",
    "attack",
    "attack_resources",
    "seed",
    "data",
    "max_length",
    "shard_size",
)

State = Literal["fresh", "resume", "complete"]


def safe_name(text: str) -> str:
    """A directory-name form of a model ref or attack spec (keeps it readable)."""
    text = text.rstrip("/").replace(":", "@")
    return re.sub(r"[^\w.@=,+\-]", "__", text)


def run_dir(out: Path, model: str, task: str, attack: str, seed: int) -> Path:
    model_name = Path(model.rstrip("/")).name if Path(model).exists() else safe_name(model)
    return out / model_name / task / safe_name(attack) / f"seed={seed}"


def _default_mode() -> int:
    """The mode an ordinary ``open()`` would create: 0666 minus the umask (mkstemp makes 0600 files,
    which would leave run directories, reports and caches unreadable to anyone else)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, _default_mode())
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode())


def atomic_write_table(path: Path, table: Any) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, _default_mode())
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RunStore:
    """One run directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def config_path(self) -> Path:
        return self.root / "config.json"

    @property
    def records_path(self) -> Path:
        return self.root / "records.parquet"

    @property
    def metrics_path(self) -> Path:
        return self.root / "metrics.json"

    def is_complete(self) -> bool:
        return self.metrics_path.is_file() and self.records_path.is_file()

    def matches(self, config: dict[str, Any]) -> bool:
        """Whether the run here was made with ``config`` (the keys that define what was computed)."""
        if not self.config_path.is_file():
            return False
        old = json.loads(self.config_path.read_text(encoding="utf-8"))
        return all(old.get(k) == config.get(k) for k in IDENTITY_KEYS)

    def prepare(self, config: dict[str, Any], resume: bool) -> State:
        """Check an existing run against ``config``; write config.json for a fresh one."""
        if self.config_path.is_file():
            old = json.loads(self.config_path.read_text(encoding="utf-8"))
            diff = [k for k in IDENTITY_KEYS if old.get(k) != config.get(k)]
            if diff:
                raise RunConflictError(
                    f"{self.root} holds a run with a different configuration ({', '.join(diff)} differ); "
                    "choose another --out or delete it"
                )
            if self.is_complete():
                return "complete"
            if not resume:
                raise RunConflictError(f"{self.root} holds an unfinished run; pass --resume to finish it")
            return "resume"
        if self.root.exists() and any(self.root.iterdir()):
            raise RunConflictError(f"{self.root} exists and is not a robustx run; choose another --out")
        atomic_write_json(self.config_path, config)
        return "fresh"

    def shard_path(self, lang: str, start: int) -> Path:
        return self.root / "_partial" / lang / f"{start:08d}.parquet"

    def has_shard(self, lang: str, start: int) -> bool:
        return self.shard_path(lang, start).is_file()

    def write_shard(self, lang: str, start: int, table: Any) -> None:
        atomic_write_table(self.shard_path(lang, start), table)

    def finalize(self, shards: Iterable[tuple[str, int]], metrics: dict[str, Any]) -> None:
        """Concatenate shards in order into records.parquet, then write metrics.json last."""
        self.metrics_path.unlink(missing_ok=True)
        atomic_write_table(self.records_path, self.read_shards(shards))
        atomic_write_json(self.metrics_path, metrics)
        shutil.rmtree(self.root / "_partial", ignore_errors=True)

    def read_shards(self, shards: Iterable[tuple[str, int]]) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        return pa.concat_tables([pq.read_table(self.shard_path(lang, start)) for lang, start in shards])

    def load_config(self) -> dict[str, Any]:
        return dict(json.loads(self.config_path.read_text(encoding="utf-8")))
