"""The leaderboard as data: rows (models with lineage), columns (task x attack), XTREME-style aggregates.

Aggregates follow XTREME: a task's score is the language average of its metric (what a run's overall
cell holds; for QA (EM + F1) / 2, as the XTREME score averages QA); a model's score is the mean over
its tasks, mixing accuracy and F1 points as XTREME does. The clean score averages every task the model
was run on; the score under an attack averages only the tasks run with that attack (each
:class:`AttackScore` names them, with the clean score over the same tasks beside it); the robustness
score averages each task's attacked score over the attacks (and seeds) it was run with, then over
tasks. Models that were not run on every task are flagged, since their averages cover fewer tasks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from robustx.report.collect import RunResult, Skipped
from robustx.report.metric import TaskMetric

NONE = "\u2014"  # shown where a value does not exist (lineage of an untrained checkpoint, missing cell)


@dataclass(frozen=True)
class Column:
    task: str
    attack: str
    seed: int
    label: str

    @property
    def key(self) -> str:
        return f"{self.task}|{self.attack}|seed={self.seed}"


@dataclass(frozen=True)
class Lineage:
    """A checkpoint's training history as shown in the leaderboard (lineage.json of ``robustx train``:
    ``{base, intermediate: [...], target, multitask, seed}``)."""

    base: str = NONE
    intermediate: str = NONE
    target: str = NONE
    multitask: bool = False
    seed: str = NONE

    @property
    def intermediate_label(self) -> str:
        return (
            f"{self.intermediate} (multi-task)"
            if self.multitask and self.intermediate != NONE
            else self.intermediate
        )


@dataclass(frozen=True)
class AttackScore:
    """The XTREME-style score under one attack: the mean over the tasks run with it."""

    attacked: float
    clean: float  # the clean score over the same tasks
    tasks: tuple[str, ...]

    @property
    def drop(self) -> float:
        return self.clean - self.attacked


@dataclass(frozen=True)
class ModelRow:
    name: str
    model_hash: str
    lineage: Lineage
    clean: Mapping[str, float]  # task -> language-averaged clean task score (QA: (EM + F1) / 2)
    cells: Mapping[Column, RunResult]
    runs: tuple[RunResult, ...]
    clean_score: float | None
    robust_score: float | None
    drop_score: float | None
    by_attack: Mapping[str, AttackScore]  # attack label -> XTREME-style score under that attack

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.clean)


@dataclass(frozen=True)
class Leaderboard:
    title: str
    tasks: tuple[str, ...]
    columns: tuple[Column, ...]
    rows: tuple[ModelRow, ...]
    runs: tuple[RunResult, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]
    holm_m: int
    bh_m: int
    alpha: float
    metrics: Mapping[str, TaskMetric]  # task -> its metric

    def metric_name(self, task: str) -> str:
        metric = self.metrics.get(task)
        return metric.name if metric else "?"

    def languages(self) -> list[str]:
        return language_order(lang for run in self.runs for lang in run.languages)


def language_order(langs: Iterable[str]) -> list[str]:
    """English first (the source language of zero-shot transfer), then by code."""
    return sorted(set(langs), key=lambda code: (code != "en", code))


def parse_attack(spec: str) -> tuple[str, dict[str, str]]:
    """Split a canonical attack spec ``name:key=value,...`` into its name and parameters."""
    name, _, rest = spec.partition(":")
    params = dict(part.partition("=")[::2] for part in rest.split(",") if part)
    return name, params


def attack_labels(specs: Iterable[str]) -> dict[str, str]:
    """Short labels: the attack name, plus the parameters that differ between specs of that name."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for spec in dict.fromkeys(specs):
        by_name[parse_attack(spec)[0]].append(spec)
    labels = {}
    for name, group in by_name.items():
        params = [parse_attack(s)[1] for s in group]
        keys = sorted({k for p in params for k in p})
        varying = [k for k in keys if len({p.get(k) for p in params}) > 1]
        for spec, p in zip(group, params, strict=True):
            labels[spec] = " ".join([name, *(f"{k}={p.get(k, NONE)}" for k in varying)])
    return labels


def _describe(value: Any) -> str:
    """A lineage entry as text: strings as they are, phases and bases by their task or ref."""
    if isinstance(value, Mapping):
        for key in ("task", "ref", "name", "model"):
            if value.get(key):
                return str(value[key])
        return NONE
    if isinstance(value, list | tuple):
        return " + ".join(_describe(v) for v in value) or NONE
    return str(value) if value else NONE


def lineage_of(lineage: Mapping[str, Any] | None) -> Lineage:
    """Base model, intermediate task(s) and target task from a checkpoint's lineage (None -> dashes).

    Reads robustx train's lineage.json (``base: {ref, hash}``, ``intermediate_tasks: [...]``,
    ``target: {task, ...}``) as well as the plain form ``{base, intermediate: [...], target}``.
    """
    if not lineage:
        return Lineage()

    def pick(*keys: str) -> str:
        for key in keys:
            text = _describe(lineage.get(key))
            if text != NONE:
                return text
        return NONE

    seed = lineage.get("seed")
    return Lineage(
        base=pick("base_model", "base"),
        intermediate=pick("intermediate_tasks", "intermediate", "intermediate_task"),
        target=pick("target_task", "target"),
        multitask=bool(lineage.get("multitask")),
        seed=NONE if seed is None else str(seed),
    )


