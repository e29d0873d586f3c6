"""A content-addressed file store: ``get``/``put`` bytes by a hex key, atomically, with hit counts."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@functools.cache
def _mode() -> int:
    """0666 minus the umask, the mode open() gives (mkstemp alone makes 0600 files)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def cas_root(explicit: str | Path | None = None) -> Path:
    """``explicit``, else ``$ROBUSTX_CACHE/cas`` (default ``~/.cache/robustx/cas``)."""
    if explicit:
        return Path(explicit).expanduser()
    from robustx.models.embedded import cache_root

    return cache_root() / "cas"


def digest(*parts: Any) -> str:
    """sha256 of ``parts`` as canonical JSON (tuples as lists, keys sorted): a cache key."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class ContentStore:
    """Files ``<root>/<namespace>/<key[:2]>/<key><suffix>``; counts hits, misses and writes."""

    root: Path
    counts: dict[str, int] = field(default_factory=dict)

    def path(self, namespace: str, key: str, suffix: str) -> Path:
        return self.root / namespace / key[:2] / f"{key}{suffix}"

    def get(self, namespace: str, key: str, suffix: str) -> bytes | None:
        try:
            data = self.path(namespace, key, suffix).read_bytes()
        except FileNotFoundError:
            self._count(f"{namespace}_misses")
            return None
        self._count(f"{namespace}_hits")
        return data

    def put(self, namespace: str, key: str, suffix: str, data: bytes) -> None:
        """Write atomically; an entry already there is left alone (same key, same content)."""
        target = self.path(namespace, key, suffix)
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.fchmod(fd, _mode())  # as open() would create it: a shared cache is read by others' workers
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._count(f"{namespace}_writes")

    def _count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def take_counts(self) -> dict[str, int]:
        """The counts since the last call (a worker reports them per shard)."""
        out, self.counts = self.counts, {}
        return out
