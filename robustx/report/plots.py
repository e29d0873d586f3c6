"""The report's figures as inline SVG: drop heatmaps, clean-vs-attacked scatters, drop by script.

All values are points (0-100) of each task's own metric (accuracy, F1; QA cells show F1). Colours: a diverging RdBu scale centred on 0 shared by all
heatmaps (so models compare at a glance), Okabe-Ito colours per model, shapes per task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import fmean

from robustx.report.svg import OKABE_ITO, SHAPES, Svg, diverging, fmt_num, ink_on, nice_ceiling, ticks
from robustx.report.tables import Column, Leaderboard, ModelRow, language_order

DAGGER = "\u2020"


def language_label(lang: str) -> str:
    from robustx.text.scripts import LANGUAGE_NAMES

    name = LANGUAGE_NAMES.get(lang)
    return f"{lang} \u00b7 {name}" if name else lang


def script_label(lang: str) -> str:
    from robustx.text.scripts import script_of

    try:
        return script_of(lang)
    except ValueError:
        return "Other"


def heatmap_scale(board: Leaderboard) -> float:
    """One colour scale for every heatmap: the largest |drop| of any language cell, rounded up."""
    drops = [abs(c.drop) for r in board.runs if not r.info.is_reference for c in r.languages.values()]
    return nice_ceiling(100 * max(drops, default=0.0))


def heatmap(row: ModelRow, vmax: float, alpha: float) -> str:
    """Languages x (task, attack) drops of one model; a dagger marks BH q < alpha."""
    columns = sorted(row.cells, key=lambda c: (c.task, c.label, c.seed))
    langs = language_order(lang for c in columns for lang in row.cells[c].languages)
    cell_w = max(78, min(150, 7 * max((len(c.label) for c in columns), default=8)))
    cell_h, left, top = 26, 150, 48
    # wide enough for the colour legend and its two lines of explanation beside it
    width = max(left + cell_w * max(1, len(columns)) + 20, left + 22 * 11 + 12 + 440)
    height = top + cell_h * len(langs) + 78
    svg = Svg(width, height, f"Drop per language and attack for {row.name}")
    for j, col in enumerate(columns):
        x = left + j * cell_w + cell_w / 2
        svg.text(x, 18, col.task, size=11, anchor="middle", weight="600")
        svg.text(x, 34, _clip(col.label, cell_w // 7), size=11, anchor="middle", fill="#444")
    for i, lang in enumerate(langs):
        y = top + i * cell_h
        svg.text(left - 8, y + cell_h / 2 + 4, language_label(lang), size=12, anchor="end")
        for j, col in enumerate(columns):
            _heat_cell(svg, row, col, lang, left + j * cell_w, y, (cell_w, cell_h), vmax, alpha)
    _colour_legend(svg, left, top + cell_h * len(langs) + 22, vmax, alpha)
    return svg.render()


def _heat_cell(
    svg: Svg,
    row: ModelRow,
    col: Column,
    lang: str,
    x: float,
    y: float,
    size: tuple[float, float],
    vmax: float,
    alpha: float,
) -> None:
    w, h = size
    cell = row.cells[col].languages.get(lang)
    if cell is None:
        svg.rect(x + 1, y + 1, w - 2, h - 2, "#eeeeee", title=f"{lang}: not run")
        svg.text(x + w / 2, y + h / 2 + 4, "\u2013", size=11, anchor="middle", fill="#999")
        return
    drop = 100 * cell.drop
    fill = diverging(drop, vmax)
    sig = cell.p_adjusted is not None and cell.p_adjusted < alpha
    title = (
        f"{row.name} \u00b7 {col.task} \u00b7 {col.label} \u00b7 {language_label(lang)}: clean "
        f"{100 * cell.clean:.1f}, attacked {100 * cell.attacked:.1f}, drop {drop:.1f} "
        f"[{100 * cell.ci_low:.1f}, {100 * cell.ci_high:.1f}] ({row.cells[col].metric.name}), p={cell.p:.2g} "
        f"({cell.p_method}), "
        f"BH q={cell.p_adjusted if cell.p_adjusted is not None else float('nan'):.2g}, n={cell.n}"
    )
    svg.rect(x + 1, y + 1, w - 2, h - 2, fill, title=title)
    svg.text(
        x + w / 2,
        y + h / 2 + 4,
        fmt_num(round(drop, 1)) + (DAGGER if sig else ""),
        size=11,
        anchor="middle",
        fill=ink_on(fill),
    )


def _colour_legend(svg: Svg, x: float, y: float, vmax: float, alpha: float) -> None:
    steps, w = 22, 11
    for k in range(steps):
        value = vmax - (2 * vmax) * (k + 0.5) / steps
        svg.rect(x + k * w, y, w, 12, diverging(value, vmax))
    svg.rect(x, y, steps * w, 12, "none", stroke="#888")
    for value, pos in ((vmax, 0.0), (0.0, 0.5), (-vmax, 1.0)):
        svg.text(x + pos * steps * w, y + 26, fmt_num(value), size=11, anchor="middle")
    svg.text(
        x + steps * w + 28,
        y + 10,
        "drop, points of the task's metric (red: attack hurts; blue: attacked scores higher)",
        size=11,
        fill="#444",
    )
    svg.text(
        x + steps * w + 28,
        y + 26,
        f"{DAGGER} BH q < {alpha:g} for that language; hover a cell for details",
        size=11,
        fill="#444",
    )


@dataclass(frozen=True)
class Point:
    model: str
    task: str
    lang: str
    clean: float
    attacked: float


def scatter(points: Sequence[Point], models: Sequence[str], tasks: Sequence[str], title: str) -> str:
    """Clean (x) vs attacked (y) score per model, task and language; below the diagonal = a drop."""
    size, left, top, legend_w = 360, 52, 30, 230
    values = [v for p in points for v in (p.clean, p.attacked)]
    low = max(0.0, 5 * ((min(values, default=0.0) - 2) // 5))
    high = min(100.0, 5 * -(-(max(values, default=100.0) + 2) // 5))
    high = max(high, low + 5)
    svg = Svg(left + size + legend_w, top + size + 50, title)
    svg.text(left, 18, title, size=13, weight="600")

    def px(v: float) -> float:
        return left + (v - low) / (high - low) * size

    def py(v: float) -> float:
        return top + size - (v - low) / (high - low) * size

    svg.rect(left, top, size, size, "#fbfbfb", stroke="#cccccc")
    for t in ticks(low, high):
        svg.line(px(t), top, px(t), top + size, "#e6e6e6")
        svg.line(left, py(t), left + size, py(t), "#e6e6e6")
        svg.text(px(t), top + size + 16, fmt_num(t), size=11, anchor="middle")
        svg.text(left - 6, py(t) + 4, fmt_num(t), size=11, anchor="end")
    svg.line(px(low), py(low), px(high), py(high), "#777777", 1.2, dash="5 4")
    svg.text(px(high) - 4, py(high) + 14, "no change", size=10, anchor="end", fill="#666")
    svg.text(left + size / 2, top + size + 36, "clean score (task metric, %)", size=12, anchor="middle")
    svg.text(14, top + size / 2, "attacked score (%)", size=12, anchor="middle", rotate=-90)
    label_points = len(points) <= 80
    for p in points:
        colour, shape = (
            OKABE_ITO[models.index(p.model) % len(OKABE_ITO)],
            SHAPES[tasks.index(p.task) % len(SHAPES)],
        )
        tip = (
            f"{p.model} \u00b7 {p.task} \u00b7 {language_label(p.lang)}: clean {p.clean:.1f} "
            f"\u2192 attacked {p.attacked:.1f} (drop {p.clean - p.attacked:.1f})"
        )
        svg.marker(shape, px(p.clean), py(p.attacked), 5, colour, title=tip)
        if label_points:
            svg.text(px(p.clean) + 7, py(p.attacked) + 3, p.lang, size=9, fill="#555")
    _series_legend(svg, left + size + 20, top + 8, models, tasks)
    return svg.render()


def _series_legend(svg: Svg, x: float, y: float, models: Sequence[str], tasks: Sequence[str]) -> float:
    svg.text(x, y, "model", size=11, weight="600", fill="#444")
    for i, model in enumerate(models):
        yy = y + 18 + 18 * i
        svg.rect(x, yy - 9, 12, 12, OKABE_ITO[i % len(OKABE_ITO)])
        svg.text(x + 18, yy + 1, _clip(model, 30), size=11)
    y += 18 * len(models) + 34
    if len(tasks) > 1:
        svg.text(x, y, "task", size=11, weight="600", fill="#444")
        for i, task in enumerate(tasks):
            yy = y + 18 + 18 * i
            svg.marker(SHAPES[i % len(SHAPES)], x + 6, yy - 3, 5, "#666666")
            svg.text(x + 18, yy + 1, task, size=11)
        y += 18 * len(tasks) + 34
    return y


def scatter_points(board: Leaderboard) -> dict[str, list[Point]]:
    """Per attack column label: one point per model, task and language."""
    out: dict[str, list[Point]] = defaultdict(list)
    for row in board.rows:
        for col, run in sorted(row.cells.items(), key=lambda kv: (kv[0].task, kv[0].label, kv[0].seed)):
            for lang, cell in run.languages.items():
                out[col.label].append(Point(row.name, col.task, lang, 100 * cell.clean, 100 * cell.attacked))
    return dict(sorted(out.items()))


def script_bars(board: Leaderboard, label: str) -> str:
    """Mean drop per script (over the languages written in it, all tasks) for each model, one attack."""
    return group_bars(board, label, script_label, f"Drop by script \u2014 {label}")


def family_bars(board: Leaderboard, label: str) -> str:
    """Mean drop per language family (Indo-European split by branch) for each model, one attack."""
    from robustx.report.languages import family_of

    return group_bars(board, label, family_of, f"Drop by language family \u2014 {label}")


def group_bars(board: Leaderboard, label: str, group_of: Callable[[str], str], title: str) -> str:
    """Mean drop per group of languages (over its languages and all tasks) per model, one attack."""
    models = [r.name for r in board.rows]
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    langs_of: dict[str, set[str]] = defaultdict(set)
    for row in board.rows:
        for col, run in row.cells.items():
            if col.label != label:
                continue
            for lang, cell in run.languages.items():
                values[(group_of(lang), row.name)].append(100 * cell.drop)
                langs_of[group_of(lang)].add(lang)
    groups = sorted(langs_of, key=lambda s: (-len(langs_of[s]), s))
    means = {key: fmean(v) for key, v in values.items()}
    return _bars(groups, models, means, langs_of, title)


def _bars(
    scripts: Sequence[str],
    models: Sequence[str],
    means: dict[tuple[str, str], float],
    langs_of: dict[str, set[str]],
    title: str,
) -> str:
    left, top, plot_h, legend_w = 52, 34, 240, 230
    group_w = max(60.0, 16.0 * len(models) + 24)
    width = left + group_w * max(1, len(scripts)) + 20
    svg = Svg(width + legend_w, top + plot_h + 70, title)
    svg.text(left, 18, title, size=13, weight="600")
    low = min(0.0, min(means.values(), default=0.0))
    high = max(0.0, max(means.values(), default=0.0))
    span = nice_ceiling(max(high - low, 1.0))
    low, high = (low, low + span) if low < 0 else (0.0, span)

    def py(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    for t in ticks(low, high):
        svg.line(left, py(t), width - 20, py(t), "#e6e6e6")
        svg.text(left - 6, py(t) + 4, fmt_num(t), size=11, anchor="end")
    bar_w = (group_w - 24) / max(1, len(models))
    for g, script in enumerate(scripts):
        x0 = left + g * group_w + 12
        for m, model in enumerate(models):
            value = means.get((script, model))
            if value is None:
                continue
            y0, y1 = sorted((py(value), py(0.0)))
            tip = f"{model} \u00b7 {script} ({', '.join(sorted(langs_of[script]))}): mean drop {value:.1f}"
            svg.rect(
                x0 + m * bar_w, y0, bar_w - 2, max(1.0, y1 - y0), OKABE_ITO[m % len(OKABE_ITO)], title=tip
            )
        svg.text(x0 + (group_w - 24) / 2, top + plot_h + 18, script, size=11, anchor="middle")
        svg.text(
            x0 + (group_w - 24) / 2,
            top + plot_h + 32,
            _clip(" ".join(sorted(langs_of[script])), 14),
            size=9,
            anchor="middle",
            fill="#666",
        )
    svg.line(left, py(0.0), width - 20, py(0.0), "#444444", 1.2)
    svg.text(14, top + plot_h / 2, "mean drop (points)", size=12, anchor="middle", rotate=-90)
    _series_legend(svg, width + 10, top + 8, models, [])
    return svg.render()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "\u2026"
