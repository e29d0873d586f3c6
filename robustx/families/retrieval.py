"""Sentence retrieval (Tatoeba) and bitext mining (BUCC) with an encoder; only the non-English side is attacked.

The English pool is encoded once per language and never perturbed. Queries (Tatoeba) or source
sentences (BUCC) are perturbed each with their own RNG; unchanged ones keep their clean embedding.
Tatoeba records each query's prediction, hit and gold rank. BUCC mines the whole language at once
(margin scores and the greedy 1:1 extraction depend on every sentence: the loop gives this family
one shard per language), applies the threshold chosen on the clean dev mining, and records per
source sentence its extracted pair and tp/fp/fn, from which corpus F1 and its bootstrap follow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from robustx.attacks.base import BoundAttack
from robustx.errors import DataError
from robustx.families import FAMILIES, OnPhase, VictimOptions
from robustx.tasks.spec import TaskSpec
from robustx.types import Example, Perturbed


class RetrievalFamily:
    def load_victim(self, task: TaskSpec, options: VictimOptions) -> Any:
        from robustx.models.encoder import load_encoder

        return load_encoder(
            options.model,
            task.options.get("layer", "auto"),
            options.device,
            options.batch_size,
            options.max_length,
            options.bf16,
        )

    def shard_columns(
        self,
        task: TaskSpec,
        examples: Sequence[Example],
        attack: BoundAttack,
        seed: int,
        victim: Any,
        on_phase: OnPhase,
    ) -> dict[str, list[Any]]:
        perturbed = [
            attack.perturb(ex.fields["text"], ex.lang, attack.rng(seed, ex.id, ex.lang, "text"))
            for ex in examples
        ]
        on_phase("perturbing", len(examples))
        pool = _shared(examples, "pool")
        targets = victim.encode(pool.texts)
        clean = victim.encode([ex.fields["text"] for ex in examples])
        on_phase("clean", len(examples))
        attacked = clean.copy()
        changed = [i for i, p in enumerate(perturbed) if p.is_changed]
        if changed:
            attacked[changed] = victim.encode([perturbed[i].text for i in changed])
        k = int(task.options.get("k", 4))
        scoring = str(task.options.get("scoring", "cosine"))
        if "set" in examples[0].meta:
            cols = _bucc_columns(examples, victim, targets, clean, attacked, k)
        else:
            cols = _search_columns(examples, pool, targets, clean, attacked, scoring, k)
        on_phase("attacked", len(examples))
        return cols | _text_columns(examples, perturbed)

    def metrics(self, task: TaskSpec, table: Any, seed: int) -> dict[str, Any]:
        from robustx.scoring.cells import column, f1_metrics, score_metrics

        if "threshold" in table.column_names:
            out = f1_metrics(table, seed=seed, metric="bucc_f1")
            langs, thresholds = column(table, "lang"), column(table, "threshold", float)
            for lang, cell in out["languages"].items():
                value = float(thresholds[langs == lang][0])
                cell["threshold"] = value if np.isfinite(value) else None  # inf: nothing extracted
            return out | {"scoring": "ratio margin", "k": int(task.options.get("k", 4))}
        out = score_metrics(
            table,
            "correct_clean",
            "correct_attacked",
            binary=True,
            parallel=False,
            seed=seed,
            metric="accuracy",
        )
        return out | {"scoring": str(task.options.get("scoring", "cosine"))}


def _shared(examples: Sequence[Example], key: str) -> Any:
    value = examples[0].meta.get(key)
    if value is None or any(ex.meta.get(key) is not value for ex in examples):
        raise DataError(
            f"retrieval examples of {examples[0].lang} do not share one {key} (built by another loader?)"
        )
    return value


def _search_columns(
    examples: Sequence[Example],
    pool: Any,
    targets: np.ndarray,
    clean: np.ndarray,
    attacked: np.ndarray,
    scoring: str,
    k: int,
) -> dict[str, list[Any]]:
    from robustx.scoring.mining import Scoring, search

    gold = np.array([int(ex.label) for ex in examples], dtype=np.int64)
    mode = cast(Scoring, scoring)
    res_c, res_a = search(clean, targets, gold, mode, k), search(attacked, targets, gold, mode, k)
    return {
        "example_id": [ex.id for ex in examples],
        "lang": [ex.lang for ex in examples],
        "gold": [pool.ids[g] for g in gold],
        "pred_clean": [pool.ids[p] for p in res_c.pred],
        "pred_attacked": [pool.ids[p] for p in res_a.pred],
        "correct_clean": (res_c.pred == gold).tolist(),
        "correct_attacked": (res_a.pred == gold).tolist(),
        "score_clean": res_c.score.tolist(),
        "score_attacked": res_a.score.tolist(),
        "gold_rank_clean": res_c.gold_rank.tolist(),
        "gold_rank_attacked": res_a.gold_rank.tolist(),
    }


def _threshold(examples: Sequence[Example], victim: Any, k: int, mined: Any, mining: Any) -> float:
    """Clean-dev threshold: on the dev set riding along (test split) or on this set itself."""
    from robustx.scoring.mining import best_threshold, mine

    dev = examples[0].meta.get("dev")
    if dev is not None:
        mined = mine(victim.encode(dev.texts), victim.encode(dev.pool.texts), k)
        mining = dev
    correct = np.array([t >= 0 and t in g for t, g in zip(mined.target, mining.gold, strict=True)])
    return best_threshold(mined.score, correct, sum(len(g) for g in mining.gold))


def _bucc_columns(
    examples: Sequence[Example],
    victim: Any,
    targets: np.ndarray,
    clean: np.ndarray,
    attacked: np.ndarray,
    k: int,
) -> dict[str, list[Any]]:
    from robustx.scoring.mining import mine

    mining = _shared(examples, "set")
    if len(examples) != len(mining.ids):
        raise DataError(f"bucc {examples[0].lang}: mining needs every source sentence in one shard")
    mined_c, mined_a = mine(clean, targets, k), mine(attacked, targets, k)
    threshold = _threshold(examples, victim, k, mined_c, mining)
    cols: dict[str, list[Any]] = {
        "example_id": [ex.id for ex in examples],
        "lang": [ex.lang for ex in examples],
    }
    cols["gold"] = [[mining.pool.ids[g] for g in ex.label] for ex in examples]
    for name, mined in (("clean", mined_c), ("attacked", mined_a)):
        keep = (mined.target >= 0) & (np.nan_to_num(mined.score, nan=-np.inf) >= threshold)
        hits = [
            bool(kept) and int(t) in ex.label
            for kept, t, ex in zip(keep, mined.target, examples, strict=True)
        ]
        cols[f"pred_{name}"] = [
            mining.pool.ids[t] if kept else "" for kept, t in zip(keep, mined.target, strict=True)
        ]
        cols[f"score_{name}"] = [None if np.isnan(s) else float(s) for s in mined.score]
        cols[f"tp_{name}"] = [int(h) for h in hits]
        cols[f"fp_{name}"] = [int(bool(kept) and not h) for kept, h in zip(keep, hits, strict=True)]
        cols[f"fn_{name}"] = [len(ex.label) - int(h) for ex, h in zip(examples, hits, strict=True)]
    cols["threshold"] = [threshold] * len(examples)
    return cols


def _text_columns(examples: Sequence[Example], perturbed: Sequence[Perturbed]) -> dict[str, list[Any]]:
    from robustx.records import text_hash

    cols: dict[str, list[Any]] = {k: [] for k in ("text_clean", "text_attacked", "changed_spans", "units", "units_changed", "changed_fraction", "queries", "status", "text_hash", "text_hash_attacked")}  # fmt: skip
    for ex, p in zip(examples, perturbed, strict=True):
        clean, att = {"text": ex.fields["text"]}, {"text": p.text}
        cols["text_clean"].append(json.dumps(clean, ensure_ascii=False))
        cols["text_attacked"].append(json.dumps(att, ensure_ascii=False))
        cols["changed_spans"].append(json.dumps({"text": [list(s) for s in p.changed]}))
        cols["units"].append(p.units)
        cols["units_changed"].append(p.units_changed)
        cols["changed_fraction"].append(p.units_changed / p.units if p.units else 0.0)
        cols["queries"].append(0)
        cols["status"].append("perturbed" if p.units_changed else "unchanged")
        cols["text_hash"].append(text_hash(clean))
        cols["text_hash_attacked"].append(text_hash(att))
    return cols


FAMILIES.add("retrieval", RetrievalFamily())
