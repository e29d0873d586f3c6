"""Encoders and task heads: the encoder carries across phases, every phase gets fresh heads.

A head model is the standard ``transformers`` class for its head (``AutoModelFor...``), built from
the encoder's config with a seeded, fresh head, and the encoder swapped in. So every phase trains a
plain Hugging Face model with ``Trainer``, and the final checkpoint loads with ``from_pretrained``.
Base checkpoints that already carry a head (e.g. an XNLI classifier) contribute only their encoder.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from robustx.errors import ModelError
from robustx.models.loading import first_line
from robustx.transfer.spec import Head

AUTO_CLASS = {
    "classification": "AutoModelForSequenceClassification",
    "multiple_choice": "AutoModelForMultipleChoice",
    "qa": "AutoModelForQuestionAnswering",
    "tagging": "AutoModelForTokenClassification",
}
WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def check_model_dir(path: Path, what: str = "base") -> None:
    """A local model dir must hold config.json and weights; one-line ModelError otherwise."""
    if not path.is_dir():
        raise ModelError(f"{what} model dir not found: {path}")
    if not (path / "config.json").is_file():
        raise ModelError(f"{what} model dir {path} has no config.json (not a Hugging Face checkpoint)")
    if not any((path / name).is_file() for name in WEIGHT_FILES):
        raise ModelError(f"{what} model dir {path} has no weights ({' or '.join(WEIGHT_FILES[::2])})")


def load_encoder(ref: str, seed: int) -> Any:
    """The bare encoder (``AutoModel``) of a checkpoint; missing pieces (a pooler) get seeded init."""
    from transformers import AutoModel, set_seed
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    set_seed(seed)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "some weights were not used": the old head, by design
    try:
        return AutoModel.from_pretrained(ref, trust_remote_code=False)
    except Exception as err:
        raise ModelError(f"cannot load an encoder from {ref}: {first_line(err)}") from None
    finally:
        hf_logging.set_verbosity(verbosity)


def load_tokenizer(ref: str) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(ref, trust_remote_code=False)
    except Exception as err:
        raise ModelError(f"cannot load a tokenizer from {ref}: {first_line(err)}") from None


def head_model(encoder: Any, head: Head, labels: Sequence[str], seed: int) -> Any:
    """A fresh ``AutoModelFor<head>`` around ``encoder`` (shared, not copied)."""
    import transformers

    config = copy.deepcopy(encoder.config)
    if head in ("classification", "tagging"):
        config.num_labels = len(labels)
        config.id2label = dict(enumerate(labels))
        config.label2id = {label: i for i, label in enumerate(labels)}
    transformers.set_seed(seed)
    model = getattr(transformers, AUTO_CLASS[head]).from_config(config)
    prefix = model.base_model_prefix
    model.robustx_uses_pooler = getattr(getattr(model, prefix), "pooler", None) is not None
    setattr(model, prefix, encoder)
    # HF heads compute a per-batch mean loss and ignore num_items_in_batch: let Trainer scale the loss
    # for gradient accumulation itself (it would not, for a model whose forward takes **kwargs).
    model.accepts_loss_kwargs = False
    return model


def build_heads(encoder: Any, heads: Mapping[str, tuple[Head, Sequence[str]]], seed: int) -> dict[str, Any]:
    """Head models by task name around one encoder. The encoder's pooler is dropped when no head
    reads it (token-level heads, XLM-R's own classification head), so no unused weights train."""
    models = {name: head_model(encoder, head, labels, seed) for name, (head, labels) in heads.items()}
    if (
        not any(m.robustx_uses_pooler for m in models.values())
        and getattr(encoder, "pooler", None) is not None
    ):
        encoder.pooler = None
    return models


def freeze_word_embeddings(encoder: Any) -> int:
    """Freeze the input word-embedding matrix (250k rows on XLM-R vocabularies); returns its size."""
    weight = encoder.get_input_embeddings().weight
    weight.requires_grad_(False)
    return int(weight.numel())


def freeze_lower_layers(encoder: Any, n: int) -> int:
    """Freeze all embeddings and the bottom ``n`` transformer layers; returns the frozen parameter count.

    Nothing below the first trainable layer needs a gradient, so backward stops there: on CPU,
    training the top 4 of 12 layers costs about half of training all of them."""
    from robustx.errors import SpecError

    layers = _layer_stack(encoder)
    if layers is None:
        raise SpecError(f"--freeze-layers: cannot find the transformer layers of {type(encoder).__name__}")
    if not 0 <= n < len(layers):
        raise SpecError(
            f"--freeze-layers {n}: the encoder has {len(layers)} layers; give 0 to {len(layers) - 1}"
        )
    modules = [encoder.get_input_embeddings(), getattr(encoder, "embeddings", None), *list(layers)[:n]]
    params = {id(p): p for m in modules if m is not None for p in m.parameters()}
    for param in params.values():
        param.requires_grad_(False)
    return sum(int(p.numel()) for p in params.values())


def _layer_stack(encoder: Any) -> Any:
    """The ModuleList of transformer blocks (BERT/XLM-R ``encoder.layer``, DistilBERT, GPT-style ``h``)."""
    for path in ("encoder.layer", "transformer.layer", "layers", "h", "encoder.layers"):
        node = encoder
        for name in path.split("."):
            node = getattr(node, name, None)
            if node is None:
                break
        if node is not None and hasattr(node, "__len__"):
            return node
    return None


def enable_checkpointing(encoder: Any) -> None:
    """Activation checkpointing on the encoder; non-reentrant so frozen embeddings still get grads through."""
    kwargs = {"use_reentrant": False}
    if hasattr(encoder, "activation_checkpointing_enable"):
        encoder.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:  # transformers < 5.x
        encoder.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def trainable_state(model: Any) -> dict[str, Any]:
    """Parameters that training changes (frozen ones equal the loaded checkpoint)."""
    return {n: p.detach().cpu().clone().contiguous() for n, p in model.named_parameters() if p.requires_grad}
