"""Core value types shared by loaders, victims, attacks and the evaluation loop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Example:
    """One evaluation item in one language.

    ``id`` is stable across languages where the set is parallel (``xnli/test/00042`` names the same
    item in all 15 XNLI languages), so paired and clustered statistics can join on it.
    """

    id: str
    task: str
    lang: str
    fields: Mapping[str, Any]
    label: Any
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Perturbed:
    """A perturbation's output: the new text and which spans of it changed.

    ``changed`` holds (start, end) offsets into ``text``; ``units``/``units_changed`` count the
    candidate units (words) seen and changed, for the changed fraction.
    """

    text: str
    changed: tuple[tuple[int, int], ...] = ()
    units: int = 0
    units_changed: int = 0

    @property
    def is_changed(self) -> bool:
        return bool(self.changed)
