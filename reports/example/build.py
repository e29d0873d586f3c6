"""Rebuild reports/example/: two RANDOM tiny models evaluated on real XNLI test rows, then `robustx report`.

The models are untrained (random 2-layer XLM-R classifiers with a tokenizer fitted on XNLI dev text),
so their accuracy is about chance and their "drops" are noise: the example shows what the report
looks like on real runs, not how robust any real model is.

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


def main() -> None:
    from robustx.models.tiny import build_tiny_classifier

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
            for attack in ATTACKS:
                cmd = [
                    robustx,
                    "evaluate",
                    "--model",
                    str(model),
                    "--task",
                    "xnli",
                    "--data-dir",
                    str(args.data),
                ]
                cmd += [
                    "--langs",
                    LANGS,
                    "--limit",
                    str(LIMIT),
                    "--attack",
                    attack,
                    "--out",
                    "runs",
                    "--quiet",
                ]
                subprocess.run(cmd, cwd=work, check=True, stdout=subprocess.DEVNULL)
        title = "Example leaderboard: two RANDOM tiny models (untrained) on real XNLI test rows"
        cmd = [robustx, "report", "runs", "--out", str(HERE), "--title", title, "--samples", "3"]
        subprocess.run(cmd, cwd=work, check=True)


if __name__ == "__main__":
    main()
