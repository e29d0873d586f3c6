"""``robustx check``: the CI regression gate (baseline vs candidate; exit 0 pass, 1 regression, 2 error)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

_RERUN = "Candidate checkpoint"


def check(
    baseline: Annotated[
        Path, typer.Option(help="Baseline: a run directory, a root of its runs, or a snapshot file")
    ],
    candidate: Annotated[
        Path | None,
        typer.Option(help="Candidate: a checkpoint (evaluated on the baseline's examples first) or its runs"),
    ] = None,
    task: Annotated[str | None, typer.Option(help="Only the baseline's runs of this task")] = None,
    attack: Annotated[
        str | None, typer.Option(help="Only runs of this attack (a name: any of its specs; or a full spec)")
    ] = None,
    margin: Annotated[
        float,
        typer.Option(
            help="Tolerated extra drop in points of the task's metric, in the test (H0: Δ drop <= margin)"
        ),
    ] = 0.0,
    max_drop: Annotated[
        float | None,
        typer.Option(
            "--max-drop",
            metavar="POINTS",
            help="Non-inferiority margin: also fail a cell whose estimated extra drop Δ exceeds POINTS, significant or not",
        ),
    ] = None,
    alpha: Annotated[float, typer.Option(help="Family-wise error rate (Holm over all cells)")] = 0.05,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML (one test case per cell)")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON")] = None,
    markdown: Annotated[
        Path | None, typer.Option(help="Append the Markdown table (e.g. $GITHUB_STEP_SUMMARY)")
    ] = None,
    update_baseline: Annotated[
        bool, typer.Option(help="After a pass, refresh the snapshot (--snapshot, or the --baseline file)")
    ] = False,
    force_update: Annotated[
        bool, typer.Option(help="Refresh the snapshot from the candidate even if the gate fails (accept it)")
    ] = False,
    snapshot: Annotated[
        Path | None,
        typer.Option(help="Snapshot file to write; without --candidate: write the baseline's runs to it"),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Where a candidate checkpoint's runs go", rich_help_panel=_RERUN)
    ] = Path("runs/check"),
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Read the baseline's examples from this XTREME dir", rich_help_panel=_RERUN),
    ] = None,
    device: Annotated[
        str, typer.Option(help="auto, cpu, cuda, cuda:1, mps", rich_help_panel=_RERUN)
    ] = "auto",
    batch_size: Annotated[
        int | None,
        typer.Option(help="Inference batch size (default: the baseline's)", rich_help_panel=_RERUN),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress output", rich_help_panel=_RERUN)] = False,
) -> None:
    """Fail the build when the candidate is significantly less robust than the baseline.

    A candidate checkpoint is first evaluated on exactly the baseline's examples and perturbations (task, languages, split, limit, attack spec, seed, data and max length from the baseline's config) into --out. Runs are paired by task, attack and seed and joined on example_id + lang; runs with other examples or inputs (text hashes) are refused. Per cell (each language, and overall), in the task's own metric: a one-sided paired sign-flip test of the per-item drop difference (corpus F1 of tagging and BUCC: over sentences, linearised), a paired-bootstrap 95% CI, Holm over all cells; with --max-drop a cell also fails when its estimated extra drop exceeds POINTS.

    A snapshot (--snapshot, or --update-baseline after a pass) is a small gzipped JSON-lines file of per-example outcomes and text hashes plus each run's config and metrics: commit it and use it as --baseline.

    Exit codes: 0 pass, 1 regression found, 2 usage or input error.
    """
    from robustx.cli import user_errors

    with user_errors():
        from robustx.errors import SpecError
        from robustx.gate import GateRequest, RerunOptions, run_gate
        from robustx.gate.sources import RunFilter

        if batch_size is not None and batch_size < 1:
            raise SpecError("--batch-size must be >= 1")
        rerun = RerunOptions(out=out, data_dir=data_dir, device=device, batch_size=batch_size, quiet=quiet)
        request = GateRequest(
            baseline=baseline,
            candidate=candidate,
            margin_points=margin,
            alpha=alpha,
            max_drop_points=max_drop,
            wanted=RunFilter(task, attack),
            rerun=rerun,
            update_baseline=update_baseline,
            force_update=force_update,
            snapshot=snapshot,
        )
        outcome = run_gate(request)
        _emit(outcome, baseline, junit, json_out, markdown)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


def _emit(
    outcome: Any, baseline: Path, junit: Path | None, json_out: Path | None, markdown: Path | None
) -> None:
    """Print the table, write the requested files, and say what happened to the snapshot."""
    from robustx.gate.output import as_json
    from robustx.gate.output import junit as junit_xml
    from robustx.gate.output import markdown as markdown_table
    from robustx.store import atomic_write_bytes, atomic_write_json

    result = outcome.result
    if result is not None:
        table = markdown_table(result, baseline, outcome.candidate)
        typer.echo(table, nl=False)
        if junit is not None:
            atomic_write_bytes(junit, junit_xml(result))
        if json_out is not None:
            atomic_write_json(json_out, as_json(result, baseline, outcome.candidate))
        if markdown is not None:
            markdown.parent.mkdir(parents=True, exist_ok=True)
            with markdown.open("a", encoding="utf-8") as fh:  # append: CI summaries collect steps
                fh.write(table)
    for note in outcome.notes:
        typer.echo(note, err=True)
    if outcome.snapshot is not None:
        typer.echo(
            f"wrote snapshot {outcome.snapshot} ({outcome.snapshot_runs} run(s), "
            f"{outcome.snapshot_bytes / 1024:.0f} KiB) from {outcome.candidate}",
            err=True,
        )
