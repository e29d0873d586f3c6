"""``robustx check``: the CI regression gate (baseline vs candidate runs; exit 0 pass, 1 regression, 2 error)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def check(
    baseline: Annotated[Path, typer.Option(help="Baseline run directory (or a root of its runs)")],
    candidate: Annotated[Path, typer.Option(help="Candidate run directory (or a root of its runs)")],
    margin: Annotated[
        float, typer.Option(help="Tolerated extra drop in accuracy points (H0: Δ drop <= margin)")
    ] = 0.0,
    alpha: Annotated[float, typer.Option(help="Family-wise error rate (Holm over all cells)")] = 0.05,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML (one test case per cell)")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON")] = None,
    markdown: Annotated[
        Path | None, typer.Option(help="Write the Markdown table (e.g. $GITHUB_STEP_SUMMARY)")
    ] = None,
) -> None:
    """Fail the build when the candidate is significantly less robust than the baseline.

    Runs are paired by task, attack and seed and joined on example_id + lang; runs with other examples, inputs, attack or seed are refused. Per cell (each language, and overall): a one-sided paired sign-flip test of the per-item drop difference, a paired-bootstrap 95% CI, Holm over all cells.

    Exit codes: 0 pass, 1 regression found, 2 usage or input error.
    """
    from robustx.cli import user_errors

    with user_errors():
        from robustx.gate import run_gate
        from robustx.gate.output import as_json
        from robustx.gate.output import junit as junit_xml
        from robustx.gate.output import markdown as markdown_table
        from robustx.store import atomic_write_bytes, atomic_write_json

        result = run_gate(baseline, candidate, margin_points=margin, alpha=alpha)
        table = markdown_table(result, baseline, candidate)
        typer.echo(table, nl=False)
        if junit is not None:
            atomic_write_bytes(junit, junit_xml(result))
        if json_out is not None:
            atomic_write_json(json_out, as_json(result, baseline, candidate))
        if markdown is not None:
            markdown.parent.mkdir(parents=True, exist_ok=True)
            with markdown.open("a", encoding="utf-8") as fh:  # append: CI summaries collect steps
                fh.write(table)
    if result.exit_code:
        raise typer.Exit(result.exit_code)
