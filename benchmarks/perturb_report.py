"""Markdown for benchmarks/perturb_throughput.py: the summary table it prints and its README section.

The README section is ``## perturb_throughput`` up to the next ``## `` heading; only that section is
replaced, so other benchmarks' sections of benchmarks/README.md stay as they are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SECTION = "## perturb_throughput"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _rows(result: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    for tool, entry in result["results"].items():
        for attack, r in entry.get("attacks", {}).items():
            rows.append((tool, attack, r))
    return rows


def summary_table(result: dict[str, Any]) -> str:
    """Throughput and integrity of every contender, one row each."""
    lines = [
        "| tool | attack | sentences | sentences/s (best) | median | µs/sentence | sentences/s (CPU time) | changed | altered untouched text | broken clusters |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for tool, attack, r in _rows(result):
        i = r["integrity"]
        lines.append(
            f"| {tool} | {attack} | {r['sentences']} | {r['sentences_per_s']:,.0f} | "
            f"{r['sentences_per_s_median']:,.0f} | {r['us_per_sentence']:.1f} | {_num(r.get('sentences_per_s_cpu'))} | "
            f"{_pct(i['changed'])} | {_pct(i['altered_untouched'])} | {_pct(i['broken_cluster'])} |"
        )
    return "\n".join(lines)


def _num(x: float | None, digits: int = 0, suffix: str = "") -> str:
    return "–" if x is None else f"{x:,.{digits}f}{suffix}"


def _modes_table(result: dict[str, Any]) -> str:
    lines = [
        "| robustx attack | library (Python path) | stream (`robustx perturb`, in-process) | stream, compiled path off | CLI process (start-up included) | identical outputs |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for attack, r in result["results"]["robustx"]["attacks"].items():
        m = r["modes"]
        python = m.get("stream_python", {}).get("sentences_per_s")
        lines.append(
            f"| {attack} | {m['library']['sentences_per_s']:,.0f} | {m['stream']['sentences_per_s']:,.0f} | "
            f"{_num(python)} | {m['cli']['sentences_per_s']:,.0f} | "
            f"{'yes' if r['modes_identical_outputs'] else '**no**'} |"
        )
    return "\n".join(lines)


def _goals_table(result: dict[str, Any]) -> str:
    lines = [
        "| robustx | vs | ratio (stream) | ratio (CPU time, stream) | ratio (stream, compiled path off) | ratio (library) | goal | met (stream / CPU time) |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in result["comparisons"]:
        peer = f"{c['peer']} {c['peer_attack']}"
        if c["ratio"] is None:
            lines.append(f"| {c['robustx']} | {peer} | – | – | – | – | {c['goal']:.0f}× | {c['note']} |")
            continue
        met = " / ".join("–" if m is None else "yes" if m else "**no**" for m in (c["met"], c.get("met_cpu")))
        lines.append(
            f"| {c['robustx']} | {peer} | {c['ratio']:,.1f}× | {_num(c.get('ratio_cpu'), 1, '×')} | "
            f"{_num(c.get('ratio_python'), 1, '×')} | {c['ratio_library']:,.1f}× | {c['goal']:.0f}× | {met} |"
        )
    return "\n".join(lines)


def _stages_table(result: dict[str, Any]) -> str:
    """µs per sentence of the compiled path by stage and language (CPU time)."""
    stages = result.get("robustx_compiled_stages_us_per_sentence", {})
    lines = [
        "| attack | language | whole batch | seeding the RNGs | word segmenter (Python call-back) | the rest "
        "| set-up per call (ms) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for attack, per_lang in stages.items():
        if "status" in per_lang:
            lines.append(f"| {attack} | – | {per_lang['status']} | | | | |")
            continue
        for lang, st in per_lang.items():
            lines.append(
                f"| {attack} | {lang} | {st['total_us']:.2f} | {st['seeding_us']:.2f} | "
                f"{st['segmenter_us']:.2f} | {st['rest_us']:.2f} | {_num(st.get('setup_ms'), 2)} |"
            )
    return "\n".join(lines)


def _per_lang_table(result: dict[str, Any], key: str) -> str:
    langs = list(dict.fromkeys(lang for _, _, r in _rows(result) for lang in r["sentences_per_lang"]))
    lines = ["| tool | attack | " + " | ".join(langs) + " |", "|---|---|" + "---:|" * len(langs)]
    for tool, attack, r in _rows(result):
        cells = []
        for lang in langs:
            if lang not in r["sentences_per_lang"]:
                cells.append("–")
            elif key == "speed":
                cells.append(f"{r['per_lang_sentences_per_s'][lang]:,.0f}")
            else:
                f = r["integrity"]["per_lang"][lang]
                cells.append(f"{_pct(f['altered_untouched'])} / {_pct(f['broken_cluster'])}")
        lines.append(f"| {tool} | {attack} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _status_lines(result: dict[str, Any]) -> list[str]:
    out = []
    for tool, entry in result["results"].items():
        if entry.get("status") != "ok":
            how = entry.get("install") or entry.get("error", "")
            out.append(f"- **{tool}: {entry['status']}** — {how}")
        elif tool != "robustx":
            versions = ", ".join(f"{k} {v}" for k, v in entry.get("versions", {}).items())
            out.append(f"- {tool}: {versions} (venv `{entry['venv']}`)")
    return out


def _first_difference(before: str, after: str, reason: str) -> tuple[int, int]:
    """Where to look in each text: the first differing whitespace run for a whitespace rewrite, else the
    first differing character."""
    if reason == "whitespace":
        runs_a = list(re.finditer(r"\s+", before)) + [None]
        runs_b = list(re.finditer(r"\s+", after)) + [None]
        for a, b in zip(runs_a, runs_b, strict=False):
            if a is None or b is None or a.group() != b.group():
                return (a.start() if a else len(before)), (b.start() if b else len(after))
    k = next(
        (i for i, (x, y) in enumerate(zip(before, after, strict=False)) if x != y),
        min(len(before), len(after)),
    )
    return k, k


def _cut(text: str, at: int, width: int = 36) -> str:
    lo = max(0, at - width)
    return ("…" if lo else "") + text[lo : at + width] + ("…" if at + width < len(text) else "")


def _examples(result: dict[str, Any]) -> list[str]:
    out = []
    for tool, attack, r in _rows(result):
        for ex in r["integrity"]["examples"][:1]:
            detail = f" broken: {' '.join(ex['broken'])}" if ex["broken"] else ""
            at_a, at_b = _first_difference(ex["input"], ex["output"], ex["reason"])
            before, after = _cut(ex["input"], at_a), _cut(ex["output"], at_b)
            out.append(f"- {tool} {attack} ({ex['lang']}, {ex['reason']}{detail}): `{before}` → `{after}`")
    return out


def _goal_notes(result: dict[str, Any]) -> list[str]:
    """One line per missed goal: how fast robustx would have to be, and where its time goes."""
    floor = result["robustx_floor_us_per_sentence"]
    fixed = floor["rng_us"] + floor["tokenize_us"]
    stages = result.get("robustx_compiled_stages_us_per_sentence", {})
    out = []
    for c in result["comparisons"]:
        if c["met"] is not False:
            continue
        peer = result["results"][c["peer"]]["attacks"][c["peer_attack"]]
        mine = result["results"]["robustx"]["attacks"][c["robustx"]]
        budget = peer["us_per_sentence"] / c["goal"]
        line = (
            f"- Goal missed: robustx {c['robustx']} is {c['ratio']:,.1f}× {c['peer']} {c['peer_attack']}, not "
            f"{c['goal']:.0f}×. {c['peer']} takes {peer['us_per_sentence']:.1f} µs a sentence, so {c['goal']:.0f}× "
            f"leaves {budget:.2f} µs."
        )
        per_lang = stages.get(c["robustx"])
        if per_lang and "status" not in per_lang:
            n = mine["sentences_per_lang"]
            total = sum(n.values())
            seg = sum(st["segmenter_us"] * n[lang] for lang, st in per_lang.items()) / total
            worst = max(per_lang, key=lambda lang: per_lang[lang]["segmenter_us"])
            line += (
                f" The compiled path spends {seg:.1f} µs a sentence (over the whole set, CPU time) in the word "
                f"segmenters it calls back (Thai nlpo3, Chinese jieba), {per_lang[worst]['segmenter_us']:.1f} µs "
                f"per {worst} sentence; see the stage table."
            )
        else:
            line += f" The per-example RNG and script-aware tokenization alone take {fixed:.1f} µs."
        out.append(line)
    return out + ([""] if out else [])


def _compiled(result: dict[str, Any]) -> str:
    state = result["machine"].get("robustx_compiled_path")
    if state is None:
        return "not recorded"
    return ("on — " if state["on"] else "**off** — ") + state["status"]


def readme_section(result: dict[str, Any], json_path: Path) -> str:
    m, s = result["machine"], result["settings"]
    floor = result["robustx_floor_us_per_sentence"]
    sets = ", ".join(
        f"{name}: {d['sentences']} ({', '.join(d['per_lang'])})" for name, d in result["data"]["sets"].items()
    )
    parts = [
        SECTION,
        "",
        "`python benchmarks/perturb_throughput.py` (peers: `bash benchmarks/setup_peers.sh`). Character noise at "
        f"rate {s['rate']} (fraction of words touched) and min word length {s['min_len']}, seed {s['seed']}, on real "
        f"XNLI test premises — {sets}. Best of {s['rounds']} round-robin rounds (TextAttack: {s['textattack_rounds']}, "
        f"CLI: {s['cli_rounds']}), warm-up excluded; {m['cpu_count']} cores ({m['cpu_model']}), shared, load "
        f"{m['load_avg_1min_before']} → {m['load_avg_1min_after']}; {result['created']}. Raw numbers: "
        f"`{json_path.name}` in `benchmarks/results/`. Integrity definitions: `benchmarks/perturb_integrity.py`.",
        "",
        *_status_lines(result),
        "",
        "How each tool runs: robustx in the driver's process; every peer in a subprocess of its own venv, "
        "driven one timed round at a time (`benchmarks/peers/`), same sentences, same rate, one edit per "
        'chosen word. nlpaug gets a whitespace tokenizer (`str.split` / `" ".join`) instead of its default '
        "one, and its own keyboard layout where it ships one (en, de, th here; else its QWERTY `en`). "
        "TextAttack `CharSwapAugmenter` (swap, substitute, delete, insert: the ops of robustx `charnoise`) "
        "runs with its default constraints. *changed*: output ≠ input. *altered untouched text*: whitespace, "
        "punctuation or symbols outside the words were rewritten, or a word was split, merged or deleted "
        "(`Don't` → `Don ' t`). *broken clusters*: some output grapheme cluster has a mark without a base, "
        "on another base, inserted into it, or on a letter of another script (`कित` → `कति`). Exact "
        "definitions: `benchmarks/perturb_integrity.py`.",
        "",
        summary_table(result),
        "",
        f"robustx's figure above is its `stream` mode, what `robustx perturb` runs; compiled path: "
        f"{_compiled(result)}. *CPU time*: each tool's own process CPU seconds for the same rounds, which "
        "leave out the time other processes held a core (wall-clock figures on this shared machine swing "
        "with its load). The ways robustx was timed:",
        "",
        _modes_table(result),
        "",
        "Goals (robustx sentences/s over the peer's, same sentences):",
        "",
        _goals_table(result),
        "",
        f"Fixed costs of every robustx sentence on the Python path, measured in the same run: the per-example "
        f"RNG (`random.Random` seeded from a string) {floor['rng_us']:.1f} µs, script-aware tokenization "
        f"{floor['tokenize_us']:.1f} µs. The compiled path (robustx/_fast, byte-identical outputs), µs per "
        "sentence by stage (best of 5, CPU time); *set-up per call*: parsing the spec, loading the language's "
        "resources and building the engine, paid once by every `robustx perturb` call (here once per language "
        "block and round, so it is part of the stream figures):",
        "",
        _stages_table(result),
        "",
        *_goal_notes(result),
        "Sentences/s per language:",
        "",
        _per_lang_table(result, "speed"),
        "",
        "Altered untouched text / broken grapheme clusters per language:",
        "",
        _per_lang_table(result, "integrity"),
        "",
        "First flagged output per contender:",
        "",
        *(_examples(result) or ["- none"]),
        "",
    ]
    return "\n".join(parts)


def write_readme_section(path: Path, section: str) -> None:
    """Replace this benchmark's section of ``path`` (or append it; create the file if needed)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        rest = text[end + 1 :] if end >= 0 else ""
        new = text[:start] + section + ("\n" + rest if rest else "")
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")
