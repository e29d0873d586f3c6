"""``robustx report``: run directories -> leaderboard.md, leaderboard.html and leaderboard.json.

Runs are read one at a time (only the statistic columns; text only for the few drill-down
samples). Every number is recomputed from records.parquet; metrics.json is only compared with the
recomputation, and a disagreement is listed as a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from robustx.errors import DataError
from robustx.report.collect import Cell, RunResult, Skipped
from robustx.report.samples import Sample
from robustx.report.tables import Leaderboard

FILES = ("leaderboard.md", "leaderboard.html", "leaderboard.json")


@dataclass(frozen=True)
class ReportResult:
    out: Path
    files: tuple[Path, ...]
    board: Leaderboard


def build_report(
    paths: Sequence[Path],
    out: Path,
    *,
    title: str = "robustx robustness leaderboard",
    alpha: float = 0.05,
    samples_per_model: int = 8,
) -> ReportResult:
    """Collect runs below ``paths``, build the leaderboard, write the three files into ``out``."""
    from robustx.report.collect import collect_runs
    from robustx.report.html import render_html
    from robustx.report.markdown import render_markdown
    from robustx.report.tables import build_leaderboard
    from robustx.store import atomic_write_bytes, atomic_write_json

    if not 0.0 < alpha < 1.0:
        raise DataError(f"--alpha must lie strictly between 0 and 1, got {alpha}")
    runs: list[RunResult] = []
    skipped: list[Skipped] = []
    for item in collect_runs(paths):
        if isinstance(item, Skipped):
            skipped.append(item)
        else:
            runs.append(item)
    if not runs:
        where = ", ".join(map(str, paths))
        detail = (
            f"; {len(skipped)} incomplete or unreadable (first: {skipped[0].path}: {skipped[0].reason})"
            if skipped
            else ""
        )
        raise DataError(f"no complete run directories (config.json + metrics.json) under {where}{detail}")
    board = build_leaderboard(title, runs, skipped, alpha)
    samples = {row.name: _samples(row.runs, samples_per_model) for row in board.rows}
    generator = _generator(board)
    out.mkdir(parents=True, exist_ok=True)
    md_path, html_path, json_path = (out / name for name in FILES)
    atomic_write_bytes(md_path, render_markdown(board, generator).encode())
    atomic_write_bytes(html_path, render_html(board, samples, generator).encode())
    atomic_write_json(json_path, board_json(board))
    _publishable(md_path, html_path, json_path)
    return ReportResult(out, (md_path, html_path, json_path), board)


def _publishable(*paths: Path) -> None:
    """Atomic writes create private (0600) temp files; a report is meant to be shared: honour the umask."""
    import os

    umask = os.umask(0)
    os.umask(umask)
    for path in paths:
        path.chmod(0o666 & ~umask)


def _samples(runs: Sequence[RunResult], per_model: int) -> list[Sample]:
    from robustx.report.samples import pick, read_samples

    tested = [r for r in runs if not r.info.is_reference]
    return read_samples(pick(tested, per_model)) if per_model > 0 else []


def _generator(board: Leaderboard) -> str:
    from robustx import __version__

    n_models, n_runs = len(board.rows), len(board.runs)
    text = f"robustx {__version__} · {n_models} model(s) · {n_runs} complete run(s)"
    if board.skipped:
        text += f" · {len(board.skipped)} skipped"
    return text + " · every number recomputed from records.parquet"


def _cell_json(cell: Cell) -> dict[str, Any]:
    """A cell's fields, plus the XTREME task score (QA: (EM + F1) / 2) and EM's drop."""
    return asdict(cell) | {
        "em_drop": cell.em_drop,
        "score_clean": cell.score_clean,
        "score_attacked": cell.score_attacked,
    }


def board_json(board: Leaderboard) -> dict[str, Any]:
    """All numbers of the report (fractions 0-1), for scripts and for checking the report."""
    rows = []
    for rank, row in enumerate(board.rows, start=1):
        cells = {
            col.key: {
                "task": col.task,
                "attack": col.attack,
                "seed": col.seed,
                "label": col.label,
                "metric": run.metric.name,
                "run": str(run.info.path),
                "overall": _cell_json(run.overall),
                "languages": {lang: _cell_json(c) for lang, c in run.languages.items()},
            }
            for col, run in row.cells.items()
        }
        rows.append(
            {
                "rank": rank,
                "model": row.name,
                "model_hash": row.model_hash,
                "lineage": asdict(row.lineage),
                "clean": dict(row.clean),
                "clean_score": row.clean_score,
                "robust_score": row.robust_score,
                "drop_score": row.drop_score,
                "by_attack": {label: asdict(a) | {"drop": a.drop} for label, a in row.by_attack.items()},
                "cells": cells,
            }
        )
    return {
        "title": board.title,
        "alpha": board.alpha,
        "families": {"holm": board.holm_m, "bh": board.bh_m},
        "metrics": {task: {"kind": m.kind, "name": m.name} for task, m in board.metrics.items()},
        "rows": rows,
        "skipped": [{"path": str(s.path), "reason": s.reason} for s in board.skipped],
        "warnings": list(board.warnings),
    }
