"""The English intermediate tasks and the XTREME targets robustx trains, with their real data sources.

Hub ids, configs, splits and columns follow the dataset cards. Local files follow the original
releases (and XTREME's ``download/`` layout for targets); the offline copies in
``shared/data/xtreme/english`` hold only held-out splits, so where a train file is absent robustx
trains on the labelled held-out file minus its first ``dev_size`` rows, which stay the selection
set; the lineage flags such a phase ``stand_in`` and the command warns.

Definitions live in ``intermediate_tasks`` and ``target_tasks``; this module is the registry.
"""

from __future__ import annotations

from robustx.errors import SpecError
from robustx.registry import Registry, did_you_mean
from robustx.transfer.intermediate_tasks import INTERMEDIATE_TASKS
from robustx.transfer.layout import PAIR
from robustx.transfer.spec import TrainTask
from robustx.transfer.target_tasks import TARGET_TASKS

__all__ = [
    "INTERMEDIATE",
    "PAIR",
    "TARGETS",
    "any_task",
    "get_intermediate",
    "get_target",
    "parse_intermediate",
]

INTERMEDIATE: Registry[TrainTask] = Registry("intermediate task")
TARGETS: Registry[TrainTask] = Registry("target task")
for _task in INTERMEDIATE_TASKS:
    INTERMEDIATE.add(_task.name, _task)
for _task in TARGET_TASKS:
    TARGETS.add(_task.name, _task)
_ALIASES = {
    "siqa": "socialiqa",
    "csqa": "commonsenseqa",
    "squad2": "squad_v2",
    "squadv2": "squad_v2",
    "cosmos_qa": "cosmosqa",
    "social_i_qa": "socialiqa",
    "commonsense_qa": "commonsenseqa",
    "paws-x": "pawsx",
    "pan-x": "panx",
    "ud-pos": "udpos",
    "tydiqa-goldp": "tydiqa",
}


def _norm(name: str) -> str:
    low = name.strip().lower()
    return _ALIASES.get(low, low)


def get_intermediate(name: str) -> TrainTask:
    return INTERMEDIATE.get(_norm(name))


def get_target(name: str) -> TrainTask:
    return TARGETS.get(_norm(name))


def parse_intermediate(text: str | None) -> list[TrainTask]:
    """``'mnli,squad'`` -> specs; ``'none'`` or empty -> [] (the no-intermediate baseline)."""
    names = [p.strip() for p in (text or "").split(",") if p.strip()]
    if names == ["none"] or not names:
        return []
    if "none" in names:
        raise SpecError("--intermediate none cannot be combined with other tasks")
    tasks = [get_intermediate(n) for n in names]
    seen = [t.name for t in tasks]
    duplicates = sorted({n for n in seen if seen.count(n) > 1})
    if duplicates:
        raise SpecError(f"--intermediate names {', '.join(duplicates)} twice")
    return tasks


def any_task(name: str) -> TrainTask:
    """An intermediate or target task by name (for per-task file overrides)."""
    key = _norm(name)
    if key in INTERMEDIATE:
        return INTERMEDIATE.get(key)
    if key in TARGETS:
        return TARGETS.get(key)
    known = sorted({*INTERMEDIATE.names(), *TARGETS.names()})
    raise SpecError(f"unknown task '{name}'{did_you_mean(key, known)}; known: {', '.join(known)}")
