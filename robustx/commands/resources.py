"""``robustx resources list|build``: perturbation resources per language, and dictionary packs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

resources_app = typer.Typer(
    name="resources",
    help="Perturbation resources per language (dictionaries, keyboard layouts, homoglyphs); build packs.",
    no_args_is_help=True,
)


@resources_app.command("list")
def list_command(
    dicts: Annotated[str, typer.Option(help="Extra dictionary directories (os.pathsep-separated)")] = "",
    data_dir: Annotated[
        list[Path] | None, typer.Option(help="XTREME data dir whose muse/ folder is searched")
    ] = None,
) -> None:
    """Show, per language, the dictionaries robustx would use, FreeDict status, keyboard, homoglyphs."""
    from robustx.cli import user_errors

    with user_errors():
        from robustx.resources_cmd import list_resources, print_resources

        print_resources(list_resources(dicts, [str(p) for p in data_dir or []]))


@resources_app.command("build")
def build_command(
    freedict: Annotated[bool, typer.Option(help="Convert installed FreeDict (dictd) databases")] = True,
    freedict_dir: Annotated[Path, typer.Option(help="Where dictd databases are installed")] = Path(
        "/usr/share/dictd"
    ),
    muse: Annotated[Path | None, typer.Option(help="A directory of MUSE en-xx.txt[.gz] files")] = None,
    langs: Annotated[str, typer.Option(help="Only these languages (comma-separated)")] = "",
    out: Annotated[Path | None, typer.Option(help="Pack directory (default: the robustx cache)")] = None,
) -> None:
    """Write normalised en-xx packs (MUSE first, then FreeDict) with a MANIFEST of sources and sha256."""
    from robustx.cli import user_errors

    with user_errors():
        from robustx.resources_cmd import build_packs, print_build

        chosen = [x.strip() for x in langs.split(",") if x.strip()]
        print_build(build_packs(out, freedict, freedict_dir, muse, chosen))
