"""Each task's own metric, and the per-item columns of records.parquet its statistics read.

Three kinds, one per way XTREME scores a task:

* ``accuracy``: a binary outcome per item (XNLI, PAWS-X: the label; Tatoeba: the top-1 hit). Drops
  are tested with exact McNemar, overall cells of parallel sets by sign-flipping example-id clusters.
* ``qa``: per-question F1 and EM (XQuAD, MLQA, TyDiQA-GoldP). The headline is F1, a continuous
  per-item score, so its drop is tested by sign-flipping the per-question differences; EM (binary)
  stands beside it with its McNemar p; the XTREME aggregate uses (EM + F1) / 2.
* ``f1``: corpus F1 from per-sentence tp/fp/fn (UD-POS and PAN-X through seqeval; BUCC mining F1, one
  row per source sentence of a language with its extracted pair counted against its gold pairs).
  CIs resample sentences and re-sum the counts; tests use the linearised randomisation test of
  ``robustx.stats.f1``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

Kind = Literal["accuracy", "qa", "f1"]

ACCURACY_COLUMNS = ("correct_clean", "correct_attacked")
QA_COLUMNS = ("f1_clean", "f1_attacked", "em_clean", "em_attacked")
F1_COLUMNS = ("tp_clean", "fp_clean", "fn_clean", "tp_attacked", "fp_attacked", "fn_attacked")
ITEM_COLUMNS = ("example_id", "lang")


@dataclass(frozen=True)
class TaskMetric:
    kind: Kind
    name: str  # as reports show it: "accuracy", "seqeval F1", "F1 / EM" (QA), "mining F1"

    @property
    def columns(self) -> tuple[str, ...]:
        """The per-item columns (besides example_id and lang) its statistics need."""
        return {"accuracy": ACCURACY_COLUMNS, "qa": QA_COLUMNS, "f1": F1_COLUMNS}[self.kind]

    @property
    def binary(self) -> bool:
        return self.kind == "accuracy"

    @property
    def short(self) -> str:
        """The headline metric in a few characters (table headers)."""
        return {"accuracy": "acc", "qa": "F1/EM", "f1": "F1"}[self.kind]


ACCURACY = TaskMetric("accuracy", "accuracy")
TOP1 = TaskMetric("accuracy", "top-1 accuracy")
QA = TaskMetric("qa", "F1 / EM")
SEQEVAL = TaskMetric("f1", "seqeval F1")
MINING = TaskMetric("f1", "mining F1")


def family_of(task: str) -> str | None:
    """The task's family, or None for a task this version does not know."""
    from robustx.errors import RobustxError
    from robustx.tasks import get_task

    try:
        return get_task(task).family
    except RobustxError:
        return None


def metric_for(task: str, columns: Collection[str]) -> TaskMetric:
    """The metric of ``task`` (by its family; a task unknown here is judged by its record columns)."""
    family = family_of(task)
    has_counts = "tp_clean" in columns
    if family == "tagging":
        return SEQEVAL
    if family == "qa":
        return QA
    if family == "retrieval":
        return MINING if has_counts or task.split(":", 1)[0] == "bucc" else TOP1
    if family is None and has_counts:
        return TaskMetric("f1", "F1")
    if family is None and "f1_clean" in columns:
        return QA
    return ACCURACY


def missing_columns(metric: TaskMetric, columns: Collection[str]) -> list[str]:
    return [c for c in (*ITEM_COLUMNS, *metric.columns) if c not in columns]