def build_leaderboard(
    title: str, runs: Sequence[RunResult], skipped: Sequence[Skipped], alpha: float = 0.05
) -> Leaderboard:
    from robustx.report.significance import adjust, family_sizes

    runs = adjust(runs)
    labels = attack_labels(r.info.attack for r in runs if not r.info.is_reference)
    seeds: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in runs:
        seeds[(r.info.task, r.info.attack)].add(r.info.seed)
    warnings: list[str] = []
    groups = _group_by_model(runs, warnings)
    rows = [_model_row(name, group, labels, seeds, warnings) for name, group in groups.items()]
    rows.sort(
        key=lambda r: (r.robust_score is None, -(r.robust_score or 0.0), -(r.clean_score or 0.0), r.name)
    )
    columns = sorted({c for row in rows for c in row.cells}, key=lambda c: (c.task, c.label, c.seed))
    tasks = tuple(sorted({r.info.task for r in runs}))
    warnings += _coverage_warnings(rows, tasks)
    warnings += [
        f"{r.info.path}: metrics.json disagrees with records ({r.check.detail}, "
        f"max |diff| {r.check.max_abs_diff:.3g}); the report uses the records"
        for r in runs
        if not r.check.agrees
    ]
    holm_m, bh_m = family_sizes(runs)
    metrics = {r.info.task: r.metric for r in sorted(runs, key=lambda r: r.info.task)}
    return Leaderboard(
        title,
        tasks,
        tuple(columns),
        tuple(rows),
        tuple(runs),
        tuple(skipped),
        tuple(warnings),
        holm_m,
        bh_m,
        alpha,
        metrics,
    )


def _group_by_model(runs: Sequence[RunResult], warnings: list[str]) -> dict[str, list[RunResult]]:
    """Runs per model; a name shared by different checkpoints gets its hash appended."""
    hashes: dict[str, set[str]] = defaultdict(set)
    for r in runs:
        hashes[r.info.model].add(r.info.model_hash)
    groups: dict[str, list[RunResult]] = defaultdict(list)
    seen: dict[tuple[str, str, str, int], RunResult] = {}
    for r in sorted(
        runs, key=lambda r: (r.info.model, r.info.task, r.info.attack, r.info.seed, str(r.info.path))
    ):
        name = r.info.model
        if len(hashes[name]) > 1:
            name = f"{name} ({r.info.model_hash.rpartition(':')[2][:8]})"
        key = (name, r.info.task, r.info.attack, r.info.seed)
        if key in seen:
            warnings.append(
                f"{r.info.path}: same model, task, attack and seed as {seen[key].info.path}; ignored"
            )
            continue
        seen[key] = r
        groups[name].append(r)
    return groups


def _model_row(
    name: str,
    group: list[RunResult],
    labels: Mapping[str, str],
    seeds: Mapping[tuple[str, str], set[int]],
    warnings: list[str],
) -> ModelRow:
    cells: dict[Column, RunResult] = {}
    clean: dict[str, float] = {}
    attacked_by: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in sorted(group, key=lambda r: (not r.info.is_reference, r.info.attack, r.info.seed)):
        task = r.info.task
        if task not in clean:
            clean[task] = r.overall.score_clean
        elif abs(clean[task] - r.overall.score_clean) > 1e-9:
            warnings.append(
                f"{name}: clean {task} score differs between runs ({r.info.path}); "
                "were they run on other languages or limits?"
            )
        if r.info.is_reference:
            continue
        label = labels[r.info.attack]
        if len(seeds[(task, r.info.attack)]) > 1:
            label = f"{label} (seed {r.info.seed})"
        cells[Column(task, r.info.attack, r.info.seed, label)] = r
        attacked_by[task][labels[r.info.attack]].append(r.overall.score_attacked)
    # Seeds of one attack are averaged first, then attacks, then tasks (languages already are).
    robust_task = {t: fmean(fmean(v) for v in per.values()) for t, per in attacked_by.items()}
    first = group[0].info
    # a checkpoint's runs share its lineage; older runs of it may lack one, so take any that has it
    lineage = next((r.info.lineage for r in group if r.info.lineage), None)
    return ModelRow(
        name=name,
        model_hash=first.model_hash,
        lineage=lineage_of(lineage),
        clean=dict(sorted(clean.items())),
        cells=cells,
        runs=tuple(group),
        clean_score=fmean(clean.values()) if clean else None,
        robust_score=fmean(robust_task.values()) if robust_task else None,
        drop_score=fmean(clean[t] - v for t, v in robust_task.items()) if robust_task else None,
        by_attack=_by_attack(attacked_by, clean),
    )


def _by_attack(
    attacked_by: Mapping[str, Mapping[str, list[float]]], clean: Mapping[str, float]
) -> dict[str, AttackScore]:
    """Per attack label: the mean over the tasks run with it of the attacked and the clean score."""
    per: dict[str, dict[str, float]] = defaultdict(dict)
    for task, by_label in attacked_by.items():
        for label, values in by_label.items():
            per[label][task] = fmean(values)
    return {
        label: AttackScore(fmean(scores.values()), fmean(clean[t] for t in scores), tuple(sorted(scores)))
        for label, scores in sorted(per.items())
    }


def _coverage_warnings(rows: Sequence[ModelRow], tasks: Sequence[str]) -> list[str]:
    out = []
    for row in rows:
        missing = [t for t in tasks if t not in row.clean]
        if missing:
            out.append(
                f"{row.name}: no runs for {', '.join(missing)}; its averages cover "
                f"{len(row.clean)} of {len(tasks)} tasks"
            )
    return out
