"""Shared fixtures: the real XTREME data beside the repo and a tiny model built in code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_data_root() -> Path | None:
    env = os.environ.get("ROBUSTX_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for root in candidates:
        xtreme = root / "xtreme" if (root / "xtreme").is_dir() else root
        if (xtreme / "xnli").is_dir():
            return xtreme
    return None


@pytest.fixture(scope="session")
def xtreme_dir() -> Path:
    root = shared_data_root()
    if root is None:
        pytest.skip("real XTREME data not found (../shared/data or $ROBUSTX_DATA)")
    return root


def read_tsv_column(path: Path, column: int, n: int) -> list[str]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            out.append(line.rstrip("\n").split("\t")[column])
            if len(out) >= n:
                break
    return out


@pytest.fixture(scope="session")
def tiny_xnli_model(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> Path:
    """A random 2-layer XLM-R classifier with entailment/neutral/contradiction labels."""
    from robustx.models.tiny import build_tiny_classifier
    from robustx.tasks.readers import resolve_gz

    corpus = []
    for lang in ("en", "de", "hi", "th", "zh", "ar", "ru", "sw"):
        path = resolve_gz(xtreme_dir / "xnli" / f"dev-{lang}.tsv")
        corpus += read_tsv_column(path, 0, 300) + read_tsv_column(path, 1, 300)
    out = tmp_path_factory.mktemp("models") / "tiny-xnli"
    return build_tiny_classifier(out, corpus, ("entailment", "neutral", "contradiction"), seed=0)
