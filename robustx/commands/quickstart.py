"""``robustx quickstart``: fine-tune the embedded model on English, evaluate it zero-shot under attack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def quickstart(
    out: Annotated[Path, typer.Option(help="Root directory of the run outputs")] = Path("runs/quickstart"),
    limit: Annotated[int, typer.Option(help="XNLI test examples per language")] = 500,
    steps: Annotated[int, typer.Option(help="Fine-tuning steps on English XNLI dev")] = 250,
    quiet: Annotated[bool, typer.Option(help="No progress bars")] = False,
) -> None:
    """Run the main job offline on the embedded default (multilingual-e5-small) and the shared XNLI data."""
    from robustx.cli import user_errors

    with user_errors():
        from robustx.errors import SpecError
        from robustx.progress import progress_stages
        from robustx.quickstart import FineTune, run_quickstart
        from robustx.summary import print_metrics

        if limit < 1 or steps < 1:
            raise SpecError("--limit and --steps must be >= 1")
        with progress_stages(enabled=not quiet) as stages:
            results = run_quickstart(out, limit, FineTune(steps=steps), stages)
        for result in results:
            print_metrics(result.metrics, result.run_dir, result.state)
        _summary([r.run_dir for r in results])


def _summary(run_dirs: list[Path]) -> None:
    from rich.console import Console

    console = Console()
    console.print(
        "\n[bold]What you are looking at[/bold]: multilingual-e5-small (the embedded model), fine-tuned on "
        "English NLI only, evaluated zero-shot on XNLI in 8 languages of 7 scripts, clean and under "
        "character noise and dictionary code-switching. 'drop' is clean minus attacked accuracy with a paired-bootstrap "
        "95% CI; McNemar p tests it per language. Every number is recomputable from records.parquet."
    )
    for path in run_dirs:
        console.print(f"  {path}/  (config.json, records.parquet, metrics.json)")
