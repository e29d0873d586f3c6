"""The retrieval victim: sentence embeddings from any encoder checkpoint (a head, if any, is ignored).

An embedding is the mean of one layer's hidden states over the sentence's tokens (special tokens
included, padding excluded), L2-normalised: XTREME's ``pool_type=mean`` on ``specific_layer``. The
default layer is XTREME's choice scaled to depth, ``round(7 * L / 12)``: layer 7 of a 12-layer base
model, 14 of a 24-layer large one (the paper's). ``0`` is the embedding layer, ``-1`` the last.

Identical texts are encoded once, so they always get identical vectors. For BERT/XLM-R encoders the
layers above the chosen one are not run (their output is never used; tests check the result is the
same as a full forward pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robustx.errors import ModelError
from robustx.models.batching import length_sorted_batches, to_device
from robustx.models.loading import first_line, model_fingerprint, pick_device, resolve_model_path
from robustx.models.memo import memoized

# Model types whose encoder is ``encoder.layer`` (a ModuleList) with nothing after it but pooling.
_TRUNCATABLE = frozenset({"bert", "xlm-roberta", "roberta", "camembert", "electra"})


def default_layer(n_layers: int) -> int:
    return max(1, round(7 * n_layers / 12))


def resolve_layer(layer: Any, n_layers: int, ref: str) -> int:
    if layer in (None, "auto"):
        return default_layer(n_layers)
    index = int(layer)
    index = n_layers + 1 + index if index < 0 else index
    if not 0 <= index <= n_layers:
        raise ModelError(
            f"layer {layer} does not exist in {ref} ({n_layers} layers; 0 = embeddings, -1 = last)"
        )
    return index


@dataclass
class EncoderVictim:
    model: Any
    tokenizer: Any
    ref: str
    fingerprint: str
    layer: int
    n_layers: int
    device: str
    batch_size: int = 32
    max_length: int = 256
    bf16: bool = False
    max_tokens: int | None = None  # padded tokens per batch (GPU); batch_size still caps the rows

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings [n, hidden] (float32), one per text, in input order."""
        identity = ("encoder", self.fingerprint, self.layer, self.device, self.batch_size, self.max_length)
        settings = (*identity, self.max_tokens, self.bf16)
        return memoized(settings, (list(texts),), lambda: self._encode(texts))

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        unique = list(dict.fromkeys(texts))
        if not unique:
            return np.zeros((0, int(self.model.config.hidden_size)), dtype=np.float32)
        enc = self.tokenizer(unique, truncation=True, max_length=self.max_length)
        vectors = np.empty((len(unique), int(self.model.config.hidden_size)), dtype=np.float32)
        for batch in length_sorted_batches(
            enc, self.tokenizer.pad_token_id or 0, self.batch_size, self.max_tokens, self.device
        ):
            vectors[batch.indices] = self._forward(batch.arrays)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors /= np.maximum(norms, 1e-12)
        row = {text: i for i, text in enumerate(unique)}
        return vectors[[row[t] for t in texts]]

    def _forward(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        tensors = to_device(arrays, self.device)
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.bf16):
            out = self.model(**tensors, output_hidden_states=True)
        hidden = out.hidden_states[self.layer].float()
        mask = tensors["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return np.asarray(pooled.cpu().numpy(), dtype=np.float32)

    def describe(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "hash": self.fingerprint,
            "device": self.device,
            "max_length": self.max_length,
            "layer": self.layer,
            "n_layers": self.n_layers,
            "pooling": "mean",
        }


def load_encoder(
    ref: str,
    layer: Any = "auto",
    device: str = "auto",
    batch_size: int = 32,
    max_length: int = 256,
    bf16: bool = False,
    truncate: bool = True,
) -> EncoderVictim:
    """Load any checkpoint's encoder (``AutoModel``: a classification or QA head is dropped)."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = resolve_model_path(ref)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "some weights were not used" is expected: the head is ignored
    try:
        config = AutoConfig.from_pretrained(path)
        model = AutoModel.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as err:
        raise ModelError(f"cannot load encoder {ref}: {first_line(err)}") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    n_layers = int(getattr(config, "num_hidden_layers", 0) or 0)
    if n_layers < 1:
        raise ModelError(f"checkpoint {ref} does not say how many layers it has (config.num_hidden_layers)")
    index = resolve_layer(layer, n_layers, ref)
    if truncate and getattr(config, "model_type", "") in _TRUNCATABLE and hasattr(model, "encoder"):
        model.encoder.layer = model.encoder.layer[:index]
    dev = pick_device(device)
    model.to(dev).eval()
    return EncoderVictim(
        model, tokenizer, ref, model_fingerprint(path, config), index, n_layers, dev, batch_size, max_length,
        bf16 and dev.startswith("cuda"),
    )  # fmt: skip
