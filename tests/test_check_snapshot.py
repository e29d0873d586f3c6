"""Baseline snapshots: a committable stand-in for the baseline's runs that gates exactly like them."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pyarrow.parquet as pq

from robustx.records import to_table
from robustx.store import atomic_write_table
from tests.runfactory import outcomes, plant_drop, write_run
from tests.test_check import check, gate, junit_cases, one_line_error

LANGS = ("en", "de", "hi")
BASE = outcomes(LANGS, 300, 0.75, 0.08, seed=21)


def snapshot_of(runs: Path, target: Path, *extra: str) -> Path:
    code, output = check("--baseline", str(runs), "--snapshot", str(target), *extra)
    assert code == 0, output
    assert "wrote snapshot" in output
    return target


def lines(path: Path) -> list[object]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def cells(path: Path) -> list[dict[str, object]]:
    return list(json.loads(path.read_text())["cells"])


def test_snapshot_gates_exactly_like_the_baseline_runs(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE, model="ckpt")
    snap = snapshot_of(tmp_path / "a", tmp_path / "base.snapshot")
    for name, data in (("same", BASE), ("worse", plant_drop(BASE, 0.1, seed=22, langs=["de"]))):
        cand = write_run(tmp_path / name, data, model=name)
        code_runs, _ = gate(base, cand, "--json", str(tmp_path / "runs.json"))
        code_snap, output = gate(
            snap, cand, "--json", str(tmp_path / "snap.json"), "--junit", str(tmp_path / "j.xml")
        )
        assert code_snap == code_runs == (0 if name == "same" else 1), output
        assert cells(tmp_path / "snap.json") == cells(tmp_path / "runs.json")
    failed = {name for name, bad in junit_cases(tmp_path / "j.xml").items() if bad}
    assert "xnli.charnoise:rate=0.3.seed0/de" in failed


def test_snapshot_is_small_holds_no_text_and_carries_the_run_config(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", BASE, model="ckpt")
    old_umask = os.umask(0o022)
    try:
        snap = snapshot_of(tmp_path / "a", tmp_path / "base.snapshot")
    finally:
        os.umask(old_umask)
    header, run, *rows = lines(snap)
    assert (
        isinstance(header, dict)
        and header["format"] == "robustx-baseline-snapshot"
        and header["version"] == 2
    )
    assert isinstance(run, dict) and run["run"]["rows"] == len(rows) == len(LANGS) * BASE.n
    assert run["run"]["columns"] == [
        "example_id", "lang", "correct_clean", "correct_attacked", "text_hash", "text_hash_attacked", "queries",
    ]  # fmt: skip
    assert run["run"]["config"] == json.loads((base / "config.json").read_text())
    assert run["run"]["metrics"]["overall"] == json.loads((base / "metrics.json").read_text())["overall"]
    assert rows[0] == ["xnli/test/000000", "de", rows[0][2], rows[0][3], rows[0][4], rows[0][5], 0]
    text = gzip.decompress(snap.read_bytes()).decode()
    assert "committee" not in text and "premise" not in text  # no texts, only their hashes
    assert snap.stat().st_size < 40 * len(rows)  # bytes per example x language row
    again = snapshot_of(tmp_path / "a", tmp_path / "again.snapshot")
    assert again.read_bytes() == snap.read_bytes()  # byte-identical: no spurious diffs when committed
    assert snap.stat().st_mode & 0o044 == 0o044  # readable by others (umask 022): it is meant to be shared


def test_update_baseline_refreshes_after_a_pass_and_keeps_it_after_a_failure(tmp_path: Path) -> None:
    write_run(tmp_path / "a", BASE, model="ckpt")
    snap = snapshot_of(tmp_path / "a", tmp_path / "base.snapshot")
    worse = write_run(tmp_path / "worse", plant_drop(BASE, 0.1, seed=23), model="noised")
    before = snap.read_bytes()
    code, output = gate(snap, worse, "--update-baseline")
    assert code == 1 and "not updated: the gate failed" in output and snap.read_bytes() == before
    same = write_run(tmp_path / "same", BASE, model="retrained", model_hash="sha256:new")
    code, output = gate(snap, same, "--update-baseline")
    assert code == 0 and "wrote snapshot" in output, output
    (_, run, *_rows) = lines(snap)
    assert isinstance(run, dict) and run["run"]["config"]["model_hash"] == "sha256:new"
    code, output = gate(snap, worse, "--force-update")  # accepting a known regression explicitly
    assert code == 1 and "wrote snapshot" in output
    (_, run, *_rows) = lines(snap)
    assert isinstance(run, dict) and run["run"]["config"]["model"] == "noised"


def test_update_keeps_the_runs_that_were_not_compared(tmp_path: Path) -> None:
    for attack in ("charnoise:rate=0.3", "keyboard:rate=0.2"):
        write_run(tmp_path / "a", BASE, model="ckpt", attack=attack)
        write_run(tmp_path / "b", BASE, model="new", attack=attack, model_hash="sha256:new")
    snap = snapshot_of(tmp_path / "a", tmp_path / "base.snapshot")
    code, output = gate(snap, tmp_path / "b", "--attack", "keyboard", "--update-baseline")
    assert code == 0, output
    assert "charnoise" not in output.split("wrote snapshot")[0]  # only the keyboard run was gated
    configs = {
        r["run"]["attack"]: r["run"]["config"] for r in lines(snap) if isinstance(r, dict) and "run" in r
    }
    assert configs["keyboard:rate=0.2"]["model_hash"] == "sha256:new"
    assert configs["charnoise:rate=0.3"]["model_hash"] != "sha256:new"


def test_task_and_attack_filters_select_runs(tmp_path: Path) -> None:
    for root in ("a", "b"):
        write_run(tmp_path / root, BASE, model="m", attack="keyboard:rate=0.2")
        write_run(tmp_path / root, BASE, model="m")
    write_run(tmp_path / "a", BASE, model="m", attack="homoglyph:rate=0.2", metrics=False)  # unfinished
    code, output = gate(tmp_path / "a", tmp_path / "b", "--attack", "charnoise:rate=0.3")
    assert code == 0 and "keyboard" not in output, output  # runs left out are not even read
    one_line_error(*gate(tmp_path / "a", tmp_path / "b"), "is incomplete")
    one_line_error(
        *gate(tmp_path / "a", tmp_path / "b", "--task", "pawsx"), "holds no run matching --task pawsx"
    )


def test_snapshot_hash_mismatch_is_refused(tmp_path: Path) -> None:
    write_run(tmp_path / "a", BASE)
    snap = snapshot_of(tmp_path / "a", tmp_path / "base.snapshot")
    other = write_run(tmp_path / "b", BASE)
    table = pq.read_table(other / "records.parquet").to_pydict()
    table["text_hash_attacked"][3] = "f" * 32
    atomic_write_table(other / "records.parquet", to_table(table))
    one_line_error(*gate(snap, other), "perturbed inputs differ for 1 examples")


def test_bad_snapshots_and_usage_are_one_line_errors(tmp_path: Path) -> None:
    cand = write_run(tmp_path / "b", BASE)
    text = tmp_path / "notes.snapshot"
    text.write_text("not a snapshot\n")
    one_line_error(*gate(text, cand), "not a readable robustx baseline snapshot")
    write_run(tmp_path / "a", BASE)
    snap = snapshot_of(tmp_path / "a", tmp_path / "base.snapshot")
    cut = tmp_path / "cut.snapshot"
    cut.write_bytes(gzip.compress(gzip.decompress(snap.read_bytes())[:5000]))
    one_line_error(*gate(cut, cand), "truncated")
    future = tmp_path / "future.snapshot"
    header, *rest = gzip.decompress(snap.read_bytes()).split(b"\n", 1)
    future.write_bytes(gzip.compress(header.replace(b'"version":2', b'"version":9') + b"\n" + rest[0]))
    one_line_error(
        *gate(future, cand), "format version 9; this robustx reads versions 1, 2 (upgrade robustx)"
    )
    one_line_error(*gate(tmp_path / "a", cand, "--update-baseline"), "--update-baseline needs --snapshot")
    one_line_error(*check("--baseline", str(tmp_path / "a")), "give --candidate")
    one_line_error(*gate(tmp_path / "a", cand, "--snapshot", str(text)), "is not a robustx snapshot")
