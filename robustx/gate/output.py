"""What the gate prints and writes: a Markdown table (stdout, CI step summaries), JUnit XML, JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from robustx.gate.compare import MAX_DROP, SIGNIFICANT, GateCell, GateResult

MINUS = "\u2212"


def points(x: float, signed: bool = False) -> str:
    text = f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}"
    return text.replace("-", MINUS)


def pvalue(p: float) -> str:
    return "<0.0001" if p < 1e-4 else (f"{p:.2g}" if p < 0.01 else f"{p:.3f}")


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _limits(result: GateResult) -> str:
    text = f"margin {100 * result.margin:g} points"
    if result.max_drop is not None:
        text += f", --max-drop {100 * result.max_drop:g} points"
    return text


def reason_text(cell: GateCell, result: GateResult) -> str:
    """Why a cell failed, in words: significance, the --max-drop margin, or both."""
    parts = []
    if SIGNIFICANT in cell.reasons:
        parts.append(f"significantly less robust (Holm p {pvalue(cell.p_holm)}, alpha {result.alpha:g})")
    if MAX_DROP in cell.reasons and result.max_drop is not None:
        parts.append(
            f"extra drop {points(cell.delta, True)} points exceeds --max-drop {100 * result.max_drop:g}"
        )
    return "; ".join(parts)


def verdict(result: GateResult) -> str:
    if result.failed:
        worst = max(result.failed, key=lambda c: (SIGNIFICANT in c.reasons, -c.p_holm, c.delta))
        counts = {
            reason: sum(reason in c.reasons for c in result.failed) for reason in (SIGNIFICANT, MAX_DROP)
        }
        why = ", ".join(f"{n} {reason}" for reason, n in counts.items() if n)
        return (
            f"FAIL: the candidate is less robust in {len(result.failed)} of {len(result.cells)} cells "
            f"({why}; Holm-adjusted p < {result.alpha:g}, {_limits(result)}); worst: {worst.name}, "
            f"drop {points(worst.drop_baseline)} -> {points(worst.drop_candidate)} ({reason_text(worst, result)})"
        )
    return (
        f"PASS: no cell is significantly less robust (Holm over {len(result.cells)} cells at alpha "
        f"{result.alpha:g}, {_limits(result)})"
        + (", and no extra drop exceeds --max-drop" if result.max_drop is not None else "")
    )


def _result_cell(cell: GateCell) -> str:
    if not cell.failed:
        return "pass"
    return "**FAIL** (" + ", ".join(cell.reasons) + ")"


def markdown(result: GateResult, baseline: str | Path, candidate: str | Path) -> str:
    lines = [
        f"robustx check: baseline `{baseline}` vs candidate `{candidate}`",
        "",
        "| task | metric | attack | seed | lang | n | baseline drop | candidate drop | Δ drop [95% CI] | p | Holm p | result |",
        "|---|---|---|---:|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for c in result.cells:
        lines.append(
            f"| {_md(c.task)} | {_md(c.metric)} | {_md(c.attack)} | {c.seed} | {_md(c.lang)} | {c.n} | "
            f"{points(c.drop_baseline)} | {points(c.drop_candidate)} | {points(c.delta, True)} "
            f"[{points(c.ci_low, True)}, {points(c.ci_high, True)}] | {pvalue(c.p)} | {pvalue(c.p_holm)} | "
            f"{_result_cell(c)} |"
        )
    if result.skipped:
        lines += ["", *(f"- skipped {s}" for s in result.skipped)]
    lines += [
        "",
        "Drops in points of each task's metric (clean − attacked); Δ = candidate − baseline. One-sided "
        "paired sign-flip test of Δ > margin per cell (corpus F1: over sentences, linearised), Holm over "
        "all cells"
        + (
            f"; a cell also fails when Δ exceeds --max-drop {100 * result.max_drop:g} points, significant or not."
            if result.max_drop is not None
            else "."
        ),
        "",
        verdict(result),
    ]
    return "\n".join(lines) + "\n"


def _detail(c: GateCell, result: GateResult) -> str:
    return (
        f"{c.metric}: drop {points(c.drop_baseline)} -> {points(c.drop_candidate)} points, delta "
        f"{points(c.delta, True)} [{points(c.ci_low, True)}, {points(c.ci_high, True)}], p={pvalue(c.p)}, "
        f"Holm p={pvalue(c.p_holm)} (alpha {result.alpha:g}, {_limits(result)}, {c.test}, n={c.n})"
    )


def junit(result: GateResult) -> bytes:
    """JUnit XML: one testsuite, one testcase per cell (classname task.attack.seed, name lang).

    A failing cell's ``failure`` says why: ``type`` is ``significant``, ``max-drop`` or both joined
    by ``+``; the message states it in words.
    """
    suite = ET.Element(
        "testsuite",
        name="robustx check",
        tests=str(len(result.cells)),
        failures=str(len(result.failed)),
        errors="0",
        skipped="0",
    )
    props = ET.SubElement(suite, "properties")
    settings = [("margin_points", f"{100 * result.margin:g}"), ("alpha", f"{result.alpha:g}")]
    if result.max_drop is not None:
        settings.append(("max_drop_points", f"{100 * result.max_drop:g}"))
    for name, value in settings:
        ET.SubElement(props, "property", name=name, value=value)
    for c in result.cells:
        case = ET.SubElement(
            suite, "testcase", classname=f"{c.task}.{c.attack}.seed{c.seed}", name=c.lang, time="0"
        )
        if c.failed:
            failure = ET.SubElement(
                case, "failure", message=f"candidate: {reason_text(c, result)}", type="+".join(c.reasons)
            )
            failure.text = _detail(c, result)
        else:
            ET.SubElement(case, "system-out").text = _detail(c, result)
    root = ET.Element(
        "testsuites", name="robustx", tests=suite.get("tests", "0"), failures=suite.get("failures", "0")
    )
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def as_json(result: GateResult, baseline: str | Path, candidate: str | Path) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "baseline": str(baseline),
        "candidate": str(candidate),
        "margin_points": 100 * result.margin,
        "max_drop_points": None if result.max_drop is None else 100 * result.max_drop,
        "alpha": result.alpha,
        "exit_code": result.exit_code,
        "verdict": verdict(result),
        "cells": [asdict(c) | {"failed": c.failed} for c in result.cells],
        "skipped": list(result.skipped),
    }
