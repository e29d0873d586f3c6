"""A tiny random XLM-R encoder (no head) with a tokenizer trained on given text: tests and smoke runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def build_tiny_encoder(
    out_dir: Path,
    corpus: Sequence[str],
    seed: int = 0,
    hidden: int = 32,
    layers: int = 2,
    vocab_size: int = 1000,
    max_length: int = 512,
    dropout: float = 0.1,
) -> Path:
    """Save an ``XLMRobertaModel`` (random, seeded) and its Unigram tokenizer to ``out_dir``."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    from robustx.models.tiny import build_tokenizer

    tokenizer = build_tokenizer(corpus, vocab_size, max_length)
    settings: dict[str, Any] = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=max_length + 4,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    torch.manual_seed(seed)
    model = XLMRobertaModel(XLMRobertaConfig(**settings))
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
