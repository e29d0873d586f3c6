"""Find run directories and reduce each run to per-language and overall numbers, one run at a time.

Only the columns the statistics need are read (never the text columns), and only aggregates plus a
handful of candidate example ids are kept per run, so hundreds of runs fit in memory. The numbers
are recomputed from records.parquet; metrics.json is only checked against them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robustx.errors import DataError

# The only columns the statistics pass reads from records.parquet.
STAT_COLUMNS = ("example_id", "lang", "correct_clean", "correct_attacked", "changed_fraction")
# Keys of metrics.json cells compared with the recomputation.
_CHECKED_KEYS = ("n", "clean", "attacked", "drop", "ci_low", "ci_high", "b", "c", "mcnemar_p")
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
    """Clean vs attacked accuracy (fractions 0-1) of one language, or of a run overall."""

    n: int
    clean: float
    attacked: float
    drop: float
    ci_low: float
    ci_high: float
    b: int
    c: int
    p: float
    p_method: str
    changed_fraction: float
    p_adjusted: float | None = None


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
    mcnemar_pooled_p: float
    check: MetricsCheck
    candidates: Mapping[str, tuple[str, ...]]  # lang -> example ids flipped from correct to wrong


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

    records = path / "records.parquet"
    if not (records.is_file() and (path / "metrics.json").is_file()):
        return Skipped(path, "incomplete run (no records.parquet/metrics.json yet)")
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        info = _run_info(path, config)
        missing = [c for c in STAT_COLUMNS if c not in pq.read_schema(records).names]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return Skipped(path, f"unreadable run: {err}")
    unsupported = unsupported_family(info.task)
    if unsupported:
        return Skipped(path, unsupported)
    if missing:
        return Skipped(
            path, f"records lack {', '.join(missing)} (task family not supported by the report yet)"
        )
    table = pq.read_table(records, columns=list(STAT_COLUMNS))
    if table.num_rows == 0:
        return Skipped(path, "records.parquet holds no rows")
    return _analyse(info, table, path)


# Families whose task metric is per-example accuracy, which is what the report and the gate test.
SUPPORTED_FAMILIES = ("classification",)


def unsupported_family(task: str) -> str | None:
    """Why a task's runs cannot be reported or gated yet, or None.

    Tagging (seqeval F1), QA (F1 / EM) and retrieval (BUCC F1) records also carry per-example
    ``correct_*`` columns, but accuracy on those is not the task's metric; reporting it under the
    task's name would mislead, so such runs are refused until their metric is wired in.
    """
    from robustx.errors import RobustxError
    from robustx.tasks import get_task

    try:
        family = get_task(task).family
    except RobustxError:
        return None  # a task unknown to this version: judged by its columns
    if family in SUPPORTED_FAMILIES:
        return None
    return (
        f"task {task} is in the {family} family; report and check support per-example accuracy "
        "(classification) only so far, not its task metric"
    )


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


def _analyse(info: RunInfo, table: Any, path: Path) -> RunResult:
    import numpy as np

    from robustx.metrics import classification_metrics
    from robustx.report.significance import overall_p

    metrics = classification_metrics(table, parallel=info.parallel, seed=info.seed)
    clean = np.asarray(table.column("correct_clean").to_numpy(zero_copy_only=False), dtype=bool)
    attacked = np.asarray(table.column("correct_attacked").to_numpy(zero_copy_only=False), dtype=bool)
    # Languages and example ids as integer codes (no Python string per row); ids of the few
    # drill-down candidates are looked up in the Arrow column afterwards.
    lang_codes, lang_names = _codes(table.column("lang"))
    id_codes, _ = _codes(table.column("example_id"))
    cells = {lang: _cell(m, m["mcnemar_p"], "mcnemar-exact") for lang, m in metrics["languages"].items()}
    o = metrics["overall"]
    p, method = overall_p(clean, attacked, id_codes, lang_codes, info.parallel, pooled_mcnemar=o["mcnemar_p"])
    flipped = clean & ~attacked
    return RunResult(
        info=info,
        languages=cells,
        overall=_cell(o, p, method),
        ci_method=str(o["ci_method"]),
        mcnemar_pooled_p=float(o["mcnemar_p"]),
        check=check_metrics(path / "metrics.json", metrics),
        candidates=_candidates(info, flipped, lang_codes, lang_names, table.column("example_id")),
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
        b=int(m["b"]),
        c=int(m["c"]),
        p=float(p),
        p_method=method,
        changed_fraction=float(m["changed_fraction"]),
    )


def _candidates(
    info: RunInfo, flipped: Any, lang_codes: Any, lang_names: Sequence[str], ids: Any
) -> dict[str, tuple[str, ...]]:
    """A few example ids per language that the attack flipped from correct to wrong (seeded choice)."""
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


def check_metrics(path: Path, recomputed: Mapping[str, Any]) -> MetricsCheck:
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
        for key in _CHECKED_KEYS:
            try:
                diff = abs(float(old[key]) - float(new[key]))
            except (KeyError, TypeError, ValueError):
                return MetricsCheck(False, float("inf"), f"metrics.json lacks {name}.{key}")
            if diff > worst:
                worst, where = diff, f"{name}.{key}"
    agrees = worst <= 1e-9
    return MetricsCheck(agrees, worst, "" if agrees else f"largest difference in {where}")
