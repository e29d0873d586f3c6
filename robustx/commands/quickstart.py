"""``robustx quickstart``: train on English, evaluate zero-shot under three attack families, report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer


def quickstart(
    out: Annotated[Path, typer.Option(help="Root directory of the run outputs")] = Path("runs/quickstart"),
    report: Annotated[Path, typer.Option(help="Where the leaderboard goes")] = Path("reports/quickstart"),
    online: Annotated[
        bool, typer.Option(help="xlm-roberta-base and the hub's XTREME data (needs a network; env ONLINE=1)")
    ] = False,
    base: Annotated[
        str | None,
        typer.Option(
            help="Base encoder: a hub id or a local dir (default: xlm-roberta-base with --online, "
            "else the embedded multilingual-e5-small)"
        ),
    ] = None,
    hub_mirror: Annotated[
        Path | None,
        typer.Option(
            help="With --online: read the hub datasets from local mirrors <dir>/<dataset id>/ "
            "(as robustx train --hub-mirror) and evaluate the languages they hold"
        ),
    ] = None,
    steps: Annotated[int, typer.Option(help="Optimizer steps per training phase")] = 150,
    freeze_layers: Annotated[
        int, typer.Option(help="Lowest encoder layers kept frozen in training (with the embeddings)")
    ] = 4,
    limit: Annotated[int, typer.Option(help="PAN-X test sentences per language")] = 250,
    retrieval_limit: Annotated[int, typer.Option(help="Tatoeba pairs per language")] = 150,
    quiet: Annotated[bool, typer.Option(help="No progress bars")] = False,
) -> None:
    """The whole mission on the embedded default: multilingual-e5-small trained English-intermediate ->
    English-target (and without the intermediate task), evaluated zero-shot in every bundled language,
    clean and under character noise, code-switching and word substitution, with a leaderboard."""
    from robustx.cli import user_errors

    with user_errors():
        from robustx.errors import DataError, SpecError
        from robustx.progress import progress_stages
        from robustx.quickstart import Settings, run_quickstart

        if min(steps, limit, retrieval_limit) < 1:
            raise SpecError("--steps, --limit and --retrieval-limit must be >= 1")
        online = online or os.environ.get("ONLINE", "") not in ("", "0")
        if hub_mirror is not None and not online:
            raise SpecError("--hub-mirror stands in for the hub: use it with --online")
        if hub_mirror is not None and not hub_mirror.is_dir():
            raise DataError(f"--hub-mirror {hub_mirror}: not a directory")
        settings = Settings(
            online=online,
            base_model=_base_ref(base),
            hub_mirror=hub_mirror.resolve() if hub_mirror is not None else None,
            steps=steps,
            freeze_layers=freeze_layers,
            target_limit=limit,
            retrieval_limit=retrieval_limit,
            quiet=quiet,
        )
        with progress_stages(enabled=not quiet) as stages:
            try:
                result = run_quickstart(settings, out, report, stages)
            except DataError as err:
                if not online or hub_mirror is not None:
                    raise
                hint = "no network? run without --online (the bundled data), or pass --hub-mirror DIR"
                raise DataError(f"{err} ({hint})") from None
        _summary(settings, result)


def _base_ref(base: str | None) -> str | None:
    """A local directory by its absolute path (checkpoint names and run configs must not depend on the cwd)."""
    from robustx.models.embedded import ALIASES

    if base is None or base in ALIASES or not Path(base).expanduser().exists():
        return base
    return str(Path(base).expanduser().resolve())


def _summary(settings: Any, result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    board = result.report.board
    table = Table(title="quickstart: overall score per run (language average, %)")
    for col in ("model", "task", "attack", "clean", "attacked", "drop", "95% CI"):
        table.add_column(col, justify="left" if col in ("model", "task", "attack") else "right")
    for run in result.runs:
        o = run.metrics["overall"]
        table.add_row(
            Path(run.metrics["model"]).name,
            run.metrics["task"],
            run.metrics["attack"].split(":")[0],
            f"{100 * o['clean']:.1f}",
            f"{100 * o['attacked']:.1f}",
            f"{100 * o['drop']:.1f}",
            f"[{100 * o['ci_low']:.1f}, {100 * o['ci_high']:.1f}]",
        )
    console.print(table)
    base = f"{settings.base_name} (embedded, 4-bit source)" if settings.embedded else settings.base
    console.print(
        f"\n[bold]What you are looking at[/bold]: {base}, trained on English only — for named-entity "
        "tagging (PAN-X/WikiANN) directly (baseline) and after English SNLI (the STILTs intermediate "
        "task) — then evaluated zero-shot on PAN-X (entity F1) in "
        f"{_n_langs(result, 'panx')} languages and on Tatoeba retrieval (the encoders before "
        f"and after SNLI) in {_n_langs(result, 'tatoeba')} languages, clean and under character noise, "
        "dictionary code-switching and embedding-neighbour word substitution. 'drop' is clean minus "
        "attacked with a paired-bootstrap 95% CI; the leaderboard "
        "adds Holm/BH-adjusted significance and per-language figures. Every number is recomputed from "
        "the runs' records.parquet."
    )
    seconds = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    console.print(f"time: {seconds}; {len(board.runs)} runs, {len(board.rows)} models")
    for path in result.report.files:
        console.print(f"  {path}")
    console.print(
        f"  runs: {result.runs[0].run_dir.parents[3]}/ (config.json, records.parquet, metrics.json)"
    )


def _n_langs(result: Any, task: str) -> int:
    return len({lang for r in result.runs if r.metrics["task"] == task for lang in r.metrics["languages"]})
