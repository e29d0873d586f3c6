"""Rebuild reports/example/: RANDOM tiny models evaluated on real XTREME rows of every task family.

The models are untrained (random 2-layer XLM-R networks with a tokenizer fitted on XTREME dev text),
so their scores are about chance and their "drops" are noise: the example shows what the report
looks like on real runs, not how robust any real model is. Two classifiers run XNLI and, their head
ignored, Tatoeba and BUCC; a tagger runs UD-POS and PAN-X; a QA model runs XQuAD.

Usage (from the repo root): ``.venv/bin/python reports/example/build.py [--data ../shared/data/xtreme]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

LANGS = "en,de,el,ru,ar,hi,th,sw"
ATTACKS = ("none", "charnoise:rate=0.5", "keyboard:rate=0.5")
LIMIT = 200
HERE = Path(__file__).resolve().parent
# task -> (languages, extra evaluate options); attacks: none and charnoise:rate=0.5
FAMILY_RUNS = {
    "tatoeba": ("de,el,ru,ar,hi,th", ["--limit", "200"]),
    "bucc": ("zh", ["--split", "validation", "--limit", "300"]),
    "udpos": ("en,de,ar,hi,zh", ["--split", "validation", "--limit", "150"]),
    "panx": ("en,de,ar,hi,zh", ["--split", "validation", "--limit", "150"]),
    "xquad": ("en,de,ru,hi,zh", ["--limit", "40", "--max-length", "256"]),
}


def corpus(data: Path) -> list[str]:
    from robustx.tasks.readers import open_text, resolve_gz

    lines: list[str] = []
    for lang in LANGS.split(","):
        with open_text(resolve_gz(data / "xnli" / f"dev-{lang}.tsv")) as fh:
            for i, line in enumerate(fh):
                if i >= 300:
                    break
                lines += line.rstrip("\n").split("\t")[:2]
    return lines


def family_corpora(data: Path) -> tuple[list[str], list[str]]:
    """Text for the tagger's tokenizer (tagging sentences) and for the QA model's (questions, contexts)."""
    from robustx.tasks import DataSource, get_task, load_examples

    src = DataSource("dir", path=str(data))
    tagging: list[str] = []
    qa: list[str] = []
    for lang in ("en", "de", "ar", "hi", "zh"):
        for task in ("udpos", "panx"):
            rows = load_examples(get_task(task), src, lang, "validation", 100).examples
            tagging += [" ".join(e.fields["tokens"]) for e in rows]
    for lang in ("en", "de", "ru", "hi", "zh"):
        for e in load_examples(get_task("xquad"), src, lang, "test", 40).examples:
            qa += [e.fields["question"], e.fields["context"]]
    return tagging, qa


def evaluate(
    robustx: str,
    model: Path,
    task: str,
    data: Path,
    work: Path,
    langs: str,
    extra: list[str],
    attacks: tuple[str, ...],
) -> None:
    for attack in attacks:
        cmd = [robustx, "evaluate", "--model", str(model), "--task", task, "--data-dir", str(data)]
        cmd += ["--langs", langs, *extra, "--attack", attack, "--out", "runs", "--quiet"]
        subprocess.run(cmd, cwd=work, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    from robustx.models.tiny import build_tiny_classifier
    from robustx.models.tiny_heads import build_tiny_qa, build_tiny_tagger
    from robustx.tasks import get_task

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared" / "data" / "xtreme")
    args = parser.parse_args()
    robustx = str(Path(sys.executable).with_name("robustx"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        text = corpus(args.data)
        for seed in (0, 1):
            model = build_tiny_classifier(
                work / "models" / f"random-tiny-xlmr-seed{seed}",
                text,
                ("entailment", "neutral", "contradiction"),
                seed=seed,
            )
            evaluate(robustx, model, "xnli", args.data, work, LANGS, ["--limit", str(LIMIT)], ATTACKS)
            for task in ("tatoeba", "bucc"):  # any encoder retrieves: the classifier's head is ignored
                langs, extra = FAMILY_RUNS[task]
                evaluate(robustx, model, task, args.data, work, langs, extra, ATTACKS[:2])
        tagging, qa = family_corpora(args.data)
        heads = {  # a tagger's head must match the task's tag set: one per tagging task
            task: build_tiny_tagger(
                work / "models" / f"random-tiny-tagger-{task}", tagging, get_task(task).labels
            )
            for task in ("udpos", "panx")
        }
        heads["xquad"] = build_tiny_qa(work / "models" / "random-tiny-qa", qa)
        for task, model in heads.items():
            langs, extra = FAMILY_RUNS[task]
            evaluate(robustx, model, task, args.data, work, langs, extra, ATTACKS[:2])
        title = "Example leaderboard: RANDOM tiny models (untrained) on real XTREME rows of every task family"
        cmd = [robustx, "report", "runs", "--out", str(HERE), "--title", title, "--samples", "4"]
        subprocess.run(cmd, cwd=work, check=True)


if __name__ == "__main__":
    main()
