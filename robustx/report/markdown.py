"""The leaderboard as Markdown: the main table, per-attack aggregates, per-model language tables.

Every value that comes from a run directory (model names, lineage, attack specs, paths) goes
through :func:`md`, which escapes HTML and the table syntax, since Markdown viewers render raw HTML.
"""

from __future__ import annotations

from html import escape

from robustx.report.collect import Cell, RunResult
from robustx.report.fmt import DAGGER, STAR, ci, legend, pct, pval, significant
from robustx.report.tables import NONE, Column, Leaderboard, ModelRow


def md(text: object) -> str:
    """Text safe inside a Markdown table cell: HTML-escaped, pipes and backslashes escaped, one line."""
    out = escape(str(text), quote=False).replace("\\", "\\\\").replace("|", "\\|")
    for ch in "`*_[]":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def overall_cell(run: RunResult | None, alpha: float) -> str:
    """``attacked · drop d [lo, hi] ★`` for a leaderboard cell; a dash where the model was not run."""
    if run is None:
        return NONE
    o = run.overall
    mark = f" {STAR}" if significant(o, alpha) else ""
    return f"{pct(o.attacked)} · drop {pct(o.drop)} {ci(o)}{mark}"


def column_title(col: Column) -> str:
    return f"{col.task} · {col.label}"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def leaderboard_table(board: Leaderboard) -> list[str]:
    header = ["#", "model", "base", "intermediate", "target", "train seed", "clean", "robust", "drop"]
    header += [md(column_title(c)) for c in board.columns]
    rows = []
    for rank, row in enumerate(board.rows, start=1):
        lin = row.lineage
        cells = [str(rank), f"**{md(row.name)}**", md(lin.base), md(lin.intermediate_label), md(lin.target)]
        cells += [md(lin.seed), pct(row.clean_score), f"**{pct(row.robust_score)}**", pct(row.drop_score)]
        cells += [overall_cell(row.cells.get(c), board.alpha) for c in board.columns]
        rows.append(cells)
    return _table(header, rows, right={0, 6, 7, 8})


def attack_table(board: Leaderboard) -> list[str]:
    labels = sorted({label for row in board.rows for label in row.by_attack})
    if not labels:
        return []
    rows = [[md(r.name), *(pct(r.by_attack.get(label)) for label in labels)] for r in board.rows]
    return [
        "## Attacked score per attack",
        "",
        "Mean over tasks of the language-averaged attacked score, per attack.",
        "",
        *_table(["model", *map(md, labels)], rows, right=set(range(1, len(labels) + 1))),
        "",
    ]


def language_rows(run: RunResult, alpha: float) -> list[list[str]]:
    """The overall row (Holm-adjusted) then one row per language (BH-adjusted)."""
    from robustx.report.tables import language_order

    o = run.overall
    rows = [_lang_row("**overall**", o, f"{pval(o.p)} ({o.p_method})", STAR if significant(o, alpha) else "")]
    for lang in language_order(run.languages):
        cell = run.languages[lang]
        rows.append(_lang_row(md(lang), cell, pval(cell.p), DAGGER if significant(cell, alpha) else ""))
    return rows


def _lang_row(name: str, cell: Cell, p_text: str, mark: str) -> list[str]:
    return [
        name,
        str(cell.n),
        pct(cell.clean),
        pct(cell.attacked),
        f"{pct(cell.drop)} {ci(cell)}",
        p_text,
        pval(cell.p_adjusted) + (f" {mark}" if mark else ""),
        f"{100 * cell.changed_fraction:.0f}%",
    ]


LANG_HEADER = ["language", "n", "clean", "attacked", "drop [95% CI]", "p", "adjusted p", "words changed"]


def model_section(row: ModelRow, alpha: float) -> list[str]:
    lin = row.lineage
    lines = [
        f"### {md(row.name)}",
        "",
        f"base {md(lin.base)} · intermediate {md(lin.intermediate_label)} · target {md(lin.target)} · "
        f"train seed {md(lin.seed)} · model hash `{escape(row.model_hash)}`",
        "",
    ]
    for task, score in row.clean.items():
        lines.append(f"- {md(task)}: clean {pct(score)}")
    lines.append("")
    for col in sorted(row.cells, key=lambda c: (c.task, c.label, c.seed)):
        run = row.cells[col]
        lines += [
            f"#### {md(column_title(col))} (seed {col.seed})",
            "",
            f"`{escape(run.info.attack)}` — adjusted p: Holm for overall, BH for languages.",
            "",
        ]
        lines += _table(LANG_HEADER, language_rows(run, alpha), right={1, 2, 3})
        lines.append("")
    return lines


def skipped_section(board: Leaderboard) -> list[str]:
    if not board.skipped:
        return []
    lines = [
        "## Skipped runs (NOT in the tables above)",
        "",
        f"{len(board.skipped)} run director{'y' if len(board.skipped) == 1 else 'ies'} could not be "
        "reported; an incomplete run is never shown as if complete.",
        "",
    ]
    lines += [f"- `{escape(str(s.path))}`: {md(s.reason)}" for s in board.skipped]
    return [*lines, ""]


def render_markdown(board: Leaderboard, generator: str) -> str:
    lines = [f"# {md(board.title)}", "", md(generator), ""]
    if board.skipped:
        lines += [
            f"**{len(board.skipped)} incomplete or unreadable run(s) skipped** — see "
            "*Skipped runs* at the end.",
            "",
        ]
    lines += ["## Leaderboard", "", *leaderboard_table(board), ""]
    lines += [f"- {md(sentence)}" for sentence in legend(board)]
    lines.append("")
    lines += attack_table(board)
    if board.warnings:
        lines += ["## Warnings", "", *(f"- {md(w)}" for w in board.warnings), ""]
    lines += ["## Models", ""]
    for row in board.rows:
        lines += model_section(row, board.alpha)
    lines += skipped_section(board)
    return "\n".join(lines).rstrip() + "\n"
