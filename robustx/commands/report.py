"""``robustx report``: the robustness leaderboard (Markdown + self-contained HTML) from run directories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(help="Run directories, or roots searched for them (config.json + metrics.json)"),
    ],
    out: Annotated[Path, typer.Option(help="Output directory")] = Path("reports/leaderboard"),
    title: Annotated[str, typer.Option(help="Title of the report")] = "robustx robustness leaderboard",
    alpha: Annotated[float, typer.Option(help="Significance level of the marks (after Holm / BH)")] = 0.05,
    samples: Annotated[int, typer.Option(help="Adversarial examples shown per model")] = 8,
) -> None:
    """Build the leaderboard: attacked scores, drops with 95% CIs, Holm/BH-adjusted marks, figures.

    Every number is recomputed from records.parquet with each task's own metric (accuracy; seqeval or mining F1 from per-sentence tp/fp/fn; QA F1 with EM beside), and the XTREME-style score averages languages per task (QA: (EM + F1) / 2), then tasks. Incomplete runs (no metrics.json yet) are skipped and listed, never reported as complete. Writes leaderboard.md, leaderboard.html (no network needed to view it) and leaderboard.json into --out.
    """
    from robustx.cli import user_errors

    with user_errors():
        from robustx.report.build import build_report

        result = build_report(run_dirs, out, title=title, alpha=alpha, samples_per_model=samples)
        board = result.board
        typer.echo(f"{len(board.runs)} complete run(s) of {len(board.rows)} model(s)")
        for skipped in board.skipped:
            typer.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
        for warning in board.warnings:
            typer.echo(f"warning: {warning}", err=True)
        for path in result.files:
            typer.echo(f"wrote {path}")
