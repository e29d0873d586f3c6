"""The leaderboard as one self-contained HTML file: inline CSS, inline SVG, no script, no network.

A Content-Security-Policy meta tag forbids every fetch and script, so even a string that slipped
past escaping could not run or phone home. Every value from a run directory is escaped with
``html.escape`` (attribute-safe: quotes too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from robustx.report.fmt import STAR, ci, em_beside, legend, pct, significant
from robustx.report.samples import Sample
from robustx.report.tables import NONE, Leaderboard, ModelRow

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
:root{--ink:#1a1a1a;--muted:#555;--line:#ddd;--bg:#fff;--soft:#f5f6f8;--bad:#b2182b;--mark:#ffe08a}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1280px;margin:0 auto;padding:24px 28px 64px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:22px 0 8px}h4{font-size:14px;margin:18px 0 6px}
.gen,.note{color:var(--muted);font-size:13px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13.5px}
th,td{border-bottom:1px solid var(--line);padding:5px 9px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}
td.num{text-align:right;white-space:nowrap}
td.cell{white-space:nowrap}
.score{font-weight:600;font-size:14.5px}
.drop{color:var(--muted);font-size:12px;display:block}
.sig{color:var(--bad);font-weight:700}
.alert{border:1px solid #e0a100;background:#fff7df;padding:10px 14px;border-radius:6px;margin:14px 0}
.alert code,.paths code{font-size:12px;word-break:break-all}
ul.legend{font-size:13px;color:#333;padding-left:20px}
figure{margin:10px 0 22px}figcaption{font-size:12.5px;color:var(--muted)}
svg{max-width:100%;height:auto}
details{border:1px solid var(--line);border-radius:6px;padding:6px 14px;margin:12px 0}
summary{cursor:pointer;font-weight:600;font-size:16px;padding:4px 0}
dl.lineage{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:13.5px}
dl.lineage dt{color:var(--muted)}dl.lineage dd{margin:0}
.sample{border-left:3px solid var(--bad);background:var(--soft);padding:8px 12px;margin:10px 0;border-radius:0 6px 6px 0}
.sample .meta{font-size:12.5px;color:var(--muted);margin-bottom:4px}
.sample .field{margin:3px 0}.sample .label{display:inline-block;min-width:88px;color:var(--muted);font-size:12.5px}
.sample .clean{color:#444}
mark{background:var(--mark);padding:0 1px;border-radius:2px}
"""


def e(value: object) -> str:
    """HTML-escape any value (quotes included, so it is safe in attributes as well as text)."""
    return escape(str(value), quote=True)


def board_cell(row: ModelRow, col_index: int, board: Leaderboard) -> str:
    run = row.cells.get(board.columns[col_index])
    if run is None:
        return f'<td class="cell note">{NONE}</td>'
    o = run.overall
    mark = (
        f' <span class="sig" title="Holm-adjusted p &lt; {board.alpha:g}">{STAR}</span>'
        if significant(o, board.alpha)
        else ""
    )
    em = em_beside(o)
    return (
        f'<td class="cell"><span class="score">{pct(o.attacked)}</span>{mark}'
        f'<span class="drop">drop {pct(o.drop)} {ci(o)}</span>'
        + (f'<span class="drop">{e(em)}</span>' if em else "")
        + "</td>"
    )


