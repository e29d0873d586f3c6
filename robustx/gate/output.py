"""What the gate prints and writes: a Markdown table (stdout, CI step summaries), JUnit XML, JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from robustx.gate.compare import GateCell, GateResult

MINUS = "\u2212"


def points(x: float, signed: bool = False) -> str:
    text = f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}"
    return text.replace("-", MINUS)


def pvalue(p: float) -> str:
    return "<0.0001" if p < 1e-4 else (f"{p:.2g}" if p < 0.01 else f"{p:.3f}")


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def verdict(result: GateResult) -> str:
    m = f"{100 * result.margin:g}"
    if result.failed:
        worst = min(result.failed, key=lambda c: c.p_holm)
        return (
            f"FAIL: the candidate is significantly less robust in {len(result.failed)} of {len(result.cells)} "
            f"cells (Holm-adjusted p < {result.alpha:g}, margin {m} points); worst: {worst.name}, "
            f"drop {points(worst.drop_baseline)} -> {points(worst.drop_candidate)}"
        )
    return (
        f"PASS: no cell is significantly less robust (Holm over {len(result.cells)} cells at alpha "
        f"{result.alpha:g}, margin {m} points)"
    )


def markdown(result: GateResult, baseline: str | Path, candidate: str | Path) -> str:
    lines = [
        f"robustx check: baseline `{baseline}` vs candidate `{candidate}`",
        "",
        "| task | attack | seed | lang | n | baseline drop | candidate drop | Δ drop [95% CI] | p | Holm p | result |",
        "|---|---|---:|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for c in result.cells:
        lines.append(
            f"| {_md(c.task)} | {_md(c.attack)} | {c.seed} | {_md(c.lang)} | {c.n} | {points(c.drop_baseline)} | "
            f"{points(c.drop_candidate)} | {points(c.delta, True)} [{points(c.ci_low, True)}, "
            f"{points(c.ci_high, True)}] | {pvalue(c.p)} | {pvalue(c.p_holm)} | {'**FAIL**' if c.failed else 'pass'} |"
        )
    if result.skipped:
        lines += ["", *(f"- skipped {s}" for s in result.skipped)]
    lines += [
        "",
        "Drops in accuracy points (clean − attacked); Δ = candidate − baseline. One-sided paired "
        "sign-flip test of Δ > margin per cell, Holm over all cells.",
        "",
        verdict(result),
    ]
    return "\n".join(lines) + "\n"


def _failure_text(c: GateCell, result: GateResult) -> str:
    return (
        f"drop {points(c.drop_baseline)} -> {points(c.drop_candidate)} points, delta {points(c.delta, True)} "
        f"[{points(c.ci_low, True)}, {points(c.ci_high, True)}], p={pvalue(c.p)}, Holm p={pvalue(c.p_holm)} "
        f"< {result.alpha:g} (margin {100 * result.margin:g} points, {c.test}, n={c.n})"
    )


def junit(result: GateResult) -> bytes:
    """JUnit XML: one testsuite, one testcase per cell (classname task.attack.seed, name lang)."""
    suite = ET.Element(
        "testsuite",
        name="robustx check",
        tests=str(len(result.cells)),
        failures=str(len(result.failed)),
        errors="0",
        skipped="0",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("margin_points", f"{100 * result.margin:g}"), ("alpha", f"{result.alpha:g}")):
        ET.SubElement(props, "property", name=name, value=value)
    for c in result.cells:
        case = ET.SubElement(
            suite, "testcase", classname=f"{c.task}.{c.attack}.seed{c.seed}", name=c.lang, time="0"
        )
        text = _failure_text(c, result)
        if c.failed:
            failure = ET.SubElement(
                case, "failure", message="candidate significantly less robust", type="regression"
            )
            failure.text = text
        else:
            ET.SubElement(case, "system-out").text = text.replace(
                f"< {result.alpha:g}", f">= {result.alpha:g}"
            )
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
        "alpha": result.alpha,
        "exit_code": result.exit_code,
        "verdict": verdict(result),
        "cells": [asdict(c) for c in result.cells],
        "skipped": list(result.skipped),
    }
