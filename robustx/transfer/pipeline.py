"""The three-phase pipeline: base encoder -> English intermediate task(s) -> English target task.

Output layout (``--out DIR``): the final checkpoint in ``DIR`` itself (a standard Hugging Face
directory with ``lineage.json``; for retrieval targets the encoder), and ``DIR/_work/`` with one
folder per phase (``encoder/`` with its own lineage, ``dev_scores.json``, ``phase.json``, and
Trainer checkpoints while the phase runs). Everything cheap is validated before any training.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustx.errors import RunConflictError, SpecError
from robustx.models.loading import model_fingerprint
from robustx.transfer import dist
from robustx.transfer.catalog import PAIR, get_target, parse_intermediate
from robustx.transfer.data import DataOptions, TaskData, load_task_data
from robustx.transfer.heads import check_model_dir, load_encoder, load_tokenizer
from robustx.transfer.lineage import LINEAGE, build_lineage, read_lineage, request_hash, write_lineage
from robustx.transfer.phase import Phase, RunOptions, check_precision, resolve_device, run_phase
from robustx.transfer.spec import Hyper, TrainTask


@dataclass(frozen=True)
class TrainRequest:
    base: str
    intermediate: str | None  # "mnli,squad", "none" or None
    target: str
    out: Path
    multitask: bool = False
    data: DataOptions = field(default_factory=DataOptions)
    run: RunOptions = field(default_factory=RunOptions)
    hyper: Mapping[str, Any] = field(
        default_factory=dict
    )  # lr / epochs / batch_size / max_length, every phase
    resume: bool = False


@dataclass(frozen=True)
class TrainResult:
    out: Path
    state: str  # "trained", "resumed" or "complete" (nothing to do)
    lineage: dict[str, Any]


@dataclass(frozen=True)
class _Resolved:
    intermediate: list[TrainTask]
    target: TrainTask
    base: str
    device: str
    base_info: dict[str, Any]
    request: dict[str, Any]  # what defines the trained model (lineage ``request``)


def _resolve(req: TrainRequest) -> _Resolved:
    intermediate = parse_intermediate(req.intermediate)
    target = get_target(req.target)
    if req.multitask and len(intermediate) < 2:
        raise SpecError("--multitask needs two or more --intermediate tasks")
    base = resolve_base(req.base)
    device = resolve_device(req.run.device)
    check_precision(req.run, device)
    base_info = {"ref": req.base, "path": base, "hash": model_fingerprint(base)}
    request = _identity(req, base_info, intermediate, target, device)
    return _Resolved(intermediate, target, base, device, base_info, request)


def request_key(req: TrainRequest) -> str:
    """The recipe hash ``train`` records as the lineage's ``request_hash``, computed without training:
    a cache slot named after it can never hold a model trained with other settings."""
    return request_hash(_resolve(req).request)


def train(req: TrainRequest) -> TrainResult:
    r = _resolve(req)
    state = _out_state(req.out, r.request, req.resume)
    if state == "complete":
        return TrainResult(req.out, state, read_lineage(req.out) or {})
    data = {t.name: load_task_data(t, req.data) for t in r.intermediate}
    target_data = None if r.target.head == "retrieval" else load_task_data(r.target, req.data)
    _warn_stand_ins([*data.values(), *([target_data] if target_data else [])])
    dist.init(cpu=r.device == "cpu")
    if state == "fresh":
        _start(req.out, r.request)
    work = req.out / "_work"
    runner = _Runner(req, r.request, r.base_info, work)
    encoder_ref = runner.intermediate_phases(r.intermediate, data, r.base)
    runner.target_phase(r.target, target_data, encoder_ref)
    return TrainResult(req.out, "resumed" if state == "resume" else "trained", runner.lineage(final=True))


def resolve_base(ref: str) -> str:
    """The embedded alias, a local checkpoint dir (checked), or a hub id (loaded later)."""
    from robustx.models.embedded import resolve_model_ref

    resolved = resolve_model_ref(ref)
    path = Path(resolved).expanduser()
    if path.exists() or resolved.startswith((".", "/", "~")) or resolved.count("/") > 1:
        check_model_dir(path)
        return str(path.resolve())
    return resolved


def _warn_stand_ins(tasks: list[TaskData]) -> None:
    for data in tasks:
        if data.stand_in and dist.is_main():
            files = [f["path"] for f in data.source["files"] if f["role"] == "train"]
            print(
                f"warning: {data.task.name}: no training split in the data dir; training on held-out "
                f"{', '.join(files)} (dev rows excluded), recorded as stand_in in lineage.json",
                file=sys.stderr,
            )


def phase_hyper(tasks: list[TrainTask], overrides: Mapping[str, Any]) -> Hyper:
    if len(tasks) == 1:
        return tasks[0].hyper.merged(overrides)
    widest = max(t.hyper.max_length for t in tasks)  # multi-task: one schedule, the longest inputs
    return Hyper(PAIR.epochs, PAIR.batch_size, widest).merged(overrides)


def _identity(
    req: TrainRequest, base: dict[str, Any], intermediate: list[TrainTask], target: TrainTask, device: str
) -> dict[str, Any]:
    """What defines the trained model (not where it is written, nor how fast)."""
    phases = [[t] for t in intermediate] if not req.multitask else [intermediate]
    run = req.run.identity()
    if req.multitask:
        run.update(temperature=req.run.temperature, examples_cap=req.run.examples_cap)
    freeze = req.run.freeze_embeddings if req.run.freeze_embeddings is not None else device == "cpu"
    return {
        "base": {"ref": base["ref"], "hash": base["hash"]},
        "intermediate": [t.name for t in intermediate],
        "multitask": req.multitask,
        "target": target.name,
        "hyper": {
            "intermediate": [phase_hyper(p, req.hyper).__dict__ for p in phases],
            "target": None if target.head == "retrieval" else phase_hyper([target], req.hyper).__dict__,
        },
        "run": {**run, "freeze_embeddings": freeze},
        "data": req.data.describe(),
        "seed": req.run.seed,
    }


def _out_state(out: Path, request: dict[str, Any], resume: bool) -> str:
    """'fresh', 'resume' or 'complete'; RunConflictError for a different or unrelated directory."""
    wanted = request_hash(request)
    done = read_lineage(out) if (out / LINEAGE).is_file() else None
    marker = out / "_work" / "request.json"
    if done is not None and marker.is_file():
        if done.get("request_hash") == wanted:
            return "complete"
        raise RunConflictError(f"{out} holds a model trained with different settings; choose another --out")
    if marker.is_file():
        old = json.loads(marker.read_text(encoding="utf-8"))
        if request_hash(old) != wanted:
            raise RunConflictError(
                f"{out} holds an unfinished run with different settings; choose another --out"
            )
        if not resume:
            raise RunConflictError(f"{out} holds an unfinished run; pass --resume to continue it")
        return "resume"
    if out.exists() and any(out.iterdir()):
        raise RunConflictError(f"{out} exists and is not a robustx training run; choose another --out")
    return "fresh"


def _start(out: Path, request: dict[str, Any]) -> None:
    """Mark ``out`` as this run's (after every rank has checked it and the data loaded)."""
    from robustx.store import atomic_write_json

    dist.barrier()
    if dist.is_main():
        atomic_write_json(out / "_work" / "request.json", request)
    dist.barrier()


