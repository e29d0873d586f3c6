"""Paired statistics for clean vs attacked evaluations (which test answers which question: DESIGN.md).

* same model, clean vs attacked, binary per-item outcome: :func:`mcnemar_exact` on
  :func:`discordant_counts`, the drop with :func:`paired_bootstrap_ci`;
* two models' drops on the same items: :func:`paired_permutation_test`;
* corpus F1 (NER, POS, BUCC): :func:`corpus_f1_bootstrap_ci`; its drop tested by
  :func:`corpus_f1_drop_test` (sign-flip on linearised per-sentence terms, :func:`corpus_f1_terms`,
  checked against the Monte Carlo :func:`corpus_f1_randomization_test`); two models' F1 drops:
  :func:`corpus_f1_difference_ci`;
* parallel test sets averaged over languages: :func:`cluster_bootstrap_ci`;
* the same question without Monte-Carlo error (gates over many cells): :func:`sign_flip_test`;
* many tests: :func:`holm` (primary family), :func:`benjamini_hochberg` (exploratory cells).

Invalid input raises :class:`StatsInputError`, a ``ValueError`` with a one-line message.
"""

from robustx.stats._core import Interval, StatsInputError
from robustx.stats.bootstrap import (
    cluster_bootstrap_ci,
    corpus_f1,
    corpus_f1_bootstrap_ci,
    paired_bootstrap_ci,
    stratified_bootstrap_ci,
)
from robustx.stats.f1 import (
    corpus_f1_difference_ci,
    corpus_f1_drop_terms,
    corpus_f1_drop_test,
    corpus_f1_randomization_test,
    corpus_f1_terms,
    stratified_f1_terms,
)
from robustx.stats.mcnemar import discordant_counts, mcnemar_exact, mcnemar_midp, min_detectable_drop
from robustx.stats.multiple import benjamini_hochberg, holm
from robustx.stats.permutation import paired_permutation_test
from robustx.stats.signflip import sign_flip_test

__all__ = [
    "Interval",
    "StatsInputError",
    "benjamini_hochberg",
    "cluster_bootstrap_ci",
    "corpus_f1",
    "corpus_f1_bootstrap_ci",
    "corpus_f1_difference_ci",
    "corpus_f1_drop_terms",
    "corpus_f1_drop_test",
    "corpus_f1_randomization_test",
    "corpus_f1_terms",
    "discordant_counts",
    "holm",
    "mcnemar_exact",
    "mcnemar_midp",
    "min_detectable_drop",
    "paired_bootstrap_ci",
    "paired_permutation_test",
    "sign_flip_test",
    "stratified_bootstrap_ci",
    "stratified_f1_terms",
]
