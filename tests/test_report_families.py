"""`robustx report` on tagging, QA and retrieval runs: every number equals an independent recomputation.

The recomputation here reads records.parquet with pyarrow and recomputes each task's own metric
from the raw predictions where the records allow it (seqeval-style chunks from the tag sequences,
SQuAD v1.1 EM/F1 from the answer texts, BUCC F1 from the sets of extracted and gold pairs, Tatoeba
hits from predicted vs gold ids); p-values with scipy's binomial test (McNemar) and sign-flip
normal limits written out here; Holm and BH with statsmodels and scipy. metrics.json is corrupted
first, so a report that read it would disagree.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import string
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.stats import binomtest, false_discovery_control
from statsmodels.stats.multitest import multipletests
from typer.testing import CliRunner

from robustx import stats
from robustx.cli import app
from tests.runfactory import outcomes, write_family_run, write_run
from tests.test_report import corrupt_metrics

TASKS = {"udpos": ("de", "vi"), "panx": ("en", "hi"), "xquad": ("en", "de", "zh"), "tydiqa": ("sw", "fi"),
         "tatoeba": ("de", "th"), "bucc": ("de", "zh")}  # fmt: skip
N = 150


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("family-runs")
    for task, langs in TASKS.items():
        write_family_run(root, task, langs, N, harm=0.25, model="base")
        write_family_run(root, task, langs, N, harm=0.6, model="worse")
        write_family_run(root, task, langs, N, harm=0.0, model="base", attack="none")
    write_family_run(root, "udpos", TASKS["udpos"], N, harm=0.1, model="base", attack="keyboard:rate=0.2")
    write_run(root, outcomes(("en", "de"), N, 0.7, 0.1, seed=4), model="base")  # xnli beside them
    for run in root.rglob("metrics.json"):
        corrupt_metrics(run.parent)
    return root


@pytest.fixture(scope="module")
def board(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("family-report")
    result = CliRunner().invoke(app, ["report", str(runs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "leaderboard.json").read_text())


# ------------------------------------------------------------------ independent metric implementations


def iob_chunks(tags: list[str]) -> set[tuple[str, int, int]]:
    """Entities of IOB2 tags (an I- that does not continue an entity of its type opens one)."""
    out, start, kind = set(), -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, typ = tag.partition("-")
        if start >= 0 and not (prefix == "I" and typ == kind):
            out.add((kind, start, i - 1))
            start = -1
        if prefix == "B" or (prefix == "I" and start < 0):
            start, kind = i, typ
    return out


def pos_chunks(tags: list[str]) -> set[tuple[str, int, int]]:
    """seqeval on raw POS tags: each run of equal tags is one chunk."""
    out, start = set(), 0
    for i in range(1, len(tags) + 1):
        if i == len(tags) or tags[i] != tags[start]:
            out.add((tags[start], start, i - 1))
            start = i
    return out


def squad_normalise(text: str) -> list[str]:
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return re.sub(r"\b(a|an|the)\b", " ", text).split()


def squad_em_f1(pred: str, golds: list[str]) -> tuple[float, float]:
    em = f1 = 0.0
    for gold in golds:
        p, g = squad_normalise(pred), squad_normalise(gold)
        em = max(em, float(p == g))
        common = sum((Counter(p) & Counter(g)).values())
        if common:
            precision, recall = common / len(p), common / len(g)
            f1 = max(f1, 2 * precision * recall / (precision + recall))
    return em, f1


def f1_of(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0


def signflip_normal_p(values: np.ndarray) -> float:
    """Two-sided sign-flip p: all 2^k sign patterns for k <= 16 non-zero values, else the normal limit."""
    v = values[values != 0]
    if v.size == 0:
        return 1.0
    if v.size <= 16:
        null = np.array([np.dot(signs, v) for signs in itertools.product((-1.0, 1.0), repeat=v.size)])
        return float(np.mean(np.abs(null) >= abs(v.sum()) - 1e-12))
    return math.erfc(abs(v.sum()) / math.sqrt(np.sum(v**2)) / math.sqrt(2))


def linear_f1_terms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """d(F1(sum a) - F1(sum b)) per sentence at the midpoint of the totals (the delta method)."""
    tp, fp, fn = (a.sum(axis=0) + b.sum(axis=0)) / 2
    grad = np.array([2 * (fp + fn), -2 * tp, -2 * tp]) / (2 * tp + fp + fn) ** 2
    return (a - b) @ grad


def mcnemar_p(clean: np.ndarray, attacked: np.ndarray) -> float:
    b, c = int(np.sum(clean & ~attacked)), int(np.sum(~clean & attacked))
    return binomtest(b, b + c, 0.5).pvalue if b + c else 1.0


# ------------------------------------------------------------------ recomputation of one run


def per_item(task: str, t: dict[str, list[Any]]) -> dict[str, np.ndarray]:
    """Per-item scores recomputed from the raw predictions: counts (n, 6), or clean/attacked scores."""
    if task in ("udpos", "panx"):
        chunk = pos_chunks if task == "udpos" else iob_chunks
        rows = []
        for gold, *preds in zip(t["gold"], t["pred_clean"], t["pred_attacked"], strict=True):
            g = chunk(list(gold))
            for pred in preds:
                p = chunk(list(pred))
                rows.append([len(g & p), len(p - g), len(g - p)])
        return {"counts": np.array(rows, dtype=float).reshape(-1, 6)}
    if task == "bucc":  # one row per source sentence: its extracted pair (or none) against its gold pairs
        counts = [
            [int(p in g), int(bool(p) and p not in g), len(g) - int(p in g)]
            for g, pc, pa in zip(t["gold"], t["pred_clean"], t["pred_attacked"], strict=True)
            for p in (pc, pa)
        ]
        return {"counts": np.array(counts, dtype=float).reshape(-1, 6)}
    if task in ("xquad", "tydiqa"):
        scores = [squad_em_f1(p, list(g)) for pc, pa, g in zip(t["pred_clean"], t["pred_attacked"], t["gold"], strict=True) for p in (pc, pa)]  # fmt: skip
        em, f1 = np.array(scores).T
        return {"em": em.reshape(-1, 2), "f1": f1.reshape(-1, 2)}
    gold = np.array(t["gold"])
    return {"hit": np.column_stack([np.array(t["pred_clean"]) == gold, np.array(t["pred_attacked"]) == gold])}


def bucc_pair_f1(t: dict[str, list[Any]], mask: np.ndarray, side: str) -> float:
    """BUCC F1 of one language from the sets of pairs: extracted (source id, target id) vs gold."""
    ids = np.array(t["example_id"])[mask]
    preds = np.array(t[f"pred_{side}"], dtype=object)[mask]
    golds = np.array(t["gold"], dtype=object)[mask]
    extracted = {(i, p) for i, p in zip(ids, preds, strict=True) if p}
    gold = {(i, g) for i, gs in zip(ids, golds, strict=True) for g in gs}
    return f1_of(len(extracted & gold), len(extracted - gold), len(gold - extracted))


def recompute(run: Path) -> dict[str, Any]:
    task = json.loads((run / "config.json").read_text())["task"]
    t = pq.read_table(run / "records.parquet").to_pydict()
    langs = np.array(t["lang"])
    items = per_item(task, t)
    out: dict[str, Any] = {"languages": {}}
    terms = []
    for lang in dict.fromkeys(langs.tolist()):
        m = langs == lang
        cell: dict[str, Any] = {}
        if "counts" in items:
            c = items["counts"][m]
            cell["clean"], cell["attacked"] = f1_of(*c[:, :3].sum(0)), f1_of(*c[:, 3:].sum(0))
            if task == "bucc":
                assert cell["clean"] == pytest.approx(bucc_pair_f1(t, m, "clean"), abs=1e-12)
                assert cell["attacked"] == pytest.approx(bucc_pair_f1(t, m, "attacked"), abs=1e-12)
            cell["ci"] = stats.corpus_f1_bootstrap_ci(*c.T, seed=0)
            lang_terms = linear_f1_terms(c[:, :3], c[:, 3:])
            cell["p"] = signflip_normal_p(lang_terms)
            terms.append(lang_terms)
        elif "f1" in items:
            f1, em = items["f1"][m], items["em"][m]
            cell |= {"clean": f1[:, 0].mean(), "attacked": f1[:, 1].mean(), "em_clean": em[:, 0].mean()}
            cell |= {"em_attacked": em[:, 1].mean(), "p": signflip_normal_p(f1[:, 0] - f1[:, 1])}
            cell |= {"ci": stats.paired_bootstrap_ci(f1[:, 0], f1[:, 1], seed=0)}
            cell["em_p"] = mcnemar_p(em[:, 0] == 1, em[:, 1] == 1)
        else:
            h = items["hit"][m]
            cell |= {"clean": h[:, 0].mean(), "attacked": h[:, 1].mean(), "p": mcnemar_p(h[:, 0], h[:, 1])}
            cell |= {"ci": stats.paired_bootstrap_ci(h[:, 0], h[:, 1], seed=0)}
        out["languages"][lang] = cell
    cells = list(out["languages"].values())
    for key in ("clean", "attacked", "em_clean", "em_attacked"):
        if key in cells[0]:
            out[key] = float(np.mean([c[key] for c in cells]))
    k = len(cells)
    if "counts" in items:
        out["p"] = signflip_normal_p(np.concatenate(terms) / k)
    elif "f1" in items:
        d = (items["f1"][:, 0] - items["f1"][:, 1]) / np.array([np.sum(langs == x) for x in langs])
        if task == "xquad":  # parallel: whole question-id clusters
            ids = np.array(t["example_id"])
            d = np.array([d[ids == i].sum() for i in dict.fromkeys(ids.tolist())])
        out["p"] = signflip_normal_p(d)
    else:
        out["p"] = mcnemar_p(items["hit"][:, 0], items["hit"][:, 1])  # not parallel: pooled McNemar
    return out


def reported_cells(board: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["model"], c["task"], c["attack"]): c for r in board["rows"] for c in r["cells"].values()}


def test_every_family_equals_an_independent_recomputation(board: tuple[Path, dict[str, Any]]) -> None:
    _, data = board
    reported = reported_cells(data)
    assert {task for _, task, _ in reported} == {*TASKS, "xnli"}
    expected = {key: recompute(Path(cell["run"])) for key, cell in reported.items() if key[1] != "xnli"}
    for key, exp in expected.items():
        got = reported[key]
        assert got["metric"] == {"udpos": "seqeval F1", "panx": "seqeval F1", "bucc": "mining F1",
                                 "tatoeba": "top-1 accuracy"}.get(key[1], "F1 / EM")  # fmt: skip
        o = got["overall"]
        assert (o["clean"], o["attacked"]) == pytest.approx((exp["clean"], exp["attacked"]), abs=1e-12)
        assert o["p"] == pytest.approx(exp["p"], rel=1e-9)
        if "em_clean" in exp:
            assert (o["em_clean"], o["em_attacked"]) == pytest.approx(
                (exp["em_clean"], exp["em_attacked"]), abs=1e-12
            )
            assert o["score_attacked"] == pytest.approx((exp["attacked"] + exp["em_attacked"]) / 2, abs=1e-12)
        for lang, want in exp["languages"].items():
            cell = got["languages"][lang]
            assert (cell["clean"], cell["attacked"]) == pytest.approx(
                (want["clean"], want["attacked"]), abs=1e-12
            )
            assert (cell["ci_low"], cell["ci_high"]) == pytest.approx(
                (want["ci"].low, want["ci"].high), abs=1e-12
            )
            assert cell["p"] == pytest.approx(want["p"], rel=1e-9)
            if "em_p" in want:
                assert cell["em_p"] == pytest.approx(want["em_p"], rel=1e-9)
    # Holm over every overall cell (primary), BH over every language cell (exploratory), all tasks together
    keys = sorted(reported)
    ps = {k: reported[k]["overall"]["p"] for k in keys}
    for k, want in zip(keys, multipletests([ps[k] for k in keys], method="holm")[1], strict=True):
        assert reported[k]["overall"]["p_adjusted"] == pytest.approx(want, rel=1e-9)
    lang_keys = [(k, lang) for k in keys for lang in reported[k]["languages"]]
    bh = false_discovery_control([reported[k]["languages"][lang]["p"] for k, lang in lang_keys], method="bh")
    for (k, lang), want in zip(lang_keys, bh, strict=True):
        assert reported[k]["languages"][lang]["p_adjusted"] == pytest.approx(want, rel=1e-9)
    assert data["families"] == {"holm": len(keys), "bh": len(lang_keys)}
    assert not [w for w in data["warnings"] if "disagrees" not in w and "no runs for" not in w]


def test_planted_damage_is_significant_and_the_clean_reference_is_not_tested(
    board: tuple[Path, dict[str, Any]],
) -> None:
    _, data = board
    cells = reported_cells(data)
    assert not [key for key in cells if key[2] == "none"]  # attack=none: the clean reference, no cell
    for (model, task, _), cell in cells.items():
        if model == "worse":  # 60% of perturbed items damaged: a clear drop on every task
            o = cell["overall"]
            assert o["drop"] > 0 and o["ci_low"] > 0 and o["p_adjusted"] < 0.05, (task, o)


def test_xtreme_aggregate_per_task_then_over_tasks_qa_as_em_plus_f1(
    board: tuple[Path, dict[str, Any]],
) -> None:
    _, data = board
    row = next(r for r in data["rows"] if r["model"] == "base")
    cells = row["cells"]

    def task_score(task: str, side: str, attack: str = "charnoise") -> float:
        (cell,) = [c for c in cells.values() if c["task"] == task and c["attack"].startswith(attack)]
        o = cell["overall"]
        return (o[side] + o[f"em_{side}"]) / 2 if "em_clean" in o and o["em_clean"] is not None else o[side]

    tasks = sorted([*TASKS, "xnli"])
    assert row["clean"] == pytest.approx({t: task_score(t, "clean") for t in tasks}, abs=1e-12)
    assert row["clean_score"] == pytest.approx(np.mean([task_score(t, "clean") for t in tasks]), abs=1e-12)
    charnoise = row["by_attack"]["charnoise"]
    assert charnoise["tasks"] == tasks
    assert charnoise["attacked"] == pytest.approx(
        np.mean([task_score(t, "attacked") for t in tasks]), abs=1e-12
    )
    keyboard = row["by_attack"]["keyboard"]  # only udpos was run with it: the mean covers udpos
    assert keyboard["tasks"] == ["udpos"]
    assert keyboard["attacked"] == pytest.approx(task_score("udpos", "attacked", "keyboard"), abs=1e-12)
    assert keyboard["clean"] == pytest.approx(task_score("udpos", "clean"), abs=1e-12)
    robust = {t: task_score(t, "attacked") for t in tasks}
    robust["udpos"] = (robust["udpos"] + task_score("udpos", "attacked", "keyboard")) / 2
    assert row["robust_score"] == pytest.approx(np.mean(list(robust.values())), abs=1e-12)


def test_markdown_and_html_name_each_tasks_metric(board: tuple[Path, dict[str, Any]]) -> None:
    out, data = board
    md, html = (out / "leaderboard.md").read_text(), (out / "leaderboard.html").read_text()
    fragments = ("udpos (seqeval F1)", "bucc (mining F1)", "xquad (F1 / EM)", "tatoeba (top-1 accuracy)",
                 "xnli (accuracy)", "XTREME-style score per attack", "(EM + F1) / 2")  # fmt: skip
    for text in (md, html.replace("<span class='note'>", "").replace("</span>", "")):
        for fragment in fragments:
            assert fragment in text, fragment
    row = next(r for r in data["rows"] if r["model"] == "worse")
    o = next(c for c in row["cells"].values() if c["task"] == "xquad")["overall"]
    em = f"EM {100 * o['em_attacked']:.1f} (drop {100 * (o['em_clean'] - o['em_attacked']):.1f})"
    assert em in md and em in html  # EM beside F1 in the leaderboard cell
    assert "EM p (McNemar)" in md and "<mark>" in html  # QA language tables; changed spans highlighted
    # drill-down samples of tagging runs: tokens escaped one by one, the changed token marked
    assert "&<b>" not in html and re.search(r"<mark>&gt;b&lt;&amp;\d+t\d+w</mark>", html)
