"""The token-classification victim: word-level tags from any checkpoint with a token-classification head.

Each word is labelled by its *first* sub-token (the tokenizer's ``word_ids``), as XTREME and the
reference HF NER pipeline do. A sentence longer than ``max_length`` sub-tokens is cut into windows of
whole words, each scored on its own (XTREME's preprocessing splits long sentences the same way). A
word the tokenizer turns into no sub-token at all gets the task's "no category" tag (``O`` for NER,
``X`` for POS) and is counted in ``untokenized``. Labels are matched by name through
``config.id2label`` (case-insensitive), so a head that orders the tags differently still scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robustx.errors import ModelError
from robustx.models.batching import length_sorted_batches, to_device
from robustx.models.loading import first_line, headed_config, model_fingerprint, pick_device


@dataclass(frozen=True)
class Piece:
    sentence: int
    first_word: int
    ids: list[int]
    word_ids: list[int | None]


@dataclass(frozen=True)
class Tagged:
    tags: list[tuple[str, ...]]
    untokenized: list[int]  # words per sentence that got no sub-token (tagged with the fallback)


@dataclass
class TaggerVictim:
    model: Any
    tokenizer: Any
    ref: str
    fingerprint: str
    column_order: np.ndarray  # model output index of each task label, in task label order
    labels: tuple[str, ...]
    fallback: str
    device: str
    batch_size: int = 32
    max_length: int = 256
    bf16: bool = False
    max_tokens: int | None = None  # padded tokens per batch (GPU); batch_size still caps the rows

    def predict(self, sentences: Sequence[Sequence[str]]) -> Tagged:
        """Word-level task tags for each sentence (same length as its words)."""
        pieces = self._pieces(sentences)
        out: list[list[str]] = [[self.fallback] * len(words) for words in sentences]
        tagged: list[set[int]] = [set() for _ in sentences]
        enc: dict[str, Sequence[Sequence[int]]] = {"input_ids": [p.ids for p in pieces]}
        pad = self.tokenizer.pad_token_id or 0
        for batch in length_sorted_batches(enc, pad, self.batch_size, self.max_tokens, self.device):
            best = self._forward(batch.arrays)
            for row, index in enumerate(batch.indices):
                self._assign(pieces[index], best[row], out, tagged)
        missing = [len(words) - len(done) for words, done in zip(sentences, tagged, strict=True)]
        return Tagged([tuple(tags) for tags in out], missing)

    def _pieces(self, sentences: Sequence[Sequence[str]]) -> list[Piece]:
        """Encode whole sentences; re-encode the too-long ones as windows of whole words."""
        enc = self.tokenizer([list(s) for s in sentences], is_split_into_words=True, truncation=False)
        pieces = []
        for i, words in enumerate(sentences):
            ids = enc["input_ids"][i]
            if len(ids) <= self.max_length:
                pieces.append(Piece(i, 0, ids, enc.word_ids(i)))
                continue
            pieces += self._windows(i, words, enc.word_ids(i))
        return pieces

    def _windows(self, sentence: int, words: Sequence[str], word_ids: list[int | None]) -> list[Piece]:
        counts = np.bincount([w for w in word_ids if w is not None], minlength=len(words))
        budget = self.max_length - self.tokenizer.num_special_tokens_to_add(pair=False)
        if budget < 1:
            raise ModelError(f"--max-length {self.max_length} leaves no room for a word in {self.ref}")
        out, start, used = [], 0, 0
        for w in range(len(words) + 1):
            if w == len(words) or (used + int(counts[w]) > budget and w > start):
                enc = self.tokenizer(
                    [list(words[start:w])],
                    is_split_into_words=True,
                    truncation=True,
                    max_length=self.max_length,
                )
                out.append(Piece(sentence, start, enc["input_ids"][0], enc.word_ids(0)))
                start, used = w, 0
            if w < len(words):
                used += int(counts[w])
        return out

    def _assign(self, piece: Piece, best: np.ndarray, out: list[list[str]], tagged: list[set[int]]) -> None:
        """Label each word of the piece by its first sub-token."""
        for pos, word in enumerate(piece.word_ids):
            if word is None:
                continue
            index = piece.first_word + word
            if index not in tagged[piece.sentence]:
                tagged[piece.sentence].add(index)
                out[piece.sentence][index] = self.labels[int(best[pos])]

    def _forward(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Best task label per token position, [batch, width]."""
        import torch

        tensors = to_device(arrays, self.device)
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.model(**tensors).logits
        scores = logits.float()[..., torch.from_numpy(self.column_order).to(self.device)]
        return np.asarray(scores.argmax(dim=-1).cpu().numpy())

    def describe(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "hash": self.fingerprint,
            "device": self.device,
            "max_length": self.max_length,
        }


def match_tags(config: Any, labels: Sequence[str], ref: str) -> np.ndarray:
    """For each task label, the model output index whose id2label name matches it (case-insensitive)."""
    id2label = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
    names = [id2label.get(i, f"LABEL_{i}") for i in range(int(getattr(config, "num_labels", len(id2label))))]
    lookup = {name.strip().upper(): i for i, name in enumerate(names)}
    missing = [label for label in labels if label.upper() not in lookup]
    if missing or len(names) != len(labels):
        raise ModelError(
            f"checkpoint {ref} tags ({', '.join(names)}) do not match the task's ({', '.join(labels)})"
        )
    return np.array([lookup[label.upper()] for label in labels], dtype=np.int64)


def load_tagger(
    ref: str,
    labels: Sequence[str],
    device: str = "auto",
    batch_size: int = 32,
    max_length: int = 256,
    bf16: bool = False,
) -> TaggerVictim:
    """Load and validate a token classifier for a task with ``labels``; ModelError on any misfit."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    path, config = headed_config(ref, "ForTokenClassification", "token-classification")
    order = match_tags(config, labels, ref)
    try:
        model, info = AutoModelForTokenClassification.from_pretrained(path, output_loading_info=True)
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as err:
        raise ModelError(f"cannot load checkpoint {ref}: {first_line(err)}") from None
    if any("classifier" in k for k in info.get("missing_keys", [])):
        raise ModelError(f"checkpoint {ref} lacks trained token-classification weights")
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"checkpoint {ref} has no fast tokenizer (word alignment needs word_ids)")
    dev = pick_device(device)
    model.to(dev).eval()
    fallback = "O" if "O" in labels else ("X" if "X" in labels else labels[0])
    return TaggerVictim(
        model, tokenizer, ref, model_fingerprint(path, config), order, tuple(labels), fallback, dev,
        batch_size, max_length, bf16 and dev.startswith("cuda"),
    )  # fmt: skip
