"""Task specifications: what a task is, where its data lives on the hub and on disk."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from robustx.tasks.rows import LoadedRows

Family = Literal["classification", "tagging", "qa", "retrieval"]
SPLITS = ("test", "validation")


@dataclass(frozen=True)
class HubConfig:
    """How one Hugging Face dataset lays out a task.

    ``config`` may contain ``{lang}``; ``columns`` maps our field names to the dataset's columns;
    ``language_column`` is set when one config holds every language (``google/xtreme`` XNLI).
    """

    dataset: str
    config: str
    columns: Mapping[str, str]
    language_column: str | None = None
    id_column: str | None = None
    splits: Mapping[str, str] = field(default_factory=lambda: {"test": "test", "validation": "validation"})

    def config_for(self, lang: str) -> str:
        return self.config.format(lang=lang)


@dataclass(frozen=True)
class TaskSpec:
    """A task: its family, languages, labels, text fields and data sources."""

    name: str
    family: Family
    description: str
    languages: tuple[str, ...]
    labels: tuple[str, ...]
    text_fields: tuple[str, ...]
    download_path: str  # relative to an XTREME download dir; {split} and {lang}
    hub: tuple[HubConfig, ...]
    parallel: bool = False
    label_aliases: Mapping[str, str] = field(default_factory=dict)
    split_files: Mapping[str, str] = field(default_factory=lambda: {"test": "test", "validation": "dev"})
    licence: str = ""
    # Families other than classification read their own formats: (task, source, lang, split, limit).
    loader: Callable[..., LoadedRows] | None = None
    # Family-specific settings (e.g. QA doc stride, retrieval layer); free-form, JSON-able.
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> tuple[str, ...]:
        """Text fields then the label: the column order of XTREME's headerless TSV files."""
        return (*self.text_fields, "label")

    def canonical_label(self, raw: object) -> str | None:
        """Map a raw label (string, ClassLabel int, alias) to one of ``labels``; None if unknown."""
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            return self.labels[raw] if 0 <= raw < len(self.labels) else None
        text = str(raw).strip()
        low = text.lower()
        if low in self.labels:
            return low
        return self.label_aliases.get(low)
