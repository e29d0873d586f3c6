"""Find run directories and reduce each run to per-language and overall numbers, one run at a time.

Only the columns the statistics of the task's metric need are read (never the text columns), and
only aggregates plus a handful of candidate example ids are kept per run, so hundreds of runs fit
in memory. The numbers are recomputed from records.parquet; metrics.json is only checked against
them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robustx.errors import DataError
from robustx.report.metric import TaskMetric

# Besides the metric's own columns, the statistics pass reads only these from records.parquet.
STAT_COLUMNS = ("example_id", "lang", "changed_fraction")
# Keys of metrics.json cells compared with the recomputation, per kind of metric.
_CHECKED_KEYS = {
    "accuracy": ("n", "clean", "attacked", "drop", "ci_low", "ci_high", "b", "c", "mcnemar_p"),
    "qa": ("n", "clean", "attacked", "drop", "ci_low", "ci_high", "em_clean", "em_attacked", "b", "c", "mcnemar_p"),
    "f1": ("n", "clean", "attacked", "drop", "ci_low", "ci_high", "tp_clean", "fp_clean", "fn_clean",
           "tp_attacked", "fp_attacked", "fn_attacked"),
}  # fmt: skip
CANDIDATES_PER_LANGUAGE = 3


@dataclass(frozen=True)
class RunInfo:
    """Identity of one run, read from its config.json and its place in the run layout."""

    path: Path
    model: str
    model_hash: str
    lineage: Mapping[str, Any] | None
    task: str
    attack: str
    seed: int
    parallel: bool

    @property
    def is_reference(self) -> bool:
        """``attack=none`` runs are the clean reference, not a hypothesis test."""
        return self.attack == "none"


@dataclass(frozen=True)
class Cell:
    """Clean vs attacked score of the task's metric (fractions 0-1) of one language, or of a run overall.

    ``b``/``c`` (discordant pairs) exist for binary outcomes: accuracy, and EM beside a QA cell's F1.
    QA cells carry EM beside F1 (``em_*``, ``em_p`` its McNemar / cluster sign-flip p, unadjusted).
    """

    n: int
    clean: float
    attacked: float
    drop: float
    ci_low: float
    ci_high: float
    p: float
    p_method: str
    changed_fraction: float
    b: int | None = None
    c: int | None = None
    em_clean: float | None = None
    em_attacked: float | None = None
    em_p: float | None = None
    p_adjusted: float | None = None

    @property
    def em_drop(self) -> float | None:
        return None if self.em_clean is None or self.em_attacked is None else self.em_clean - self.em_attacked

    @property
    def score_clean(self) -> float:
        """The task score XTREME averages: the metric, or (EM + F1) / 2 for QA."""
        return self.clean if self.em_clean is None else (self.clean + self.em_clean) / 2

    @property
    def score_attacked(self) -> float:
        return self.attacked if self.em_attacked is None else (self.attacked + self.em_attacked) / 2


@dataclass(frozen=True)
class MetricsCheck:
    """Whether metrics.json agrees with the recomputation (max absolute difference over checked keys)."""

    agrees: bool
    max_abs_diff: float
    detail: str = ""


@dataclass(frozen=True)
class RunResult:
    info: RunInfo
    languages: Mapping[str, Cell]
    overall: Cell
    ci_method: str
    check: MetricsCheck
    candidates: Mapping[str, tuple[str, ...]]  # lang -> example ids the attack made worse
    metric: TaskMetric


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def find_run_dirs(paths: Sequence[Path]) -> list[Path]:
    """Run directories (holding config.json) given directly or found anywhere below ``paths``."""
    found: dict[Path, None] = {}
    for root in paths:
        if not root.exists():
            raise DataError(f"run directory {root} does not exist")
        if (root / "config.json").is_file():
            found[root] = None
            continue
        for config in sorted(root.rglob("config.json")):
            if "_partial" not in config.parts and not is_checkpoint_dir(config.parent):
                found[config.parent] = None
    return list(found)


def is_checkpoint_dir(path: Path) -> bool:
    """A model checkpoint below a root of runs (its config.json is a model's, not a run's)."""
    if (path / "records.parquet").exists() or (path / "_partial").exists():
        return False
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(config, dict)
        and "task" not in config
        and ("model_type" in config or "architectures" in config)
    )


def collect_runs(paths: Sequence[Path]) -> Iterator[RunResult | Skipped]:
    """Yield one result per run directory, reading one run at a time."""
    for path in find_run_dirs(paths):
        yield read_run(path)


def read_run(path: Path) -> RunResult | Skipped:
    import pyarrow.parquet as pq

    from robustx.report.metric import metric_for, missing_columns

    records = path / "records.parquet"
    if not (records.is_file() and (path / "metrics.json").is_file()):
        return Skipped(path, "incomplete run (no records.parquet/metrics.json yet)")
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        info = _run_info(path, config)
        names = pq.read_schema(records).names
    except (OSError, ValueError, KeyError, TypeError) as err:
        return Skipped(path, f"unreadable run: {err}")
    metric = metric_for(info.task, names)
    missing = list(
        dict.fromkeys([*missing_columns(metric, names), *(c for c in STAT_COLUMNS if c not in names)])
    )
    if missing:
        return Skipped(
            path, f"records lack {', '.join(missing)} (needed for the {metric.name} of {info.task})"
        )
    table = pq.read_table(records, columns=list(dict.fromkeys((*STAT_COLUMNS, *metric.columns))))
    if table.num_rows == 0:
        return Skipped(path, "records.parquet holds no rows")
    return _analyse(info, metric, table, path)


def _run_info(path: Path, config: Mapping[str, Any]) -> RunInfo:
    from robustx.errors import RobustxError
    from robustx.tasks import get_task

    task = str(config["task"])
    try:
        parallel = get_task(task).parallel
    except RobustxError:
        parallel = False
    in_layout = path.name.startswith("seed=") and len(path.parents) >= 3
    model = path.parents[2].name if in_layout else Path(str(config.get("model", "?")).rstrip("/")).name
    lineage = config.get("lineage")
    return RunInfo(
        path=path,
        model=model,
        model_hash=str(config.get("model_hash", "")),
        lineage=lineage if isinstance(lineage, Mapping) else None,
        task=task,
        attack=str(config.get("attack", "none")),
        seed=int(config.get("seed", 0)),
        parallel=parallel,
    )


def _analyse(info: RunInfo, metric: TaskMetric, table: Any, path: Path) -> RunResult:
    from robustx.report import analyse

    metrics = analyse.recompute(metric, table, info.parallel, info.seed)
    values = analyse.paired(metric, table)
    # Languages and example ids as integer codes (no Python string per row); ids of the few
    # drill-down candidates are looked up in the Arrow column afterwards.
    lang_codes, lang_names = _codes(table.column("lang"))
    id_codes, _ = _codes(table.column("example_id"))
    cells = {}
    for code, lang in enumerate(lang_names):
        m = metrics["languages"][lang]
        cells[lang] = _cell(m, *analyse.language_p(metric, values[lang_codes == code], m))
    o = metrics["overall"]
    p, method = analyse.overall_p(metric, values, id_codes, lang_codes, info.parallel, o)
    overall = _cell(o, p, method)
    if metric.kind == "qa":
        em_p = analyse.em_p(table, id_codes, lang_codes, info.parallel, float(o["mcnemar_p"]))
        overall = _with_em(overall, o, em_p)
        langs = metrics["languages"]
        cells = {lang: _with_em(c, langs[lang], float(langs[lang]["mcnemar_p"])) for lang, c in cells.items()}
    return RunResult(
        info=info,
        languages={lang: cells[lang] for lang in metrics["languages"]},
        overall=overall,
        ci_method=str(o["ci_method"]),
        check=check_metrics(path / "metrics.json", metrics, metric),
        candidates=_candidates(
            info, analyse.harmed(metric, values), lang_codes, lang_names, table.column("example_id")
        ),
        metric=metric,
    )


def _codes(column: Any) -> tuple[Any, list[str]]:
    """Dictionary-encode a string column: per-row int codes and the distinct values (first-seen order)."""
    import numpy as np

    encoded = column.combine_chunks().dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes, [str(v) for v in encoded.dictionary.to_pylist()]


def _cell(m: Mapping[str, Any], p: float, method: str) -> Cell:
    return Cell(
        n=int(m["n"]),
        clean=float(m["clean"]),
        attacked=float(m["attacked"]),
        drop=float(m["drop"]),
        ci_low=float(m["ci_low"]),
        ci_high=float(m["ci_high"]),
        p=float(p),
        p_method=method,
        changed_fraction=float(m["changed_fraction"]),
        b=int(m["b"]) if "b" in m else None,
        c=int(m["c"]) if "c" in m else None,
    )


def _with_em(cell: Cell, m: Mapping[str, Any], em_p: float) -> Cell:
    """A QA cell with EM beside its F1 (b and c are EM's discordant pairs)."""
    from dataclasses import replace

    return replace(cell, em_clean=float(m["em_clean"]), em_attacked=float(m["em_attacked"]), em_p=em_p)


def _candidates(
    info: RunInfo, flipped: Any, lang_codes: Any, lang_names: Sequence[str], ids: Any
) -> dict[str, tuple[str, ...]]:
    """A few example ids per language the attack made worse (``flipped``; seeded choice)."""
    import numpy as np

    out: dict[str, tuple[str, ...]] = {}
    if info.is_reference:
        return out
    for code, lang in enumerate(lang_names):
        where = np.flatnonzero(flipped & (lang_codes == code))
        if where.size == 0:
            continue
        key = f"{info.model}/{info.task}/{info.attack}/{info.seed}/{lang}".encode()
        rng = np.random.default_rng(zlib.crc32(key))
        chosen = np.sort(rng.choice(where, size=min(CANDIDATES_PER_LANGUAGE, where.size), replace=False))
        out[lang] = tuple(str(x) for x in ids.take(chosen).to_pylist())
    return out


def check_metrics(path: Path, recomputed: Mapping[str, Any], metric: TaskMetric) -> MetricsCheck:
    """Compare the stored metrics.json with the numbers recomputed from records."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return MetricsCheck(False, float("inf"), f"metrics.json unreadable: {err}")
    pairs = [(stored.get("overall", {}), recomputed["overall"], "overall")]
    stored_langs = stored.get("languages", {})
    if set(stored_langs) != set(recomputed["languages"]):
        return MetricsCheck(False, float("inf"), "metrics.json lists other languages than the records")
    pairs += [(stored_langs[lang], cell, lang) for lang, cell in recomputed["languages"].items()]
    worst, where = 0.0, ""
    for old, new, name in pairs:
        keys = _CHECKED_KEYS[metric.kind]
        for key in keys[:6] if name == "overall" and metric.kind == "f1" else keys:
            try:
                diff = abs(float(old[key]) - float(new[key]))
            except (KeyError, TypeError, ValueError):
                return MetricsCheck(False, float("inf"), f"metrics.json lacks {name}.{key}")
            if diff > worst:
                worst, where = diff, f"{name}.{key}"
    agrees = worst <= 1e-9
    return MetricsCheck(agrees, worst, "" if agrees else f"largest difference in {where}")
