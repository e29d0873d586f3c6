"""`robustx check` on tagging, QA and retrieval runs, `--max-drop`, and snapshots (version 2; version 1 read).

Runs come from tests/runfactory.py: the same data seed gives both checkpoints identical inputs, and a
larger ``harm`` damages a superset of the items, so the candidate's extra drop is planted and known.
Cell statistics are recomputed here from the records (counts, per-question F1, hits) with the
linearisation and normal/binomial nulls written out independently.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.stats import binomtest

from tests.runfactory import outcomes, write_family_run, write_run
from tests.test_check import check, gate, junit_cases, one_line_error
from tests.test_report_families import f1_of, linear_f1_terms, per_item

FAMILY_TASKS = {"udpos": ("de", "vi"), "panx": ("en", "hi"), "xquad": ("en", "de", "zh"),
                "tydiqa": ("sw", "fi"), "tatoeba": ("de", "th"), "bucc": ("de", "zh")}  # fmt: skip
N = 300


def family_runs(root: Path, harm: float, model: str) -> Path:
    for task, langs in FAMILY_TASKS.items():
        write_family_run(root, task, langs, N, harm=harm, model=model)
    return root


def failures(path: Path) -> dict[str, str]:
    """Failing testcase "classname/name" -> its failure type."""
    root = ET.parse(path).getroot()
    return {
        f"{case.get('classname')}/{case.get('name')}": str(failure.get("type"))
        for case in root.iter("testcase")
        if (failure := case.find("failure")) is not None
    }


def one_sided_p(values: np.ndarray) -> float:
    """P(sum of sign-flipped values >= observed) by the normal limit (many non-zero values)."""
    v = values[values != 0]
    assert v.size > 16
    return 0.5 * math.erfc(v.sum() / math.sqrt(np.sum(v**2)) / math.sqrt(2))


def test_unchanged_checkpoints_pass_on_every_family(tmp_path: Path) -> None:
    family_runs(tmp_path / "a", 0.3, "ckpt")
    family_runs(tmp_path / "b", 0.3, "ckpt-copy")
    code, output = gate(tmp_path / "a", tmp_path / "b", "--max-drop", "0", "--junit", str(tmp_path / "j.xml"))
    assert code == 0, output
    cases = junit_cases(tmp_path / "j.xml")
    assert len(cases) == sum(1 + len(langs) for langs in FAMILY_TASKS.values()) and not any(cases.values())
    for metric in ("seqeval F1", "F1 / EM", "top-1 accuracy", "mining F1"):
        assert f"| {metric} |" in output


def test_planted_damage_fails_every_family_and_cells_equal_a_recomputation(tmp_path: Path) -> None:
    base = family_runs(tmp_path / "a", 0.3, "ckpt")
    family_runs(tmp_path / "b", 0.6, "damaged")
    code, output = gate(
        base, tmp_path / "b", "--junit", str(tmp_path / "j.xml"), "--json", str(tmp_path / "r.json")
    )
    assert code == 1, output
    report = json.loads((tmp_path / "r.json").read_text())
    for task, langs in FAMILY_TASKS.items():
        cells = {c["lang"]: c for c in report["cells"] if c["task"] == task}
        assert set(cells) == {"overall", *langs}
        assert cells["overall"]["failed"] and cells["overall"]["reasons"] == ["significant"]
        recomputed = recompute_cells(
            task, *(next(tmp_path.glob(f"{side}/*/{task}/charnoise*/seed=0")) for side in "ab")
        )
        for lang, (delta, p) in recomputed.items():
            assert cells[lang]["delta"] == pytest.approx(delta, abs=1e-12), (task, lang)
            assert cells[lang]["p"] == pytest.approx(p, rel=1e-6), (task, lang)
            assert cells[lang]["ci_low"] <= delta <= cells[lang]["ci_high"]
    failed = failures(tmp_path / "j.xml")
    assert "udpos.charnoise:rate=0.3.seed0/overall" in failed and set(failed.values()) == {"significant"}


def recompute_cells(task: str, base_run: Path, cand_run: Path) -> dict[str, tuple[float, float]]:
    """Per language and overall: (Δ, one-sided p) from the two runs' records."""
    tb, tc = (pq.read_table(r / "records.parquet").to_pydict() for r in (base_run, cand_run))
    assert tb["example_id"] == tc["example_id"] and tb["lang"] == tc["lang"]  # same rows, same order
    ib, ic = per_item(task, tb), per_item(task, tc)
    langs = np.array(tb["lang"])
    order = list(dict.fromkeys(langs.tolist()))
    out, deltas, terms = {}, [], []
    for lang in order:
        m = langs == lang
        if "counts" in ib:
            b, c = ib["counts"][m], ic["counts"][m]
            delta = (f1_of(*c[:, :3].sum(0)) - f1_of(*c[:, 3:].sum(0))) - (
                f1_of(*b[:, :3].sum(0)) - f1_of(*b[:, 3:].sum(0))
            )
            w = linear_f1_terms(c[:, :3], b[:, :3]) - linear_f1_terms(c[:, 3:], b[:, 3:])
            out[lang] = (delta, one_sided_p(w))
        else:
            key = "f1" if "f1" in ib else "hit"
            d = (ic[key][m, 0].astype(float) - ic[key][m, 1]) - (ib[key][m, 0].astype(float) - ib[key][m, 1])
            if key == "hit":  # damage planted on top: every d is 0 or +1, a binomial test
                assert set(np.unique(d)) <= {0.0, 1.0}
                k = int(np.sum(d))
                p = binomtest(k, k, 0.5, alternative="greater").pvalue
            else:
                p = one_sided_p(d)
            out[lang] = (d.mean(), p)
            w = d / m.sum()
        deltas.append(out[lang][0])
        terms.append(w / len(order))
    if task == "xquad":  # parallel: whole question-id clusters
        ids = np.array(tb["example_id"])
        flat = np.concatenate(terms)
        cluster = np.array([flat[ids == i].sum() for i in dict.fromkeys(ids.tolist())])
        out["overall"] = (float(np.mean(deltas)), one_sided_p(cluster))
    elif task == "tatoeba":  # equal language sizes: integer sums, exact
        k = int(round(np.concatenate(terms).sum() * N * len(order)))
        out["overall"] = (float(np.mean(deltas)), binomtest(k, k, 0.5, alternative="greater").pvalue)
    else:
        out["overall"] = (float(np.mean(deltas)), one_sided_p(np.concatenate(terms)))
    return out


