"""Row converters: one raw row (a hub record or a local file row) -> a training item.

Each converter knows one schema. Hub schemas follow the dataset cards; local schemas follow the
original release files and the offline copies in ``shared/data/xtreme/english`` (whose CSQA and
PIQA files write choices as ``"A. text"`` lines and the answer as ``"B. text"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from robustx.transfer.spec import ChoiceItem, Converter, Item, PairItem, SpanItem, TagItem

NLI_LABELS = ("entailment", "neutral", "contradiction")
_NLI_ALIASES = {"e": "entailment", "n": "neutral", "c": "contradiction", "contradictory": "contradiction"}
_LETTER_LINE = re.compile(r"^\s*([A-Z])\s*[.)]\s?(.*)$")


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise ValueError(f"field '{key}' is missing or not text")
    return value


def _index(value: object, n: int, base: int = 0) -> int:
    """A gold choice index from an int, a digit string or a letter (A = 0)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"bad choice label {value!r}")
    text = str(value).strip()
    if len(text) == 1 and text.isalpha():
        index = ord(text.upper()) - ord("A")
    elif text.lstrip("-").isdigit():
        index = int(text) - base
    else:
        raise ValueError(f"bad choice label {value!r}")
    if not 0 <= index < n:
        raise ValueError(f"choice label {value!r} out of range for {n} choices")
    return index


def nli_hub(row: Mapping[str, Any]) -> Item | None:
    """GLUE MNLI / SNLI / ANLI on the hub: premise, hypothesis, ClassLabel (-1: no gold label)."""
    label = row.get("label")
    if not isinstance(label, int) or label < 0:
        return None
    return PairItem(_text(row, "premise"), _text(row, "hypothesis"), NLI_LABELS[label])


def nli_jsonl(row: Mapping[str, Any]) -> Item | None:
    """The MultiNLI / SNLI release files: sentence1, sentence2, gold_label ('-': no consensus)."""
    gold = str(row.get("gold_label", "")).strip().lower()
    if gold == "-" or not gold:
        return None
    label = _NLI_ALIASES.get(gold, gold)
    if label not in NLI_LABELS:
        raise ValueError(f"unknown gold_label {gold!r}")
    return PairItem(_text(row, "sentence1"), _text(row, "sentence2"), label)


def anli_jsonl(row: Mapping[str, Any]) -> Item | None:
    """The ANLI release files: context, hypothesis, label e/n/c."""
    label = _NLI_ALIASES.get(str(row.get("label", "")).strip().lower())
    if label is None:
        raise ValueError(f"unknown label {row.get('label')!r}")
    return PairItem(_text(row, "context"), _text(row, "hypothesis"), label)


QQP_LABELS = ("not_duplicate", "duplicate")


def qqp(row: Mapping[str, Any]) -> Item | None:
    """GLUE QQP: question1, question2 and label (hub) or is_duplicate (GLUE TSV)."""
    raw = row.get("label", row.get("is_duplicate"))
    if raw is None or str(raw).strip() in {"", "-1"}:
        return None
    return PairItem(_text(row, "question1"), _text(row, "question2"), QQP_LABELS[_index(raw, 2)])


BOOLQ_LABELS = ("false", "true")


def boolq(row: Mapping[str, Any]) -> Item | None:
    """BoolQ: question, passage, answer (bool on the hub and in the release; 'True' strings offline)."""
    answer = row.get("answer", row.get("label"))
    if isinstance(answer, str) and answer.strip().lower() in BOOLQ_LABELS:
        label = answer.strip().lower()
    elif isinstance(answer, bool):
        label = "true" if answer else "false"
    else:
        raise ValueError(f"bad answer {answer!r}")
    return PairItem(_text(row, "question"), _text(row, "passage"), label)


def pair_converter(
    first: str, second: str, label_key: str, canonical: Callable[[object], str | None]
) -> Converter:
    """Sentence pairs whose label goes through a task's canonical-label mapping (XNLI, PAWS-X)."""

    def convert(row: Mapping[str, Any]) -> Item | None:
        label = canonical(row.get(label_key))
        if label is None:
            raise ValueError(f"unknown label {row.get(label_key)!r}")
        return PairItem(_text(row, first), _text(row, second), label)

    return convert


def hellaswag(row: Mapping[str, Any]) -> Item | None:
    endings = tuple(str(e) for e in row.get("endings") or ())
    if len(endings) < 2:
        raise ValueError("field 'endings' needs at least two endings")
    if str(row.get("label", "")).strip() == "":
        return None  # the test split is unlabelled
    return ChoiceItem(_text(row, "ctx"), endings, _index(row["label"], len(endings)))


