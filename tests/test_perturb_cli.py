"""`robustx perturb`: streams lines/JSONL, deterministic whatever the chunking or worker count."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robustx.cli import app
from robustx.perturb_io import PerturbJob, perturb_stream

runner = CliRunner()
LINES = ["Die Bürger müssen größere Straßen überqueren.", "", "Ein zweiter Satz mit Wörtern.", "3 4 5"]


def test_text_lines_keep_count_order_and_empty_lines(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["perturb", "-a", "charswap:rate=1.0", "-l", "de", str(src)])
    assert result.exit_code == 0, result.output
    out = result.output.split("\n")[:-1]
    assert len(out) == len(LINES) and out[1] == "" and out[3] == "3 4 5"
    assert out[0] != LINES[0] and len(out[0]) == len(LINES[0])


def test_output_independent_of_workers_and_chunking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [f"Satz Nummer {i} über größere Straßen und Wörter\n" for i in range(1200)]
    job = PerturbJob("charnoise:rate=0.5", "de", 3, False, ("text",), None, None, False)
    one, two = io.StringIO(), io.StringIO()
    perturb_stream(job, lines, one, workers=1)
    monkeypatch.setattr("robustx.perturb_io.CHUNK", 7)
    perturb_stream(job, lines, two, workers=2)
    assert one.getvalue() == two.getvalue()
    assert one.getvalue().count("\n") == 1200


def test_jsonl_fields_ids_and_record(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    rows = [
        {"id": "a", "premise": "Wörter über Straßen", "hypothesis": "Größere Bürger", "label": 1},
        {"id": "b", "premise": "Noch mehr Wörter", "hypothesis": "Und Straßen", "label": 0},
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = [
        "perturb",
        "-a",
        "charswap:rate=1.0",
        "-l",
        "de",
        str(src),
        "-o",
        str(out),
        "--fields",
        "premise,hypothesis",
        "--id-field",
        "id",
        "--record",
    ]
    assert runner.invoke(app, args).exit_code == 0
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [g["label"] for g in got] == [1, 0] and [g["id"] for g in got] == ["a", "b"]
    assert got[0]["premise"] != rows[0]["premise"]
    assert got[0]["_robustx"]["fields"]["premise"]["units_changed"] >= 1
    # The same id gives the same output whatever the line position.
    src.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reversed(rows)), encoding="utf-8"
    )
    assert runner.invoke(app, args).exit_code == 0
    again = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert again[1]["premise"] == got[0]["premise"]


def test_bad_jsonl_names_file_and_line_and_leaves_no_output(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "ok"}\n{"text": 5}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["perturb", "-a", "charnoise", "-l", "en", str(src), "-o", str(out)])
    assert result.exit_code == 2 and f"{src}:2: field 'text' is missing or not text" in result.output
    assert not out.exists()


def test_missing_resource_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["perturb", "-a", "keyboard", "-l", "ko"], input="한국어 문장\n")
    assert result.exit_code == 2 and "no keyboard layout is bundled for language 'ko'" in result.output