def test_max_drop_fails_cells_whose_extra_drop_exceeds_it_significant_or_not(tmp_path: Path) -> None:
    base = write_family_run(tmp_path / "a", "panx", ("en", "hi"), N, harm=0.3, model="ckpt")
    # other items damaged, a few more of them: a small extra drop, not significant after Holm
    cand = write_family_run(tmp_path / "b", "panx", ("en", "hi"), N, harm=0.36, harm_seed=1, model="slightly")
    code, output = gate(base, cand, "--json", str(tmp_path / "r.json"))
    assert code == 0, output
    cells = json.loads((tmp_path / "r.json").read_text())["cells"]
    assert all(c["p_holm"] >= 0.05 for c in cells)
    deltas = {c["lang"]: 100 * c["delta"] for c in cells}
    limit = round((min(deltas.values()) + max(deltas.values())) / 2, 2)
    assert min(deltas.values()) < limit < max(deltas.values())  # some cells above it, some below
    code, output = gate(base, cand, "--max-drop", str(limit), "--junit", str(tmp_path / "j.xml"))
    assert code == 1, output
    failed = failures(tmp_path / "j.xml")
    assert {name.rsplit("/", 1)[1] for name in failed} == {lang for lang, d in deltas.items() if d > limit}
    assert set(failed.values()) == {"max-drop"}
    message = ET.parse(tmp_path / "j.xml").getroot().find(".//failure").get("message")  # type: ignore[union-attr]
    assert f"exceeds --max-drop {limit:g}" in str(message) and f"--max-drop {limit:g} points" in output
    assert gate(base, cand, "--max-drop", f"{max(deltas.values()) + 0.01:.4f}")[0] == 0
    # both reasons at once
    worse = write_family_run(tmp_path / "c", "panx", ("en", "hi"), N, harm=0.7, model="worse")
    assert gate(base, worse, "--max-drop", "1", "--junit", str(tmp_path / "k.xml"))[0] == 1
    assert "significant+max-drop" in failures(tmp_path / "k.xml").values()
    one_line_error(*gate(base, cand, "--max-drop", "-1"), "--max-drop is in points")


