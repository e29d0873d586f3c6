"""Length-sorted, dynamically padded batches over pre-tokenized inputs (no per-example Python work).

On a GPU the batch size is best set by a *token budget* (``max_tokens``): longest-first order puts
similar lengths together, so a batch of short inputs holds many rows and a batch of long ones few,
each costing about ``max_tokens`` padded positions. On a CPU there is no budget to fill: a forward
pass costs a fixed overhead plus time per padded position, so the sorted inputs are cut where that
total is least (:func:`cheapest_cuts`); rows of very different lengths no longer share a batch (an
adversarial round mixes the candidates of many examples: fixed batches of 32 padded a third of
their positions there, benchmarks/adversarial_vs_textattack.py). Results do not depend on how inputs are batched
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
    device: str | None = None,
) -> Iterator[Batch]:
    """Yield batches longest-first (memory errors surface on the first batch) with minimal padding.

    A batch holds at most ``batch_size`` rows and, with ``max_tokens``, at most that many padded
    positions (rows x longest row); a single row longer than the budget still forms its own batch.
    Without a budget, on ``device="cpu"`` the rows are cut by :func:`cheapest_cuts`; elsewhere every
    batch but the last holds ``batch_size`` rows.
    """
    ids = encodings["input_ids"]
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(-lengths, kind="stable")
    for chosen in _groups(order, lengths, batch_size, max_tokens, device):
        width = int(lengths[chosen].max())
        arrays = {"input_ids": _pad([ids[i] for i in chosen], width, pad_id)}
        arrays["attention_mask"] = (np.arange(width)[None, :] < lengths[chosen][:, None]).astype(np.int64)
        if "token_type_ids" in encodings:
            types = encodings["token_type_ids"]
            arrays["token_type_ids"] = _pad([types[i] for i in chosen], width, 0)
        yield Batch(chosen, arrays)


# The fixed cost of one more forward pass on a CPU, in padded positions: about 30 for
# multilingual-e5-small on one thread (15 ms per call against 0.5 ms per position), less for larger
# models; too high only makes batches a little larger than they need be.
CPU_BATCH_OVERHEAD = 32


def cheapest_cuts(sorted_lengths: np.ndarray, batch_size: int, overhead: int) -> list[tuple[int, int]]:
    """Cut lengths sorted longest-first into runs of at most ``batch_size`` rows, minimising
    ``overhead`` per run plus padded positions (rows x the run's first length); ``[start, stop)`` pairs.

    Dynamic programming over run starts, O(rows x batch_size) in numpy; ties go to the longer run, so
    equal lengths fill whole batches from the first (the longest) on.
    """
    n = len(sorted_lengths)
    cost = np.zeros(n + 1)
    stop_of = np.zeros(n, dtype=np.int64)
    widths = sorted_lengths.astype(np.float64)
    for first in range(n - 1, -1, -1):
        stops = np.arange(first + 1, min(n, first + batch_size) + 1)
        total = overhead + widths[first] * (stops - first) + cost[stops]
        best = len(total) - 1 - int(np.argmin(total[::-1]))  # the last minimum: the longest run
        cost[first], stop_of[first] = total[best], stops[best]
    cuts: list[tuple[int, int]] = []
    first = 0
    while first < n:
        cuts.append((first, int(stop_of[first])))
        first = int(stop_of[first])
    return cuts


def _groups(
    order: np.ndarray, lengths: np.ndarray, batch_size: int, max_tokens: int | None, device: str | None
) -> Iterator[np.ndarray]:
    if not max_tokens and device == "cpu":
        for a, b in cheapest_cuts(lengths[order], batch_size, CPU_BATCH_OVERHEAD):
            yield order[a:b]
        return
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
