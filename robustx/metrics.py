"""Per-language and overall metrics recomputed from stored records (never only printed)."""

from __future__ import annotations

from typing import Any

import numpy as np

BOOTSTRAP_RESAMPLES = 10_000
LEVEL = 0.95


def classification_metrics(table: Any, parallel: bool, seed: int = 0) -> dict[str, Any]:
    """Accuracy clean/attacked, drop, exact McNemar p and paired-bootstrap CI per language and overall.

    Accuracies and drops are fractions (0-1). The overall row averages languages (XTREME style);
    its CI resamples example ids with all their language versions together when the set is
    parallel (cluster bootstrap), otherwise resamples within each language.
    """
    from robustx import stats

    langs = np.asarray(table.column("lang").to_numpy(zero_copy_only=False))
    clean = np.asarray(table.column("correct_clean").to_numpy(zero_copy_only=False), dtype=bool)
    attacked = np.asarray(table.column("correct_attacked").to_numpy(zero_copy_only=False), dtype=bool)
    changed = np.asarray(table.column("changed_fraction").to_numpy(zero_copy_only=False), dtype=float)
    ids = np.asarray(table.column("example_id").to_numpy(zero_copy_only=False))
    status, queries = _column(table, "status"), _column(table, "queries")
    per_lang: dict[str, Any] = {}
    for lang in dict.fromkeys(langs.tolist()):
        mask = langs == lang
        per_lang[lang] = _cell(stats, clean[mask], attacked[mask], seed) | {
            "changed_fraction": float(changed[mask].mean())
        }
        if status is not None:
            per_lang[lang] |= adversarial_cell(status[mask], queries[mask] if queries is not None else None)
    b, c = stats.discordant_counts(clean, attacked)
    if parallel and len(per_lang) > 1:
        ci = stats.cluster_bootstrap_ci(
            clean, attacked, ids, strata=langs, n_resamples=BOOTSTRAP_RESAMPLES, level=LEVEL, seed=seed
        )
        method = "cluster"
    else:
        ci = stats.stratified_bootstrap_ci(
            clean, attacked, langs, n_resamples=BOOTSTRAP_RESAMPLES, level=LEVEL, seed=seed
        )
        method = "stratified"
    overall = {
        "n": int(len(clean)),
        "n_languages": len(per_lang),
        "clean": float(np.mean([v["clean"] for v in per_lang.values()])),
        "attacked": float(np.mean([v["attacked"] for v in per_lang.values()])),
        "drop": float(ci.estimate),
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "ci_method": method,
        "b": b,
        "c": c,
        "mcnemar_p": float(stats.mcnemar_exact(b, c)),
        "changed_fraction": float(changed.mean()),
    }
    overall |= _average_adversarial(per_lang)
    return {
        "metric": "accuracy",
        "languages": per_lang,
        "overall": overall,
        "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "level": LEVEL, "seed": seed},
    }


def _column(table: Any, name: str) -> np.ndarray | None:
    if name not in table.column_names:
        return None
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


def adversarial_cell(status: np.ndarray, queries: np.ndarray | None) -> dict[str, Any]:
    """For adversarial runs (status success/failed/skipped): attack success rate among the attacked
    (correct clean) examples, their mean queries, and how many were skipped (already wrong)."""
    attacked = (status == "success") | (status == "failed")
    if not attacked.any() and not (status == "skipped").any():
        return {}
    n = int(attacked.sum())
    used = queries[attacked].astype(float) if queries is not None and n else np.zeros(0)
    return {
        "attack_success_rate": float((status == "success").sum() / n) if n else 0.0,
        "mean_queries": float(used.mean()) if n else 0.0,
        "n_attacked": n,
        "n_skipped": int((status == "skipped").sum()),
    }


def _average_adversarial(per_lang: dict[str, Any]) -> dict[str, Any]:
    """Overall success rate and mean queries: the language average, like the other overall numbers."""
    cells = [v for v in per_lang.values() if "attack_success_rate" in v]
    if not cells:
        return {}
    return {
        "attack_success_rate": float(np.mean([c["attack_success_rate"] for c in cells])),
        "mean_queries": float(np.mean([c["mean_queries"] for c in cells])),
        "n_attacked": sum(c["n_attacked"] for c in cells),
        "n_skipped": sum(c["n_skipped"] for c in cells),
    }


def _cell(stats: Any, clean: np.ndarray, attacked: np.ndarray, seed: int) -> dict[str, Any]:
    b, c = stats.discordant_counts(clean, attacked)
    ci = stats.paired_bootstrap_ci(clean, attacked, n_resamples=BOOTSTRAP_RESAMPLES, level=LEVEL, seed=seed)
    return {
        "n": int(len(clean)),
        "clean": float(clean.mean()),
        "attacked": float(attacked.mean()),
        "drop": float(clean.mean() - attacked.mean()),
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "b": b,
        "c": c,
        "mcnemar_p": float(stats.mcnemar_exact(b, c)),
    }
