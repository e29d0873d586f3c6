"""Tiny random token-classification, QA and plain-encoder models built in code (tests, smoke runs).

Like :mod:`robustx.models.tiny`, these are not meaningful models: they let the tagging, QA and
retrieval pipelines run end to end on real multilingual text without downloading anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from robustx.models.loading import head_labels
from robustx.models.tiny import build_tokenizer, save_tiny, tiny_config


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
    config = tiny_config(
        tokenizer, hidden, layers, max_length,
        **head_labels(labels),
    )  # fmt: skip
    torch.manual_seed(seed)
    return save_tiny(XLMRobertaForTokenClassification(config), tokenizer, out_dir)


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
    return save_tiny(
        XLMRobertaForQuestionAnswering(tiny_config(tokenizer, hidden, layers, max_length)), tokenizer, out_dir
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
    return save_tiny(
        XLMRobertaModel(tiny_config(tokenizer, hidden, layers, max_length), add_pooling_layer=False),
        tokenizer,
        out_dir,
    )
