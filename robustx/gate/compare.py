"""Is the candidate less robust than the baseline? One test per task x attack x seed x language cell.

Δ is the candidate's drop minus the baseline's, in the task's own metric (the overall cell: the
language average of the per-language Δ, as the leaderboard reports). H0: Δ <= margin, H1: Δ > margin
(the candidate drops more, beyond the margin), tested one-sided by sign-flip: under H0 with margin
0 the two checkpoints are exchangeable per item, so swapping an item's candidate and baseline
outcomes leaves the distribution unchanged.

* Per-item metrics (accuracy and Tatoeba hits, binary; QA F1 per question, continuous): Δ is the mean
  of d = (candidate clean - attacked) - (baseline clean - attacked) per item, and the test flips the
  signs of d - margin (for the overall cell of a parallel set, of whole example-id clusters with
  all their language versions, weighted so the statistic is the language-averaged Δ). Binary
  outcomes give integer d, whose null is computed exactly; continuous d use the normal limit.
* Corpus F1 (UD-POS, PAN-X, BUCC; robustx.gate.f1cells): Δ is a difference of corpus-F1 drops, not a
  mean over sentences, so the test is the paired permutation over sentences (swap a sentence's
  candidate and baseline counts) of that difference, evaluated through its linearisation.

With margin > 0 the test is the usual shifted sign-flip, valid for large n. The 95% CI of Δ is a
paired bootstrap (cluster bootstrap for parallel overall cells; sentences for corpus F1). Holm
adjusts over every compared cell; a cell fails when its adjusted p < alpha ("significant"), or, with
``--max-drop``, when its estimated Δ exceeds that many points whatever its p ("max-drop": a
non-inferiority margin on the estimate). The gate fails when any cell fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from robustx.gate.pairing import PairedRun

RESAMPLES = 10_000
LEVEL = 0.95
SIGNIFICANT = "significant"
MAX_DROP = "max-drop"


@dataclass(frozen=True)
class GateCell:
    task: str
    attack: str
    seed: int
    lang: str  # a language code, or "overall"
    n: int
    drop_baseline: float  # fractions 0-1 of the task's metric
    drop_candidate: float
    delta: float
    ci_low: float
    ci_high: float
    p: float
    test: str
    metric: str = "accuracy"
    p_holm: float = 1.0
    reasons: tuple[str, ...] = ()  # why the cell fails: "significant", "max-drop"

    @property
    def name(self) -> str:
        return f"{self.task} / {self.attack} / seed {self.seed} / {self.lang}"

    @property
    def failed(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class GateResult:
    cells: tuple[GateCell, ...]
    margin: float  # fraction 0-1
    alpha: float
    skipped: tuple[str, ...]  # attack=none pairs: no drop to compare
    max_drop: float | None = None  # fraction 0-1; None: no non-inferiority margin on the estimate

    @property
    def failed(self) -> tuple[GateCell, ...]:
        return tuple(c for c in self.cells if c.failed)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def language_cell(run: PairedRun, lang: str, margin: float) -> GateCell:
    from robustx import stats

    mask = run.langs == lang
    dc, db = run.drop_candidate[mask], run.drop_baseline[mask]
    ci = stats.paired_bootstrap_ci(dc, db, n_resamples=RESAMPLES, level=LEVEL, seed=run.seed)
    p, method = stats.sign_flip_test(dc - db - margin, alternative="greater")
    return GateCell(
        run.task, run.attack, run.seed, lang, int(mask.sum()), float(db.mean()), float(dc.mean()),
        float(ci.estimate), float(ci.low), float(ci.high), p, f"sign-flip ({method})", run.metric.name,
    )  # fmt: skip


def overall_cell(run: PairedRun, margin: float) -> GateCell:
    """Language-averaged Δ; clusters are example ids for parallel sets, single rows otherwise."""
    from robustx import stats

    dc, db = run.drop_candidate, run.drop_baseline
    _, lang_codes = np.unique(run.langs, return_inverse=True)
    lang_codes = lang_codes.reshape(-1)
    sizes = np.bincount(lang_codes)
    weights = 1.0 / sizes[lang_codes]
    if run.parallel:
        _, clusters = np.unique(run.ids, return_inverse=True)
        clusters = clusters.reshape(-1)
        ci = stats.cluster_bootstrap_ci(
            dc, db, run.ids, strata=run.langs, n_resamples=RESAMPLES, level=LEVEL, seed=run.seed
        )
        unit = "clusters"
    else:
        clusters = np.arange(dc.shape[0])
        ci = stats.stratified_bootstrap_ci(
            dc, db, run.langs, n_resamples=RESAMPLES, level=LEVEL, seed=run.seed
        )
        unit = "items"
    sums = np.bincount(clusters, weights=weights * (dc - db - margin))
    if run.metric.binary and margin == 0 and np.all(sizes == sizes[0]):
        sums = np.round(sums * sizes[0])  # equal language sizes: integer sums, so the exact path applies
    p, method = stats.sign_flip_test(sums, alternative="greater")
    mean_by_lang = np.bincount(lang_codes, weights=db) / sizes, np.bincount(lang_codes, weights=dc) / sizes
    return GateCell(
        run.task, run.attack, run.seed, "overall", int(dc.shape[0]), float(mean_by_lang[0].mean()),
        float(mean_by_lang[1].mean()), float(ci.estimate), float(ci.low), float(ci.high), p,
        f"sign-flip over {unit} ({method})", run.metric.name,
    )  # fmt: skip


def run_cells(run: PairedRun, margin: float) -> list[GateCell]:
    """The overall cell (with more than one language) and one cell per language of a paired run."""
    from robustx.gate import f1cells
    from robustx.report.tables import language_order

    langs = language_order(run.langs.tolist())
    corpus = run.metric.kind == "f1"
    cells = []
    if len(langs) > 1:
        cells.append(f1cells.overall_cell(run, margin) if corpus else overall_cell(run, margin))
    cells += [
        f1cells.language_cell(run, lang, margin) if corpus else language_cell(run, lang, margin)
        for lang in langs
    ]
    return cells


def compare_runs(
    runs: Sequence[PairedRun], margin: float, alpha: float, max_drop: float | None = None
) -> GateResult:
    """Test every cell of every paired run, then Holm over all of them; apply ``max_drop`` to each Δ."""
    from robustx import stats

    cells: list[GateCell] = []
    skipped: list[str] = []
    for run in runs:
        if run.attack == "none":
            skipped.append(f"{run.label}: attack=none has no drop to compare")
            continue
        cells += run_cells(run, margin)
    if cells:
        adjusted = stats.holm([c.p for c in cells])
        cells = [
            replace(c, p_holm=float(q), reasons=_reasons(c, float(q), alpha, max_drop))
            for c, q in zip(cells, adjusted, strict=True)
        ]
    return GateResult(tuple(cells), margin, alpha, tuple(skipped), max_drop)


def _reasons(cell: GateCell, p_holm: float, alpha: float, max_drop: float | None) -> tuple[str, ...]:
    reasons = [SIGNIFICANT] if p_holm < alpha else []
    # the tolerance keeps a Δ of exactly max_drop (up to float noise: 0.1 + 0.2) from failing
    if max_drop is not None and cell.delta > max_drop + 1e-12:
        reasons.append(MAX_DROP)
    return tuple(reasons)