def test_v2_snapshot_of_every_family_gates_exactly_like_the_runs(tmp_path: Path) -> None:
    family_runs(tmp_path / "a", 0.3, "ckpt")
    family_runs(tmp_path / "b", 0.6, "damaged")
    snap = tmp_path / "base.snapshot"
    code, output = check("--baseline", str(tmp_path / "a"), "--snapshot", str(snap))
    assert code == 0, output
    with gzip.open(snap, "rt", encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert lines[0]["version"] == 2
    columns = {line["run"]["task"]: line["run"]["columns"] for line in lines[1:] if isinstance(line, dict)}
    assert columns["udpos"][2:8] == columns["bucc"][2:8] == [
        "tp_clean", "fp_clean", "fn_clean", "tp_attacked", "fp_attacked", "fn_attacked",
    ]  # fmt: skip
    assert columns["xquad"][2:6] == ["f1_clean", "f1_attacked", "em_clean", "em_attacked"]
    assert columns["tatoeba"][2:4] == ["correct_clean", "correct_attacked"]
    results = []
    for baseline in (tmp_path / "a", snap):
        code, _ = gate(baseline, tmp_path / "b", "--json", str(tmp_path / "r.json"))
        results.append((code, json.loads((tmp_path / "r.json").read_text())["cells"]))
    assert results[0] == results[1] and results[0][0] == 1


def v1_snapshot(path: Path, run: Path) -> Path:
    """A snapshot as robustx wrote it before version 2 (one header column list, correctness only)."""
    config = json.loads((run / "config.json").read_text())
    t = pq.read_table(run / "records.parquet").to_pydict()
    columns = [
        "example_id",
        "lang",
        "correct_clean",
        "correct_attacked",
        "text_hash",
        "text_hash_attacked",
        "queries",
    ]
    order = sorted(range(len(t["lang"])), key=lambda i: (t["lang"][i], t["example_id"][i]))
    lines = [
        {
            "format": "robustx-baseline-snapshot",
            "version": 1,
            "columns": columns,
            "hash_digits": 16,
            "runs": 1,
        }
    ]
    lines.append({"run": {"task": config["task"], "attack": config["attack"], "seed": 0, "rows": len(order), "config": config, "metrics": {}}})  # fmt: skip
    for i in order:
        row = [t[c][i] for c in columns]
        lines.append([*row[:2], int(row[2]), int(row[3]), row[4][:16], row[5][:16], row[6]])
    path.write_bytes(gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode()))
    return path


def test_v1_snapshots_are_still_read_and_refused_for_f1_tasks(tmp_path: Path) -> None:
    data = outcomes(("en", "de"), 200, 0.75, 0.08, seed=3)
    base = write_run(tmp_path / "a", data, model="ckpt")
    cand = write_run(tmp_path / "b", data, model="same")
    old = v1_snapshot(tmp_path / "old.snapshot", base)
    code_runs, _ = gate(base, cand, "--json", str(tmp_path / "runs.json"))
    code_old, output = gate(old, cand, "--json", str(tmp_path / "old.json"))
    assert code_old == code_runs == 0, output
    assert (
        json.loads((tmp_path / "old.json").read_text())["cells"]
        == json.loads((tmp_path / "runs.json").read_text())["cells"]
    )
    tagged = write_family_run(tmp_path / "c", "panx", ("en",), 50, harm=0.3, model="tagger")
    old_tagged = v1_snapshot(tmp_path / "tagged.snapshot", tagged)
    one_line_error(*gate(old_tagged, tagged), "version-1 snapshot holds correctness only")
