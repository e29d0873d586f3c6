"""Per-model drill-down of the HTML report: lineage, per-language tables, successful adversarial examples.

Adversarial text is hostile by construction (it may contain markup); it is escaped piece by piece
and only the changed spans are wrapped in ``<mark>``. Text elements carry the example's language and
``dir="auto"``, so Arabic, Hebrew and Urdu examples read right to left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from robustx.report.collect import Cell, RunResult
from robustx.report.fmt import DAGGER, STAR, ci, pct, pval, significant
from robustx.report.html import e
from robustx.report.markdown import task_score_name
from robustx.report.samples import Sample, Segment
from robustx.report.tables import Leaderboard, ModelRow, language_order

LANG_HEADER = ("language", "n", "clean", "attacked", "drop [95% CI]", "p", "adjusted p", "words changed")
EM_HEADER = ("EM clean", "EM attacked", "EM p (McNemar)")


def _lang_row(name: str, cell: Cell, p_text: str, mark: str) -> str:
    adjusted = pval(cell.p_adjusted) + (f' <span class="sig">{mark}</span>' if mark else "")
    tds = [
        f"<td>{name}</td>",
        f'<td class="num">{cell.n}</td>',
        f'<td class="num">{pct(cell.clean)}</td>',
        f'<td class="num">{pct(cell.attacked)}</td>',
        f'<td class="num">{pct(cell.drop)} {ci(cell)}</td>',
        f'<td class="num">{e(p_text)}</td>',
        f'<td class="num">{adjusted}</td>',
        f'<td class="num">{100 * cell.changed_fraction:.0f}%</td>',
    ]
    if cell.em_clean is not None:  # QA: EM beside F1, its p unadjusted (EM is not a tested family)
        tds += [f'<td class="num">{pct(v)}</td>' for v in (cell.em_clean, cell.em_attacked)]
        tds.append(f'<td class="num">{pval(cell.em_p)}</td>')
    return "<tr>" + "".join(tds) + "</tr>"


def language_table(run: RunResult, alpha: float) -> str:
    from robustx.report.plots import language_label

    o = run.overall
    rows = [
        _lang_row("<b>overall</b>", o, f"{pval(o.p)} ({o.p_method})", STAR if significant(o, alpha) else "")
    ]
    for lang in language_order(run.languages):
        cell = run.languages[lang]
        rows.append(
            _lang_row(e(language_label(lang)), cell, pval(cell.p), DAGGER if significant(cell, alpha) else "")
        )
    header = LANG_HEADER + (EM_HEADER if run.metric.kind == "qa" else ())
    head = "".join(f"<th>{h}</th>" for h in header)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def highlighted(segments: Sequence[Segment]) -> str:
    """Escaped text with the changed pieces in <mark>."""
    return "".join(f"<mark>{e(text)}</mark>" if changed else e(text) for text, changed in segments)


def _p_gold(p: float | None) -> str:
    return "" if p is None else f" (p(gold) {p:.2f})"


def sample_block(sample: Sample) -> str:
    info = sample.run.info
    meta = (
        f"{e(info.task)} · {e(info.attack)} · {e(sample.lang)} · <code>{e(sample.example_id)}</code> · "
        f"gold <b>{e(sample.gold)}</b> · clean \u2192 {e(sample.pred_clean)}{_p_gold(sample.p_gold_clean)} · "
        f"attacked \u2192 <b>{e(sample.pred_attacked)}</b>{_p_gold(sample.p_gold_attacked)}"
    )
    lang = e(sample.lang)
    fields = []
    for field in sample.fields:
        fields.append(
            f'<div class="field"><span class="label">{e(field.name)}</span>'
            f'<span class="clean" lang="{lang}" dir="auto">{e(field.clean)}</span></div>'
            f'<div class="field"><span class="label">attacked</span>'
            f'<span lang="{lang}" dir="auto">{highlighted(field.attacked)}</span></div>'
        )
    return f'<div class="sample"><div class="meta">{meta}</div>{"".join(fields)}</div>'


def model_block(rank: int, row: ModelRow, board: Leaderboard, samples: Sequence[Sample]) -> str:
    lin = row.lineage
    items = [
        ("base", lin.base),
        ("intermediate", lin.intermediate_label),
        ("target", lin.target),
        ("train seed", lin.seed),
        ("model hash", row.model_hash),
        (
            "clean",
            ", ".join(
                f"{task} {pct(score)} ({task_score_name(board, task)})" for task, score in row.clean.items()
            ),
        ),
        ("runs", ", ".join(sorted({str(r.info.path) for r in row.runs}))),
    ]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items)
    parts = [f'<dl class="lineage">{dl}</dl>']
    for col in sorted(row.cells, key=lambda c: (c.task, c.label, c.seed)):
        run = row.cells[col]
        parts.append(
            f"<h4>{e(col.task)} ({e(run.metric.name)}) · {e(col.label)} "
            f"<span class='note'>({e(run.info.attack)}, seed {col.seed})</span></h4>"
        )
        parts.append(language_table(run, board.alpha))
    if row.cells:
        parts.append(
            "<h4>Examples the attack made worse (correct \u2192 wrong; for F1 tasks: a lower score or more "
            "errors)</h4>"
        )
        if samples:
            parts.append(
                '<p class="note">Changed spans of the attacked text are <mark>highlighted</mark>.</p>'
            )
            parts += [sample_block(s) for s in samples]
        else:
            parts.append('<p class="note">None: the attack made no example worse.</p>')
    opened = " open" if len(board.rows) <= 3 else ""
    return f'<details id="model-{rank}"{opened}><summary>{rank}. {e(row.name)}</summary>{"".join(parts)}</details>'


def models_section(board: Leaderboard, samples: Mapping[str, Sequence[Sample]]) -> str:
    blocks = [
        model_block(rank, row, board, samples.get(row.name, ())) for rank, row in enumerate(board.rows, 1)
    ]
    return f'<section id="models"><h2>Models</h2>{"".join(blocks)}</section>'
