"""`robustx report` reads runs one at a time: memory does not grow with the number of runs."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from robustx import metrics
from robustx.report.collect import RunResult, collect_runs
from tests.runfactory import outcomes, write_run

LANGS = ("en", "de", "hi", "sw")
ROWS_PER_LANGUAGE = 1500


def write_runs(root: Path, count: int) -> Path:
    data = outcomes(LANGS, ROWS_PER_LANGUAGE, 0.75, 0.1, seed=3)
    for i in range(count):
        write_run(root, data, model=f"model-{i:03d}", special="x" * 200)  # long texts, never read
    return root


def peak_and_kept(root: Path) -> tuple[int, int, list[RunResult]]:
    """Peak traced memory while collecting every run below ``root``, and what the results keep."""
    tracemalloc.start()
    try:
        results = [r for r in collect_runs([root]) if isinstance(r, RunResult)]
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, kept, results


def test_memory_stays_flat_from_a_few_runs_to_many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Fewer resamples keep the test quick; resampling arrays are per cell and freed after each.
    monkeypatch.setattr(metrics, "BOOTSTRAP_RESAMPLES", 200)
    list(collect_runs([write_runs(tmp_path / "warm-up", 1)]))  # lazy imports are not the runs' memory
    few_peak, few_kept, few = peak_and_kept(write_runs(tmp_path / "few", 3))
    many_peak, many_kept, many = peak_and_kept(write_runs(tmp_path / "many", 30))
    assert len(few) == 3 and len(many) == 30
    rows = len(LANGS) * ROWS_PER_LANGUAGE
    # Each kept result holds aggregates and a few example ids, not rows: one run's records as Python
    # objects would take well over 100 bytes a row (strings, bools, floats) ...
    per_result = (many_kept - few_kept) / 27
    assert per_result < 16_000 < 100 * rows, (few_kept, many_kept)
    # ... and the peak grows by no more than what the results keep: runs are read one at a time.
    assert many_peak - few_peak < (many_kept - few_kept) + 20 * rows, (
        few_peak,
        many_peak,
        few_kept,
        many_kept,
    )
    assert all(r.overall.n == rows for r in many)
