"""``robustx models``: the embedded offline model and how to use hub models instead."""

from __future__ import annotations

from typing import Annotated

import typer


def models(
    convert: Annotated[bool, typer.Option(help="Convert the embedded model now (once; cached)")] = False,
) -> None:
    """List models: the embedded multilingual-e5-small (offline) and hub models (network needed)."""
    from robustx.cli import user_errors

    with user_errors():
        from rich.console import Console
        from rich.table import Table

        from robustx.models.embedded import embedded_model_dir, list_models

        console = Console()
        if convert:
            console.print(f"embedded model ready: {embedded_model_dir()}")
        table = Table(title="robustx models (--model / --base accept a name, a hub id, or a checkpoint dir)")
        for col in ("name", "aliases", "source", "status", "licence"):
            table.add_column(col, overflow="fold")
        for row in list_models():
            table.add_row(row["name"], row["aliases"], row["source"], row["status"], row["licence"])
        console.print(table)
        console.print(
            "Hub models (xlm-roberta-base, xlm-roberta-large, ...) load by id where the hub is reachable; "
            "offline, pass a local checkpoint directory instead. `--model embedded` is the encoder only: "
            "train a head with `robustx train --base embedded ...` before evaluating classification."
        )
