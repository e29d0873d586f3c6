"""Gate cells of corpus-F1 tasks (UD-POS, PAN-X, BUCC): is the candidate's F1 drop larger?

Δ = [F1(candidate clean) - F1(candidate attacked)] - [F1(baseline clean) - F1(baseline attacked)],
each F1 from tp/fp/fn summed over a language's sentences (the overall cell: the mean of the
per-language Δ). Corpus F1 is not a mean over sentences, so the per-item sign-flip of the other
metrics does not apply as is. The test is the paired permutation over sentences that fits the
question: under H0 the two checkpoints are exchangeable per sentence, so each sentence's candidate
counts (clean and attacked together) may be swapped with the baseline's. Swaps leave the sum of the
two sides unchanged, so Δ under a swap pattern s is an odd function of sum_i s_i (counts difference
of sentence i), and its first-order expansion sum_i s_i w_i
(robustx.stats.corpus_f1_terms, applied to the clean and to the attacked counts) is exact up to
third-order terms. The sign-flip null of the w_i is then computed exactly (few non-zero terms) or
by its normal limit, without the 1 / (R + 1) floor of a Monte Carlo permutation that would keep every
cell from significance after Holm over many cells; tests/test_stats_f1.py checks it against the
Monte Carlo permutation of the exact Δ. ``margin`` shifts each term by margin / n, as the per-item
cells shift d. The CI is a paired bootstrap of the exact Δ resampling sentences (within each language
for the overall cell). BUCC's rows are source sentences of one mining pass; treating them as
independent ignores the coupling of the greedy 1:1 extraction, as XTREME's own sentence-level
view of BUCC F1 does.
"""

from __future__ import annotations

import numpy as np

from robustx.gate import compare
from robustx.gate.compare import GateCell
from robustx.gate.pairing import PairedRun


def _f1(counts: np.ndarray) -> float:
    tp, fp, fn = counts
    den = 2 * tp + fp + fn
    return float(2 * tp / den) if den > 0 else 0.0


def _drop(rows: np.ndarray) -> float:
    totals = rows.sum(axis=0)
    return _f1(totals[:3]) - _f1(totals[3:])


def _terms(cand: np.ndarray, base: np.ndarray, strata: np.ndarray | None) -> np.ndarray:
    """Per-sentence linear terms of Δ under candidate <-> baseline swaps."""
    from robustx import stats

    clean = stats.stratified_f1_terms(cand[:, :3], base[:, :3], strata)
    attacked = stats.stratified_f1_terms(cand[:, 3:], base[:, 3:], strata)
    return np.asarray(clean - attacked)


def _cell(run: PairedRun, lang: str, mask: np.ndarray, margin: float, overall: bool) -> GateCell:
    from robustx import stats

    cand, base = run.cand[mask], run.base[mask]
    langs = run.langs[mask]
    order = list(dict.fromkeys(langs.tolist()))
    drops_b = [_drop(base[langs == code]) for code in order]
    drops_c = [_drop(cand[langs == code]) for code in order]
    strata = langs if overall else None
    ci = stats.corpus_f1_difference_ci(
        cand, base, strata=strata, n_resamples=compare.RESAMPLES, level=compare.LEVEL, seed=run.seed
    )
    terms = _terms(cand, base, strata)
    p, method = stats.sign_flip_test(terms - margin / terms.shape[0], alternative="greater")
    unit = "sentences, linearised F1"
    return GateCell(
        run.task, run.attack, run.seed, lang, int(mask.sum()), float(np.mean(drops_b)), float(np.mean(drops_c)),
        float(ci.estimate), float(ci.low), float(ci.high), p, f"sign-flip over {unit} ({method})", run.metric.name,
    )  # fmt: skip


def language_cell(run: PairedRun, lang: str, margin: float) -> GateCell:
    return _cell(run, lang, run.langs == lang, margin, overall=False)


def overall_cell(run: PairedRun, margin: float) -> GateCell:
    return _cell(run, "overall", np.ones(run.langs.shape[0], dtype=bool), margin, overall=True)
