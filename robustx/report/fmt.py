"""Number formatting and the legend text shared by the Markdown and HTML renderings."""

from __future__ import annotations

from robustx.report.collect import Cell
from robustx.report.tables import NONE, Leaderboard

STAR = "\u2605"
DAGGER = "\u2020"
MINUS = "\u2212"
DEFAULT_NOTE = ""


def pct(x: float | None) -> str:
    """A 0-1 fraction as accuracy points with one decimal (a true minus sign for negatives)."""
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


def legend(board: Leaderboard) -> list[str]:
    """Plain-text sentences explaining cells, marks, tests and aggregates."""
    a = f"{board.alpha:g}"
    parallel = sorted({r.info.task for r in board.runs if r.info.parallel})
    here = f": {', '.join(parallel)} here" if parallel else "; none here"
    return [
        "Scores are accuracy in % (language-averaged per task, as XTREME). Drop = clean \u2212 attacked, in "
        "accuracy points; positive means the attack hurts.",
        "95% CIs of drops: paired bootstrap (10,000 resamples). Overall cells of parallel tasks (the same "
        f"examples in every language{here}) resample example ids with all their language versions "
        "(cluster bootstrap); other overall cells resample within each language.",
        f"{STAR} Holm-adjusted p < {a} in the primary family: the {board.holm_m} overall model \u00d7 task \u00d7 "
        "attack cells. Test: exact McNemar on discordant pairs; for parallel tasks a sign-flip test on "
        "whole example-id clusters (pooled McNemar would treat an example's language versions as independent).",
        f"{DAGGER} Benjamini\u2013Hochberg q < {a} in the exploratory family: the {board.bh_m} per-language "
        "cells. Test: exact McNemar per language.",
        "Robust = mean over tasks of the attacked score (averaged over attacks and seeds); Clean = mean over "
        "tasks of the clean score; Drop = mean over tasks of clean \u2212 attacked. attack=none runs are the "
        "clean reference and are not tested.",
    ]
