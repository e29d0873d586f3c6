"""Task families: how a family loads its victim, builds record rows for a shard, and scores them.

The evaluation loop (robustx.evaluate) is family-agnostic; each family (classification, tagging,
QA, retrieval) supplies these three steps. Families register themselves by name; the loop picks
the family from ``TaskSpec.family``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from robustx.attacks.base import BoundAttack
from robustx.registry import Registry
from robustx.tasks.spec import TaskSpec
from robustx.types import Example

# on_phase("clean" | "attacked", n_examples) advances the progress bars.
OnPhase = Callable[[str, int], None]


class Victim(Protocol):
    def describe(self) -> dict[str, Any]: ...


class VictimOptions(Protocol):
    @property
    def model(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def batch_size(self) -> int: ...
    @property
    def max_length(self) -> int: ...
    @property
    def bf16(self) -> bool: ...


class Family(Protocol):
    def load_victim(self, task: TaskSpec, options: VictimOptions) -> Victim: ...

    def shard_columns(
        self,
        task: TaskSpec,
        examples: Sequence[Example],
        attack: BoundAttack,
        seed: int,
        victim: Any,
        on_phase: OnPhase,
    ) -> dict[str, list[Any]]: ...

    def metrics(self, task: TaskSpec, table: Any, seed: int) -> dict[str, Any]: ...


FAMILIES: Registry[Family] = Registry("task family")


def get_family(name: str) -> Family:
    _load_builtin_families()
    return FAMILIES.get(name)


def _load_builtin_families() -> None:
    import importlib

    for module in ("classification", "tagging", "qa", "retrieval"):
        try:
            importlib.import_module(f"robustx.families.{module}")
        except ModuleNotFoundError as err:
            if err.name != f"robustx.families.{module}":
                raise
