"""Building per-example record rows for one shard (clean + attacked pass)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from robustx.attacks.base import BoundAttack
from robustx.types import Example, Perturbed


def text_hash(fields: dict[str, str]) -> str:
    """Identity of an input: sha256 of its text fields as canonical JSON (first 32 hex digits)."""
    blob = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def perturb_examples(
    examples: Sequence[Example], text_fields: Sequence[str], attack: BoundAttack, seed: int
) -> list[dict[str, Perturbed]]:
    """Apply the attack to every text field with its own per-example RNG (one compiled batch where
    robustx._fast covers the attack: byte-identical outputs)."""
    fast = _perturb_fast(examples, text_fields, attack, seed)
    if fast is not None:
        return fast
    out = []
    for ex in examples:
        out.append(
            {
                f: attack.perturb(ex.fields[f], ex.lang, attack.rng(seed, ex.id, ex.lang, f))
                for f in text_fields
            }
        )
    return out


def _perturb_fast(
    examples: Sequence[Example], text_fields: Sequence[str], attack: BoundAttack, seed: int
) -> list[dict[str, Perturbed]] | None:
    from robustx._fast import perturb_many

    if getattr(attack.perturb, "fast_engine", None) is None:  # not a compiled attack: skip the batch
        return None
    fields = list(dict.fromkeys(text_fields))
    requests = [(ex.fields[f], ex.lang, ex.id, f) for ex in examples for f in fields]
    results = perturb_many(attack, seed, requests)
    if results is None:
        return None
    made = iter(results)
    return [{f: Perturbed(*next(made)) for f in fields} for _ in examples]


Predict = Callable[[list[str], list[str] | None], np.ndarray]


def classification_rows(
    examples: Sequence[Example],
    labels: Sequence[str],
    text_fields: Sequence[str],
    perturbed: Sequence[dict[str, Perturbed]],
    predict: Predict,
    on_phase: Callable[[str, int], None] = lambda phase, n: None,
) -> dict[str, list[Any]]:
    """Columns of the records table for a classification shard.

    Inputs that the attack left unchanged reuse the clean prediction (the same text must get the
    same answer); only changed inputs go through the attacked pass.
    """
    clean_cols = [[ex.fields[f] for ex in examples] for f in text_fields]
    probs_clean = predict(clean_cols[0], clean_cols[1] if len(clean_cols) > 1 else None)
    on_phase("clean", len(examples))
    changed = [i for i, p in enumerate(perturbed) if any(v.is_changed for v in p.values())]
    probs_att = probs_clean.copy()
    if changed:
        att_cols = [[perturbed[i][f].text for i in changed] for f in text_fields]
        probs_att[changed] = predict(att_cols[0], att_cols[1] if len(att_cols) > 1 else None)
    on_phase("attacked", len(examples))
    return _columns(examples, labels, text_fields, perturbed, probs_clean, probs_att)


def _columns(
    examples: Sequence[Example],
    labels: Sequence[str],
    text_fields: Sequence[str],
    perturbed: Sequence[dict[str, Perturbed]],
    probs_clean: np.ndarray,
    probs_att: np.ndarray,
) -> dict[str, list[Any]]:
    gold = np.array([labels.index(ex.label) for ex in examples], dtype=np.int64)
    pred_c, pred_a = probs_clean.argmax(axis=1), probs_att.argmax(axis=1)
    rows = np.arange(len(examples))
    cols: dict[str, list[Any]] = {
        "example_id": [ex.id for ex in examples],
        "lang": [ex.lang for ex in examples],
        "gold": [ex.label for ex in examples],
        "pred_clean": [labels[i] for i in pred_c],
        "pred_attacked": [labels[i] for i in pred_a],
        "correct_clean": (pred_c == gold).tolist(),
        "correct_attacked": (pred_a == gold).tolist(),
        "p_gold_clean": probs_clean[rows, gold].tolist(),
        "p_gold_attacked": probs_att[rows, gold].tolist(),
        "probs_clean": probs_clean.tolist(),
        "probs_attacked": probs_att.tolist(),
    }
    cols.update(_text_columns(examples, text_fields, perturbed))
    return cols


def _text_columns(
    examples: Sequence[Example], text_fields: Sequence[str], perturbed: Sequence[dict[str, Perturbed]]
) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "text_clean",
            "text_attacked",
            "changed_spans",
            "units",
            "units_changed",
            "changed_fraction",
            "queries",
            "status",
            "text_hash",
            "text_hash_attacked",
        )
    }
    for ex, pert in zip(examples, perturbed, strict=True):
        clean = {f: ex.fields[f] for f in text_fields}
        attacked = {f: pert[f].text for f in text_fields}
        units = sum(p.units for p in pert.values())
        units_changed = sum(p.units_changed for p in pert.values())
        cols["text_clean"].append(json.dumps(clean, ensure_ascii=False))
        cols["text_attacked"].append(json.dumps(attacked, ensure_ascii=False))
        cols["changed_spans"].append(json.dumps({f: [list(s) for s in pert[f].changed] for f in text_fields}))
        cols["units"].append(units)
        cols["units_changed"].append(units_changed)
        cols["changed_fraction"].append(units_changed / units if units else 0.0)
        cols["queries"].append(0)
        cols["status"].append("perturbed" if units_changed else "unchanged")
        cols["text_hash"].append(text_hash(clean))
        cols["text_hash_attacked"].append(text_hash(attacked))
    return cols


def to_table(columns: dict[str, list[Any]]) -> Any:
    import pyarrow as pa

    schema_overrides = {
        "p_gold_clean": pa.float32(),
        "p_gold_attacked": pa.float32(),
        "probs_clean": pa.list_(pa.float32()),
        "probs_attacked": pa.list_(pa.float32()),
        "changed_fraction": pa.float32(),
        "units": pa.int32(),
        "units_changed": pa.int32(),
        "queries": pa.int32(),
    }
    arrays = {k: pa.array(v, type=schema_overrides.get(k)) for k, v in columns.items()}
    return pa.table(arrays)
