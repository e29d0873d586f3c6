"""Tiny tagging, QA and encoder models trained on real shared-data text (helpers for the family tests)."""

from __future__ import annotations

from pathlib import Path

from robustx.tasks import DataSource, get_task, load_examples


def tagging_corpus(xtreme_dir: Path) -> list[str]:
    src = DataSource("dir", path=str(xtreme_dir))
    corpus: list[str] = []
    for lang in ("en", "de", "hi", "zh", "ar", "vi", "ja"):
        task = get_task("udpos" if lang == "vi" else "panx")
        rows = load_examples(task, src, lang, "validation", 150).examples
        corpus += [" ".join(e.fields["tokens"]) for e in rows]
    return corpus


def qa_corpus(xtreme_dir: Path) -> list[str]:
    src = DataSource("dir", path=str(xtreme_dir))
    corpus: list[str] = []
    for lang in ("en", "de", "zh", "ar", "th"):
        for e in load_examples(get_task("xquad"), src, lang, "test", 40).examples:
            corpus += [e.fields["question"], e.fields["context"]]
    return corpus


def cli_args(model: Path, task: str, data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "evaluate",
        "--model",
        str(model),
        "--task",
        task,
        "--data-dir",
        str(data),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def only_run(out: Path) -> Path:
    found = sorted(p.parent for p in out.rglob("metrics.json"))
    assert len(found) == 1, found
    return found[0]
