"""The in-process memo of victim calls: one computation per identical call, bit-identical results."""

from __future__ import annotations

import numpy as np
import pytest

from robustx.models import memo


@pytest.fixture(autouse=True)
def empty() -> None:
    memo.clear()


def test_identical_call_is_computed_once_and_returned_as_a_copy() -> None:
    calls = []

    def compute() -> np.ndarray:
        calls.append(1)
        return np.arange(4, dtype=np.float32)

    a = memo.memoized(("m", 1), (["x", "y"], None), compute)
    a[0] = 99  # a caller mutating its result must not change what later callers get
    b = memo.memoized(("m", 1), (["x", "y"], None), compute)
    assert len(calls) == 1 and b.tolist() == [0, 1, 2, 3]
    memo.memoized(("m", 2), (["x", "y"], None), compute)  # another victim
    memo.memoized(("m", 1), (["y", "x"], None), compute)  # other inputs (order matters)
    assert len(calls) == 3


def test_memo_is_bounded_and_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(memo.MAX_ENTRIES + 5):
        memo.memoized("v", ([str(i)],), lambda: np.zeros(2))
    assert len(memo._store) == memo.MAX_ENTRIES
    monkeypatch.setenv("ROBUSTX_MEMO", "0")
    calls = []
    for _ in range(2):
        memo.memoized("v", (["a"],), lambda: calls.append(1) or np.zeros(1))
    assert len(calls) == 2


def test_classifier_clean_pass_is_shared_across_calls(tiny_xnli_model, xtreme_dir) -> None:  # type: ignore[no-untyped-def]
    from robustx.models.classifier import load_classifier

    victim = load_classifier(str(tiny_xnli_model), ("entailment", "neutral", "contradiction"))
    first = ["Der Hund schläft.", "A cat sat."]
    second = ["Ein Tier ruht.", "Nobody sat."]
    a = victim.predict(first, second)
    forward = victim._forward
    victim._forward = lambda arrays: (_ for _ in ()).throw(AssertionError("recomputed"))  # type: ignore[method-assign]
    b = victim.predict(first, second)
    victim._forward = forward  # type: ignore[method-assign]
    assert np.array_equal(a, b)
