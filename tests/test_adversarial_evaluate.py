"""End to end: `robustx evaluate` with adversarial attacks on a tiny model and real XNLI rows.

Records hold status / queries / words changed / final text per example; metrics.json's success rate and
mean queries are recomputed from them; model-free specs keep their canonical form and outputs.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from robustx.attacks import build_attack
from tests.test_evaluate_cli import evaluate_args, only_run_dir, run_cli

CHARNOISE_CANONICAL = (
    "charnoise:edits=1,keep_digits=true,keep_entities=false,layout=auto,min_len=3,"
    "ops=swap+delete+insert+substitute,rate=0.2,skip_stopwords=false"
)


def check_records(run: Path, budget: int) -> dict[str, np.ndarray]:
    table = pq.read_table(run / "records.parquet").to_pydict()
    cols = {k: np.array(v, dtype=object) for k, v in table.items()}
    status = cols["status"]
    assert set(status) <= {"success", "failed", "skipped"}
    assert all(1 <= q <= budget for q in cols["queries"])
    assert list(status == "skipped") == list(~cols["correct_clean"].astype(bool))
    flipped = cols["correct_clean"].astype(bool) & ~cols["correct_attacked"].astype(bool)
    assert list(status == "success") == list(flipped)
    for k in np.flatnonzero(status == "success"):
        assert cols["text_attacked"][k] != cols["text_clean"][k] and cols["units_changed"][k] >= 1
    metrics = json.loads((run / "metrics.json").read_text())
    for lang, cell in metrics["languages"].items():
        mask = (cols["lang"] == lang) & (status != "skipped")
        assert cell["n_attacked"] == mask.sum()
        assert cell["attack_success_rate"] == pytest.approx((status[mask] == "success").mean())
        assert cell["mean_queries"] == pytest.approx(cols["queries"][mask].astype(float).mean())
    rates = [c["attack_success_rate"] for c in metrics["languages"].values()]
    assert metrics["overall"]["attack_success_rate"] == pytest.approx(np.mean(rates))
    return cols


def test_charnoise_greedy_end_to_end(tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    spec = "charnoise:search=greedy,budget=50"
    args = evaluate_args(
        tiny_xnli_model, xtreme_dir, tmp_path, "--langs", "en,de,hi", "--attack", spec, "--limit", "20"
    )
    code, output = run_cli(*args)
    assert code == 0, output
    run = only_run_dir(tmp_path)
    assert "search=greedy" in run.parent.name and "budget=50" in run.parent.name
    config = json.loads((run / "config.json").read_text())
    assert config["attack_params"]["search"] == "greedy" and config["attack_params"]["budget"] == 50
    assert config["attack_params"]["max_changed"] == 0.4  # defaults are recorded, not only named ones
    cols = check_records(run, 50)
    assert (cols["status"] == "success").sum() > 0  # a random tiny model flips easily
    code, again = run_cli(*args)
    assert code == 0 and "already complete" in again


def test_codeswitch_beam_several_embedded_languages(
    tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    spec = "codeswitch:search=beam,beam=4,budget=120,langs=de+es+fr+hi"
    args = evaluate_args(
        tiny_xnli_model, xtreme_dir, tmp_path, "--langs", "en,de", "--attack", spec, "--limit", "12"
    )
    code, output = run_cli(*args)
    assert code == 0, output
    cols = check_records(only_run_dir(tmp_path), 120)
    assert (cols["status"] == "success").any()


@pytest.mark.skipif(
    not Path("/usr/share/mythes/th_en_US_v2.idx").is_file(), reason="mythes-en-us not installed"
)
def test_wordsub_greedy_end_to_end(tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path) -> None:
    spec = "wordsub:search=greedy,budget=40"
    args = evaluate_args(
        tiny_xnli_model, xtreme_dir, tmp_path, "--langs", "en", "--attack", spec, "--limit", "12"
    )
    code, output = run_cli(*args)
    assert code == 0, output
    check_records(only_run_dir(tmp_path), 40)


def test_search_params_are_rejected_where_they_do_not_apply(
    tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    code, output = run_cli(
        *evaluate_args(tiny_xnli_model, xtreme_dir, tmp_path, "--attack", "none:search=greedy")
    )
    assert code == 2 and "no parameter 'search'" in output
    code, output = run_cli(
        *evaluate_args(tiny_xnli_model, xtreme_dir, tmp_path, "--attack", "charnoise:budget=9")
    )
    assert code == 2 and "need search=greedy or search=beam" in output


def test_tagging_tasks_refuse_search_before_loading_anything(tiny_xnli_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("robustx.families.tagging")
    args = [
        "evaluate",
        "--model",
        str(tiny_xnli_model),
        "--task",
        "panx",
        "--langs",
        "de",
        "--out",
        str(tmp_path),
    ]
    code, output = run_cli(
        *args, "--attack", "charnoise:search=greedy", "--data-dir", str(tmp_path), "--quiet"
    )
    assert code == 2 and "adversarial search is not implemented for tagging" in output


def test_model_free_specs_keep_their_canonical_form_and_output() -> None:
    plain, none = build_attack("charnoise"), build_attack("charnoise:search=none")
    assert plain.canonical == none.canonical == CHARNOISE_CANONICAL
    assert plain.search is None and none.search is None
    text = "The quick brown fox jumps over the lazy dog near the river bank."
    for seed in range(20):
        rng_a = plain.rng(seed, "x/1", "en", "premise")
        rng_b = none.rng(seed, "x/1", "en", "premise")
        assert plain.perturb(text, "en", rng_a) == none.perturb(text, "en", rng_b)
    adversarial = build_attack("charnoise:search=greedy")
    assert adversarial.canonical == CHARNOISE_CANONICAL.replace(
        ",skip_stopwords", ",search=greedy,skip_stopwords"
    )
    assert random.Random(adversarial.canonical).random() != random.Random(plain.canonical).random()


@pytest.mark.parametrize(
    "spec",
    [
        "charnoise:search=greedy,budget=50",
        "keyboard:search=beam,beam=2,protect=numbers+entities,max_changed=1.0",
        "wordsub:search=greedy,wir=mask,per_word=2",
        "codeswitch:search=beam,langs=de+hi,min_similarity=0.5",
    ],
)
def test_adversarial_canonical_spec_rebuilds_the_same_attack(spec: str) -> None:
    """`robustx check` and --resume rebuild attacks from the canonical spec stored in config.json."""
    attack = build_attack(spec)
    again = build_attack(attack.canonical)
    assert (again.canonical, again.params, again.search) == (attack.canonical, attack.params, attack.search)
