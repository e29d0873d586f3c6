"""Model-based candidate sources for word substitution: a masked LM, and input-embedding neighbours.

* :class:`MaskedLM`: any Hugging Face masked LM (a directory or a hub id such as ``xlm-roberta-base``).
  Each word is replaced by one mask token in its sentence (all words of a sentence in one batch); the
  top predictions that start a word (SentencePiece ``▁``, byte-BPE ``Ġ``, or not a WordPiece ``##``
  continuation) are the candidates, best first.
* :class:`EmbeddingNeighbours`: nearest neighbours (cosine) of a word's input embedding (the mean of its
  sub-tokens' rows) among the whole-word vocabulary entries *in the same script*, in any encoder's
  input-embedding matrix (``embedding=embedded`` is the bundled multilingual-e5-small).

Both are fixed resources (never the victim), so a wordsub run with them is still model-free and the
same for every model under test. Models load on first use; heavy imports stay inside.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robustx.errors import ModelError
from robustx.text.scripts import char_script
from robustx.text.segment import Token

WORD_MARKERS = ("\u2581", "\u0120")  # SentencePiece '▁', byte-level BPE 'Ġ'


def word_script(word: str) -> str | None:
    """The script of a word's letters, or None if it has none or mixes scripts."""
    scripts = {char_script(ch) for ch in word if ch.isalpha()}
    return scripts.pop() if len(scripts) == 1 else None


def is_wordlike(text: str) -> bool:
    """Letters and combining marks only (Indic vowel signs and Thai marks count; ``str.isalpha`` would not)."""
    return bool(text) and all(unicodedata.category(ch)[0] in "LM" for ch in text)


def _whole_word(surface: str) -> bool:
    """A vocabulary entry worth offering: letters and marks, at least two letters unless Han/Kana."""
    if not is_wordlike(surface):
        return False
    letters = sum(1 for ch in surface if unicodedata.category(ch)[0] == "L")
    return letters >= 2 or (letters == 1 and char_script(surface[0]) in _SINGLE_CHAR_WORDS)


_SINGLE_CHAR_WORDS = frozenset({"Han", "Hiragana", "Katakana"})


def _tokenizer_and_path(ref: str) -> tuple[Any, str]:
    from transformers import AutoTokenizer

    from robustx.models.loading import first_line, resolve_model_path

    path = resolve_model_path(ref)
    try:
        return AutoTokenizer.from_pretrained(path), path
    except Exception as err:
        raise ModelError(f"cannot load tokenizer of {ref}: {first_line(err)}") from None


def _starts_word(tokenizer: Any) -> Any:
    """A test on vocabulary strings: does this token begin a new word?"""
    pieces = tokenizer.convert_ids_to_tokens(tokenizer("a b", add_special_tokens=False)["input_ids"])
    marker = next((m for m in WORD_MARKERS if any(p.startswith(m) for p in pieces)), None)
    if marker is not None:
        return lambda tok: tok.startswith(marker) and len(tok) > 1
    return lambda tok: not tok.startswith("##")


def _surface(tok: str) -> str:
    return tok.lstrip("".join(WORD_MARKERS))


@dataclass
class MaskedLM:
    ref: str
    max_length: int = 256
    batch_size: int = 32
    _parts: tuple[Any, Any, Any] | None = field(default=None, repr=False)

    def substitutes(
        self, tokens: Sequence[Token], indices: Sequence[int], limit: int
    ) -> list[tuple[str, ...]]:
        """For each word at ``indices``, up to ``limit`` predicted whole words (best first)."""
        if not indices:
            return []
        import torch

        model, tokenizer, starts = self._load()
        texts = [
            "".join(tokenizer.mask_token if j == i else t.text for j, t in enumerate(tokens)) for i in indices
        ]
        out: list[tuple[str, ...]] = []
        for start in range(0, len(texts), self.batch_size):
            enc = tokenizer(texts[start : start + self.batch_size], truncation=True, max_length=self.max_length,
                            padding=True, return_tensors="pt")  # fmt: skip
            with torch.inference_mode():
                logits = model(**enc).logits
            for row, ids in zip(logits, enc["input_ids"], strict=True):
                where = (ids == tokenizer.mask_token_id).nonzero()
                if not len(where):
                    out.append(())
                    continue
                top = torch.topk(row[int(where[0])], min(8 * limit + 8, row.shape[-1])).indices.tolist()
                vocab = tokenizer.convert_ids_to_tokens(top)
                out.append(tuple(_surface(v) for v in vocab if starts(v))[: 4 * limit])
        return out

    def _load(self) -> tuple[Any, Any, Any]:
        if self._parts is None:
            from transformers import AutoModelForMaskedLM

            from robustx.models.loading import first_line

            tokenizer, path = _tokenizer_and_path(self.ref)
            if tokenizer.mask_token is None:
                raise ModelError(f"{self.ref} has no mask token: not a masked LM (wordsub:mlm=DIR)")
            try:
                model = AutoModelForMaskedLM.from_pretrained(path).eval()
            except Exception as err:
                raise ModelError(f"cannot load masked LM {self.ref}: {first_line(err)}") from None
            self._parts = (model, tokenizer, _starts_word(tokenizer))
        return self._parts


