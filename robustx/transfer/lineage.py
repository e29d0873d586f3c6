"""``lineage.json``: how a checkpoint was made, written into every checkpoint robustx trains.

Layout: ``{"schema": 1, "base": {...}, "intermediate": [phase, ...], "multitask": bool,
"sampling": {...} | None, "target": phase | None, "seed": int, "request": {...},
"request_hash": str, "robustx_version": str, ...}``. A phase records its task, head, data source
(hub ids or file sha256s, ``stand_in``), hyperparameters, steps, dev scores and the selected step.
``robustx evaluate`` copies the file into each run's config; ``request_hash`` identifies the training
recipe (not the run's timing) so a grid can tell a finished cell from a stale one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from robustx.errors import ModelError
from robustx.store import atomic_write_json

LINEAGE = "lineage.json"
SCHEMA = 1


def request_hash(request: dict[str, Any]) -> str:
    blob = json.dumps(request, sort_keys=True, ensure_ascii=False, default=str).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for package in ("robustx", "transformers", "torch", "accelerate", "datasets"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def build_lineage(
    base: dict[str, Any],
    request: dict[str, Any],
    intermediate: list[dict[str, Any]],
    target: dict[str, Any] | None,
    sampling: dict[str, Any] | None = None,
) -> dict[str, Any]:
    vers = versions()
    return {
        "schema": SCHEMA,
        "robustx_version": vers["robustx"],
        "versions": vers,
        "base": base,
        "intermediate": intermediate,
        "intermediate_tasks": [p["task"] for p in intermediate],
        "multitask": bool(request.get("multitask")),
        "sampling": sampling,
        "target": target,
        "seed": request["seed"],
        "request": request,
        "request_hash": request_hash(request),
    }


def write_lineage(directory: Path, lineage: dict[str, Any]) -> Path:
    path = directory / LINEAGE
    atomic_write_json(path, lineage)
    return path


def read_lineage(directory: Path) -> dict[str, Any] | None:
    """The checkpoint's lineage, None if it has none; ModelError if the file is unreadable."""
    path = directory / LINEAGE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"{path}: unreadable lineage ({err})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ModelError(f"{path}: not a robustx lineage file (schema {SCHEMA})")
    return data
