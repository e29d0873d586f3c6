"""What a training task is: its head, where its English data lives (hub and local), its defaults.

Items are the head-specific unit of training data, already normalised from whatever schema the
source uses (hub columns, the original release files, the shared offline copies):

- ``PairItem``: one or two texts and a label name (sequence classification);
- ``ChoiceItem``: a shared first text, candidate second texts, the gold index (multiple choice);
- ``SpanItem``: a SQuAD-style question with answer spans (extractive QA; no answers = unanswerable);
- ``TagItem``: words and one tag name per word (token classification).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Head = Literal["classification", "multiple_choice", "qa", "tagging", "retrieval"]
FileFormat = Literal["jsonl", "csv", "tsv_header", "tsv_pairs", "squad_json", "conll"]
Part = Literal["all", "head", "tail"]


@dataclass(frozen=True)
class PairItem:
    first: str
    second: str | None
    label: str


@dataclass(frozen=True)
class ChoiceItem:
    first: str
    choices: tuple[str, ...]
    label: int


@dataclass(frozen=True)
class SpanItem:
    id: str
    context: str
    question: str
    answers: tuple[tuple[str, int], ...]  # (text, character start); empty: unanswerable


@dataclass(frozen=True)
class TagItem:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]


Item = PairItem | ChoiceItem | SpanItem | TagItem
# A converter maps one raw row (hub record or file row) to an item, or None to skip the row
# (e.g. SNLI pairs without a gold label). It raises ValueError with a short reason for a bad row.
Converter = Callable[[Mapping[str, Any]], Item | None]


@dataclass(frozen=True)
class Hyper:
    """Per-phase hyperparameters; ``batch_size`` is the global (effective) batch."""

    epochs: float
    batch_size: int
    max_length: int
    lr: float = 1e-5
    warmup: float = 0.1  # fraction of the phase's steps with linear warm-up

    def merged(self, overrides: Mapping[str, Any]) -> Hyper:
        values = {**self.__dict__, **{k: v for k, v in overrides.items() if v is not None}}
        return Hyper(**values)


@dataclass(frozen=True)
class HubSpec:
    """A Hugging Face dataset: id, config, the split(s) that make train and dev, a row converter.

    ``revision`` names the parquet conversion for datasets whose main branch is a loading script
    (``datasets`` no longer runs scripts, and robustx never enables ``trust_remote_code``).
    """

    dataset: str
    config: str | None
    train: tuple[str, ...]
    dev: tuple[str, ...]  # empty: the first dev_size training rows (the dev split is an evaluation set)
    convert: Converter
    revision: str | None = None
    keep: Callable[[Mapping[str, Any]], bool] | None = None  # row filter (e.g. English rows only)


@dataclass(frozen=True)
class LocalFile:
    """A file under the data dir. ``part``: all rows, the first ``dev_size`` (head), or the rest (tail)."""

    path: str
    part: Part = "all"
    stand_in: bool = False  # a held-out split used for training because the train file is absent


@dataclass(frozen=True)
class LocalSpec:
    """Files under ``--data-dir`` (English sets under ``english/``), tried in order per role."""

    fmt: FileFormat
    convert: Converter
    train: tuple[LocalFile, ...]
    dev: tuple[LocalFile, ...]
    hint: str  # how to obtain the files


@dataclass(frozen=True)
class TrainTask:
    name: str
    head: Head
    description: str
    hyper: Hyper
    labels: tuple[str, ...] | None = None  # None: taken from the training data (e.g. CCG supertags)
    hub: HubSpec | None = None
    local: LocalSpec | None = None
    evaluate_as: str | None = None  # the `robustx evaluate --task` name of a target
    licence: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)  # head options (QA doc stride, ...)
