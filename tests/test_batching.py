"""Padding-aware batches on a CPU: every row scored once, less padding, the same predictions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from robustx.models.batching import CPU_BATCH_OVERHEAD, cheapest_cuts, length_sorted_batches


def _cost(lengths: np.ndarray, cuts: list[tuple[int, int]], overhead: int) -> int:
    return sum(overhead + int(lengths[a]) * (b - a) for a, b in cuts)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 300), min_size=0, max_size=120),
    st.integers(1, 40),
    st.integers(0, 100),
)
def test_cuts_cover_every_row_once_within_the_batch_size_and_never_cost_more_than_fixed_batches(
    raw: list[int], batch_size: int, overhead: int
) -> None:
    lengths = np.array(sorted(raw, reverse=True), dtype=np.int64)
    cuts = cheapest_cuts(lengths, batch_size, overhead)
    assert [i for a, b in cuts for i in range(a, b)] == list(range(len(lengths)))
    assert all(0 < b - a <= batch_size for a, b in cuts)
    fixed = [(a, min(a + batch_size, len(lengths))) for a in range(0, len(lengths), batch_size)]
    assert _cost(lengths, cuts, overhead) <= _cost(lengths, fixed, overhead)


def test_equal_lengths_fill_whole_batches_and_mixed_lengths_are_split() -> None:
    assert cheapest_cuts(np.full(70, 40), 32, CPU_BATCH_OVERHEAD) == [(0, 32), (32, 64), (64, 70)]
    # 4 long candidates and 28 short ones: one batch of 32 would pad 28 rows to 120 positions.
    mixed = np.array([120] * 4 + [20] * 28)
    assert cheapest_cuts(mixed, 32, CPU_BATCH_OVERHEAD) == [(0, 4), (4, 32)]


def test_only_a_cpu_without_a_token_budget_cuts_by_cost() -> None:
    rows: Sequence[Sequence[int]] = [[1] * n for n in [120] * 4 + [20] * 28]
    enc = {"input_ids": rows}
    sizes = {
        device: [len(b.indices) for b in length_sorted_batches(enc, 0, 32, None, device)]
        for device in ("cpu", "cuda", None)
    }
    assert sizes == {"cpu": [4, 28], "cuda": [32], None: [32]}
    budget = [len(b.indices) for b in length_sorted_batches(enc, 0, 32, 480, "cpu")]
    assert budget == [4, 24, 4]


def test_cpu_victim_predictions_do_not_depend_on_the_cuts(tiny_xnli_model: Path) -> None:
    from robustx.models.classifier import load_classifier

    victim = load_classifier(str(tiny_xnli_model), ("entailment", "neutral", "contradiction"))
    assert victim.device == "cpu"
    first = [("ein kurzer Satz " * (i % 9 + 1)).strip() for i in range(50)]
    second = [f"Hypothese {i}" for i in range(50)]
    victim.batch_size = 1
    one = victim.predict(first, second)
    victim.batch_size = 32
    cut = victim.predict(first, second)
    np.testing.assert_allclose(cut, one, atol=1e-5)  # float noise only (batching.py)
    assert (cut.argmax(1) == one.argmax(1)).all()
