"""Rich tables for the terminal: metrics of a run, the task list, the attack list."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _console() -> Any:
    from rich.console import Console

    return Console()


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def print_metrics(metrics: dict[str, Any], run_dir: Path, state: str) -> None:
    from rich.table import Table

    # Tagging/BUCC report corpus F1 (no McNemar: not a per-item outcome); QA reports F1 with EM beside it.
    em = "em_clean" in metrics["overall"]
    title = f"{metrics['task']} under {metrics['attack']} ({metrics.get('metric', 'accuracy')}, %)"
    table = Table(title=title)
    extra = ("EM clean", "EM attacked") if em else ()
    mcnemar = "McNemar p (EM)" if em else "McNemar p"
    # Adversarial runs: attack success rate among correct-clean examples, and their mean queries.
    adv = ("success", "queries") if "attack_success_rate" in metrics["overall"] else ()
    for col in ("lang", "n", "clean", "attacked", "drop", "95% CI of drop", *extra, mcnemar, "changed", *adv):
        table.add_column(col, justify="right" if col != "lang" else "left")
    rows = list(metrics["languages"].items()) + [("overall", metrics["overall"])]
    for lang, m in rows:
        table.add_row(
            lang,
            str(m["n"]),
            _pct(m["clean"]),
            _pct(m["attacked"]),
            _pct(m["drop"]),
            f"[{_pct(m['ci_low'])}, {_pct(m['ci_high'])}]",
            *((_pct(m["em_clean"]), _pct(m["em_attacked"])) if em else ()),
            f"{m['mcnemar_p']:.2g}" if "mcnemar_p" in m else "-",
            _pct(m["changed_fraction"]),
            *((_pct(m.get("attack_success_rate", 0.0)), f"{m.get('mean_queries', 0.0):.1f}") if adv else ()),
        )
    console = _console()
    console.print(table)
    for line in metrics.get("warnings", []):
        console.print(f"[yellow]warning[/yellow]: {line}")
    note = "already complete; nothing recomputed" if state == "complete" else "records and metrics written"
    console.print(f"{note}: {run_dir}")


def print_tasks() -> None:
    from rich.table import Table

    from robustx.tasks import TASKS

    table = Table(title="robustx tasks")
    for col in ("task", "family", "languages", "labels", "sources"):
        table.add_column(col, overflow="fold")
    for name in TASKS.names():
        t = TASKS.get(name)
        sources = [f"hub: {h.dataset} ({h.config})" for h in t.hub] + [
            f"dir: {t.download_path}",
            "file: --data-file",
        ]
        table.add_row(
            name,
            t.family,
            f"{len(t.languages)}: {' '.join(t.languages)}",
            " ".join(t.labels) or "-",
            "\n".join(sources),
        )
    _console().print(table)


def print_attacks() -> None:
    from rich.table import Table

    from robustx.attacks import list_attacks

    table = Table(title="robustx attacks (spec: name:key=value,...; lists use +)")
    for col in ("attack", "kind", "description", "parameters (type = default)"):
        table.add_column(col, overflow="fold")
    for info in list_attacks():
        params = "\n".join(f"{p.name}: {p.type_name} = {_fmt(p.default)}" for p in info.params) or "-"
        kind = f"{info.kind}\n+ search=greedy|beam" if info.searchable else info.kind
        table.add_row(info.name, kind, info.description, params)
    console = _console()
    console.print(table)
    from robustx.attacks.search.options import SEARCH_PARAMS

    params = ", ".join(f"{p.name}: {p.type_name} = {_fmt(p.default)}" for p in SEARCH_PARAMS)
    console.print(f"adversarial (attacks marked + search): {params}")


def _fmt(value: Any) -> str:
    from robustx.specs import format_value

    return format_value(value)
