"""Tiny checkpoints and grid files for the grid tests (2 models per task, built in code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.conftest import read_tsv_column

TASK_LABELS = {"xnli": ("entailment", "neutral", "contradiction"), "pawsx": ("0", "1")}
LANGS = ("de", "zh")


def corpus(xtreme: Path) -> list[str]:
    from robustx.tasks.readers import resolve_gz

    out: list[str] = []
    for lang in ("en", *LANGS):
        for folder in ("xnli", "pawsx"):
            path = resolve_gz(xtreme / folder / f"dev-{lang}.tsv")
            column = (0, 1) if folder == "xnli" else (1, 2)
            out += read_tsv_column(path, column[0], 120) + read_tsv_column(path, column[1], 120)
    return out


def build_models(root: Path, xtreme: Path) -> Path:
    """root/tiny-a-xnli, tiny-b-xnli, tiny-a-pawsx, tiny-b-pawsx (different random weights)."""
    from robustx.models.tiny import build_tiny_classifier

    text = corpus(xtreme)
    for seed, name in enumerate(("a", "b")):
        for task, labels in TASK_LABELS.items():
            build_tiny_classifier(root / f"tiny-{name}-{task}", text, labels, seed=seed, vocab_size=3000)
    return root


def write_grid(path: Path, models: Path, xtreme: Path, out: Path, **run: Any) -> Path:
    """The test grid: 2 models x xnli, pawsx x de, zh x none, charnoise; 3 shards per language."""
    settings = {"shard_size": 8, "batch_size": 4, "threads": 1, **run}
    lines = [
        "[grid]",
        f'models = ["{models}/tiny-a-{{task}}", "{models}/tiny-b-{{task}}"]',
        'tasks = ["xnli", "pawsx"]',
        f"langs = {list(LANGS)!r}".replace("'", '"'),
        'attacks = ["none", "charnoise:rate=0.3"]',
        "seeds = [0]",
        f'out = "{out}"',
        f'data_dir = "{xtreme}"',
        'split = "validation"',
        "limit = 20",
        "",
        "[run]",
        *(f"{k} = {_toml(v)}" for k, v in settings.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def run_records(out: Path) -> dict[str, Any]:
    """Every finished run under ``out``: relative dir -> its records as a Python dict of columns."""
    return {
        str(p.parent.relative_to(out)): pq.read_table(p).to_pydict()
        for p in sorted(out.rglob("records.parquet"))
    }


def snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime_ns) of every file under ``roots`` (to show a re-run writes nothing)."""
    out = {}
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file():
                st = p.stat()
                out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


def shared_models(factory: pytest.TempPathFactory, xtreme: Path) -> Path:
    """Four tiny checkpoints tiny-{a,b}-{xnli,pawsx}, built once per test session."""
    root = factory.getbasetemp() / "grid-models"
    if not (root / "tiny-b-pawsx" / "config.json").is_file():
        build_models(root, xtreme)
    return root


def cli(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from robustx.cli import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output
