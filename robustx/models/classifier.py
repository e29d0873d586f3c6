"""The sequence-classification victim: any Hugging Face checkpoint with a classification head.

Labels are matched by name through ``config.id2label`` so a model whose head orders the classes
differently from the task still scores correctly; a mismatch is an error showing both label sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robustx.errors import ModelError
from robustx.models.batching import length_sorted_batches, to_device
from robustx.models.loading import first_line, headed_config, model_fingerprint, pick_device
from robustx.models.memo import memoized


@dataclass
class ClassifierVictim:
    model: Any
    tokenizer: Any
    ref: str
    fingerprint: str
    column_order: np.ndarray  # model output column for each task label, in task label order
    device: str
    batch_size: int = 32
    max_length: int = 256
    bf16: bool = False
    max_tokens: int | None = None  # padded tokens per batch (GPU); batch_size still caps the rows

    def predict(self, first: Sequence[str], second: Sequence[str] | None = None) -> np.ndarray:
        """Class probabilities [n, n_task_labels] in the task's label order."""
        if not first:
            return np.zeros((0, len(self.column_order)), dtype=np.float32)
        args = (list(first), list(second) if second is not None else None)
        return memoized(self._identity(), args, lambda: self._predict(*args))

    def _identity(self) -> tuple[Any, ...]:
        """Everything besides the inputs that the output depends on."""
        order = tuple(int(i) for i in self.column_order)
        return ("classifier", self.fingerprint, order, self.device, self.batch_size, self.max_length,
                self.max_tokens, self.bf16)  # fmt: skip

    def _predict(self, first: Sequence[str], second: Sequence[str] | None) -> np.ndarray:
        enc = self.tokenizer(
            list(first),
            list(second) if second is not None else None,
            truncation=True,
            max_length=self.max_length,
        )
        out = np.empty((len(first), len(self.column_order)), dtype=np.float32)
        pad = self.tokenizer.pad_token_id or 0
        # Batches are queued on the device and copied back once at the end, so on a GPU the host pads
        # the next batch while the current one runs (no sync per batch).
        pending = [
            (batch.indices, self._forward(batch.arrays))
            for batch in length_sorted_batches(enc, pad, self.batch_size, self.max_tokens, self.device)
        ]
        for indices, probs in pending:
            out[indices] = probs.cpu().numpy()
        return out

    def _forward(self, arrays: dict[str, np.ndarray]) -> Any:
        """Probabilities [batch, n_task_labels] as a tensor on the model's device."""
        import torch

        tensors = to_device(arrays, self.device)
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.model(**tensors).logits
            probs = torch.softmax(logits.float(), dim=-1)
        return probs[:, torch.from_numpy(self.column_order).to(probs.device)]

    def describe(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "hash": self.fingerprint,
            "device": self.device,
            "max_length": self.max_length,
        }


def load_classifier(
    ref: str,
    labels: Sequence[str],
    label_aliases: dict[str, str] | None = None,
    device: str = "auto",
    batch_size: int = 32,
    max_length: int = 256,
    bf16: bool = False,
) -> ClassifierVictim:
    """Load and validate a classifier for a task with ``labels``; ModelError on any misfit."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path, config = headed_config(ref, "ForSequenceClassification", "sequence-classification")
    order = match_labels(config, labels, label_aliases or {}, ref)
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(
            path, output_loading_info=True, trust_remote_code=False
        )
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
    except Exception as err:
        raise ModelError(f"cannot load checkpoint {ref}: {first_line(err)}") from None
    missing = [k for k in info.get("missing_keys", []) if "classifier" in k or "score" in k]
    if missing:
        raise ModelError(
            f"checkpoint {ref} lacks trained classification-head weights ({', '.join(missing[:3])})"
        )
    dev = pick_device(device)
    model.to(dev).eval()
    return ClassifierVictim(
        model,
        tokenizer,
        ref,
        model_fingerprint(path, config),
        order,
        dev,
        batch_size,
        max_length,
        bf16 and dev.startswith("cuda"),
    )


def match_labels(config: Any, labels: Sequence[str], aliases: dict[str, str], ref: str) -> np.ndarray:
    """For each task label, the model's output index whose id2label name matches it."""
    id2label = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
    n = int(getattr(config, "num_labels", len(id2label)))
    model_names = [id2label.get(i, f"LABEL_{i}") for i in range(n)]
    if n != len(labels):
        raise ModelError(
            f"checkpoint {ref} has {n} labels ({', '.join(model_names)}); the task needs {len(labels)} "
            f"({', '.join(labels)})"
        )
    lookup: dict[str, int] = {}
    for index, name in enumerate(model_names):
        low = name.strip().lower()
        lookup[aliases.get(low, low)] = index
    if set(lookup) != set(labels):
        raise ModelError(
            f"checkpoint {ref} labels ({', '.join(model_names)}) do not match the task's ({', '.join(labels)})"
        )
    return np.array([lookup[label] for label in labels], dtype=np.int64)
