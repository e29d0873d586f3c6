"""A tiny random XLM-R encoder (no head) with a tokenizer trained on given text: tests and smoke runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


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
    from transformers import XLMRobertaModel

    from robustx.models.tiny import build_tokenizer, save_tiny, tiny_config

    tokenizer = build_tokenizer(corpus, vocab_size, max_length)
    config = tiny_config(
        tokenizer, hidden, layers, max_length, init_range=0.02,
        hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
    )  # fmt: skip
    torch.manual_seed(seed)
    return save_tiny(XLMRobertaModel(config), tokenizer, out_dir)
