"""`robustx quickstart --online` on local files: a tiny XLM-R stands in for xlm-roberta-base and a local
hub mirror (the real dataset ids, configs, splits and columns) for the hub, read by the same
``datasets.load_dataset`` calls the online run makes; and a clear one-line error where there is no hub."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from robustx.bundle import bundle_dir
from robustx.cli import app
from robustx.quickstart import ATTACKS

PANX_LANGS = ("de", "en", "zh")  # fewer than the bundle's: the run must take the mirror's languages
PANX_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")  # google/xtreme's ClassLabel order
TATOEBA_LANGS = {"de": "deu", "el": "ell"}
NLI_LABELS = ("entailment", "neutral", "contradiction")  # stanfordnlp/snli's ClassLabel order


def _write_mirror(root: Path, dataset: str, configs: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    """``root/<dataset id>/``: parquet files per config and split, and a README.md declaring the configs
    (the layout of tests/test_train.py's mirrors, which ``robustx train --hub-mirror`` reads)."""
    import pyarrow as pa

    repo = root / dataset
    entries = []
    for config, splits in configs.items():
        (repo / config).mkdir(parents=True, exist_ok=True)
        files = []
        for split, rows in splits.items():
            path = repo / config / f"{split}-00000-of-00001.parquet"
            if config.startswith("PAN-X."):  # the hub's ClassLabel names travel in the parquet metadata
                _panx_dataset(rows).to_parquet(str(path))
            else:
                pq.write_table(pa.Table.from_pylist(rows), path)
            files.append(f"  - split: {split}\n    path: {config}/{split}-*.parquet")
        entries.append(f"- config_name: {config}\n  data_files:\n" + "\n".join(files) + "\n")
    (repo / "README.md").write_text("---\nconfigs:\n" + "".join(entries) + "---\n", encoding="utf-8")


def _panx_dataset(rows: list[dict[str, Any]]) -> Any:
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    features = Features(
        {
            "tokens": Sequence(Value("string")),
            "ner_tags": Sequence(ClassLabel(names=list(PANX_TAGS))),
            "langs": Sequence(Value("string")),
        }
    )
    return Dataset.from_list(rows, features=features)


def _tsv(path: Path, n: int) -> list[list[str]]:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for _, line in zip(range(n), fh, strict=False)]


def _lines(path: Path, n: int) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [line.rstrip("\n") for _, line in zip(range(n), fh, strict=False)]


def _conll(path: Path, n: int) -> list[tuple[list[str], list[str]]]:
    """The first ``n`` sentences of a ``word<TAB>tag`` file (``X`` or ``X.gz``)."""
    if not path.is_file():
        path = path.with_name(path.name + ".gz")
    opener: Any = gzip.open if path.suffix == ".gz" else open
    sentences: list[tuple[list[str], list[str]]] = [([], [])]
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                if sentences[-1][0]:
                    if len(sentences) == n:
                        break
                    sentences.append(([], []))
                continue
            word, tag = line.rstrip("\n").split("\t")
            sentences[-1][0].append(word)
            sentences[-1][1].append(tag)
    return [s for s in sentences if s[0]]


def build_mirror(root: Path) -> list[str]:
    """Hub-schema mirrors of PAN-X (google/xtreme ``PAN-X.<lang>``: tokens, ner_tags as ClassLabel ids,
    langs), SNLI and Tatoeba, a few rows each, taken from the bundle; returns every sentence (the tiny
    tokenizer's corpus)."""
    bundle = bundle_dir()
    xtreme: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def panx_rows(sentences: list[tuple[list[str], list[str]]], lang: str) -> list[dict[str, Any]]:
        return [
            {"tokens": words, "ner_tags": [PANX_TAGS.index(t) for t in tags], "langs": [lang] * len(words)}
            for words, tags in sentences
        ]

    for lang in PANX_LANGS:
        xtreme[f"PAN-X.{lang}"] = {"test": panx_rows(_conll(bundle / "panx" / f"test-{lang}.tsv", 6), lang)}
    english = panx_rows(_conll(bundle / "panx" / "train-en.tsv", 28), "en")
    xtreme["PAN-X.en"].update(train=english[8:], validation=english[:8])
    for code in TATOEBA_LANGS.values():  # google/xtreme tatoeba.<xxx>: the hub calls test validation
        xx = _lines(bundle / "tatoeba" / f"tatoeba.{code}-eng.{code}", 5)
        en = _lines(bundle / "tatoeba" / f"tatoeba.{code}-eng.eng", 5)
        pairs = zip(xx, en, strict=True)
        xtreme[f"tatoeba.{code}"] = {
            "validation": [
                {"source_sentence": s, "target_sentence": t, "source_lang": code, "target_lang": "eng"}
                for s, t in pairs
            ]
        }
    _write_mirror(root, "google/xtreme", xtreme)
    with gzip.open(bundle / "english" / "snli_subset" / "snli_1.0_dev.jsonl.gz", "rt") as fh:
        snli_rows = [json.loads(line) for _, line in zip(range(30), fh, strict=False)]
    snli = [
        {
            "premise": r["sentence1"],
            "hypothesis": r["sentence2"],
            "label": NLI_LABELS.index(r["gold_label"]) if r["gold_label"] in NLI_LABELS else -1,
        }
        for r in snli_rows
    ]
    _write_mirror(root, "stanfordnlp/snli", {"plain_text": {"train": snli[8:], "validation": snli[:8]}})
    texts = [
        v if isinstance(v, str) else " ".join(map(str, v))
        for splits in xtreme.values()
        for rows in splits.values()
        for r in rows
        for v in r.values()
    ]
    texts += [r[k] for r in snli for k in ("premise", "hypothesis")]
    return [t for t in texts if isinstance(t, str) and len(t) > 3]


