"""``robustx grid run``: an evaluation grid over existing checkpoints, locally or on Ray."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

grid_app = typer.Typer(
    name="grid",
    help="Evaluation grids: models x tasks x languages x attacks x seeds, locally or on a Ray cluster.",
    no_args_is_help=True,
)
Opt = typer.Option


@grid_app.command("run")
def run_command(
    grid: Annotated[Path, typer.Argument(help="Grid file (TOML), e.g. examples/eval_grid.toml")],
    backend: Annotated[str | None, Opt(help="local (this process) or ray")] = None,
    address: Annotated[
        str | None, Opt(help="Ray cluster to join: auto, ray://head:10001, head:6379 (default: start one)")
    ] = None,
    out: Annotated[
        Path | None, Opt(help="Root of the run directories (overrides the grid file's out)")
    ] = None,
    workers: Annotated[
        int | None, Opt(help="Ray actors, each keeping its model loaded (local: one, in-process)")
    ] = None,
    cpus_per_worker: Annotated[
        float | None, Opt(help="CPUs each worker requests (fractions allowed)")
    ] = None,
    gpus_per_worker: Annotated[float | None, Opt(help="GPUs each worker requests (1: one GPU each)")] = None,
    max_tokens: Annotated[
        int | None, Opt(help="Padded tokens per batch (GPU); --batch-size caps rows")
    ] = None,
    batch_size: Annotated[int | None, Opt(help="Rows per batch")] = None,
    device: Annotated[
        str | None, Opt(help="auto, cpu, cuda (a Ray GPU worker sees its own GPU as cuda)")
    ] = None,
    bf16: Annotated[bool | None, Opt("--bf16/--no-bf16", help="bfloat16 autocast on GPU")] = None,
    cache: Annotated[
        Path | None, Opt(help="Content-addressed cache root (default $ROBUSTX_CACHE/cas)")
    ] = None,
    no_cache: Annotated[bool, Opt("--no-cache", help="Compute every perturbation and clean pass")] = False,
    dry_run: Annotated[bool, Opt(help="Show the runs and shards still to do; write nothing")] = False,
    summary_json: Annotated[Path | None, Opt("--json", help="Also write the run summary here")] = None,
    quiet: Annotated[bool, Opt(help="No progress lines")] = False,
) -> None:
    """Evaluate every cell of a grid; finished shards are skipped, interrupted grids resume."""
    from robustx.cli import user_errors

    given = {
        "backend": backend, "address": address, "workers": workers, "cpus_per_worker": cpus_per_worker,
        "gpus_per_worker": gpus_per_worker, "max_tokens": max_tokens, "batch_size": batch_size,
        "device": device, "bf16": bf16, "cache": str(cache) if cache else None,
        "use_cache": False if no_cache else None,
    }  # fmt: skip
    with user_errors(), _interrupt_hint():
        spec = _load(grid, out, given)
        if dry_run:
            _dry_run(spec)
            return
        from robustx.grid.run import run_grid

        log = (lambda line: None) if quiet else (lambda line: typer.echo(line, err=True))
        summary = run_grid(spec, log=log)
        for line in summary.lines():
            typer.echo(line)
        if summary_json is not None:
            summary_json.write_text(json.dumps(summary.to_json(), indent=2) + "\n", encoding="utf-8")


def _load(grid: Path, out: Path | None, given: dict[str, Any]) -> Any:
    """The grid file with the command line's options over its [run] table."""
    from robustx.grid.spec import check_run_options, load_grid_spec

    spec = load_grid_spec(grid)
    run = check_run_options(replace(spec.run, **{k: v for k, v in given.items() if v is not None}))
    return replace(spec, run=run, out=out or spec.out)


@contextmanager
def _interrupt_hint() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        typer.echo("interrupted: finished shards are kept; run the same command again to continue", err=True)
        raise typer.Exit(130) from None


def _dry_run(spec: Any) -> None:
    from robustx.grid.plan import plan_grid

    plan = plan_grid(spec, write=False)
    for cell in plan.cells:
        todo = len(cell.pending)
        typer.echo(
            f"{cell.state:8} {len(cell.shards) - todo}/{len(cell.shards)} shards stored  {cell.store.root}"
        )
    typer.echo(f"{len(plan.cells)} runs, {plan.shards_total} shards, {len(plan.jobs)} to run")
