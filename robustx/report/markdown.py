"""The leaderboard as Markdown: the main table, per-attack aggregates, per-model language tables.

Every value that comes from a run directory (model names, lineage, attack specs, paths) goes
through :func:`md`, which escapes HTML and the table syntax, since Markdown viewers render raw HTML.
"""

from __future__ import annotations

from html import escape

from robustx.report.collect import Cell, RunResult
from robustx.report.fmt import DAGGER, STAR, ci, em_beside, legend, pct, pval, significant
from robustx.report.tables import NONE, Column, Leaderboard, ModelRow


def md(text: object) -> str:
    """Text safe inside a Markdown table cell: HTML-escaped, pipes and backslashes escaped, one line."""
    out = escape(str(text), quote=False).replace("\\", "\\\\").replace("|", "\\|")
    for ch in "`*_[]":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def overall_cell(run: RunResult | None, alpha: float) -> str:
    """``attacked · drop d [lo, hi] ★`` (QA: F1, then EM beside); a dash where the model was not run."""
    if run is None:
        return NONE
    o = run.overall
    mark = f" {STAR}" if significant(o, alpha) else ""
    em = em_beside(o)
    return f"{pct(o.attacked)} · drop {pct(o.drop)} {ci(o)}{mark}" + (f" · {em}" if em else "")


def column_title(col: Column, metric: str) -> str:
    return f"{col.task} ({metric}) · {col.label}"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def leaderboard_table(board: Leaderboard) -> list[str]:
    header = ["#", "model", "base", "intermediate", "target", "train seed", "clean", "robust", "drop"]
    header += [md(column_title(c, board.metric_name(c.task))) for c in board.columns]
    rows = []
    for rank, row in enumerate(board.rows, start=1):
        lin = row.lineage
        cells = [str(rank), f"**{md(row.name)}**", md(lin.base), md(lin.intermediate_label), md(lin.target)]
        cells += [md(lin.seed), pct(row.clean_score), f"**{pct(row.robust_score)}**", pct(row.drop_score)]
        cells += [overall_cell(row.cells.get(c), board.alpha) for c in board.columns]
        rows.append(cells)
    return _table(header, rows, right={0, 6, 7, 8})


def attack_table(board: Leaderboard) -> list[str]:
    rows = [
        [md(r.name), md(label), md(", ".join(a.tasks)), pct(a.clean), pct(a.attacked), pct(a.drop)]
        for r in board.rows
        for label, a in r.by_attack.items()
    ]
    if not rows:
        return []
    return [
        "## XTREME-style score per attack",
        "",
        "Per task the language average of its metric (QA: (EM + F1) / 2), then the mean over the tasks "
        "run with that attack (only those: listed), clean and attacked.",
        "",
        *_table(["model", "attack", "tasks", "clean", "attacked", "drop"], rows, right={3, 4, 5}),
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


def em_columns(cell: Cell) -> list[str]:
    """EM beside F1 in a QA language table (its p unadjusted: EM is not a tested family)."""
    return [pct(cell.em_clean), pct(cell.em_attacked), pval(cell.em_p)]


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
EM_HEADER = ["EM clean", "EM attacked", "EM p (McNemar)"]


def model_section(row: ModelRow, board: Leaderboard) -> list[str]:
    from robustx.report.tables import language_order

    alpha = board.alpha
    lin = row.lineage
    lines = [
        f"### {md(row.name)}",
        "",
        f"base {md(lin.base)} · intermediate {md(lin.intermediate_label)} · target {md(lin.target)} · "
        f"train seed {md(lin.seed)} · model hash `{escape(row.model_hash)}`",
        "",
    ]
    for task, score in row.clean.items():
        lines.append(f"- {md(task)}: clean {pct(score)} ({md(task_score_name(board, task))})")
    lines.append("")
    for col in sorted(row.cells, key=lambda c: (c.task, c.label, c.seed)):
        run = row.cells[col]
        lines += [
            f"#### {md(column_title(col, run.metric.name))} (seed {col.seed})",
            "",
            f"`{escape(run.info.attack)}` — adjusted p: Holm for overall, BH for languages.",
            "",
        ]
        rows, header = language_rows(run, alpha), LANG_HEADER
        if run.metric.kind == "qa":
            cells = [run.overall] + [run.languages[lang] for lang in language_order(run.languages)]
            rows, header = [r + em_columns(c) for r, c in zip(rows, cells, strict=True)], header + EM_HEADER
        lines += _table(header, rows, right={1, 2, 3})
        lines.append("")
    return lines


def task_score_name(board: Leaderboard, task: str) -> str:
    """What a model's clean score of ``task`` is: its metric, or (EM + F1) / 2 for QA."""
    metric = board.metrics.get(task)
    return "(EM + F1) / 2" if metric is not None and metric.kind == "qa" else board.metric_name(task)


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
        lines += model_section(row, board)
    lines += skipped_section(board)
    return "\n".join(lines).rstrip() + "\n"
