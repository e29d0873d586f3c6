"""Tiny randomly initialised multilingual models built in code (tests, benchmarks, smoke runs).

These are *not* meaningful classifiers: they exist so the whole pipeline can be exercised on real
multilingual text without downloading anything. The tokenizer is a Unigram model trained on the
given sentences, wrapped as a standard fast tokenizer; the model is an XLM-R-architecture encoder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from robustx.models.loading import head_labels

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def build_tokenizer(corpus: Iterable[str], vocab_size: int = 2000, model_max_length: int = 512) -> Any:
    """A Unigram/Metaspace fast tokenizer trained on ``corpus`` with RoBERTa-style pair templates."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=list(SPECIALS), unk_token="<unk>")
    tok.train_from_iterator(corpus, trainer=trainer)
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        cls_token="<s>",
        sep_token="</s>",
        model_max_length=model_max_length,
    )


def tiny_config(
    tokenizer: Any, hidden: int, layers: int, max_length: int, init_range: float = 0.6, **extra: Any
) -> Any:
    """An XLM-R config sized to ``tokenizer``; the wide default init makes a random model's outputs depend
    on its input, so perturbations can flip them (``init_range=0.02`` is transformers' own default)."""
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
        initializer_range=init_range,
        **extra,
    )


def save_tiny(model: Any, tokenizer: Any, out_dir: Path) -> Path:
    """Save a built model (in eval mode) and its tokenizer to ``out_dir``."""
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def build_tiny_classifier(
    out_dir: Path,
    corpus: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    hidden: int = 32,
    layers: int = 2,
    vocab_size: int = 2000,
    max_length: int = 256,
    init_range: float = 0.6,
) -> Path:
    """Save a random XLM-R-architecture sequence classifier with a trained tokenizer to ``out_dir``."""
    import torch
    from transformers import XLMRobertaForSequenceClassification

    tokenizer = build_tokenizer(corpus, vocab_size, max_length)
    config = tiny_config(
        tokenizer, hidden, layers, max_length, init_range,
        **head_labels(labels),
    )  # fmt: skip
    torch.manual_seed(seed)
    return save_tiny(XLMRobertaForSequenceClassification(config), tokenizer, out_dir)
