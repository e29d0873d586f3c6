"""Length-sorted, dynamically padded batches over pre-tokenized inputs (no per-example Python work)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Batch:
    indices: np.ndarray  # positions in the original input order
    arrays: dict[str, np.ndarray]  # input_ids, attention_mask[, token_type_ids], padded to the batch max


def length_sorted_batches(
    encodings: dict[str, Sequence[Sequence[int]]], pad_id: int, batch_size: int
) -> Iterator[Batch]:
    """Yield batches longest-first (memory errors surface on the first batch) with minimal padding."""
    ids = encodings["input_ids"]
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        width = int(lengths[chosen].max())
        arrays = {"input_ids": _pad([ids[i] for i in chosen], width, pad_id)}
        arrays["attention_mask"] = (np.arange(width)[None, :] < lengths[chosen][:, None]).astype(np.int64)
        if "token_type_ids" in encodings:
            types = encodings["token_type_ids"]
            arrays["token_type_ids"] = _pad([types[i] for i in chosen], width, 0)
        yield Batch(chosen, arrays)


def _pad(rows: list[Sequence[int]], width: int, value: int) -> np.ndarray:
    out = np.full((len(rows), width), value, dtype=np.int64)
    for r, row in enumerate(rows):
        out[r, : len(row)] = row
    return out
