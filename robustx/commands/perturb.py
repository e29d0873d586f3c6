"""``robustx perturb``: perturb text lines or JSONL fields, streaming (stdin/stdout by default)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def perturb(
    attack: Annotated[str, typer.Option("--attack", "-a", help="Attack spec name:key=value,...")],
    lang: Annotated[str, typer.Option("--lang", "-l", help="Language of the text (ISO 639-1)")],
    input_path: Annotated[
        Path | None, typer.Argument(metavar="[IN]", help="Input file (default stdin)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output file (default stdout)")
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed; a line's output depends on (seed, spec, id, lang, field)")
    ] = 0,
    jsonl: Annotated[bool | None, typer.Option(help="Input is JSONL (default: by .jsonl suffix)")] = None,
    fields: Annotated[str, typer.Option(help="JSONL fields to perturb, comma-separated")] = "text",
    id_field: Annotated[str | None, typer.Option(help="JSONL field holding the example id")] = None,
    lang_field: Annotated[str | None, typer.Option(help="JSONL field holding a per-line language")] = None,
    record: Annotated[
        bool, typer.Option(help="Add a _robustx object with changed spans to JSONL rows")
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (output is identical for any count)")] = 1,
) -> None:
    """Perturb text lines or JSONL fields with any model-free attack (streams; stdin -> stdout)."""
    from robustx.cli import user_errors

    with user_errors():
        from robustx.errors import DataError, SpecError
        from robustx.perturb_io import PerturbJob, perturb_stream
        from robustx.tasks.readers import open_text

        if workers < 1:
            raise SpecError("--workers must be >= 1")
        is_jsonl = jsonl if jsonl is not None else bool(input_path and ".jsonl" in input_path.name)
        job = PerturbJob(
            spec=attack,
            lang=lang,
            seed=seed,
            jsonl=is_jsonl,
            fields=tuple(f.strip() for f in fields.split(",") if f.strip()),
            id_field=id_field,
            lang_field=lang_field,
            record=record,
            source=str(input_path) if input_path else "<stdin>",
        )
        if input_path is not None and not input_path.is_file():
            raise DataError(f"input file not found: {input_path}")
        source = open_text(input_path) if input_path else sys.stdin
        if output is None:
            perturb_stream(job, source, sys.stdout, workers)
            return
        tmp = output.with_name(f".{output.name}.partial")
        with open(tmp, "w", encoding="utf-8") as out:
            perturb_stream(job, source, out, workers)
        tmp.replace(output)  # a failed run never leaves a complete-looking output file
