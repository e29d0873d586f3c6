"""Tiny random token-classification, QA and plain-encoder models built in code (tests, smoke runs).

Like :mod:`robustx.models.tiny`, these are not meaningful models: they let the tagging, QA and
retrieval pipelines run end to end on real multilingual text without downloading anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from robustx.models.tiny import build_tokenizer


def _config(tokenizer: Any, hidden: int, layers: int, max_length: int, **extra: Any) -> Any:
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=max_length + 4,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        initializer_range=0.6,  # wide init: outputs depend on the input, so perturbations can flip them
        **extra,
    )


def _save(model: Any, tokenizer: Any, out_dir: Path) -> Path:
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def build_tiny_tagger(
    out_dir: Path,
    corpus: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    hidden: int = 32,
    layers: int = 2,
    max_length: int = 256,
) -> Path:
    """A random XLM-R-architecture token classifier whose id2label are ``labels``."""
    import torch
    from transformers import XLMRobertaForTokenClassification

    tokenizer = build_tokenizer(corpus, 2000, max_length)
    config = _config(
        tokenizer, hidden, layers, max_length,
        num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={x: i for i, x in enumerate(labels)},
    )  # fmt: skip
    torch.manual_seed(seed)
    return _save(XLMRobertaForTokenClassification(config), tokenizer, out_dir)


def build_tiny_qa(
    out_dir: Path,
    corpus: Sequence[str],
    seed: int = 0,
    hidden: int = 32,
    layers: int = 2,
    max_length: int = 384,
) -> Path:
    """A random XLM-R-architecture extractive-QA model."""
    import torch
    from transformers import XLMRobertaForQuestionAnswering

    tokenizer = build_tokenizer(corpus, 3000, max_length)
    torch.manual_seed(seed)
    return _save(
        XLMRobertaForQuestionAnswering(_config(tokenizer, hidden, layers, max_length)), tokenizer, out_dir
    )


def build_tiny_encoder(
    out_dir: Path,
    corpus: Sequence[str],
    seed: int = 0,
    hidden: int = 32,
    layers: int = 4,
    max_length: int = 256,
) -> Path:
    """A random XLM-R encoder with no head at all (retrieval reads hidden states)."""
    import torch
    from transformers import XLMRobertaModel

    tokenizer = build_tokenizer(corpus, 2000, max_length)
    torch.manual_seed(seed)
    return _save(
        XLMRobertaModel(_config(tokenizer, hidden, layers, max_length), add_pooling_layer=False),
        tokenizer,
        out_dir,
    )
