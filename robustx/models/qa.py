"""The extractive-QA victim: answer spans from any checkpoint with a question-answering head.

Decoding follows the reference SQuAD pipeline (HF ``run_qa.py`` / XTREME): the question is cut to
``max_query_length`` (64) tokens; a long context is split into windows of ``max_length`` tokens that
overlap by ``doc_stride``; in every window the ``n_best`` start and end logits are combined, spans
outside the context, reversed, or longer than ``max_answer_length`` tokens are dropped, and the
highest start+end score over all windows wins (ties: the first in window, start-rank, end-rank
order). The answer is the context substring under the span's character offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robustx.errors import ModelError
from robustx.models.batching import length_sorted_batches, to_device
from robustx.models.loading import first_line, headed_config, model_fingerprint, pick_device

MAX_QUERY_LENGTH = 64


@dataclass(frozen=True)
class Answer:
    text: str
    start: int  # character offset in the context; -1 when no valid span was found
    score: float


@dataclass
class QAVictim:
    model: Any
    tokenizer: Any
    ref: str
    fingerprint: str
    device: str
    batch_size: int = 32
    max_length: int = 384
    doc_stride: int = 128
    max_answer_length: int = 30
    n_best: int = 20
    bf16: bool = False
    max_tokens: int | None = None  # padded tokens per batch (GPU); batch_size still caps the rows

    def predict(self, questions: Sequence[str], contexts: Sequence[str]) -> list[Answer]:
        if not questions:
            return []
        enc = self._features([self._cut_question(q) for q in questions], list(contexts))
        starts, ends = self._logits(enc)
        by_example: dict[int, list[int]] = {}
        for feature, example in enumerate(enc["overflow_to_sample_mapping"]):
            by_example.setdefault(int(example), []).append(feature)
        return [
            self._best(contexts[i], by_example.get(i, []), enc, starts, ends) for i in range(len(questions))
        ]

    def _cut_question(self, question: str) -> str:
        question = question.lstrip()
        enc = self.tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
        offsets = enc["offset_mapping"]
        return question[: offsets[MAX_QUERY_LENGTH - 1][1]] if len(offsets) > MAX_QUERY_LENGTH else question

    def _features(self, questions: list[str], contexts: list[str]) -> Any:
        right = self.tokenizer.padding_side == "right"
        stride = self.stride
        enc = self.tokenizer(
            questions if right else contexts,
            contexts if right else questions,
            truncation="only_second" if right else "only_first",
            max_length=self.max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        context_index = 1 if right else 0
        enc["context_offsets"] = [
            [
                o if s == context_index else None
                for o, s in zip(enc["offset_mapping"][i], enc.sequence_ids(i), strict=True)
            ]
            for i in range(len(enc["input_ids"]))
        ]
        return enc

    def _logits(self, enc: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        import torch

        n = len(enc["input_ids"])
        starts: list[np.ndarray] = [np.empty(0)] * n
        ends: list[np.ndarray] = [np.empty(0)] * n
        arrays = {k: enc[k] for k in ("input_ids", "token_type_ids") if k in enc}
        for batch in length_sorted_batches(
            arrays, self.tokenizer.pad_token_id or 0, self.batch_size, self.max_tokens, self.device
        ):
            tensors = to_device(batch.arrays, self.device)
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.bf16):
                out = self.model(**tensors)
            s, e = out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy()
            for row, feature in enumerate(batch.indices):
                width = len(enc["input_ids"][feature])
                starts[feature], ends[feature] = s[row, :width], e[row, :width]
        return starts, ends

    def _best(
        self, context: str, features: list[int], enc: Any, starts: list[np.ndarray], ends: list[np.ndarray]
    ) -> Answer:
        best: tuple[float, int, int] | None = None
        for f in features:
            offsets = enc["context_offsets"][f]
            s_logits, e_logits = starts[f], ends[f]
            top_s = np.argsort(-s_logits, kind="stable")[: self.n_best]
            top_e = np.argsort(-e_logits, kind="stable")[: self.n_best]
            for s in top_s:
                if offsets[s] is None:
                    continue
                for e in top_e:
                    if offsets[e] is None or e < s or e - s + 1 > self.max_answer_length:
                        continue
                    score = float(s_logits[s] + e_logits[e])
                    if best is None or score > best[0]:
                        best = (score, offsets[s][0], offsets[e][1])
        if best is None:
            return Answer("", -1, float("-inf"))
        return Answer(context[best[1] : best[2]], best[1], best[0])

    @property
    def stride(self) -> int:
        """``doc_stride``, capped so a window always has room past the longest question."""
        return max(1, min(self.doc_stride, self.max_length - MAX_QUERY_LENGTH - 8))

    def describe(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "hash": self.fingerprint,
            "device": self.device,
            "max_length": self.max_length,
            "doc_stride": self.stride,
            "max_answer_length": self.max_answer_length,
            "n_best": self.n_best,
        }


def load_qa_model(
    ref: str, device: str = "auto", batch_size: int = 32, max_length: int = 384, **decoding: int
) -> QAVictim:
    """Load and validate an extractive-QA checkpoint; ModelError on any misfit."""
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    path, config = headed_config(ref, "ForQuestionAnswering", "question-answering")
    try:
        model, info = AutoModelForQuestionAnswering.from_pretrained(path, output_loading_info=True)
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as err:
        raise ModelError(f"cannot load checkpoint {ref}: {first_line(err)}") from None
    if any("qa_outputs" in k for k in info.get("missing_keys", [])):
        raise ModelError(f"checkpoint {ref} lacks trained question-answering weights (qa_outputs)")
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"checkpoint {ref} has no fast tokenizer (answer offsets need one)")
    if max_length < MAX_QUERY_LENGTH + 16:
        raise ModelError(
            f"--max-length {max_length} is too short for QA (questions alone take up to {MAX_QUERY_LENGTH} tokens)"
        )
    dev = pick_device(device)
    bf16 = bool(decoding.pop("bf16", False))
    model.to(dev).eval()
    return QAVictim(
        model,
        tokenizer,
        ref,
        model_fingerprint(path, config),
        dev,
        batch_size,
        max_length,
        bf16=bf16 and dev.startswith("cuda"),
        **decoding,
    )
