"""Number formatting and the legend text shared by the Markdown and HTML renderings."""

from __future__ import annotations

from robustx.report.collect import Cell
from robustx.report.tables import NONE, Leaderboard

STAR = "\u2605"
DAGGER = "\u2020"
MINUS = "\u2212"
DEFAULT_NOTE = ""


def pct(x: float | None) -> str:
    """A 0-1 fraction as points with one decimal (a true minus sign for negatives)."""
    return NONE if x is None else f"{100 * x:.1f}".replace("-", MINUS)


def ci(cell: Cell) -> str:
    return f"[{pct(cell.ci_low)}, {pct(cell.ci_high)}]"


def pval(p: float | None) -> str:
    if p is None:
        return NONE
    if p < 1e-4:
        return "<0.0001"
    return f"{p:.2g}" if p < 0.01 else f"{p:.2f}"


def significant(cell: Cell, alpha: float) -> bool:
    return cell.p_adjusted is not None and cell.p_adjusted < alpha


def em_beside(cell: Cell) -> str:
    """``EM 41.2 (drop 3.0)`` for a QA cell, empty otherwise."""
    if cell.em_attacked is None:
        return ""
    return f"EM {pct(cell.em_attacked)} (drop {pct(cell.em_drop)})"


def tasks_by_metric(board: Leaderboard) -> str:
    """``accuracy: pawsx, xnli; seqeval F1: udpos`` for the tasks of the board."""
    groups: dict[str, list[str]] = {}
    for task, metric in sorted(board.metrics.items()):
        groups.setdefault(metric.name, []).append(task)
    return "; ".join(f"{name}: {', '.join(tasks)}" for name, tasks in groups.items())


def _tests(board: Leaderboard) -> str:
    kinds = {m.kind for m in board.metrics.values()}
    parts = []
    if kinds & {"accuracy", "qa"}:
        parts.append(
            "exact McNemar on discordant pairs for accuracy" + (" (and EM)" if "qa" in kinds else "")
        )
    if "qa" in kinds:
        parts.append("a paired sign-flip test on per-question F1 differences for QA F1")
    if "f1" in kinds:
        parts.append(
            "for corpus F1 the paired randomisation test over sentences (clean and attacked counts "
            "swapped per sentence), evaluated through its linearisation"
        )
    return "; ".join(parts)


def legend(board: Leaderboard) -> list[str]:
    """Plain-text sentences explaining cells, marks, tests and aggregates."""
    a = f"{board.alpha:g}"
    parallel = sorted({r.info.task for r in board.runs if r.info.parallel})
    here = f": {', '.join(parallel)} here" if parallel else "; none here"
    has_qa = any(m.kind == "qa" for m in board.metrics.values())
    has_f1 = any(m.kind == "f1" for m in board.metrics.values())
    return [
        f"Scores are each task's own metric in points (0\u2013100), language-averaged per task as XTREME "
        f"({tasks_by_metric(board)})."
        + (" QA cells show F1, with EM beside." if has_qa else "")
        + " Drop = clean \u2212 attacked, in points of that metric; positive means the attack hurts.",
        "95% CIs of drops: paired bootstrap (10,000 resamples) of items"
        + ("; corpus-F1 tasks resample sentences and re-sum tp/fp/fn" if has_f1 else "")
        + f". Overall cells of parallel tasks (the same examples in every language{here}) resample "
        "example ids with all their language versions (cluster bootstrap); other overall cells resample "
        "within each language.",
        f"{STAR} Holm-adjusted p < {a} in the primary family: the {board.holm_m} overall model \u00d7 task \u00d7 "
        f"attack cells. Tests: {_tests(board)}; overall cells of parallel tasks sign-flip whole example-id "
        "clusters (pooled McNemar would treat an example's language versions as independent).",
        f"{DAGGER} Benjamini\u2013Hochberg q < {a} in the exploratory family: the {board.bh_m} per-language "
        "cells, tested as above per language.",
        "XTREME-style scores: per task the language average of its metric"
        + (" (QA: (EM + F1) / 2)" if has_qa else "")
        + ", then the mean over the model's tasks. Clean averages every task the model was run on; Robust "
        "each task's attacked score (averaged over attacks and seeds); Drop = mean over tasks of clean "
        "\u2212 attacked. Per attack, the mean covers only the tasks run with that attack (listed), beside "
        "the clean score of the same tasks. attack=none runs are the clean reference and are not tested.",
    ]
