"""Tokenising items into model features, per head, and padding them into batches.

Features are plain lists of ints so datasets stay cheap to build and deterministic; padding happens
per batch (dynamic), which keeps CPU steps short. QA dev features keep their offsets so predicted
token spans map back to context characters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from robustx.errors import DataError, ModelError
from robustx.transfer.spec import ChoiceItem, Head, Item, PairItem, SpanItem, TagItem

IGNORE = -100
Feature = dict[str, Any]


@dataclass
class Encoded:
    features: list[Feature]
    # QA only: for each feature, its item index and per-token character offsets (None outside context).
    feature_items: list[int] = field(default_factory=list)
    offsets: list[list[tuple[int, int] | None]] = field(default_factory=list)


def encode(
    head: Head,
    items: Sequence[Item],
    tokenizer: Any,
    labels: Sequence[str],
    max_length: int,
    options: Mapping[str, Any],
) -> Encoded:
    """Features for ``items``; QA items may give several features each (a sliding window)."""
    if head in ("qa", "tagging") and not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"the {head} head needs a fast tokenizer (offsets and word ids)")
    if head == "classification":
        return Encoded(_pairs([_as(PairItem, i) for i in items], tokenizer, labels, max_length))
    if head == "multiple_choice":
        return Encoded(_choices([_as(ChoiceItem, i) for i in items], tokenizer, max_length))
    if head == "tagging":
        return Encoded(_tags([_as(TagItem, i) for i in items], tokenizer, labels, max_length))
    if head == "qa":
        return _spans(
            [_as(SpanItem, i) for i in items], tokenizer, max_length, int(options.get("doc_stride", 128))
        )
    raise ValueError(f"head {head} has no features")


def _as(kind: type, item: Item) -> Any:
    if not isinstance(item, kind):
        raise DataError(f"expected {kind.__name__} items, got {type(item).__name__}")
    return item


def _keep(enc: Any, index: int, tokenizer: Any) -> Feature:
    names = [n for n in tokenizer.model_input_names if n in enc]
    return {name: enc[name][index] for name in names}


def _pairs(
    items: Sequence[PairItem], tokenizer: Any, labels: Sequence[str], max_length: int
) -> list[Feature]:
    seconds = [i.second for i in items]
    pair = all(s is not None for s in seconds)
    enc = tokenizer(
        [i.first for i in items], seconds if pair else None, truncation=True, max_length=max_length
    )
    index = {label: n for n, label in enumerate(labels)}
    out = []
    for n, item in enumerate(items):
        feature = _keep(enc, n, tokenizer)
        feature["labels"] = index[item.label]
        out.append(feature)
    return out


def _choices(items: Sequence[ChoiceItem], tokenizer: Any, max_length: int) -> list[Feature]:
    counts = {len(i.choices) for i in items}
    if len(counts) > 1:
        raise DataError(
            f"multiple-choice items must have the same number of choices (found {sorted(counts)})"
        )
    firsts = [i.first for i in items for _ in i.choices]
    seconds = [c for i in items for c in i.choices]
    enc = tokenizer(firsts, seconds, truncation=True, max_length=max_length)
    out = []
    width = counts.pop() if counts else 0
    for n, item in enumerate(items):
        rows = [_keep(enc, n * width + j, tokenizer) for j in range(width)]
        feature: Feature = {name: [r[name] for r in rows] for name in rows[0]}
        feature["labels"] = item.label
        out.append(feature)
    return out


def _tags(items: Sequence[TagItem], tokenizer: Any, labels: Sequence[str], max_length: int) -> list[Feature]:
    """Each word's first sub-token carries its tag; other sub-tokens and specials are ignored (-100)."""
    index = {label: n for n, label in enumerate(labels)}
    enc = tokenizer(
        [list(i.tokens) for i in items], is_split_into_words=True, truncation=True, max_length=max_length
    )
    out = []
    for n, item in enumerate(items):
        feature = _keep(enc, n, tokenizer)
        previous = None
        targets = []
        for word in enc.word_ids(n):
            if word is None or word == previous:
                targets.append(IGNORE)
            else:
                targets.append(index.get(item.tags[word], IGNORE))
            previous = word
        feature["labels"] = targets
        out.append(feature)
    return out


def _spans(items: Sequence[SpanItem], tokenizer: Any, max_length: int, stride: int) -> Encoded:
    """SQuAD-style windows over the context; answers outside a window point at the first token."""
    enc = tokenizer(
        [i.question for i in items],
        [i.context for i in items],
        truncation="only_second",
        max_length=max_length,
        stride=min(stride, max_length // 2),
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    result = Encoded([])
    for n, item_index in enumerate(enc["overflow_to_sample_mapping"]):
        sequence = enc.sequence_ids(n)
        offsets = enc["offset_mapping"][n]
        feature = _keep(enc, n, tokenizer)
        feature["start_positions"], feature["end_positions"] = _answer_tokens(
            items[item_index], sequence, offsets
        )
        result.features.append(feature)
        result.feature_items.append(int(item_index))
        result.offsets.append([tuple(o) if s == 1 else None for o, s in zip(offsets, sequence, strict=True)])
    return result


def _answer_tokens(
    item: SpanItem, sequence: list[int | None], offsets: list[tuple[int, int]]
) -> tuple[int, int]:
    if not item.answers:
        return 0, 0
    text, start = item.answers[0]
    end = start + len(text)
    context = [i for i, s in enumerate(sequence) if s == 1]
    if not context or offsets[context[0]][0] > start or offsets[context[-1]][1] < end:
        return 0, 0
    first = next((i for i in context if offsets[i][1] > start), None)
    last = next((i for i in reversed(context) if offsets[i][0] < end), None)
    if first is None or last is None or last < first:
        return 0, 0  # an empty or unalignable answer: treat the window as answerless
    return first, last


def pad_batch(features: Sequence[Feature], pad_id: int) -> dict[str, Any]:
    """Pad list-valued fields to the batch maximum (labels with -100, ids with the pad id)."""
    import torch

    batch: dict[str, Any] = {}
    for name in features[0]:
        values = [f[name] for f in features]
        fill = IGNORE if name == "labels" else pad_id if name == "input_ids" else 0
        if not isinstance(values[0], list):
            batch[name] = torch.tensor(values, dtype=torch.long)
        elif values[0] and isinstance(values[0][0], list):  # multiple choice: [batch, choices, tokens]
            width = max(len(row) for v in values for row in v)
            batch[name] = torch.tensor([[row + [fill] * (width - len(row)) for row in v] for v in values])
        else:
            width = max(len(v) for v in values)
            batch[name] = torch.tensor([v + [fill] * (width - len(v)) for v in values], dtype=torch.long)
    return batch


class Collator:
    """A picklable collate function (DataLoader workers) padding with the tokenizer's pad id."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, features: Sequence[Feature]) -> dict[str, Any]:
        return pad_batch(features, self.pad_id)
