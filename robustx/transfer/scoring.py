"""Dev-set scores for model selection: accuracy, span F1 (BIO tags), SQuAD EM/F1.

Runs a plain no-grad loop over the dev features (not ``Trainer.evaluate``) so single- and
multi-task models, and every head, are scored the same way; the QA post-processing needs the
feature offsets that ``Trainer``'s metric hook never sees.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from robustx.transfer.features import IGNORE, Encoded, pad_batch
from robustx.transfer.spec import Head, Item, SpanItem

Forward = Callable[[dict[str, Any]], Any]
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def dev_score(
    head: Head,
    forward: Forward,
    encoded: Encoded,
    items: Sequence[Item],
    labels: Sequence[str],
    pad_id: int,
    device: Any,
    options: dict[str, Any],
    batch_size: int = 64,
) -> dict[str, Any]:
    """{"metric": name, "score": value in [0, 100], ...}; ``score`` drives model selection."""
    outputs = _run(forward, encoded, pad_id, device, batch_size)
    if head in ("classification", "multiple_choice"):
        gold = np.array([f["labels"] for f in encoded.features])
        pred = np.concatenate([o["logits"] for o in outputs]).argmax(-1)
        return {"metric": "accuracy", "score": 100.0 * float((pred == gold).mean())}
    if head == "tagging":
        return _tagging(outputs, encoded, labels)
    return _qa(
        outputs, encoded, items, int(options.get("max_answer_tokens", 30)), bool(options.get("unanswerable"))
    )


def _run(
    forward: Forward, encoded: Encoded, pad_id: int, device: Any, batch_size: int
) -> list[dict[str, Any]]:
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(encoded.features), batch_size):
            chunk = [
                {k: v for k, v in f.items() if k in _INPUTS}
                for f in encoded.features[start : start + batch_size]
            ]
            batch = {k: v.to(device) for k, v in pad_batch(chunk, pad_id).items()}
            result = forward(batch)
            names = ("start_logits", "end_logits") if hasattr(result, "start_logits") else ("logits",)
            out.append({n: getattr(result, n).float().cpu().numpy() for n in names})
    return out


def _tagging(outputs: list[dict[str, Any]], encoded: Encoded, labels: Sequence[str]) -> dict[str, Any]:
    gold_seqs, pred_seqs = [], []
    features = iter(encoded.features)
    for output in outputs:
        for row in output["logits"].argmax(-1):
            targets = next(features)["labels"]
            keep = [i for i, t in enumerate(targets) if t != IGNORE]
            gold_seqs.append([labels[targets[i]] for i in keep])
            pred_seqs.append([labels[int(row[i])] for i in keep])
    if any(label.startswith(("B-", "I-")) for label in labels):
        return {"metric": "span_f1", "score": 100.0 * span_f1(gold_seqs, pred_seqs)}
    total = sum(len(g) for g in gold_seqs)
    right = sum(
        g == p for gs, ps in zip(gold_seqs, pred_seqs, strict=True) for g, p in zip(gs, ps, strict=True)
    )
    return {"metric": "token_accuracy", "score": 100.0 * right / max(total, 1)}


def spans(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    """IOB2 chunks as (type, start, end); an I- without a matching open chunk starts one (conlleval)."""
    found, kind, begin = set(), None, 0
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, name = tag.partition("-")
        if kind is not None and (prefix in ("B", "O") or tag == "O" or name != kind):
            found.add((kind, begin, i))
            kind = None
        if prefix in ("B", "I") and kind is None:
            kind, begin = name, i
    return found


def span_f1(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    tp = fp = fn = 0
    for g, p in zip(gold, pred, strict=True):
        gs, ps = spans(g), spans(p)
        tp, fp, fn = tp + len(gs & ps), fp + len(ps - gs), fn + len(gs - ps)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _qa(
    outputs: list[dict[str, Any]], encoded: Encoded, items: Sequence[Item], max_tokens: int, null: bool
) -> dict[str, Any]:
    """Best span over an item's windows; with ``null`` (SQuAD 2.0) '' wins when the first-token score is higher."""
    starts = [row for o in outputs for row in o["start_logits"]]
    ends = [row for o in outputs for row in o["end_logits"]]
    best: dict[int, tuple[float, str]] = {}
    null_score: dict[int, float] = {}
    for n, item_index in enumerate(encoded.feature_items):
        item = items[item_index]
        assert isinstance(item, SpanItem)
        null_score[item_index] = min(null_score.get(item_index, np.inf), float(starts[n][0] + ends[n][0]))
        candidate = _best_span(starts[n], ends[n], encoded.offsets[n], item.context, max_tokens)
        if candidate is not None and candidate[0] > best.get(item_index, (-np.inf, ""))[0]:
            best[item_index] = candidate
    if null:
        best = {i: c if c[0] >= null_score[i] else (c[0], "") for i, c in best.items()}
    em = f1 = 0.0
    for index, item in enumerate(items):
        assert isinstance(item, SpanItem)
        prediction = best.get(index, (0.0, ""))[1]
        golds = [text for text, _ in item.answers] or [""]
        em += max(float(normalize(prediction) == normalize(g)) for g in golds)
        f1 += max(token_f1(prediction, g) for g in golds)
    n = max(len(items), 1)
    return {"metric": "f1", "score": 100.0 * f1 / n, "exact_match": 100.0 * em / n}


def _best_span(
    start: np.ndarray, end: np.ndarray, offsets: list[tuple[int, int] | None], context: str, max_tokens: int
) -> tuple[float, str] | None:
    valid = np.array(
        [o is not None for o in offsets[: len(start)]] + [False] * max(0, len(start) - len(offsets))
    )
    if not valid.any():
        return None
    s = np.where(valid, start[: len(valid)], -np.inf)
    e = np.where(valid, end[: len(valid)], -np.inf)
    top_s, top_e = np.argsort(s)[::-1][:20], np.argsort(e)[::-1][:20]
    choice = None
    for i in top_s:
        for j in top_e:
            if valid[i] and valid[j] and i <= j < i + max_tokens:
                score = float(s[i] + e[j])
                if choice is None or score > choice[0]:
                    a, b = offsets[i], offsets[j]
                    assert a is not None and b is not None
                    choice = (score, context[a[0] : b[1]])
    return choice


def normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def token_f1(prediction: str, gold: str) -> float:
    p, g = normalize(prediction).split(), normalize(gold).split()
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)