def leaderboard_table(board: Leaderboard) -> str:
    head = ["#", "model", "base", "intermediate", "target", "train seed", "clean", "robust", "drop"]
    th = "".join(f"<th>{h}</th>" for h in head)
    th += "".join(
        f"<th>{e(c.task)} <span class='note'>({e(board.metric_name(c.task))})</span><br>"
        f"<span class='note'>{e(c.label)}</span></th>"
        for c in board.columns
    )
    body = []
    for rank, row in enumerate(board.rows, start=1):
        lin = row.lineage
        tds = [
            f'<td class="num">{rank}</td>',
            f'<td><a href="#model-{rank}"><b>{e(row.name)}</b></a></td>',
            f"<td>{e(lin.base)}</td><td>{e(lin.intermediate_label)}</td><td>{e(lin.target)}</td>",
            f'<td class="num">{e(lin.seed)}</td>',
            f'<td class="num">{pct(row.clean_score)}</td>',
            f'<td class="num score">{pct(row.robust_score)}</td>',
            f'<td class="num">{pct(row.drop_score)}</td>',
            *(board_cell(row, j, board) for j in range(len(board.columns))),
        ]
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f'<div class="scroll"><table class="board"><thead><tr>{th}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def attack_table(board: Leaderboard) -> str:
    rows = "".join(
        f"<tr><td>{e(r.name)}</td><td>{e(label)}</td><td>{e(', '.join(a.tasks))}</td>"
        f'<td class="num">{pct(a.clean)}</td><td class="num score">{pct(a.attacked)}</td>'
        f'<td class="num">{pct(a.drop)}</td></tr>'
        for r in board.rows
        for label, a in r.by_attack.items()
    )
    if not rows:
        return ""
    th = "".join(f"<th>{h}</th>" for h in ("model", "attack", "tasks", "clean", "attacked", "drop"))
    return (
        '<section id="attacks"><h2>XTREME-style score per attack</h2><p class="note">Per task the language '
        "average of its metric (QA: (EM + F1) / 2), then the mean over the tasks run with that attack (only "
        f"those: listed), clean and attacked.</p><table><thead><tr>{th}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def figures(board: Leaderboard) -> str:
    from robustx.report import plots

    if not any(row.cells for row in board.rows):
        return ""
    models = [r.name for r in board.rows]
    parts = ['<section id="figures"><h2>Figures</h2><h3>Drop per language and attack</h3>']
    vmax = plots.heatmap_scale(board)
    for row in board.rows:
        if row.cells:
            parts.append(
                _figure(
                    plots.heatmap(row, vmax, board.alpha), f"{row.name}: drop in points of each task's metric"
                )
            )
    parts.append("<h3>Clean vs attacked score per language</h3>")
    for label, points in plots.scatter_points(board).items():
        tasks = sorted({p.task for p in points})
        parts.append(_figure(plots.scatter(points, models, tasks, f"Clean vs attacked \u2014 {label}"), ""))
    labels = sorted({c.label for c in board.columns})
    for heading, draw in (
        ("Drop by script", plots.script_bars),
        ("Drop by language family", plots.family_bars),
    ):
        parts.append(f"<h3>{heading}</h3>")
        parts += [_figure(draw(board, label), "") for label in labels]
    return "".join(parts) + "</section>"


def _figure(svg: str, caption: str) -> str:
    cap = f"<figcaption>{e(caption)}</figcaption>" if caption else ""
    return f"<figure>{svg}{cap}</figure>"


def skipped_alert(board: Leaderboard) -> str:
    if not board.skipped:
        return ""
    items = "".join(f"<li><code>{e(s.path)}</code>: {e(s.reason)}</li>" for s in board.skipped)
    return (
        f'<div class="alert" id="skipped"><b>{len(board.skipped)} run(s) skipped and NOT in the tables</b> '
        f"(an incomplete run is never reported as complete):<ul>{items}</ul></div>"
    )


def warnings_section(board: Leaderboard) -> str:
    if not board.warnings:
        return ""
    items = "".join(f"<li>{e(w)}</li>" for w in board.warnings)
    return f'<section id="warnings"><h2>Warnings</h2><ul class="paths">{items}</ul></section>'


def render_html(board: Leaderboard, samples: Mapping[str, Sequence[Sample]], generator: str) -> str:
    from robustx.report.html_models import models_section

    legend_items = "".join(f"<li>{e(s)}</li>" for s in legend(board))
    body = (
        f"<header><h1>{e(board.title)}</h1><p class='gen'>{e(generator)}</p></header>"
        f"{skipped_alert(board)}"
        f'<section id="leaderboard"><h2>Leaderboard</h2>{leaderboard_table(board)}'
        f'<ul class="legend">{legend_items}</ul></section>'
        f"{attack_table(board)}{figures(board)}{models_section(board, samples)}{warnings_section(board)}"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{e(board.title)}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>\n"
    )
