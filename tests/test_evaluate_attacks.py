"""`robustx evaluate` under every registered perturbation, on real XNLI rows in five scripts, and
code-switching in all 15 XNLI languages from the shared dictionaries."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from robustx.attacks import list_attacks
from tests.test_codeswitch import SWH_ENTRIES, write_dictd
from tests.test_evaluate_cli import evaluate_args, only_run_dir, run_cli

FIVE_SCRIPTS = "en,ru,ar,hi,th"  # Latin, Cyrillic, Arabic, Devanagari, Thai
XNLI_LANGS = "ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh"


def perturbation_names() -> list[str]:
    return [info.name for info in list_attacks() if info.kind == "perturbation" and info.name != "none"]


@pytest.mark.parametrize("name", perturbation_names())
def test_evaluate_runs_under_every_perturbation(
    name: str, tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    spec = f"{name}:rate=0.5"
    code, output = run_cli(
        *evaluate_args(
            tiny_xnli_model, xtreme_dir, tmp_path, "--langs", FIVE_SCRIPTS, "--attack", spec, "--limit", "12"
        )
    )
    assert code == 0, output
    run = only_run_dir(tmp_path)
    table = pq.read_table(run / "records.parquet").to_pylist()
    assert len(table) == 5 * 12
    changed = [r for r in table if r["units_changed"] > 0]
    assert changed, f"{spec} changed nothing in 60 real sentences"
    for row in changed:
        assert row["text_attacked"] != row["text_clean"]
        assert row["text_hash_attacked"] != row["text_hash"]
    for row in table:
        if row["units_changed"] == 0:
            assert row["text_attacked"] == row["text_clean"]
            assert row["probs_attacked"] == row["probs_clean"]


def test_codeswitch_in_all_15_xnli_languages(tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    """MUSE covers 14 XNLI languages; Swahili comes from a FreeDict pack, and its low coverage is reported."""
    write_dictd(tmp_path / "dictd", "freedict-eng-swh", SWH_ENTRIES)
    packs = tmp_path / "packs"
    code, output = run_cli(
        "resources", "build", "--freedict-dir", str(tmp_path / "dictd"), "--out", str(packs)
    )
    assert code == 0, output
    out = tmp_path / "runs"
    spec = f"codeswitch:rate=0.5,dicts={packs}"
    code, output = run_cli(
        *evaluate_args(
            tiny_xnli_model, xtreme_dir, out, "--langs", XNLI_LANGS, "--attack", spec, "--limit", "6"
        )
    )
    assert code == 0, output
    run = only_run_dir(out)
    rows = pq.read_table(run / "records.parquet").to_pylist()
    by_lang = {lang: [r for r in rows if r["lang"] == lang] for lang in XNLI_LANGS.split(",")}
    assert all(len(v) == 6 for v in by_lang.values())
    for lang, lang_rows in by_lang.items():
        if lang != "sw":
            assert any(r["units_changed"] for r in lang_rows), f"codeswitch changed nothing in {lang}"
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics["attack_coverage"]) == set(by_lang)
    assert metrics["attack_coverage"]["sw"]["en"] < 0.5
    assert any("sw" in line and "coverage" in line for line in metrics["warnings"])
    assert "poor dictionary coverage of sw" in " ".join(output.split())
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    files = config["attack_resources"]
    assert files["sw-en"]["files"][0]["sha256"] and files["de-en"]["files"][0]["inverted"] is True


def test_missing_dictionary_fails_before_any_model_work(
    tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBUSTX_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ROBUSTX_DICTS", raising=False)
    out = tmp_path / "runs"
    code, output = run_cli(
        *evaluate_args(
            tiny_xnli_model, xtreme_dir, out, "--langs", "sw", "--attack", "codeswitch", "--limit", "3"
        )
    )
    assert code == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no sw-en dictionary" in lines[0], output
    assert not list(out.rglob("config.json"))
