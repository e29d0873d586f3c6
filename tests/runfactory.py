"""Run directories for report and gate tests, written with robustx's own record and store helpers.

Rows look like those of ``robustx evaluate`` on XNLI (ids shared across languages, three labels,
premise/hypothesis JSON text, changed spans into the attacked text); the outcomes are synthetic and
chosen by the test, so a test knows the true drop it planted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robustx.records import text_hash, to_table
from robustx.store import atomic_write_json, atomic_write_table, run_dir

LABELS = ("entailment", "neutral", "contradiction")


@dataclass(frozen=True)
class Outcomes:
    """Per-row correctness, rows ordered language by language (each language: ids 0..n-1)."""

    langs: tuple[str, ...]
    n: int
    clean: np.ndarray
    attacked: np.ndarray


def outcomes(
    langs: Sequence[str], n: int, clean_acc: float, flip: float, seed: int, recover: float = 0.02
) -> Outcomes:
    """Correct clean with ``clean_acc``; a correct row turns wrong under attack with ``flip``, a wrong
    one turns right with ``recover`` (so both discordant kinds occur, as in real runs)."""
    rng = np.random.default_rng(seed)
    size = len(langs) * n
    clean = rng.random(size) < clean_acc
    u = rng.random(size)
    attacked = np.where(clean, u >= flip, u < recover)
    return Outcomes(tuple(langs), n, clean, attacked)


def plant_drop(base: Outcomes, extra: float, seed: int, langs: Sequence[str] | None = None) -> Outcomes:
    """The same outcomes with a further ``extra`` fraction of attacked-correct rows flipped to wrong."""
    rng = np.random.default_rng(seed)
    attacked = base.attacked.copy()
    row_langs = np.repeat(np.array(base.langs), base.n)
    chosen = np.isin(row_langs, list(langs or base.langs))
    attacked[chosen & attacked & (rng.random(attacked.shape[0]) < extra)] = False
    return Outcomes(base.langs, base.n, base.clean.copy(), attacked)


def _texts(lang: str, i: int, special: str) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    premise = f"{special}The committee met in {lang} city number {i} & agreed."
    hypothesis = f'They said "yes" to plan {i}.'
    # the attack swapped two characters of the word "committee" (offsets into the attacked text)
    start = premise.index("committee")
    attacked_premise = premise[:start] + "comimttee" + premise[start + 9 :]
    clean = {"premise": premise, "hypothesis": hypothesis}
    attacked = {"premise": attacked_premise, "hypothesis": hypothesis}
    spans = {"premise": [[start + 3, start + 5]], "hypothesis": []}
    return clean, attacked, spans


def columns(data: Outcomes, task: str, seed: int, special: str = "") -> dict[str, list[Any]]:
    """The records table columns of ``robustx evaluate`` for the given outcomes."""
    rng = np.random.default_rng(seed + 7)
    cols: dict[str, list[Any]] = {k: [] for k in _COLUMN_NAMES}
    for row, (lang, i) in enumerate((lang, i) for lang in data.langs for i in range(data.n)):
        gold = int(rng.integers(0, 3))
        probs = []
        for correct in (data.clean[row], data.attacked[row]):
            pred = gold if correct else (gold + 1 + int(rng.integers(0, 2))) % 3
            p = np.full(3, 0.1)
            p[pred] = 0.8
            probs.append((pred, p))
        clean, attacked, spans = _texts(lang, i, special)
        cols["example_id"].append(f"{task}/test/{i:06d}")
        cols["lang"].append(lang)
        cols["gold"].append(LABELS[gold])
        for suffix, (pred, p) in zip(("clean", "attacked"), probs, strict=True):
            cols[f"pred_{suffix}"].append(LABELS[pred])
            cols[f"correct_{suffix}"].append(pred == gold)
            cols[f"p_gold_{suffix}"].append(float(p[gold]))
            cols[f"probs_{suffix}"].append(p.tolist())
        cols["text_clean"].append(json.dumps(clean, ensure_ascii=False))
        cols["text_attacked"].append(json.dumps(attacked, ensure_ascii=False))
        cols["changed_spans"].append(json.dumps(spans))
        cols["units"].append(20)
        cols["units_changed"].append(1)
        cols["changed_fraction"].append(0.05)
        cols["queries"].append(0)
        cols["status"].append("perturbed")
        cols["text_hash"].append(text_hash(clean))
        cols["text_hash_attacked"].append(text_hash(attacked))
    return cols


_COLUMN_NAMES = (
    "example_id", "lang", "gold", "pred_clean", "pred_attacked", "correct_clean", "correct_attacked",
    "p_gold_clean", "p_gold_attacked", "probs_clean", "probs_attacked", "text_clean", "text_attacked",
    "changed_spans", "units", "units_changed", "changed_fraction", "queries", "status", "text_hash",
    "text_hash_attacked",
)  # fmt: skip


def write_run(
    out: Path,
    data: Outcomes,
    *,
    model: str = "model-a",
    task: str = "xnli",
    attack: str = "charnoise:rate=0.3",
    seed: int = 0,
    lineage: Mapping[str, Any] | None = None,
    special: str = "",
    metrics: bool = True,
    model_hash: str | None = None,
) -> Path:
    """Write config.json, records.parquet and (unless ``metrics=False``) metrics.json like evaluate."""
    from robustx.metrics import classification_metrics
    from robustx.tasks import get_task

    root = run_dir(out, model, task, attack, seed)
    config = {
        "model": model,
        "model_hash": model_hash or f"sha256:{text_hash({'model': model})}",
        "lineage": dict(lineage) if lineage else None,
        "task": task,
        "split": "test",
        "languages": list(data.langs),
        "limit": data.n,
        "attack": attack,
        "seed": seed,
    }
    atomic_write_json(root / "config.json", config)
    table = to_table(columns(data, task, seed, special))
    atomic_write_table(root / "records.parquet", table)
    if metrics:
        computed = classification_metrics(table, parallel=get_task(task).parallel, seed=seed)
        atomic_write_json(root / "metrics.json", {"task": task, "attack": attack, "model": model, **computed})
    return root
