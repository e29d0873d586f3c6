"""Shared helpers for the ``test_train*`` modules: a tiny encoder built in code, quick train runs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# Tiny models train ~30x faster on one thread than on two busy ones.
QUICK = {"max_steps": 2, "batch_size": 4, "dev_size": 8, "train_limit": 16, "threads": 1, "quiet": True}


def corpus(xtreme: Path) -> list[str]:
    """Real English (and some German/Hindi) text from the shared data for the tiny tokenizer."""
    lines: list[str] = []
    for lang in ("en", "de", "hi"):
        with open(xtreme / "xnli" / f"dev-{lang}.tsv", encoding="utf-8") as fh:
            lines += [line.split("\t")[0] for _, line in zip(range(400), fh, strict=False)]
    with open(xtreme / "english" / "siqa" / "socialIQa_v1.4_dev.jsonl", encoding="utf-8") as fh:
        lines += [json.loads(line)["context"] for _, line in zip(range(300), fh, strict=False)]
    with gzip.open(
        xtreme / "tydiqa" / "tydiqa-goldp-v1.1-train" / "tydiqa.goldp.en.train.json.gz", "rt"
    ) as fh:
        doc = json.load(fh)
    lines += [p["context"][:400] for a in doc["data"][:100] for p in a["paragraphs"]]
    return lines


def tiny_encoder(root: Path, xtreme: Path, dropout: float = 0.1) -> Path:
    from robustx.transfer.tiny import build_tiny_encoder

    return build_tiny_encoder(root, corpus(xtreme), vocab_size=600, dropout=dropout)


def run(base: Path, out: Path, xtreme: Path, **options: Any) -> Any:
    """One in-process ``robustx train`` with quick defaults; returns the TrainResult."""
    from robustx.commands.train import build_request
    from robustx.transfer.pipeline import train

    request = build_request({**QUICK, "base": str(base), "out": out, "data_dir": xtreme, **options})
    return train(request)


def weights(directory: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(directory / "model.safetensors"))


def conll(path: Path, sentences: int = 24) -> Path:
    """A small CCG-style tagging file (word<TAB>supertag, blank line between sentences)."""
    rows = [("The", "NP[nb]/N"), ("cat", "N"), ("sat", "S[dcl]\\NP"), (".", ".")]
    other = [("Dogs", "N"), ("bark", "S[dcl]\\NP")]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(sentences):
            for word, tag in rows if i % 2 else other:
                fh.write(f"{word}\t{tag}\n")
            fh.write("\n")
    return path
