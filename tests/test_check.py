"""`robustx check`, the CI gate: unchanged passes (0), a planted extra drop fails (1), mismatches refuse (2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.stats import binomtest
from typer.testing import CliRunner

from robustx.cli import app
from robustx.records import to_table
from robustx.store import atomic_write_table
from tests.runfactory import Outcomes, outcomes, plant_drop, write_run

LANGS = ("en", "de", "hi", "sw")
BASE = outcomes(LANGS, 400, 0.75, 0.08, seed=11)


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", *args])
    return result.exit_code, result.output


def gate(baseline: Path, candidate: Path, *extra: str) -> tuple[int, str]:
    return check("--baseline", str(baseline), "--candidate", str(candidate), *extra)


def junit_cases(path: Path) -> dict[str, bool]:
    """testcase "classname/name" -> failed?"""
    root = ET.parse(path).getroot()
    return {
        f"{case.get('classname')}/{case.get('name')}": case.find("failure") is not None
        for case in root.iter("testcase")
    }


def test_identical_checkpoints_pass(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE, model="ckpt")
    same = write_run(tmp_path / "b", BASE, model="ckpt-copy")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    code, output = gate(base, same, "--junit", str(tmp_path / "j.xml"), "--markdown", str(summary))
    assert code == 0, output
    assert "PASS" in output.splitlines()[-1]
    assert summary.read_text() == "earlier step\n" + output  # appended, as CI step summaries need
    cases = junit_cases(tmp_path / "j.xml")
    assert len(cases) == 1 + len(LANGS) and not any(cases.values())


def test_planted_extra_drop_fails_with_the_failing_cells_listed(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE, model="ckpt")
    worse = write_run(tmp_path / "b", plant_drop(BASE, 0.08, seed=12, langs=["hi"]), model="noised")
    code, output = gate(base, worse, "--junit", str(tmp_path / "j.xml"), "--json", str(tmp_path / "r.json"))
    assert code == 1, output
    assert output.splitlines()[-1].startswith("FAIL")
    cases = junit_cases(tmp_path / "j.xml")
    failed = {name.rsplit("/", 1)[1] for name, bad in cases.items() if bad}
    assert "hi" in failed and not failed & {"en", "de", "sw"}
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert root.get("failures") == str(len(failed)) and root.get("tests") == str(len(cases))
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["exit_code"] == 1
    hi = next(c for c in report["cells"] if c["lang"] == "hi")
    assert hi["failed"] and hi["delta"] > 0 and hi["ci_low"] > 0


def test_cell_statistics_match_a_recomputation(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE, model="ckpt")
    worse = write_run(tmp_path / "b", plant_drop(BASE, 0.03, seed=13), model="noised")
    code, _ = gate(base, worse, "--json", str(tmp_path / "r.json"))
    cells = {c["lang"]: c for c in json.loads((tmp_path / "r.json").read_text())["cells"]}
    tb, tc = (pq.read_table(p / "records.parquet").to_pydict() for p in (base, worse))
    for lang in LANGS:
        rows = [i for i, x in enumerate(tb["lang"]) if x == lang]
        db = np.array([tb["correct_clean"][i] - tb["correct_attacked"][i] for i in rows], dtype=float)
        dc = np.array([tc["correct_clean"][i] - tc["correct_attacked"][i] for i in rows], dtype=float)
        d = dc - db
        assert cells[lang]["delta"] == pytest.approx(d.mean(), abs=1e-12)
        # only extra flips were planted, so every d is 0 or +1: the sign-flip test is a binomial test
        assert set(np.unique(d)) <= {0.0, 1.0}
        k = int(np.sum(d != 0))
        want = binomtest(k, k, 0.5, alternative="greater").pvalue if k else 1.0
        assert cells[lang]["p"] == pytest.approx(want, rel=1e-9)
    ps = sorted(c["p"] for c in cells.values())
    holm = np.maximum.accumulate([min(1.0, (len(ps) - i) * p) for i, p in enumerate(ps)])
    assert sorted(c["p_holm"] for c in cells.values()) == pytest.approx(list(holm), rel=1e-9)
    assert code == int(any(c["p_holm"] < 0.05 for c in cells.values()))


def test_margin_tolerates_a_small_extra_drop(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE, model="ckpt")
    worse = write_run(tmp_path / "b", plant_drop(BASE, 0.04, seed=14), model="noised")
    assert gate(base, worse)[0] == 1
    code, output = gate(base, worse, "--margin", "10")
    assert code == 0, output
    assert "margin 10 points" in output


def test_roots_with_several_runs_are_paired_by_task_attack_seed(tmp_path: Path) -> None:
    for root, data in (("a", BASE), ("b", plant_drop(BASE, 0.1, seed=15))):
        write_run(tmp_path / root, BASE, model="m", attack="keyboard:rate=0.2")
        write_run(tmp_path / root, data, model="m")
        write_run(tmp_path / root, BASE, model="m", attack="none")
    code, output = gate(tmp_path / "a", tmp_path / "b", "--junit", str(tmp_path / "j.xml"))
    assert code == 1, output
    cases = junit_cases(tmp_path / "j.xml")
    assert len(cases) == 2 * (1 + len(LANGS))  # attack=none has no drop: not a cell
    assert not any(bad for name, bad in cases.items() if name.startswith("xnli.keyboard"))
    assert "skipped xnli / none / seed 0" in output


def one_line_error(code: int, output: str, fragment: str) -> None:
    assert code == 2, output
    assert output.count("\n") == 1 and output.startswith("error: ") and fragment in output, output


def test_different_seed_or_attack_is_refused(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE)
    one_line_error(*gate(base, write_run(tmp_path / "b", BASE, seed=1)), "differ in seed")
    one_line_error(
        *gate(base, write_run(tmp_path / "c", BASE, attack="keyboard:rate=0.2")), "differ in attack"
    )


def test_different_examples_are_refused(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE)
    fewer = Outcomes(LANGS[:3], BASE.n, BASE.clean[: 3 * BASE.n], BASE.attacked[: 3 * BASE.n])
    one_line_error(
        *gate(base, write_run(tmp_path / "b", fewer)),
        "different examples (400 example/language rows only in the baseline, 0 only in the candidate",
    )


def test_different_inputs_are_refused(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE)
    other = write_run(tmp_path / "b", BASE)
    table = pq.read_table(other / "records.parquet").to_pydict()
    table["text_hash_attacked"][5] = "0" * 32
    atomic_write_table(other / "records.parquet", to_table(table))
    one_line_error(*gate(base, other), "perturbed inputs differ for 1 examples")
    table["text_hash"][7] = "1" * 32
    atomic_write_table(other / "records.parquet", to_table(table))
    one_line_error(*gate(base, other), "clean inputs differ")


def test_incomplete_or_missing_runs_are_refused(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE)
    unfinished = write_run(tmp_path / "b", BASE, metrics=False)
    one_line_error(*gate(base, unfinished), "is incomplete")
    one_line_error(*gate(base, tmp_path / "nowhere"), "does not exist")
    empty = tmp_path / "empty"
    empty.mkdir()
    one_line_error(*gate(base, empty), "holds no run directory")
    extra = tmp_path / "c"
    shutil.copytree(base.parents[3], extra)
    write_run(extra, BASE, attack="keyboard:rate=0.2")
    one_line_error(
        *gate(tmp_path / "a", extra), "the baseline has no run of xnli / keyboard:rate=0.2 / seed 0"
    )
    one_line_error(*gate(base, base, "--alpha", "1.5"), "--alpha")


def test_runs_without_their_metrics_quantities_are_refused(tmp_path: Path) -> None:
    # a PAN-X run with per-sentence correctness only: its F1 needs tp/fp/fn, accuracy would mislead
    base = write_run(tmp_path / "a", BASE, task="panx")
    one_line_error(
        *gate(base, write_run(tmp_path / "b", BASE, task="panx")), "lacks tp_clean, fp_clean, fn_clean"
    )
