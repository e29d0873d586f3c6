"""One run's cells recomputed from its records with the task's own metric, and the test behind each p.

Scores and CIs come from the same functions ``robustx evaluate`` writes metrics.json with
(robustx.metrics, robustx.scoring.cells), applied to the records; the p-values are the report's:

* accuracy (XNLI, PAWS-X, Tatoeba hits): exact McNemar per language; the overall cell of a parallel
  set by sign-flipping example-id clusters (robustx.report.significance), else pooled McNemar.
* QA F1, a continuous per-question score: McNemar does not apply (no discordant pairs), and the
  headline is a mean of per-item values, so a paired sign-flip test on the per-question differences
  F1(clean) - F1(attacked) (exchangeable under H0 "the attack does not change the score") tests it
  directly, exactly for few non-zero differences and by the normal limit otherwise (no Monte-Carlo
  floor under Holm). The overall cell sign-flips whole question-id clusters of parallel sets. EM,
  binary, keeps exact McNemar beside it.
* corpus F1 (UD-POS, PAN-X, BUCC): not a mean of per-item values; the paired randomisation test over
  sentences of the F1 drop, evaluated through its linearisation (robustx.stats.f1, checked against
  the Monte Carlo test), per language and for the language-averaged drop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from robustx.report.metric import F1_COLUMNS, TaskMetric


def recompute(metric: TaskMetric, table: Any, parallel: bool, seed: int) -> dict[str, Any]:
    """metrics.json-shaped numbers (fractions 0-1) recomputed from the records ``table``."""
    from robustx.metrics import classification_metrics
    from robustx.scoring.cells import f1_metrics, qa_metrics

    if metric.kind == "accuracy":
        return classification_metrics(table, parallel=parallel, seed=seed)
    if metric.kind == "f1":
        return f1_metrics(table, seed=seed)
    return qa_metrics(table, parallel=parallel, seed=seed)[0]


def column(table: Any, name: str, dtype: Any = np.float64) -> NDArray[Any]:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=dtype)


def paired(metric: TaskMetric, table: Any) -> NDArray[np.float64]:
    """Per-item quantities: (n, 2) clean/attacked scores, or (n, 6) tp/fp/fn counts for corpus F1."""
    names = F1_COLUMNS if metric.kind == "f1" else metric.columns[:2]
    return np.column_stack([column(table, name) for name in names])


def language_p(metric: TaskMetric, values: NDArray[np.float64], cell: Mapping[str, Any]) -> tuple[float, str]:
    """The p-value of one language's drop and the test that gave it."""
    from robustx import stats

    if metric.kind == "accuracy":
        return float(cell["mcnemar_p"]), "mcnemar-exact"
    if metric.kind == "qa":
        p, method = stats.sign_flip_test(values[:, 0] - values[:, 1])
        return p, f"sign-flip ({method})"
    return stats.corpus_f1_drop_test(values)


def overall_p(
    metric: TaskMetric,
    values: NDArray[np.float64],
    ids: NDArray[Any],
    langs: NDArray[Any],
    parallel: bool,
    overall: Mapping[str, Any],
) -> tuple[float, str]:
    """The p-value of a run's language-averaged drop and the test that gave it."""
    from robustx import stats
    from robustx.report.significance import cluster_signflip_p
    from robustx.report.significance import overall_p as accuracy_p

    if metric.kind == "accuracy":
        return accuracy_p(values[:, 0], values[:, 1], ids, langs, parallel, float(overall["mcnemar_p"]))
    if metric.kind == "f1":
        return stats.corpus_f1_drop_test(values, strata=langs)
    clusters = ids if parallel else np.arange(values.shape[0])
    unit = "question-id clusters" if parallel else "questions"
    return cluster_signflip_p(values[:, 0], values[:, 1], clusters, langs), f"sign-flip over {unit}"


def em_p(table: Any, ids: NDArray[Any], langs: NDArray[Any], parallel: bool, pooled: float) -> float:
    """The overall EM cell's p: as an accuracy cell (cluster sign-flip for parallel sets)."""
    from robustx.report.significance import overall_p as accuracy_p

    em_c, em_a = column(table, "em_clean"), column(table, "em_attacked")
    return accuracy_p(em_c, em_a, ids, langs, parallel, pooled)[0]


def harmed(metric: TaskMetric, values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Items the attack made worse: correct -> wrong, a lower F1, or more tagging/mining errors."""
    if metric.kind == "f1":
        return np.asarray(values[:, 4] + values[:, 5] > values[:, 1] + values[:, 2])
    return np.asarray(values[:, 0] > values[:, 1])
