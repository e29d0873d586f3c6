"""The ``robustx`` command line. Heavy imports live inside commands so ``--help`` is instant."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="robustx",
    help="Robustness of zero-shot cross-lingual transfer: clean vs perturbed evaluation with paired statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def user_errors() -> Iterator[None]:
    """Print robustx errors as one line on stderr and exit 2; Ctrl-C exits 130 keeping partial work."""
    from robustx.errors import RobustxError

    try:
        yield
    except RobustxError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted: finished shards are kept; re-run with --resume to complete", err=True)
        raise typer.Exit(130) from None


def _split_list(text: str | None) -> list[str] | None:
    return [p.strip() for p in text.split(",") if p.strip()] if text else None


@app.command()
def evaluate(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Checkpoint dir or hub id (sequence classifier)")
    ],
    task: Annotated[str, typer.Option("--task", "-t", help="Task name (see `robustx tasks`)")],
    langs: Annotated[
        str | None, typer.Option(help="Comma-separated languages (default: all of the task)")
    ] = None,
    attack: Annotated[str, typer.Option("--attack", "-a", help="Attack spec name:key=value,...")] = "none",
    seed: Annotated[int, typer.Option(help="Seed of the perturbations")] = 0,
    out: Annotated[Path, typer.Option(help="Root directory of run outputs")] = Path("runs"),
    data_dir: Annotated[Path | None, typer.Option(help="XTREME download dir (xnli/test-de.tsv, ...)")] = None,
    data_file: Annotated[Path | None, typer.Option(help="Local TSV/CSV/JSONL/Parquet file")] = None,
    columns: Annotated[
        str | None, typer.Option(help="Column mapping for --data-file: field=column,...")
    ] = None,
    hub_dataset: Annotated[
        str | None, typer.Option(help="Hub dataset id (e.g. google/xtreme, facebook/xnli)")
    ] = None,
    hub_path: Annotated[
        str | None, typer.Option(help="Local mirror of the hub dataset (same schema)")
    ] = None,
    split: Annotated[str, typer.Option(help="test or validation")] = "test",
    limit: Annotated[int | None, typer.Option(help="First N examples per language")] = None,
    batch_size: Annotated[int, typer.Option(help="Inference batch size")] = 32,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:1, mps")] = "auto",
    bf16: Annotated[bool, typer.Option(help="bfloat16 autocast on GPU")] = False,
    resume: Annotated[bool, typer.Option(help="Finish an interrupted run in --out")] = False,
    max_length: Annotated[int, typer.Option(help="Max tokens per input pair")] = 256,
    shard_size: Annotated[int, typer.Option(help="Examples per stored shard (unit of resume)")] = 1000,
    quiet: Annotated[bool, typer.Option(help="No progress bars")] = False,
) -> None:
    """Evaluate a classifier clean and under an attack; write per-example records and metrics."""
    with user_errors():
        from robustx.errors import SpecError
        from robustx.evaluate import EvalRequest
        from robustx.evaluate import evaluate as run_evaluation
        from robustx.progress import progress_stages
        from robustx.summary import print_metrics

        source = _data_source(data_dir, data_file, columns, hub_dataset, hub_path)
        if (limit is not None and limit < 1) or shard_size < 1 or batch_size < 1:
            raise SpecError("--limit, --shard-size and --batch-size must be >= 1")
        req = EvalRequest(
            model=model,
            task=task,
            source=source,
            out=out,
            langs=_split_list(langs),
            attack=attack,
            seed=seed,
            split=split,
            limit=limit,
            batch_size=batch_size,
            device=device,
            bf16=bf16,
            resume=resume,
            max_length=max_length,
            shard_size=shard_size,
            command=sys.argv,
        )
        with progress_stages(enabled=not quiet) as stages:
            result = run_evaluation(req, stages)
        print_metrics(result.metrics, result.run_dir, result.state)


def _data_source(
    data_dir: Path | None,
    data_file: Path | None,
    columns: str | None,
    hub_dataset: str | None,
    hub_path: str | None,
) -> Any:
    from robustx.errors import SpecError
    from robustx.tasks import DataSource, default_data_dir

    given = [x for x in (data_dir, data_file, hub_dataset or hub_path) if x]
    if len(given) > 1:
        raise SpecError("give one data source: --data-dir, --data-file, or --hub-dataset/--hub-path")
    if columns and not data_file:
        raise SpecError("--columns goes with --data-file")
    if data_file:
        return DataSource("file", path=str(data_file), columns=columns)
    if data_dir:
        return DataSource("dir", path=str(data_dir))
    if hub_dataset or hub_path:
        return DataSource("hub", path=hub_path, dataset=hub_dataset)
    env_dir = default_data_dir()
    return DataSource("dir", path=str(env_dir)) if env_dir else DataSource("hub")


@app.command()
def tasks() -> None:
    """List tasks with their languages, labels and data sources."""
    from robustx.summary import print_tasks

    print_tasks()


@app.command()
def attacks() -> None:
    """List attacks with their parameters and defaults."""
    from robustx.summary import print_attacks

    print_attacks()


def _register_commands() -> None:
    """Commands living in robustx.commands.* (their heavy imports stay inside the functions)."""
    from robustx.commands.check import check
    from robustx.commands.grid import grid_app
    from robustx.commands.models import models
    from robustx.commands.perturb import perturb
    from robustx.commands.quickstart import quickstart
    from robustx.commands.report import report
    from robustx.commands.resources import resources_app
    from robustx.commands.train import train, train_grid

    app.command()(perturb)
    app.command()(models)
    app.command()(train)
    app.command("train-grid")(train_grid)
    app.command()(report)
    app.command()(check)
    app.command()(quickstart)
    app.add_typer(resources_app)
    app.add_typer(grid_app)


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
