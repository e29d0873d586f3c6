"""Pair a baseline's runs with a candidate's and join their records item by item.

A comparison of two drops is only valid on the same items under the same perturbations, so every
mismatch is refused with one line (exit 2): another task/attack/seed, other examples (joined on
example_id + lang), other clean inputs (``text_hash``), or, for model-free attacks, other perturbed
inputs (``text_hash_attacked``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from robustx.errors import DataError
from robustx.gate.sources import RunKey, RunSource, key_label
from robustx.report.metric import F1_COLUMNS, TaskMetric

__all__ = ["PairedRun", "RunKey", "join", "key_label", "pair_runs"]


@dataclass(frozen=True)
class PairedRun:
    """One task x attack x seed evaluated by both checkpoints, rows aligned (sorted by lang, id)."""

    task: str
    attack: str
    seed: int
    parallel: bool
    baseline: str  # where the runs came from (a run directory, or snapshot#run)
    candidate: str
    langs: np.ndarray
    ids: np.ndarray
    metric: TaskMetric
    # per row: (clean, attacked) score of the metric (correctness 0/1, QA F1), or for corpus F1 the
    # six counts tp, fp, fn clean then attacked
    base: np.ndarray
    cand: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.task} / {self.attack} / seed {self.seed}"

    @property
    def drop_baseline(self) -> np.ndarray:
        """Per-item drop clean - attacked (per-item metrics: accuracy, QA F1)."""
        return np.asarray(self.base[:, 0] - self.base[:, 1])

    @property
    def drop_candidate(self) -> np.ndarray:
        return np.asarray(self.cand[:, 0] - self.cand[:, 1])


def pair_runs(
    base: Mapping[RunKey, RunSource], cand: Mapping[RunKey, RunSource]
) -> list[tuple[RunKey, RunSource, RunSource]]:
    """Matching (key, baseline run, candidate run); any run on one side only is an error."""
    if len(base) == 1 and len(cand) == 1 and set(base) != set(cand):
        (bk,), (ck,) = base, cand
        diff = [
            f"{name} ({b!r} in the baseline, {c!r} in the candidate)"
            for name, b, c in zip(("task", "attack", "seed"), bk, ck, strict=True)
            if b != c
        ]
        raise DataError(f"baseline and candidate runs differ in {'; '.join(diff)}: they are not comparable")
    for side, mine, other in (("candidate", base, cand), ("baseline", cand, base)):
        missing = [k for k in mine if k not in other]
        if missing:
            raise DataError(
                f"the {side} has no run of {key_label(missing[0])}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + "; evaluate it with the same --task, --attack and --seed"
            )
    return [(k, base[k], cand[k]) for k in sorted(base)]


def _read(run: RunSource) -> dict[str, np.ndarray]:
    cols = run.read()
    order = np.lexsort((cols["example_id"], cols["lang"]))
    cols = {c: v[order] for c, v in cols.items()}
    keys = np.char.add(np.char.add(cols["lang"].astype(str), "\x1f"), cols["example_id"].astype(str))
    dup = np.flatnonzero(keys[1:] == keys[:-1])
    if dup.size:
        raise DataError(
            f"{run.label} holds example {cols['example_id'][dup[0]]} ({cols['lang'][dup[0]]}) twice"
        )
    cols["key"] = keys
    return cols


def _differ(b: np.ndarray, c: np.ndarray, ids: np.ndarray, langs: np.ndarray) -> tuple[int, str]:
    """Rows whose hashes differ; a snapshot keeps a hash prefix, so both sides are cut to the shorter."""
    b, c = b.astype(str), c.astype(str)
    digits = min(b.dtype.itemsize, c.dtype.itemsize) // 4  # numpy unicode: 4 bytes per character
    if digits:
        b, c = b.astype(f"U{digits}"), c.astype(f"U{digits}")
    bad = np.flatnonzero(b != c)
    return int(bad.size), (f"{langs[bad[0]]}:{ids[bad[0]]}" if bad.size else "")


def join(key: RunKey, baseline: RunSource, candidate: RunSource) -> PairedRun:
    """Align the two runs' records on (lang, example_id) and check they saw the same inputs."""
    from robustx.gate.sources import check_columns
    from robustx.report.metric import metric_for

    b, c = _read(baseline), _read(candidate)
    for run, cols in ((baseline, b), (candidate, c)):
        hint = "; a version-1 snapshot holds correctness only: write the snapshot again" if run.rows else ""
        check_columns(key[0], cols, run.label, hint)
    metric = metric_for(key[0], set(b) & set(c))
    what = key_label(key)
    if b["key"].shape != c["key"].shape or np.any(b["key"] != c["key"]):
        only_b = np.setdiff1d(b["key"], c["key"])
        only_c = np.setdiff1d(c["key"], b["key"])
        example = (only_b if only_b.size else only_c)[0].replace("\x1f", ":")
        raise DataError(
            f"{what}: baseline and candidate were evaluated on different examples ({only_b.size} "
            f"example/language rows only in the baseline, {only_c.size} only in the candidate, e.g. "
            f"{example}); evaluate the candidate with the baseline's --langs, --limit and data"
        )
    ids, langs = b["example_id"].astype(str), b["lang"].astype(str)
    checks = [("text_hash", "clean inputs", "the data files differ")]
    if _model_free(b) and _model_free(c):
        checks.append(
            ("text_hash_attacked", "perturbed inputs", "the same spec and seed must perturb identically")
        )
    for column, what_differs, hint in checks:
        if column in b and column in c:
            count, example = _differ(b[column], c[column], ids, langs)
            if count:
                raise DataError(
                    f"{what}: {what_differs} differ for {count} examples (e.g. {example}); {hint}"
                    + _versions(baseline, candidate)
                )
    return PairedRun(
        task=key[0],
        attack=key[1],
        seed=key[2],
        parallel=_parallel(key[0]),
        baseline=baseline.label,
        candidate=candidate.label,
        langs=langs,
        ids=ids,
        metric=metric,
        base=values(b, metric),
        cand=values(c, metric),
    )


def _parallel(task: str) -> bool:
    """Whether the task's example ids name the same item in every language (unknown tasks: no)."""
    from robustx.errors import RobustxError
    from robustx.tasks import get_task

    try:
        return get_task(task).parallel
    except RobustxError:
        return False


def _versions(baseline: RunSource, candidate: RunSource) -> str:
    """A hint when the two runs were made by different robustx versions (perturbations may differ)."""
    b, c = (str(r.config.get("robustx_version") or "?") for r in (baseline, candidate))
    if b == c:
        return ""
    return (
        f" (the baseline was made by robustx {b}, the candidate by {c}: if the attack changed between "
        "them, re-evaluate the baseline checkpoint with this version and refresh the baseline)"
    )


def _model_free(cols: Mapping[str, np.ndarray]) -> bool:
    """No model queries during the attack: the perturbed text must not depend on the model."""
    return "queries" not in cols or not np.any(cols["queries"])


def values(cols: Mapping[str, np.ndarray], metric: TaskMetric) -> np.ndarray:
    """The per-row quantities the cell statistics of ``metric`` read, as float columns."""
    names = F1_COLUMNS if metric.kind == "f1" else metric.columns[:2]
    return np.column_stack([cols[name].astype(np.float64) for name in names])