def cosmosqa(row: Mapping[str, Any]) -> Item | None:
    question = _text(row, "question")
    choices = tuple(f"{question} {_text(row, f'answer{i}')}" for i in range(4))
    return ChoiceItem(_text(row, "context"), choices, _index(row.get("label"), 4))


def socialiqa(row: Mapping[str, Any]) -> Item | None:
    """SocialIQA: hub label '1'..'3'; the v1.4 release files: correct 'A'..'C'."""
    choices = tuple(_text(row, f"answer{c}") for c in "ABC")
    first = f"{_text(row, 'context')} {_text(row, 'question')}"
    if "correct" in row:
        return ChoiceItem(first, choices, _index(row["correct"], 3))
    return ChoiceItem(first, choices, _index(row.get("label"), 3, base=1))


def commonsenseqa(row: Mapping[str, Any]) -> Item | None:
    """CommonsenseQA: hub (choices.label/text, answerKey), release (question.stem), offline lines."""
    question = row.get("question")
    if isinstance(question, Mapping):  # the release format
        labels = [str(c["label"]) for c in question.get("choices", [])]
        texts = [str(c["text"]) for c in question.get("choices", [])]
        return ChoiceItem(_text(question, "stem"), tuple(texts), _keyed(row.get("answerKey"), labels))
    choices = row.get("choices")
    if isinstance(choices, Mapping):  # the hub format
        keys = [str(x) for x in choices.get("label", [])]
        if not str(row.get("answerKey") or "").strip():
            return None  # the test split is unlabelled
        answers = tuple(str(x) for x in choices.get("text", []))
        return ChoiceItem(_text(row, "question"), answers, _keyed(row.get("answerKey"), keys))
    return _lettered(row, _text(row, "question"))


def piqa(row: Mapping[str, Any]) -> Item | None:
    """PIQA: hub/release (goal, sol1, sol2, label) or the offline lettered lines."""
    if "goal" in row:
        return ChoiceItem(
            _text(row, "goal"), (_text(row, "sol1"), _text(row, "sol2")), _index(row["label"], 2)
        )
    return _lettered(row, _text(row, "question"))


def _keyed(key: object, labels: Sequence[str]) -> int:
    if str(key) not in labels:
        raise ValueError(f"answerKey {key!r} is not one of {', '.join(labels)}")
    return labels.index(str(key))


def _lettered(row: Mapping[str, Any], first: str) -> Item | None:
    """``options``: 'A. text' lines; ``answer``: 'B. text' (absent in the unlabelled test files)."""
    letters, texts = [], []
    for line in _text(row, "options").splitlines():
        match = _LETTER_LINE.match(line)
        if match:
            letters.append(match.group(1))
            texts.append(match.group(2).strip())
    if len(texts) < 2:
        raise ValueError("field 'options' has fewer than two 'A. text' lines")
    answer = row.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        return None
    match = _LETTER_LINE.match(answer)
    if not match or match.group(1) not in letters:
        raise ValueError(f"answer {answer!r} names none of the options")
    return ChoiceItem(first, tuple(texts), letters.index(match.group(1)))


def squad(row: Mapping[str, Any]) -> Item | None:
    """SQuAD schema (hub and flattened release JSON): answers {text: [...], answer_start: [...]}."""
    answers = row.get("answers") or {}
    texts = list(answers.get("text", []))
    starts = list(answers.get("answer_start", []))
    if len(texts) != len(starts):
        raise ValueError("answers.text and answers.answer_start differ in length")
    context = _text(row, "context")
    spans = tuple((str(t), int(s)) for t, s in zip(texts, starts, strict=True) if str(t))  # '' = no label
    for text, start in spans:
        if context[start : start + len(text)] != text:
            raise ValueError(f"answer {text!r} is not at offset {start} of the context")
    return SpanItem(str(row.get("id", "")), context, _text(row, "question"), spans)


def tags_by_id(column: str, labels: Sequence[str]) -> Converter:
    """Hub token classification: tokens and a ClassLabel id per token (google/xtreme udpos/PAN-X)."""

    def convert(row: Mapping[str, Any]) -> Item | None:
        tokens = tuple(str(t) for t in row.get("tokens") or ())
        ids = list(row.get(column) or ())
        if len(ids) != len(tokens) or not tokens:
            raise ValueError(f"'{column}' and 'tokens' differ in length (or are empty)")
        return TagItem(tokens, tuple(labels[int(i)] for i in ids))

    return convert


def tags_named(row: Mapping[str, Any]) -> Item | None:
    """CoNLL-style rows read by robustx.transfer.data: tokens and tag names."""
    tokens, tags = tuple(row["tokens"]), tuple(row["tags"])
    if len(tokens) != len(tags) or not tokens:
        raise ValueError("a sentence needs one tag per token")
    return TagItem(tokens, tags)
