"""benchmarks/perturb_throughput.py in quick mode, and the integrity checker it relies on.

The checker is tested on hand-made bad outputs of the kinds the peers produce (nlpaug's ``Don ' t``
rewrite, a moved full stop, a Devanagari vowel sign moved to another consonant, a Thai mark moved) and on
clean edits it must accept, so a 0 for robustx means something. Peer runs are skipped, saying why, when
their venv is absent (``bash benchmarks/setup_peers.sh`` creates them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
SCRIPT = BENCH / "perturb_throughput.py"
sys.path.insert(0, str(BENCH))

from perturb_integrity import broken_clusters, check, untouched_problem  # noqa: E402
from perturb_peers import PEERS, PeerSpec, missing  # noqa: E402
from perturb_report import write_readme_section  # noqa: E402

ROBUSTX_ATTACKS = ("keyboard", "charswap", "charnoise")
QUICK_LANGS = ("en", "de", "ru", "ar", "hi", "th", "zh")


def _run(tmp: Path, tools: str, xtreme_dir: Path, *extra: str) -> dict[str, Any]:
    out = tmp / "perturb_throughput.json"
    cmd = [sys.executable, str(SCRIPT), "--quick", "--tools", tools, "--data", str(xtreme_dir)]
    cmd += ["--out", str(out), "--readme", str(tmp / "README.md"), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> tuple[dict[str, Any], Path]:
    tmp = tmp_path_factory.mktemp("perturb-bench")
    return _run(tmp, "robustx", xtreme_dir), tmp


def _skip_without(tool: str) -> None:
    absent = missing(PEERS[tool])
    if absent is not None:
        pytest.skip(f"{tool} venv {absent['venv']} not installed: {absent['install']}")


# ------------------------------------------------------------------------------------------ the driver


def test_quick_run_times_every_robustx_mode_on_the_requested_sentences(
    quick: tuple[dict[str, Any], Path],
) -> None:
    result, _ = quick
    assert result["benchmark"] == "perturb_throughput" and result["quick"] is True
    sets = result["data"]["sets"]
    assert sets["swap"] == {"sentences": 35, "per_lang": dict.fromkeys(QUICK_LANGS, 5)}
    assert sets["keyboard"]["sentences"] == 35 and "zh" not in sets["keyboard"]["per_lang"]
    attacks = result["results"]["robustx"]["attacks"]
    assert set(attacks) == set(ROBUSTX_ATTACKS)
    for name, row in attacks.items():
        assert row["spec"].startswith(f"{name}:") and "rate=0.3" in row["spec"]
        assert set(row["modes"]) == {"library", "stream", "stream_python", "cli"}
        assert (
            len(row["modes"]["library"]["seconds_all"]) == 2 and len(row["modes"]["cli"]["seconds_all"]) == 1
        )
        assert row["sentences_per_s"] == row["modes"]["stream"]["sentences_per_s"] > 0
        assert set(row["per_lang_sentences_per_s"]) == set(row["sentences_per_lang"])
        assert row["modes_identical_outputs"] is True


def test_robustx_never_alters_untouched_text_or_breaks_clusters(quick: tuple[dict[str, Any], Path]) -> None:
    for name, row in quick[0]["results"]["robustx"]["attacks"].items():
        integrity = row["integrity"]
        assert integrity["changed"] > 0.5, name  # it did perturb: the zeros below are not vacuous
        assert integrity["altered_untouched"] == 0.0 and integrity["broken_cluster"] == 0.0, integrity[
            "examples"
        ]
        assert all(
            f["altered_untouched"] == f["broken_cluster"] == 0.0 for f in integrity["per_lang"].values()
        )


def test_comparisons_say_why_a_peer_was_not_measured(quick: tuple[dict[str, Any], Path]) -> None:
    rows = quick[0]["comparisons"]
    assert {(r["robustx"], r["peer"]) for r in rows} >= {("keyboard", "nlpaug"), ("charswap", "textattack")}
    assert all(r["ratio"] is None and r["note"].endswith("not run") for r in rows)


def test_readme_section_written(quick: tuple[dict[str, Any], Path]) -> None:
    text = (quick[1] / "README.md").read_text(encoding="utf-8")
    assert text.count("## perturb_throughput") == 1
    assert "| robustx | charswap | 35 |" in text


def test_missing_peer_venv_is_reported_with_the_command_to_create_it(tmp_path: Path) -> None:
    record = missing(PeerSpec("nlpaug", tmp_path / "no-venv", ("keyboard",)))
    assert record == {
        "status": "not installed",
        "venv": str(tmp_path / "no-venv"),
        "install": "bash benchmarks/setup_peers.sh nlpaug",
    }


def test_readme_update_replaces_only_its_own_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Benchmarks\n\n## eval_throughput\n\nkeep me\n\n## perturb_throughput\n\nold\n\n## zzz\n\ntail\n"
    )
    write_readme_section(readme, "## perturb_throughput\n\nnew table\n")
    assert readme.read_text() == (
        "# Benchmarks\n\n## eval_throughput\n\nkeep me\n\n## perturb_throughput\n\nnew table\n\n## zzz\n\ntail\n"
    )


def test_rejects_bad_arguments(tmp_path: Path, xtreme_dir: Path) -> None:
    base = [sys.executable, str(SCRIPT), "--data", str(xtreme_dir), "--out", str(tmp_path / "x.json")]
    for bad in (["--n", "0"], ["--rate", "1.5"], ["--tools", "robustx,spacy"]):
        proc = subprocess.run([*base, *bad], capture_output=True, text=True, timeout=60, cwd=REPO)
        assert proc.returncode == 2, bad
    assert not (tmp_path / "x.json").exists()


# ------------------------------------------------------------------------------------------ the peers


def test_nlpaug_runs_side_by_side_and_is_caught_rewriting_text(tmp_path: Path, xtreme_dir: Path) -> None:
    _skip_without("nlpaug")
    result = _run(tmp_path, "robustx,nlpaug", xtreme_dir)
    entry = result["results"]["nlpaug"]
    assert entry["status"] == "ok" and entry["versions"]["nlpaug"] == "1.1.11"
    swap = entry["attacks"]["charswap"]
    assert (
        swap["sentences_per_lang"]
        == result["results"]["robustx"]["attacks"]["charswap"]["sentences_per_lang"]
    )
    # Code-point swaps inside whitespace tokens move punctuation and split Indic/Thai clusters.
    assert swap["integrity"]["altered_untouched"] > 0 and swap["integrity"]["broken_cluster"] > 0
    keyboard = entry["attacks"]["keyboard"]
    assert keyboard["configuration"]["layout_per_lang"]["de"] == "de"
    assert keyboard["configuration"]["layout_per_lang"]["hi"] == "en"  # nlpaug ships no Hindi layout
    rows = {(r["robustx"], r["peer"]): r for r in result["comparisons"]}
    row = rows[("charswap", "nlpaug")]
    assert row["same_sentences"] is True and row["ratio"] > 0 and row["met"] == (row["ratio"] >= 20)


@pytest.mark.slow
def test_textattack_runs_side_by_side(tmp_path: Path, xtreme_dir: Path) -> None:
    _skip_without("textattack")
    result = _run(tmp_path, "robustx,textattack", xtreme_dir)
    entry = result["results"]["textattack"]
    assert entry["status"] == "ok", entry.get("error")
    assert entry["versions"]["textattack"] == "0.3.11" and entry["versions"]["transformers"].startswith("4.")
    swap = entry["attacks"]["charswap"]
    assert swap["sentences"] == 35 and swap["integrity"]["changed"] > 0.5
    row = {(r["robustx"], r["peer"]): r for r in result["comparisons"]}[("charnoise", "textattack")]
    assert row["ratio"] > 1


# ------------------------------------------------------------------------------------------ the checker


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        ("Don't stop.", "Don ' t stop .", "whitespace"),  # nlpaug's default tokenizer
        ("a  b c", "a b c", "whitespace"),  # whitespace tokenizer + " ".join
        (" lead", "lead", "whitespace"),  # augment() strips its input
        ("talking to him again.", "talking to him agai.n", "punctuation"),  # swap inside "again."
        ("Well, I was", "Wel,l I was", "punctuation"),
        ("北京，上海", "北京上海，", "punctuation"),
    ],
)
def test_checker_flags_altered_untouched_text(before: str, after: str, reason: str) -> None:
    assert untouched_problem(before, after) == reason


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Don't stop.", "Dnot stop."),
        ("I don't know", "I dont' know"),  # the apostrophe is inside the word "don't"
        ("Hello, world", "Hlelo, wrold"),
        ("3.14 is pi", "31.4 is pi"),
        ("我们今天去北京", "我们今天去京北"),
    ],
)
def test_checker_accepts_edits_inside_words(before: str, after: str) -> None:
    assert untouched_problem(before, after) is None


@pytest.mark.parametrize(
    ("before", "after", "broken"),
    [
        ("किताब पढ़ो", "कतािब पढ़ो", ["ताि"]),  # vowel sign ि moved from क to ता
        ("किताब", "xिताब", ["xि"]),  # Devanagari vowel sign on a Latin letter
        ("किताब", "ि", ["ि"]),  # a mark left without its base
        ("ฉันไม่ได้คุย", "ฉันไม่ไดุ้คย", ["ดุ้"]),  # Thai vowel mark moved onto another consonant
        ("हिन्दी", "हनि्दी", ["नि्दी"]),  # vowel sign moved inside the conjunct
    ],
)
def test_checker_flags_broken_clusters(before: str, after: str, broken: list[str]) -> None:
    assert broken_clusters(before, after) == broken


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("किताब पढ़ो", "खिताब पढ़ो"),  # another consonant key under the same vowel sign
        ("किताब पढ़ो", "कीताब पढ़ो"),  # another vowel-sign key
        ("किताब पढ़ो", "ताकिब पढ़ो"),  # two whole clusters swapped
        ("किताब पढ़ो", "कताब पढ़ो"),  # a vowel sign dropped: a well-formed cluster remains
        ("Straße", "Stra0ße"),
    ],
)
def test_checker_accepts_whole_cluster_edits(before: str, after: str) -> None:
    assert broken_clusters(before, after) == []


def test_checker_passes_robustx_outputs_over_many_seeds() -> None:
    """The library path, seed by seed, on sentences with conjuncts, Thai marks and Arabic harakat."""
    import random

    from robustx.attacks import build_attack

    samples = {
        "hi": "उन्होंने हिन्दी भाषा में किताबें लिखीं, और क्षमा माँगी।",
        "th": "ฉันไม่ได้คุยกับเขาอีกเลย แต่ก็ผิดหวัง",
        "ar": "وَقَالَ إِنَّهُ سَيَأْتِي غَدًا، إن شاء الله.",
        "en": "Don't stop believing, said the 3 old men (in 1984).",
    }
    for spec in ("keyboard:rate=0.5", "charswap:rate=0.5", "charnoise:rate=0.5"):
        attack = build_attack(spec)
        for lang, text in samples.items():
            for seed in range(100):
                out = attack.perturb(text, lang, random.Random(seed)).text
                verdict = check(text, out)
                assert verdict.untouched is None and verdict.broken == (), (spec, lang, seed, out)
