"""Length-sorted, dynamically padded batches over pre-tokenized inputs (no per-example Python work).

On a GPU the batch size is best set by a *token budget* (``max_tokens``): longest-first order puts
similar lengths together, so a batch of short inputs holds many rows and a batch of long ones few,
each costing about ``max_tokens`` padded positions. Results do not depend on how inputs are batched
beyond float noise (padding is masked; reductions in a different batch shape may round differently,
~1e-6 in float32, more under bf16), never in which examples are scored or in what order they return.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Batch:
    indices: np.ndarray  # positions in the original input order
    arrays: dict[str, np.ndarray]  # input_ids, attention_mask[, token_type_ids], padded to the batch max


def length_sorted_batches(
    encodings: dict[str, Sequence[Sequence[int]]],
    pad_id: int,
    batch_size: int,
    max_tokens: int | None = None,
) -> Iterator[Batch]:
    """Yield batches longest-first (memory errors surface on the first batch) with minimal padding.

    A batch holds at most ``batch_size`` rows and, with ``max_tokens``, at most that many padded
    positions (rows x longest row); a single row longer than the budget still forms its own batch.
    """
    ids = encodings["input_ids"]
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(-lengths, kind="stable")
    for chosen in _groups(order, lengths, batch_size, max_tokens):
        width = int(lengths[chosen].max())
        arrays = {"input_ids": _pad([ids[i] for i in chosen], width, pad_id)}
        arrays["attention_mask"] = (np.arange(width)[None, :] < lengths[chosen][:, None]).astype(np.int64)
        if "token_type_ids" in encodings:
            types = encodings["token_type_ids"]
            arrays["token_type_ids"] = _pad([types[i] for i in chosen], width, 0)
        yield Batch(chosen, arrays)


def _groups(
    order: np.ndarray, lengths: np.ndarray, batch_size: int, max_tokens: int | None
) -> Iterator[np.ndarray]:
    if not max_tokens:
        for start in range(0, len(order), batch_size):
            yield order[start : start + batch_size]
        return
    start = 0
    while start < len(order):
        width = max(int(lengths[order[start]]), 1)  # longest-first: the first row sets the width
        rows = max(1, min(batch_size, max_tokens // width))
        yield order[start : start + rows]
        start += rows


def to_device(arrays: dict[str, np.ndarray], device: str) -> dict[str, Any]:
    """Tensors on ``device``; on CUDA through pinned host memory so the copy runs asynchronously."""
    import torch

    if device.startswith("cuda"):
        return {k: torch.from_numpy(v).pin_memory().to(device, non_blocking=True) for k, v in arrays.items()}
    return {k: torch.from_numpy(v).to(device) for k, v in arrays.items()}


def _pad(rows: list[Sequence[int]], width: int, value: int) -> np.ndarray:
    out = np.full((len(rows), width), value, dtype=np.int64)
    for r, row in enumerate(rows):
        out[r, : len(row)] = row
    return out