@dataclass(frozen=True)
class _Index:
    """Normalised embedding rows, permuted so each script's whole-word entries are one contiguous block."""

    tokenizer: Any
    vectors: np.ndarray  # every vocabulary row, L2-normalised, script blocks first
    position: np.ndarray  # token id -> row of ``vectors``
    words: list[str]  # surface form of each row ('' outside the script blocks)
    blocks: dict[str, tuple[int, int]]  # script -> [start, end) rows


@dataclass
class EmbeddingNeighbours:
    ref: str
    _index: _Index | None = field(default=None, repr=False)
    _memo: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict, repr=False)

    def substitutes(
        self, tokens: Sequence[Token], indices: Sequence[int], limit: int
    ) -> list[tuple[str, ...]]:
        return [self.neighbours(tokens[i].text, 4 * limit) for i in indices]

    def neighbours(self, word: str, k: int) -> tuple[str, ...]:
        """The ``k`` whole-word vocabulary entries of the word's script closest to it (cosine)."""
        key = (word, k)
        if key not in self._memo:
            self._memo[key] = self._search(word, k)
        return self._memo[key]

    def _search(self, word: str, k: int) -> tuple[str, ...]:
        index = self._load()
        start, end = index.blocks.get(word_script(word) or "", (0, 0))
        ids = index.tokenizer(word, add_special_tokens=False)["input_ids"]
        if end <= start or not ids:
            return ()
        query = index.vectors[index.position[ids]].mean(axis=0)
        sims = index.vectors[start:end] @ (query / max(float(np.linalg.norm(query)), 1e-12))
        top = np.argsort(-sims, kind="stable")[: k + 8] + start
        low = word.lower()
        return tuple(w for w in dict.fromkeys(index.words[i] for i in top) if w.lower() != low)[:k]

    def _load(self) -> _Index:
        if self._index is None:
            self._index = _shared_index(self.ref)
        return self._index


_INDEXES: OrderedDict[str, _Index] = OrderedDict()
_MAX_INDEXES = 2  # e5-small's index is ~390 MB


def _shared_index(ref: str) -> _Index:
    """One index per checkpoint content per process: every attack built on the same encoder (the
    pre-flight check, each evaluation of a job) re-uses it instead of re-reading the embeddings."""
    from robustx.models.loading import model_fingerprint, resolve_model_path

    key = model_fingerprint(resolve_model_path(ref))
    if key.startswith("hub:"):
        key = f"hub:{ref}"  # the hub commit is unknown before loading; one id is one model per process
    index = _INDEXES.get(key)
    if index is None:
        index = _INDEXES[key] = _build_index(ref)
        while len(_INDEXES) > _MAX_INDEXES:
            _INDEXES.popitem(last=False)
    _INDEXES.move_to_end(key)
    return index


def _build_index(ref: str) -> _Index:
    tokenizer, path = _tokenizer_and_path(ref)
    matrix = input_embeddings(path, ref)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    starts = _starts_word(tokenizer)
    vocab = tokenizer.convert_ids_to_tokens(list(range(min(len(tokenizer), matrix.shape[0]))))
    groups: dict[str, list[int]] = {}
    for i, tok in enumerate(vocab):
        surface = _surface(tok) if starts(tok) else ""
        script = word_script(surface) if _whole_word(surface) else None
        if script is not None:
            groups.setdefault(script, []).append(i)
    order: list[int] = []
    blocks: dict[str, tuple[int, int]] = {}
    for script in sorted(groups):
        blocks[script] = (len(order), len(order) + len(groups[script]))
        order += groups[script]
    in_blocks = len(order)
    order += sorted(set(range(matrix.shape[0])) - set(order))
    position = np.empty(matrix.shape[0], dtype=np.int64)
    position[order] = np.arange(len(order))
    words = [_surface(vocab[i]) for i in order[:in_blocks]] + [""] * (len(order) - in_blocks)
    return _Index(tokenizer, matrix[order], position, words, blocks)


def input_embeddings(path: str, ref: str) -> np.ndarray:
    """The input-embedding matrix of a checkpoint: read from safetensors when possible, else via AutoModel."""
    from pathlib import Path

    weights = Path(path) / "model.safetensors"
    if weights.is_file():
        from safetensors import safe_open

        with safe_open(str(weights), framework="np") as fh:
            names = [n for n in fh.keys() if n.endswith(("word_embeddings.weight", "embed_tokens.weight"))]
            if names:
                return np.asarray(fh.get_tensor(sorted(names, key=len)[0]), dtype=np.float32)
    from transformers import AutoModel

    from robustx.models.loading import first_line

    try:
        model = AutoModel.from_pretrained(path)
    except Exception as err:
        raise ModelError(f"cannot load encoder {ref} for its embeddings: {first_line(err)}") from None
    return np.asarray(model.get_input_embeddings().weight.detach().float().numpy())
