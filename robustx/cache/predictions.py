"""Clean-pass predictions cached per shard, shared by every attack and seed of a checkpoint.

The clean pass of a shard is the same call for every attack and seed: the same checkpoint on the
same inputs. Its key is (model content hash, the call's input texts, max_length, batch size, token
budget, bf16, device kind, torch and transformers versions). The whole call is one entry, not one
entry per input, because a prediction depends on its batch's shape at the level of float noise
(robustx.models.batching): a cached clean pass is bit-for-bit the one the run would compute, so
records with and without the cache are identical. Classification and tagging victims are cached;
QA and retrieval victims run uncached.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robustx.cache.cas import ContentStore, digest
from robustx.tasks.spec import TaskSpec
from robustx.types import Example

NAMESPACE = "clean"


def _kind(victim: Any) -> str | None:
    from robustx.models.classifier import ClassifierVictim
    from robustx.models.tagger import TaggerVictim

    if isinstance(victim, ClassifierVictim):
        return "classifier"
    if isinstance(victim, TaggerVictim):
        return "tagger"
    return None


def clean_call(task: TaskSpec, examples: Sequence[Example]) -> tuple[Any, ...]:
    """The arguments the task's family passes to ``victim.predict`` for a shard's clean pass."""
    if task.family == "tagging":
        return ([list(ex.fields["tokens"]) for ex in examples],)
    cols = [[ex.fields[f] for ex in examples] for f in task.text_fields]
    return (cols[0], cols[1] if len(cols) > 1 else None)


def _encode(kind: str, value: Any) -> bytes:
    if kind == "classifier":
        buf = io.BytesIO()
        np.save(buf, np.asarray(value, dtype=np.float32), allow_pickle=False)
        return buf.getvalue()
    return json.dumps(
        {"tags": [list(t) for t in value.tags], "untokenized": list(value.untokenized)}
    ).encode()


def _decode(kind: str, data: bytes) -> Any:
    if kind == "classifier":
        return np.load(io.BytesIO(data), allow_pickle=False)
    from robustx.models.tagger import Tagged

    obj = json.loads(data)
    return Tagged([tuple(t) for t in obj["tags"]], [int(n) for n in obj["untokenized"]])


@dataclass
class CleanPassCache:
    """The victim, except that the shard's clean call is read from / written to the store."""

    inner: Any
    store: ContentStore
    kind: str
    base: str  # digest of the model and everything besides the inputs that the output depends on
    clean_args: str  # digest of the clean call's arguments
    served: int = 0
    computed: int = 0

    def predict(self, *args: Any) -> Any:
        if digest(*args) != self.clean_args:
            return self.inner.predict(*args)
        key = digest(self.base, self.clean_args)
        suffix = ".npy" if self.kind == "classifier" else ".json"
        data = self.store.get(NAMESPACE, key, suffix)
        if data is not None:
            self.served += 1
            return _decode(self.kind, data)
        value = self.inner.predict(*args)
        self.store.put(NAMESPACE, key, suffix, _encode(self.kind, value))
        self.computed += 1
        return value

    def __getattr__(self, name: str) -> Any:
        if name == "inner" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.inner, name)


def cached_victim(store: ContentStore, victim: Any, task: TaskSpec, examples: Sequence[Example]) -> Any:
    """``victim`` with the shard's clean pass cached, or ``victim`` itself where that is not done."""
    kind = _kind(victim)
    if kind is None:
        return victim
    base = digest(
        "clean/v1",
        kind,
        victim.fingerprint,
        victim.max_length,
        victim.batch_size,
        getattr(victim, "max_tokens", None),
        bool(victim.bf16),
        str(victim.device).split(":")[0],
        _versions(),
    )
    return CleanPassCache(victim, store, kind, base, digest(*clean_call(task, examples)))


def _versions() -> list[str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: list[str | None] = []
    for package in ("torch", "transformers", "tokenizers"):
        try:
            out.append(version(package))
        except PackageNotFoundError:
            out.append(None)
    return out
