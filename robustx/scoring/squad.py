"""Extractive-QA scores: SQuAD v1.1's official normalisation (XQuAD, TyDiQA-GoldP) and MLQA's per language.

XTREME scores XQuAD and TyDiQA-GoldP with SQuAD's ``evaluate-v1.1.py`` and MLQA with
``mlqa_evaluation_v1.py``; both are reimplemented here rule for rule (tests/test_qa.py checks them on
hand-computed fixtures):

* SQuAD v1.1: lower-case, drop ASCII punctuation, drop the articles a/an/the, collapse whitespace; F1
  over whitespace tokens.
* MLQA: lower-case, drop every Unicode punctuation character (category P*) and ASCII punctuation,
  drop the language's articles, then tokenize: whitespace for en/es/hi/vi/de/ar, and for zh each Han
  character (U+4E00-U+9FA5) and punctuation mark on its own, other runs split on whitespace.

Scores are fractions (0-1) and the maximum over the gold answers, as both scripts report them
(times 100).
"""

from __future__ import annotations

import functools
import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Literal

Style = Literal["squad", "mlqa"]

_SQUAD_PUNCT = frozenset(string.punctuation)
_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")
# MLQA's article patterns, verbatim (the Arabic one removes every "ال", as the script does).
_MLQA_ARTICLES: dict[str, re.Pattern[str] | None] = {
    "en": re.compile(r"\b(a|an|the)\b"),
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "hi": None,
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "ar": re.compile("\\sال^|ال"),
    "zh": None,
}
MLQA_LANGS = tuple(_MLQA_ARTICLES)
_HAN = re.compile("[\u4e00-\u9fa5]")


@functools.cache
def _mlqa_punct() -> frozenset[str]:
    chars = (chr(i) for i in range(sys.maxunicode))
    return frozenset(c for c in chars if unicodedata.category(c).startswith("P")) | _SQUAD_PUNCT


def normalize_squad(text: str) -> str:
    """SQuAD v1.1 ``normalize_answer``."""
    text = "".join(ch for ch in text.lower() if ch not in _SQUAD_PUNCT)
    return " ".join(_SQUAD_ARTICLES.sub(" ", text).split())


def _mixed_segmentation(text: str, punct: frozenset[str]) -> list[str]:
    out: list[str] = []
    run = ""
    for ch in text:
        if _HAN.match(ch) or ch in punct:
            out.extend(run.split())
            run = ""
            out.append(ch)
        else:
            run += ch
    out.extend(run.split())
    return out


def normalize_mlqa(text: str, lang: str) -> str:
    """MLQA ``normalize_answer(s, lang)`` for its seven languages; ValueError for any other."""
    if lang not in _MLQA_ARTICLES:
        raise ValueError(
            f"MLQA normalisation has no rules for language {lang} (it knows {', '.join(MLQA_LANGS)})"
        )
    punct = _mlqa_punct()
    text = "".join(ch for ch in text.lower() if ch not in punct)
    articles = _MLQA_ARTICLES[lang]
    if articles is not None:
        text = articles.sub(" ", text)
    tokens = _mixed_segmentation(text, punct) if lang == "zh" else text.split()
    return " ".join(t for t in tokens if t.strip())


def _normalizer(style: Style, lang: str) -> Callable[[str], str]:
    if style == "mlqa":
        return functools.partial(normalize_mlqa, lang=lang)
    return normalize_squad


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def qa_scores(
    prediction: str, golds: Sequence[str], style: Style = "squad", lang: str = "en"
) -> tuple[float, float]:
    """(EM, F1) of one prediction: the maximum over the gold answers (0 with no gold answer)."""
    norm = _normalizer(style, lang)
    pred = norm(prediction)
    pred_tokens = pred.split()
    em = f1 = 0.0
    for gold in golds:
        g = norm(gold)
        em = max(em, float(pred == g))
        f1 = max(f1, _f1(pred_tokens, g.split()))
    return em, f1
