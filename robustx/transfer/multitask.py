"""Multi-task intermediate training: one shared encoder, one head per task, temperature sampling.

As in jiant's ``TemperatureMultiTaskSampler``: task i is drawn with probability
p_i ∝ min(n_i, cap) ** (1 / T) (T = 1: examples-proportional; T → ∞: uniform). Every micro-batch
holds examples of one task; the whole schedule (which task, which examples) is fixed by the seed
up front, so it does not depend on the number of processes or on an interruption.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robustx.errors import SpecError
from robustx.transfer.features import Feature, pad_batch


def sampling_probs(
    sizes: Mapping[str, int], temperature: float = 1.0, cap: int | None = None
) -> dict[str, float]:
    if temperature <= 0:
        raise SpecError("--temperature must be > 0")
    if cap is not None and cap < 1:
        raise SpecError("--examples-cap must be >= 1")
    counts = np.array([min(n, cap) if cap else n for n in sizes.values()], dtype=np.float64)
    raw = counts ** (1.0 / temperature)
    return dict(zip(sizes, (raw / raw.sum()).tolist(), strict=True))


@dataclass(frozen=True)
class PlannedBatch:
    task: str
    indices: tuple[int, ...]


def plan_batches(
    sizes: Mapping[str, int], probs: Mapping[str, float], n_batches: int, batch_size: int, seed: int
) -> list[PlannedBatch]:
    """``n_batches`` micro-batches: a task per batch from ``probs``, examples without replacement
    within a pass over each task (a fresh seeded permutation per pass)."""
    rng = np.random.default_rng([seed, 7])
    names = list(sizes)
    draws = rng.choice(len(names), size=n_batches, p=[probs[n] for n in names])
    cursors = {n: _Cursor(sizes[n], np.random.default_rng([seed, 11, i])) for i, n in enumerate(names)}
    return [PlannedBatch(names[d], cursors[names[d]].take(batch_size)) for d in draws]


class _Cursor:
    def __init__(self, size: int, rng: np.random.Generator) -> None:
        self.size, self.rng = size, rng
        self.order: list[int] = []

    def take(self, k: int) -> tuple[int, ...]:
        out: list[int] = []
        while len(out) < min(k, self.size):
            if not self.order:
                self.order = self.rng.permutation(self.size).tolist()
            out.append(self.order.pop())
        return tuple(out)


class PlannedDataset:
    """A map-style dataset whose items are whole padded micro-batches of one task (plus ``task``)."""

    def __init__(
        self, plan: Sequence[PlannedBatch], features: Mapping[str, Sequence[Feature]], pad_id: int
    ) -> None:
        self.plan, self.features, self.pad_id = list(plan), features, pad_id

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, index: int) -> dict[str, Any]:
        batch = self.plan[index]
        rows = [self.features[batch.task][i] for i in batch.indices]
        return {**pad_batch(rows, self.pad_id), "task": batch.task}


class TakeFirst:
    """Collator for ``PlannedDataset`` with ``per_device_train_batch_size=1``: the item is the batch."""

    def __call__(self, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        return items[0]


def multitask_model(encoder: Any, heads: Mapping[str, Any]) -> Any:
    """An ``nn.Module`` holding the encoder once and the head models by task name.

    Each head model keeps a plain reference to the shared encoder but does not register it, so the
    state dict (and every checkpoint) holds the encoder weights exactly once.
    """
    import torch

    class MultiTaskModel(torch.nn.Module):
        accepts_loss_kwargs = False  # per-batch mean losses: Trainer scales for accumulation

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.heads = torch.nn.ModuleDict()
            for name, model in heads.items():
                prefix = model.base_model_prefix
                del model._modules[prefix]
                object.__setattr__(model, prefix, encoder)
                self.heads[name] = model

        def forward(self, task: str, **batch: Any) -> Any:
            return self.heads[task](**batch)

    return MultiTaskModel()
