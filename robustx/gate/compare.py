"""Is the candidate less robust than the baseline? One test per task x attack x seed x language cell.

Per item, d = (candidate's clean - attacked correctness) - (baseline's); the cell's Δ is the mean d
(the overall cell: the language average of the per-language means, as the leaderboard reports).
H0: Δ <= margin, H1: Δ > margin (the candidate drops more, beyond the margin), tested by sign-flip
on d - margin (items, or for the overall cell of a parallel set whole example-id clusters with all
their language versions, weighted so the statistic is the language-averaged Δ). With margin 0 the
test is exact under exchangeability; with margin > 0 it is the usual shifted sign-flip test, valid
for large n. The 95% CI of Δ is a paired bootstrap (cluster bootstrap for parallel overall cells).
Holm adjusts over every compared cell; the gate fails when any adjusted p < alpha.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from robustx.gate.pairing import PairedRun

RESAMPLES = 10_000
LEVEL = 0.95


@dataclass(frozen=True)
class GateCell:
    task: str
    attack: str
    seed: int
    lang: str  # a language code, or "overall"
    n: int
    drop_baseline: float  # fractions 0-1
    drop_candidate: float
    delta: float
    ci_low: float
    ci_high: float
    p: float
    test: str
    p_holm: float = 1.0
    failed: bool = False

    @property
    def name(self) -> str:
        return f"{self.task} / {self.attack} / seed {self.seed} / {self.lang}"


@dataclass(frozen=True)
class GateResult:
    cells: tuple[GateCell, ...]
    margin: float  # fraction 0-1
    alpha: float
    skipped: tuple[str, ...]  # attack=none pairs: no drop to compare

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
        float(ci.estimate), float(ci.low), float(ci.high), p, f"sign-flip ({method})",
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
    if margin == 0 and np.all(sizes == sizes[0]):
        sums = np.round(sums * sizes[0])  # equal language sizes: integer sums, so the exact path applies
    p, method = stats.sign_flip_test(sums, alternative="greater")
    mean_by_lang = np.bincount(lang_codes, weights=db) / sizes, np.bincount(lang_codes, weights=dc) / sizes
    return GateCell(
        run.task, run.attack, run.seed, "overall", int(dc.shape[0]), float(mean_by_lang[0].mean()),
        float(mean_by_lang[1].mean()), float(ci.estimate), float(ci.low), float(ci.high), p,
        f"sign-flip over {unit} ({method})",
    )  # fmt: skip


def compare_runs(runs: Sequence[PairedRun], margin: float, alpha: float) -> GateResult:
    """Test every cell of every paired run, then Holm over all of them."""
    from robustx import stats
    from robustx.report.tables import language_order

    cells: list[GateCell] = []
    skipped: list[str] = []
    for run in runs:
        if run.attack == "none":
            skipped.append(f"{run.label}: attack=none has no drop to compare")
            continue
        langs = language_order(run.langs.tolist())
        if len(langs) > 1:
            cells.append(overall_cell(run, margin))
        cells += [language_cell(run, lang, margin) for lang in langs]
    if cells:
        adjusted = stats.holm([c.p for c in cells])
        cells = [
            replace(c, p_holm=float(q), failed=bool(q < alpha)) for c, q in zip(cells, adjusted, strict=True)
        ]
    return GateResult(tuple(cells), margin, alpha, tuple(skipped))
