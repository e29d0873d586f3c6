"""metrics.json cells for tagging, QA and retrieval, recomputed from the stored per-example records.

Every score is a fraction (0-1); ``drop = clean - attacked``. Which statistic for which question
(DESIGN.md): corpus F1 (NER, POS, BUCC) resamples sentences and re-sums tp/fp/fn; per-item scores
(EM and Tatoeba hits, binary: exact McNemar plus a paired-bootstrap CI; QA F1, continuous: paired
bootstrap) resample items. The overall row averages languages (XTREME style); its CI resamples
example ids with all their language versions together for parallel sets (cluster bootstrap), and
within each language otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from robustx.metrics import BOOTSTRAP_RESAMPLES, LEVEL

F1_COLUMNS = ("tp_clean", "fp_clean", "fn_clean", "tp_attacked", "fp_attacked", "fn_attacked")


def column(table: Any, name: str, dtype: Any = None) -> NDArray[Any]:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=dtype)


def _languages(table: Any) -> tuple[NDArray[Any], list[str]]:
    langs = column(table, "lang")
    return langs, list(dict.fromkeys(langs.tolist()))


def _bootstrap() -> dict[str, Any]:
    return {"resamples": BOOTSTRAP_RESAMPLES, "level": LEVEL}


def score_metrics(
    table: Any, clean_col: str, att_col: str, *, binary: bool, parallel: bool, seed: int, metric: str
) -> dict[str, Any]:
    """Per-item scores (EM, hit, per-question F1): mean clean/attacked, drop, CI; McNemar when binary."""
    from robustx import stats

    langs, order = _languages(table)
    clean = column(table, clean_col, float)
    attacked = column(table, att_col, float)
    changed = column(table, "changed_fraction", float)
    ids = column(table, "example_id")
    per_lang: dict[str, Any] = {}
    for lang in order:
        m = langs == lang
        ci = stats.paired_bootstrap_ci(
            clean[m], attacked[m], n_resamples=BOOTSTRAP_RESAMPLES, level=LEVEL, seed=seed
        )
        cell = _cell(int(m.sum()), float(clean[m].mean()), float(attacked[m].mean()), ci)
        if binary:
            cell |= _mcnemar(stats, clean[m], attacked[m])
        per_lang[lang] = cell | {"changed_fraction": float(changed[m].mean())}
    if parallel and len(order) > 1:
        ci = stats.cluster_bootstrap_ci(
            clean, attacked, ids, strata=langs, n_resamples=BOOTSTRAP_RESAMPLES, level=LEVEL, seed=seed
        )
        method = "cluster"
    else:
        ci = stats.stratified_bootstrap_ci(
            clean, attacked, langs, n_resamples=BOOTSTRAP_RESAMPLES, level=LEVEL, seed=seed
        )
        method = "stratified"
    overall = _overall(per_lang, ci, method, len(clean), float(changed.mean()))
    if binary:
        overall |= _mcnemar(stats, clean, attacked)
    return {
        "metric": metric,
        "languages": per_lang,
        "overall": overall,
        "bootstrap": _bootstrap() | {"seed": seed},
    }


def qa_metrics(table: Any, *, parallel: bool, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """QA cells: F1 (the headline) with the EM figures beside it in every cell, and the EM cells."""
    f1 = score_metrics(
        table, "f1_clean", "f1_attacked", binary=False, parallel=parallel, seed=seed, metric="f1"
    )
    em = score_metrics(
        table, "em_clean", "em_attacked", binary=True, parallel=parallel, seed=seed, metric="em"
    )
    for lang, cell in f1["languages"].items():
        cell |= _em_keys(em["languages"][lang])
    f1["overall"] |= _em_keys(em["overall"])
    return f1, em


def _em_keys(cell: dict[str, Any]) -> dict[str, Any]:
    """The EM numbers a QA cell carries beside F1 (the names QA metrics.json uses)."""
    return {
        "em_clean": cell["clean"],
        "em_attacked": cell["attacked"],
        "em_drop": cell["drop"],
        "mcnemar_p": cell["mcnemar_p"],
        "b": cell["b"],
        "c": cell["c"],
    }


def f1_metrics(table: Any, *, seed: int, metric: str = "f1") -> dict[str, Any]:
    """Corpus F1 per language from per-sentence tp/fp/fn; overall = language average (stratified CI)."""
    from robustx import stats

    langs, order = _languages(table)
    counts = np.column_stack([column(table, name, float) for name in F1_COLUMNS])
    changed = column(table, "changed_fraction", float)
    per_lang: dict[str, Any] = {}
    for lang in order:
        rows = counts[langs == lang]
        ci = stats.corpus_f1_bootstrap_ci(*rows.T, n_resamples=BOOTSTRAP_RESAMPLES, level=LEVEL, seed=seed)
        sums = rows.sum(axis=0)
        clean, attacked = stats.corpus_f1(*sums[:3]), stats.corpus_f1(*sums[3:])
        per_lang[lang] = (
            _cell(len(rows), clean, attacked, ci)
            | {name: int(v) for name, v in zip(F1_COLUMNS, sums, strict=True)}
            | {"changed_fraction": float(changed[langs == lang].mean())}
        )
    ci = stratified_f1_ci([counts[langs == lang] for lang in order], seed)
    overall = _overall(per_lang, ci, "stratified", len(counts), float(changed.mean()))
    return {
        "metric": metric,
        "languages": per_lang,
        "overall": overall,
        "bootstrap": _bootstrap() | {"seed": seed},
    }


def stratified_f1_ci(groups: list[NDArray[np.float64]], seed: int) -> Any:
    """CI of the language-averaged corpus-F1 drop, resampling sentences within each language."""
    from robustx.stats._core import make_rng, percentile_interval, resampled_sums
    from robustx.stats.bootstrap import _f1

    rng = make_rng(seed)
    stats = np.zeros(BOOTSTRAP_RESAMPLES, dtype=np.float64)
    estimates = []
    for rows in groups:
        drawn = resampled_sums(rows, BOOTSTRAP_RESAMPLES, rng)
        stats += _f1(drawn[:, 0], drawn[:, 1], drawn[:, 2]) - _f1(drawn[:, 3], drawn[:, 4], drawn[:, 5])
        total = rows.sum(axis=0)
        estimates.append(float(_f1(*total[:3]) - _f1(*total[3:])))
    return percentile_interval(float(np.mean(estimates)), stats / len(groups), LEVEL)


def _cell(n: int, clean: float, attacked: float, ci: Any) -> dict[str, Any]:
    return {
        "n": n,
        "clean": clean,
        "attacked": attacked,
        "drop": clean - attacked,
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
    }


def _mcnemar(stats: Any, clean: NDArray[Any], attacked: NDArray[Any]) -> dict[str, Any]:
    b, c = stats.discordant_counts(clean.astype(bool), attacked.astype(bool))
    return {"b": b, "c": c, "mcnemar_p": float(stats.mcnemar_exact(b, c))}


def _overall(per_lang: dict[str, Any], ci: Any, method: str, n: int, changed: float) -> dict[str, Any]:
    clean = float(np.mean([v["clean"] for v in per_lang.values()]))
    attacked = float(np.mean([v["attacked"] for v in per_lang.values()]))
    return {
        "n": n,
        "n_languages": len(per_lang),
        "clean": clean,
        "attacked": attacked,
        "drop": float(ci.estimate),
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "ci_method": method,
        "changed_fraction": changed,
    }
