"""Evaluate a candidate checkpoint on exactly the baseline's examples and perturbations.

Each baseline run's ``config.json`` (from a run directory or a snapshot) is turned back into the
``EvalRequest`` that produced it (task, languages, split, limit, canonical attack spec, seed, data
source, max_length, shard_size), with the candidate as the model. The candidate's runs go below
``<out>/<checkpoint content hash>-<request hash>/``: re-checking an unchanged checkpoint reuses its
finished runs (an interrupted one is resumed), and a retrained checkpoint at the same path, or the
same one evaluated for another baseline, never collides with earlier runs. Whether the inputs really were the same is
decided afterwards by the text hashes of every row, not assumed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from robustx.errors import DataError
from robustx.gate.sources import RunKey, RunSource, key_label, run_dir_source


@dataclass(frozen=True)
class RerunOptions:
    """How to run the candidate: where its runs go, and what may differ from the baseline's machine."""

    out: Path = Path("runs/check")
    data_dir: Path | None = None  # read the baseline's examples from here instead of its recorded source
    device: str = "auto"
    batch_size: int | None = None  # default: the baseline's
    quiet: bool = False


def model_key(checkpoint: Path) -> str:
    """The first 12 hex digits of the checkpoint's content hash."""
    from robustx.models.loading import model_fingerprint

    return model_fingerprint(str(checkpoint)).rsplit(":", 1)[-1][:12]


def evaluate_candidate(
    checkpoint: Path, baseline: Mapping[RunKey, RunSource], opts: RerunOptions
) -> dict[RunKey, RunSource]:
    """Evaluate ``checkpoint`` on every baseline run (all requests are validated before any model work)."""
    from robustx.evaluate import evaluate
    from robustx.progress import progress_stages

    model = model_key(checkpoint)
    requests = [(key, request_for(run, checkpoint, opts.out, model, opts)) for key, run in baseline.items()]
    runs: dict[RunKey, RunSource] = {}
    for key, req in requests:
        if not opts.quiet:
            print(f"evaluating {checkpoint} on {key_label(key)} into {req.out}", file=sys.stderr)
        with progress_stages(enabled=not opts.quiet) as stages:
            result = evaluate(req, stages)
        runs[key] = run_dir_source(result.run_dir, "candidate")
    return runs


def request_for(run: RunSource, checkpoint: Path, out: Path, model: str, opts: RerunOptions) -> Any:
    """The EvalRequest that reproduces ``run`` with ``checkpoint`` as the model.

    Its runs go below ``out/<model>-<request>``: the checkpoint's content hash and a hash of what
    is evaluated (task, languages, split, limit, attack, seed, data source, max length), so the
    same checkpoint checked against another baseline, or on data read from elsewhere, never meets
    a run directory of another configuration.
    """
    from robustx.evaluate import EvalRequest

    config = run.config
    try:
        limit = config["limit"]
        req = EvalRequest(
            model=str(checkpoint),
            task=str(config["task"]),
            source=data_source(config, run.label, opts.data_dir),
            out=out,
            langs=[str(lang) for lang in config["languages"]],
            attack=str(config["attack"]),
            seed=int(config["seed"]),
            split=str(config["split"]),
            limit=None if limit is None else int(limit),
            batch_size=opts.batch_size or int(config.get("batch_size") or 32),
            device=opts.device,
            resume=True,
            max_length=int(config["max_length"]),
            shard_size=int(config.get("shard_size") or 1000),
            command=list(sys.argv),
        )
    except KeyError as err:
        raise DataError(
            f"{run.label}: its config lacks {err.args[0]!r}, needed to evaluate the candidate on the same "
            "examples; evaluate the candidate yourself and pass its run directory as --candidate"
        ) from None
    except (TypeError, ValueError) as err:
        raise DataError(f"{run.label}: its config is malformed ({err})") from None
    return replace(req, out=out / f"{model}-{_request_key(req)}")


def _request_key(req: Any) -> str:
    import hashlib
    import json

    identity = [req.task, req.source.describe(), req.langs, req.split, req.limit, req.attack, req.seed]
    identity += [req.max_length, req.shard_size]
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]


def data_source(config: Mapping[str, Any], label: str, data_dir: Path | None) -> Any:
    """The baseline's data source, or ``--data-dir`` in its place; a recorded path missing here is an error."""
    from robustx.tasks import DataSource

    if data_dir is not None:
        if not data_dir.is_dir():
            raise DataError(f"--data-dir {data_dir} is not a directory")
        return DataSource("dir", path=str(data_dir))
    recorded = config["data"]["source"]
    names = {f.name for f in fields(DataSource)}
    source = DataSource(**{k: v for k, v in dict(recorded).items() if k in names})
    if source.kind not in ("hub", "dir", "file"):
        raise DataError(f"{label}: unknown data source kind {source.kind!r}")
    if source.path and not Path(source.path).exists():
        raise DataError(
            f"the baseline's data {source.path} ({source.kind}) does not exist on this machine; pass "
            "--data-dir with the XTREME data (the gate checks every example's text hash)"
        )
    return source
