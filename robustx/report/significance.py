"""Tests behind the significance marks: the overall test of a run and the two correction families.

Which test each metric's cells get is decided in robustx.report.analyse; the pieces for per-item
outcomes live here (QA F1 uses the cluster sign-flip below on its continuous differences too).

* A language cell of accuracy is tested with exact McNemar on its discordant pairs (its rows are
  independent).
* The overall cell of a *parallel* task (XNLI, PAWS-X, …) holds the same example in every language:
  the pooled McNemar test would treat those correlated rows as independent and overstate
  significance. It is tested instead by sign-flipping whole example-id clusters (under H0 clean and
  attacked outcomes are exchangeable per example, in all its languages at once), with rows weighted
  so the statistic is the language-averaged drop, as the reported estimate is.
* Primary family (Holm, family-wise error): the overall cell of every model x task x attack run.
  Exploratory family (Benjamini-Hochberg, false discovery rate): every per-language cell.
  ``attack=none`` runs are the clean reference, not tests, and belong to neither family.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from robustx.report.collect import RunResult

# Up to this many non-zero clusters the sign-flip null is enumerated exactly.
_EXACT_CLUSTERS = 16


def cluster_signflip_p(clean: Any, attacked: Any, clusters: Any, strata: Any) -> float:
    """Two-sided p of "no drop" by flipping the sign of each cluster's (language-weighted) drop.

    With few clusters the null is enumerated exactly; otherwise the randomisation distribution of
    sum(s_k * d_k) (mean 0, variance sum(d_k^2)) is taken as normal, which is accurate for the
    thousands of clusters of real test sets and, unlike a Monte Carlo estimate, has no 1/(R+1) floor
    that would make every cell non-significant after Holm over hundreds of cells. With one row per
    cluster this is McNemar's (uncorrected) normal test, |b - c| / sqrt(b + c).
    """
    import numpy as np

    from robustx import stats

    d = np.asarray(clean, dtype=np.float64) - np.asarray(attacked, dtype=np.float64)
    _, lang_codes = np.unique(np.asarray(strata), return_inverse=True)
    lang_codes = lang_codes.reshape(-1)
    weights = 1.0 / np.bincount(lang_codes)[lang_codes]
    _, cluster_codes = np.unique(np.asarray(clusters), return_inverse=True)
    sums = np.bincount(cluster_codes.reshape(-1), weights=d * weights)
    sums = sums[np.abs(sums) > 1e-12]
    if sums.size == 0:
        return 1.0
    if sums.size <= _EXACT_CLUSTERS:
        return stats.paired_permutation_test(sums, np.zeros_like(sums))
    z = abs(float(sums.sum())) / math.sqrt(float(np.sum(sums**2)))
    return float(math.erfc(z / math.sqrt(2.0)))


def overall_p(
    clean: Any, attacked: Any, ids: Any, langs: Any, parallel: bool, pooled_mcnemar: float
) -> tuple[float, str]:
    """The p-value of a run's overall cell and the name of the test that gave it."""
    import numpy as np

    if parallel and np.unique(langs).size > 1:
        return cluster_signflip_p(clean, attacked, ids, langs), "cluster-sign-flip"
    return float(pooled_mcnemar), "mcnemar-exact"


def adjust(runs: Sequence[RunResult]) -> list[RunResult]:
    """Runs with Holm-adjusted overall p and BH-adjusted per-language q filled in."""
    from robustx import stats

    tested = [i for i, r in enumerate(runs) if not r.info.is_reference]
    out = list(runs)
    if not tested:
        return out
    holm = stats.holm([runs[i].overall.p for i in tested])
    lang_keys = [(i, lang) for i in tested for lang in runs[i].languages]
    bh = stats.benjamini_hochberg([runs[i].languages[lang].p for i, lang in lang_keys])
    q_of = {key: float(q) for key, q in zip(lang_keys, bh, strict=True)}
    for i, p_holm in zip(tested, holm, strict=True):
        run = runs[i]
        languages = {lang: replace(cell, p_adjusted=q_of[(i, lang)]) for lang, cell in run.languages.items()}
        out[i] = replace(run, overall=replace(run.overall, p_adjusted=float(p_holm)), languages=languages)
    return out


def family_sizes(runs: Sequence[RunResult]) -> tuple[int, int]:
    """(number of tests in the Holm family, number in the BH family)."""
    tested = [r for r in runs if not r.info.is_reference]
    return len(tested), sum(len(r.languages) for r in tested)