class _Runner:
    """Runs phases in order, threading the encoder directory and the lineage through them."""

    def __init__(self, req: TrainRequest, request: dict[str, Any], base: dict[str, Any], work: Path) -> None:
        self.req, self.request, self.base, self.work = req, request, base, work
        self.done: list[dict[str, Any]] = []
        self.target: dict[str, Any] | None = None
        self.sampling: dict[str, Any] | None = None

    def lineage(self, final: bool = False, current: dict[str, Any] | None = None) -> dict[str, Any]:
        intermediate = [*self.done, *([current] if current and not final else [])]
        return build_lineage(
            self.base, self.request, intermediate, self.target if final else None, self.sampling
        )

    def intermediate_phases(self, tasks: list[TrainTask], data: Mapping[str, TaskData], base: str) -> str:
        groups = [tasks] if self.req.multitask else [[t] for t in tasks]
        encoder_ref = base
        for index, group in enumerate(groups, start=1):
            name = "multitask" if self.req.multitask else group[0].name
            folder = self.work / f"{index}-{name}"
            phase = Phase(
                f"phase {index}/{len(groups) + 1} {name}",
                folder,
                [data[t.name] for t in group],
                phase_hyper(group, self.req.hyper),
                encoder_ref,
                folder / "encoder",
                final=False,
            )
            phase.stamp = self._stamper(name)
            summary = run_phase(phase, self.req.run)
            self.done.append(summary)
            if summary.get("sampling"):
                self.sampling = summary["sampling"]
            if dist.is_main():
                write_lineage(phase.save_to, self.lineage())
            encoder_ref = str(phase.save_to)
        return encoder_ref

    def target_phase(self, target: TrainTask, data: TaskData | None, encoder_ref: str) -> None:
        out = self.req.out
        if data is None:  # retrieval: the encoder itself is the result
            self.target = {
                "task": target.name,
                "head": "retrieval",
                "trained": False,
                "encoder_from": encoder_ref,
                "max_length": target.hyper.max_length,
            }
            if dist.is_main():
                load_encoder(encoder_ref, self.req.run.seed).save_pretrained(out)
                load_tokenizer(encoder_ref).save_pretrained(out)
        else:
            index = len(self.done) + 1
            folder = self.work / f"{index}-target-{target.name}"
            phase = Phase(
                f"phase {index}/{index} target {target.name}",
                folder,
                [data],
                phase_hyper([target], self.req.hyper),
                encoder_ref,
                out,
                final=True,
            )
            phase.stamp = self._stamper(target.name, target=True)
            self.target = run_phase(phase, self.req.run)
        if dist.is_main():
            write_lineage(out, self.lineage(final=True))
        dist.barrier()

    def _stamper(self, name: str, target: bool = False) -> Any:
        def stamp(checkpoint: Path, result: dict[str, Any]) -> None:
            current = {"task": name, "in_progress": True, "step": result["step"], "dev": result}
            lineage = self.lineage(current=None if target else current)
            if target:
                lineage["target"] = current
            write_lineage(checkpoint, lineage)

        return stamp
