"""`robustx report`: every number is a recomputation from records.parquet, never metrics.json."""

from __future__ import annotations

import json
import math
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
from robustx.tasks import get_task
from tests.runfactory import outcomes, plant_drop, write_run

LANGS = ("en", "de", "hi", "th")
LINEAGE = {
    "base": "xlm-roberta-large",
    "intermediate": ["mnli", "squad"],
    "target": "xnli",
    "multitask": True,
    "seed": 3,
}


def report(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["report", *args])
    return result.exit_code, result.output


def corrupt_metrics(run: Path) -> None:
    """Overwrite every number of metrics.json: a report that read it would show 12.3 everywhere."""

    def walk(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        return 0.123 if isinstance(x, float) else x

    path = run / "metrics.json"
    path.write_text(json.dumps(walk(json.loads(path.read_text()))))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    base = outcomes(LANGS, 240, 0.72, 0.08, seed=1)
    worse = plant_drop(base, 0.15, seed=2)
    write_run(root, base, model="stilts-mnli", lineage=LINEAGE)
    write_run(root, base, model="stilts-mnli", attack="keyboard:rate=0.2")
    write_run(root, outcomes(("en", "de", "fr"), 200, 0.8, 0.05, seed=3), model="stilts-mnli", task="pawsx")
    write_run(root, worse, model="plain")
    write_run(root, outcomes(LANGS, 240, 0.72, 0.0, seed=1, recover=0.0), model="plain", attack="none")
    write_run(root, base, model="unfinished", metrics=False)
    write_run(root, base, model="tagger", task="udpos")  # an F1 task without per-sentence tp/fp/fn
    for run in root.rglob("metrics.json"):
        corrupt_metrics(run.parent)
    return root


@pytest.fixture(scope="module")
def built(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report")
    code, output = report(str(runs), "--out", str(out))
    assert code == 0, output
    return out, output


def recompute(run: Path) -> dict[str, Any]:
    """Per-language and overall numbers straight from the records, with reference implementations."""
    table = pq.read_table(run / "records.parquet").to_pydict()
    langs = np.array(table["lang"])
    clean = np.array(table["pred_clean"]) == np.array(table["gold"])
    attacked = np.array(table["pred_attacked"]) == np.array(table["gold"])
    ids = np.array(table["example_id"])
    config = json.loads((run / "config.json").read_text())
    out: dict[str, Any] = {"languages": {}}
    for lang in dict.fromkeys(langs.tolist()):
        m = langs == lang
        b = int(np.sum(clean[m] & ~attacked[m]))
        c = int(np.sum(~clean[m] & attacked[m]))
        ci = stats.paired_bootstrap_ci(clean[m], attacked[m], seed=config["seed"])
        out["languages"][lang] = {
            "clean": clean[m].mean(), "attacked": attacked[m].mean(), "ci": (ci.low, ci.high),
            "p": binomtest(b, b + c, 0.5).pvalue if b + c else 1.0,
        }  # fmt: skip
    cells = out["languages"].values()
    out["clean"] = np.mean([v["clean"] for v in cells])
    out["attacked"] = np.mean([v["attacked"] for v in cells])
    if get_task(config["task"]).parallel:  # sign-flip over example-id clusters, language-weighted
        d = (clean.astype(float) - attacked) / np.array([np.sum(langs == lang) for lang in langs])
        sums = np.array([d[ids == i].sum() for i in np.unique(ids)])
        sums = sums[np.abs(sums) > 1e-12]
        out["p"] = math.erfc(abs(sums.sum()) / math.sqrt(np.sum(sums**2)) / math.sqrt(2))
    else:
        b, c = int(np.sum(clean & ~attacked)), int(np.sum(~clean & attacked))
        out["p"] = binomtest(b, b + c, 0.5).pvalue
    return out


def test_report_numbers_equal_a_recomputation_from_records(runs: Path, built: tuple[Path, str]) -> None:
    out, _ = built
    board = json.loads((out / "leaderboard.json").read_text())
    reported = {
        (r["model"], cell["task"], cell["attack"]): cell
        for r in board["rows"]
        for cell in r["cells"].values()
    }
    assert set(reported) == {
        ("stilts-mnli", "xnli", "charnoise:rate=0.3"), ("stilts-mnli", "xnli", "keyboard:rate=0.2"),
        ("stilts-mnli", "pawsx", "charnoise:rate=0.3"), ("plain", "xnli", "charnoise:rate=0.3"),
    }  # fmt: skip
    expected = {key: recompute(Path(cell["run"])) for key, cell in reported.items()}
    for key, cell in reported.items():
        exp = expected[key]
        assert cell["overall"]["clean"] == pytest.approx(exp["clean"], abs=1e-12)
        assert cell["overall"]["attacked"] == pytest.approx(exp["attacked"], abs=1e-12)
        assert cell["overall"]["drop"] == pytest.approx(exp["clean"] - exp["attacked"], abs=1e-12)
        assert cell["overall"]["p"] == pytest.approx(exp["p"], rel=1e-9)
        for lang, got in cell["languages"].items():
            want = exp["languages"][lang]
            assert (got["clean"], got["attacked"]) == pytest.approx(
                (want["clean"], want["attacked"]), abs=1e-12
            )
            assert (got["ci_low"], got["ci_high"]) == pytest.approx(want["ci"], abs=1e-12)
            assert got["p"] == pytest.approx(want["p"], rel=1e-9)
    # Holm over the overall cells (primary), BH over every language cell (exploratory)
    keys = sorted(reported)
    holm = multipletests([expected[k]["p"] for k in keys], method="holm")[1]
    lang_keys = [(k, lang) for k in keys for lang in expected[k]["languages"]]
    bh = false_discovery_control([expected[k]["languages"][lang]["p"] for k, lang in lang_keys], method="bh")
    for k, want in zip(keys, holm, strict=True):
        assert reported[k]["overall"]["p_adjusted"] == pytest.approx(want, rel=1e-9)
    for (k, lang), want in zip(lang_keys, bh, strict=True):
        assert reported[k]["languages"][lang]["p_adjusted"] == pytest.approx(want, rel=1e-9)
    assert board["families"] == {"holm": 4, "bh": 4 * 3 + 3}


def test_aggregate_scores_are_xtreme_style(runs: Path, built: tuple[Path, str]) -> None:
    out, _ = built
    rows = {r["model"]: r for r in json.loads((out / "leaderboard.json").read_text())["rows"]}
    row = rows["stilts-mnli"]
    xnli = [row["cells"][k]["overall"]["attacked"] for k in row["cells"] if k.startswith("xnli|")]
    pawsx = [row["cells"][k]["overall"]["attacked"] for k in row["cells"] if k.startswith("pawsx|")]
    # language-averaged per task, attacks averaged within a task, then the mean over tasks
    assert row["robust_score"] == pytest.approx((np.mean(xnli) + np.mean(pawsx)) / 2, abs=1e-12)
    assert row["clean_score"] == pytest.approx(np.mean(list(row["clean"].values())), abs=1e-12)
    assert [r["model"] for r in json.loads((out / "leaderboard.json").read_text())["rows"]] == [
        "stilts-mnli",
        "plain",
    ]
    assert row["lineage"] == {
        "base": "xlm-roberta-large", "intermediate": "mnli + squad", "target": "xnli", "multitask": True, "seed": "3",
    }  # fmt: skip


def test_markdown_shows_the_recomputed_numbers_and_marks(built: tuple[Path, str]) -> None:
    out, _ = built
    text = (out / "leaderboard.md").read_text()
    board = json.loads((out / "leaderboard.json").read_text())
    plain = next(r for r in board["rows"] if r["model"] == "plain")
    o = plain["cells"]["xnli|charnoise:rate=0.3|seed=0"]["overall"]
    cell = f"{100 * o['attacked']:.1f} · drop {100 * o['drop']:.1f} [{100 * o['ci_low']:.1f}, {100 * o['ci_high']:.1f}] ★"
    assert cell in text  # a 15% planted flip rate on top of 8%: significant after Holm
    assert "mnli + squad (multi-task)" in text and "xlm-roberta-large" in text


def test_incomplete_and_disagreeing_runs_are_flagged_never_reported(built: tuple[Path, str]) -> None:
    out, output = built
    board = json.loads((out / "leaderboard.json").read_text())
    assert "unfinished" not in {r["model"] for r in board["rows"]}
    reasons = {Path(s["path"]).parts[-4]: s["reason"] for s in board["skipped"]}
    assert set(reasons) == {"unfinished", "tagger"} and "tagger" not in {r["model"] for r in board["rows"]}
    assert "incomplete" in reasons["unfinished"]
    assert "records lack tp_clean" in reasons["tagger"] and "seqeval F1 of udpos" in reasons["tagger"]
    assert "skipped" in output and "unfinished" in output
    for name in ("leaderboard.md", "leaderboard.html"):
        assert "unfinished" in (out / name).read_text()  # listed in the skipped section
    md = (out / "leaderboard.md").read_text()
    assert md.index("unfinished") > md.index("## Skipped runs")
    assert sum("metrics.json disagrees with records" in w for w in board["warnings"]) == 5  # tagger not read


def test_no_complete_run_is_a_one_line_error(tmp_path: Path) -> None:
    write_run(tmp_path / "runs", outcomes(("en",), 20, 0.7, 0.1, seed=0), metrics=False)
    code, output = report(str(tmp_path / "runs"), "--out", str(tmp_path / "out"))
    assert code == 2
    assert output.count("\n") == 1 and "no complete run directories" in output and "incomplete" in output
    code, output = report(str(tmp_path / "missing"), "--out", str(tmp_path / "out"))
    assert code == 2 and "does not exist" in output and output.count("\n") == 1


def test_lineage_of_robustx_train_and_plain_forms() -> None:
    from robustx.report.tables import lineage_of

    trained = {
        "schema": 1,
        "base": {"ref": "xlm-roberta-large", "hash": "sha256:ab"},
        "intermediate": [{"task": "mnli", "steps": 10}, {"task": "squad", "steps": 10}],
        "intermediate_tasks": ["mnli", "squad"],
        "multitask": True,
        "target": {"task": "pawsx"},
        "seed": 2,
    }
    got = lineage_of(trained)
    assert (got.base, got.intermediate_label, got.target, got.seed) == (
        "xlm-roberta-large", "mnli + squad (multi-task)", "pawsx", "2",
    )  # fmt: skip
    plain = lineage_of({"base": "mbert", "intermediate": [], "target": None, "multitask": False, "seed": 0})
    assert (plain.base, plain.intermediate_label, plain.target, plain.seed) == ("mbert", "—", "—", "0")
    assert lineage_of(None).base == "—"
