"""Pair a baseline's runs with a candidate's and join their records item by item.

A comparison of two drops is only valid on the same items under the same perturbations, so every
mismatch is refused with one line (exit 2): another task/attack/seed, other examples (joined on
example_id + lang), other clean inputs (``text_hash``), or, for model-free attacks, other perturbed
inputs (``text_hash_attacked``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robustx.errors import DataError

RunKey = tuple[str, str, int]  # task, canonical attack spec, seed
COLUMNS = (
    "example_id",
    "lang",
    "correct_clean",
    "correct_attacked",
    "text_hash",
    "text_hash_attacked",
    "queries",
)


@dataclass(frozen=True)
class PairedRun:
    """One task x attack x seed evaluated by both checkpoints, rows aligned (sorted by lang, id)."""

    task: str
    attack: str
    seed: int
    parallel: bool
    baseline: Path
    candidate: Path
    langs: np.ndarray
    ids: np.ndarray
    drop_baseline: np.ndarray  # per row: correct clean - correct attacked, in {-1, 0, 1}
    drop_candidate: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.task} / {self.attack} / seed {self.seed}"


def key_label(key: RunKey) -> str:
    return f"{key[0]} / {key[1]} / seed {key[2]}"


def side_runs(path: Path, side: str) -> dict[RunKey, Path]:
    """The complete runs under ``path`` by (task, attack, seed); incomplete or duplicate runs refused."""
    from robustx.report.collect import find_run_dirs
    from robustx.store import RunStore

    dirs = find_run_dirs([path])
    if not dirs:
        raise DataError(f"{side} {path} holds no run directory (config.json)")
    runs: dict[RunKey, Path] = {}
    for run in dirs:
        if not RunStore(run).is_complete():
            raise DataError(
                f"{side} run {run} is incomplete (no metrics.json/records.parquet); finish it with "
                "`robustx evaluate ... --resume` before gating on it"
            )
        key = _key(_config(run))
        if key in runs:
            raise DataError(
                f"{side} {path} holds two runs of {key_label(key)} ({runs[key]}, {run}); point at one model's runs"
            )
        runs[key] = run
    return runs


def _config(run: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((run / "config.json").read_text(encoding="utf-8")))
    except (OSError, ValueError) as err:
        raise DataError(f"{run}/config.json is unreadable: {err}") from None


def _key(config: Mapping[str, Any]) -> RunKey:
    try:
        return str(config["task"]), str(config["attack"]), int(config["seed"])
    except (KeyError, TypeError, ValueError):
        raise DataError("config.json lacks task, attack or seed") from None


def pair_runs(baseline: Path, candidate: Path) -> list[tuple[RunKey, Path, Path]]:
    """Matching (key, baseline run, candidate run); any run on one side only is an error."""
    base, cand = side_runs(baseline, "baseline"), side_runs(candidate, "candidate")
    if len(base) == 1 and len(cand) == 1 and set(base) != set(cand):
        (bk,), (ck,) = base, cand
        diff = [
            f"{name} ({b!r} in the baseline, {c!r} in the candidate)"
            for name, b, c in zip(("task", "attack", "seed"), bk, ck, strict=True)
            if b != c
        ]
        raise DataError(f"baseline and candidate runs differ in {'; '.join(diff)}: they are not comparable")
    for side, mine, other in (("candidate", base, cand), ("baseline", cand, base)):
        missing = [k for k in mine if k not in other]
        if missing:
            raise DataError(
                f"the {side} has no run of {key_label(missing[0])}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + "; evaluate it with the same --task, --attack and --seed"
            )
    return [(k, base[k], cand[k]) for k in sorted(base)]


def _read(run: Path) -> dict[str, np.ndarray]:
    import pyarrow.parquet as pq

    path = run / "records.parquet"
    names = pq.read_schema(path).names
    missing = [c for c in COLUMNS[:4] if c not in names]
    if missing:
        raise DataError(f"{path} lacks {', '.join(missing)}; the gate compares per-example correctness")
    table = pq.read_table(path, columns=[c for c in COLUMNS if c in names])
    cols = {c: np.asarray(table.column(c).to_numpy(zero_copy_only=False)) for c in table.column_names}
    order = np.lexsort((cols["example_id"], cols["lang"]))
    cols = {c: v[order] for c, v in cols.items()}
    keys = np.char.add(np.char.add(cols["lang"].astype(str), "\x1f"), cols["example_id"].astype(str))
    dup = np.flatnonzero(keys[1:] == keys[:-1])
    if dup.size:
        raise DataError(f"{path} holds example {cols['example_id'][dup[0]]} ({cols['lang'][dup[0]]}) twice")
    cols["key"] = keys
    return cols


def _differ(b: np.ndarray, c: np.ndarray, ids: np.ndarray, langs: np.ndarray) -> tuple[int, str]:
    bad = np.flatnonzero(b != c)
    return int(bad.size), (f"{langs[bad[0]]}:{ids[bad[0]]}" if bad.size else "")


def join(key: RunKey, baseline: Path, candidate: Path) -> PairedRun:
    """Align the two runs' records on (lang, example_id) and check they saw the same inputs."""
    from robustx.errors import RobustxError
    from robustx.report.collect import unsupported_family
    from robustx.tasks import get_task

    unsupported = unsupported_family(key[0])
    if unsupported:
        raise DataError(unsupported)
    b, c = _read(baseline), _read(candidate)
    what = key_label(key)
    if b["key"].shape != c["key"].shape or np.any(b["key"] != c["key"]):
        only_b = np.setdiff1d(b["key"], c["key"])
        only_c = np.setdiff1d(c["key"], b["key"])
        example = (only_b if only_b.size else only_c)[0].replace("\x1f", ":")
        raise DataError(
            f"{what}: baseline and candidate were evaluated on different examples ({only_b.size} "
            f"example/language rows only in the baseline, {only_c.size} only in the candidate, e.g. "
            f"{example}); evaluate the candidate with the baseline's --langs, --limit and data"
        )
    ids, langs = b["example_id"].astype(str), b["lang"].astype(str)
    checks = [("text_hash", "clean inputs", "the data files differ")]
    if _model_free(b) and _model_free(c):
        checks.append(
            ("text_hash_attacked", "perturbed inputs", "the same spec and seed must perturb identically")
        )
    for column, what_differs, hint in checks:
        if column in b and column in c:
            count, example = _differ(b[column], c[column], ids, langs)
            if count:
                raise DataError(
                    f"{what}: {what_differs} differ for {count} examples (e.g. {example}); {hint}"
                )
    try:
        parallel = get_task(key[0]).parallel
    except RobustxError:
        parallel = False
    return PairedRun(
        task=key[0],
        attack=key[1],
        seed=key[2],
        parallel=parallel,
        baseline=baseline,
        candidate=candidate,
        langs=langs,
        ids=ids,
        drop_baseline=_drops(b),
        drop_candidate=_drops(c),
    )


def _model_free(cols: Mapping[str, np.ndarray]) -> bool:
    """No model queries during the attack: the perturbed text must not depend on the model."""
    return "queries" not in cols or not np.any(cols["queries"])


def _drops(cols: Mapping[str, np.ndarray]) -> np.ndarray:
    return cols["correct_clean"].astype(np.float64) - cols["correct_attacked"].astype(np.float64)
