"""Locating checkpoints (local dir or hub id), fingerprinting them, and choosing a device."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from robustx.errors import ModelError

WEIGHT_SUFFIXES = (".json", ".safetensors", ".bin", ".model", ".txt", ".pt")


def resolve_model_path(ref: str) -> str:
    """A local directory as a string, or a hub id; ModelError for a path that does not exist."""
    try:
        from robustx.models.embedded import resolve_model_ref

        ref = resolve_model_ref(ref)
    except ImportError:
        pass
    path = Path(ref).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelError(f"model path {ref} is a file; expected a checkpoint directory")
        if not (path / "config.json").is_file():
            raise ModelError(f"model dir {ref} has no config.json (not a Hugging Face checkpoint)")
        return str(path)
    if ref.startswith((".", "/", "~")) or ref.endswith("/") or ref.count("/") > 1:
        raise ModelError(f"model dir not found: {ref}")
    return ref


def head_labels(labels: Sequence[str]) -> dict[str, Any]:
    """Config keyword arguments naming a head's classes in order (``num_labels``, ``id2label``, ``label2id``)."""
    return {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {x: i for i, x in enumerate(labels)},
    }


def headed_config(ref: str, suffix: str, head: str) -> tuple[str, Any]:
    """A checkpoint's path and config, checked to have a ``*{suffix}`` architecture; ModelError naming
    ``head`` (e.g. "token-classification") otherwise. Remote code stays off."""
    from transformers import AutoConfig
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = resolve_model_path(ref)
    try:
        config = AutoConfig.from_pretrained(path, trust_remote_code=False)
    except Exception as err:
        raise ModelError(f"cannot read model config from {ref}: {first_line(err)}") from None
    archs = list(getattr(config, "architectures", None) or [])
    if not any(a.endswith(suffix) for a in archs):
        raise ModelError(f"checkpoint {ref} has no {head} head (architectures: {', '.join(archs) or 'none'})")
    return path, config


def model_fingerprint(ref: str, config: Any = None) -> str:
    """sha256 over a checkpoint's top-level files (names and contents); hub models: id@commit."""
    path = Path(ref)
    if not path.is_dir():
        commit = getattr(config, "_commit_hash", None) if config is not None else None
        return f"hub:{ref}@{commit or 'unknown'}"
    files = [
        p
        for p in sorted(path.iterdir())
        if p.is_file()
        and p.suffix in WEIGHT_SUFFIXES
        and not p.name.startswith(("trainer_state", "training_args", "optimizer", "scheduler", "rng_state"))
    ]
    stats = tuple((f.name, str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return _content_hash(stats)


@functools.lru_cache(maxsize=256)
def _content_hash(stats: tuple[tuple[str, str, int, int], ...]) -> str:
    """sha256 of the files' names and contents (in-process memo: hashed again when a size or mtime changes)."""
    digest = hashlib.sha256()
    for name, real, _, _ in stats:
        digest.update(name.encode())
        with open(real, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
    return "sha256:" + digest.hexdigest()


def pick_device(requested: str = "auto") -> str:
    import torch

    if requested != "auto":
        if requested.startswith("cuda") and not torch.cuda.is_available():
            raise ModelError(f"--device {requested}: CUDA is not available on this machine")
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