@pytest.fixture
def offline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTX_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # nothing may reach for the network (and retry) here
    # ... also where huggingface_hub / datasets were imported earlier in this process (they read the
    # variable at import time)
    import datasets.config
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.delenv("ROBUSTX_DICTS", raising=False)
    monkeypatch.delenv("ONLINE", raising=False)


@pytest.mark.slow
@pytest.mark.usefixtures("offline_env")
def test_online_quickstart_on_a_hub_mirror(tmp_path: Path) -> None:
    import torch

    from robustx.transfer.tiny import build_tiny_encoder

    torch.set_num_threads(1)  # tiny models: one thread is much faster than two busy ones
    mirror = tmp_path / "mirror"
    tiny = build_tiny_encoder(tmp_path / "tiny-xlmr", build_mirror(mirror), vocab_size=400)
    out, report = tmp_path / "runs", tmp_path / "report"
    args = ["quickstart", "--online", "--base", str(tiny), "--hub-mirror", str(mirror)]
    args += [
        "--out",
        str(out),
        "--report",
        str(report),
        "--steps",
        "2",
        "--limit",
        "3",
        "--freeze-layers",
        "1",
    ]
    args += ["--retrieval-limit", "3", "--quiet"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output

    runs = sorted(p.parent for p in out.rglob("metrics.json"))
    assert len(runs) == 4 * len(ATTACKS)  # 2 taggers on PAN-X + 2 encoders on Tatoeba
    cells, lineages = set(), {}
    for run in runs:
        config = json.loads((run / "config.json").read_text(encoding="utf-8"))
        name, task = Path(config["model"]).name, config["task"]
        cells.add((_role(name), task, config["attack"].split(":")[0]))
        wanted = set(PANX_LANGS) if task == "panx" else set(TATOEBA_LANGS)
        langs = pq.read_table(run / "records.parquet").column("lang").to_pylist()
        assert set(langs) == wanted and len(langs) == 3 * len(wanted), (run, langs)
        source = config["data"]["source"]
        assert source == {"kind": "hub", "path": str(mirror / "google" / "xtreme")}, source
        assert {h["path"] for h in config["data"]["hub"]} == {source["path"]}
        lineages[name] = config["lineage"]
    models = {("baseline", "panx"), ("stilts", "panx"), ("encoder", "tatoeba"), ("encoder+snli", "tatoeba")}
    assert cells == {(m, t, a.split(":")[0]) for m, t in models for a in ATTACKS}, cells

    stilts = next(v for k, v in lineages.items() if k.startswith("stilts-"))
    assert [p["task"] for p in stilts["intermediate"]] == ["snli"] and stilts["target"]["task"] == "panx"
    for phase in [*stilts["intermediate"], stilts["target"]]:
        data = phase["tasks"][0]["data"]
        assert data["kind"] == "hub" and data["path"].startswith(str(mirror)), data
    baseline = next(v for k, v in lineages.items() if k.startswith("baseline-"))
    assert baseline["intermediate"] == [] and lineages["tiny-xlmr"] is None

    board = json.loads((report / "leaderboard.json").read_text(encoding="utf-8"))
    assert len(board["rows"]) == 4
    assert "robustx quickstart: tiny-xlmr," in (report / "leaderboard.md").read_text(encoding="utf-8")
    assert "multilingual-e5-small" not in (report / "leaderboard.html").read_text(encoding="utf-8")
    summary = " ".join(first.output.split())  # rich wraps at the terminal width
    assert "What you are looking at" in summary and "PAN-X (entity F1) in 3 languages" in summary
    assert "Tatoeba retrieval (the encoders before and after SNLI) in 2 languages" in summary

    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    checkpoints = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.safetensors")}
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps  # nothing recomputed
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.safetensors")} == checkpoints


def _role(name: str) -> str:
    """Which of the quickstart's four models a run directory's model name is."""
    for prefix, role in (("baseline-panx-", "baseline"), ("stilts-panx-", "stilts")):
        if name.startswith(prefix):
            return role
    if name.startswith("tiny-xlmr+snli-"):
        return "encoder+snli"
    assert name == "tiny-xlmr", name  # the base itself, named after its directory
    return "encoder"


@pytest.mark.usefixtures("offline_env")
def test_online_quickstart_without_a_hub_fails_in_one_line(tmp_path: Path) -> None:
    args = ["quickstart", "--online", "--out", str(tmp_path / "runs"), "--report", str(tmp_path / "r")]
    result = CliRunner().invoke(app, [*args, "--steps", "1", "--quiet"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot load "), result.output
    assert "--hub-mirror" in lines[0] and "without --online" in lines[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.usefixtures("offline_env")
def test_hub_mirror_needs_online_and_a_directory(tmp_path: Path) -> None:
    def fail(*extra: str) -> str:
        result = CliRunner().invoke(app, ["quickstart", "--quiet", *extra])
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1, result.output
        return lines[0]

    assert "use it with --online" in fail("--hub-mirror", str(tmp_path))
    assert "not a directory" in fail("--online", "--hub-mirror", str(tmp_path / "nowhere"))
    (tmp_path / "google" / "xtreme").mkdir(parents=True)
    line = fail("--online", "--hub-mirror", str(tmp_path), "--out", str(tmp_path / "runs"))
    assert "cannot read the configs of" in line or "declares no panx config" in line
