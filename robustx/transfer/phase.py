"""One training phase (intermediate, multi-task intermediate, or target) on ``transformers.Trainer``.

The phase loads the encoder from the previous phase's directory, puts fresh heads on it, trains
with ``Trainer`` used as is (``accelerate`` underneath: ``torchrun``/``accelerate launch`` scale it
with no code change), selects the best dev checkpoint, and saves either the encoder (intermediate
phases) or the whole head model (the target). ``phase.json`` marks a finished phase; an unfinished
one resumes from its last complete Trainer checkpoint.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from robustx.errors import SpecError
from robustx.store import atomic_write_json
from robustx.transfer import dist
from robustx.transfer.data import TaskData
from robustx.transfer.features import Collator, Encoded, encode
from robustx.transfer.heads import (
    build_heads,
    enable_checkpointing,
    freeze_lower_layers,
    freeze_word_embeddings,
    load_encoder,
    load_tokenizer,
)
from robustx.transfer.multitask import (
    PlannedDataset,
    TakeFirst,
    multitask_model,
    plan_batches,
    sampling_probs,
)
from robustx.transfer.scoring import dev_score
from robustx.transfer.selection import Progress, Selector, make_callback
from robustx.transfer.spec import Hyper

Precision = Literal["fp32", "bf16", "fp16"]


@dataclass(frozen=True)
class RunOptions:
    """Settings shared by every phase of one training run."""

    seed: int = 0
    max_steps: int | None = None  # caps each phase
    grad_accum: int = 1
    device: str = "auto"  # auto, cpu, cuda
    precision: Precision = "fp32"
    gradient_checkpointing: bool = False
    freeze_embeddings: bool | None = None  # None: on for CPU
    freeze_layers: int = 0  # also freeze all embeddings and this many bottom transformer layers
    eval_steps: int | None = None  # None: once per epoch, at most ~5 times a phase, and at the end
    save_steps: int | None = None  # resume granularity (None: see `intervals`)
    temperature: float = 1.0
    examples_cap: int | None = None
    logging_steps: int = 25
    keep_checkpoints: bool = False
    quiet: bool = False
    threads: int | None = None  # torch CPU threads (None: torch's default)

    def identity(self) -> dict[str, Any]:
        keep = ("seed", "max_steps", "grad_accum", "precision", "gradient_checkpointing", "eval_steps")
        ident = {k: getattr(self, k) for k in keep}
        if self.freeze_layers:  # absent at 0, so the recipes of earlier versions keep their hashes
            ident["freeze_layers"] = self.freeze_layers
        return ident


@dataclass
class Phase:
    label: str  # progress label, e.g. "phase 1/2 socialiqa"
    work_dir: Path
    tasks: list[TaskData]
    hyper: Hyper
    encoder_ref: str  # where this phase's encoder comes from
    save_to: Path  # the encoder dir (intermediate) or the final checkpoint (target)
    final: bool
    stamp: Callable[[Path, dict[str, Any]], None] | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def check_precision(run: RunOptions, device: str) -> None:
    if run.precision == "fp16" and device == "cpu":
        raise SpecError("--fp16 needs a GPU (use --bf16 or fp32 on CPU)")


def resolve_device(requested: str) -> str:
    import torch

    if requested not in ("auto", "cpu", "cuda"):
        raise SpecError(f"--device {requested}: use auto, cpu or cuda (pick GPUs with CUDA_VISIBLE_DEVICES)")
    if requested == "cuda" and not torch.cuda.is_available():
        raise SpecError("--device cuda: CUDA is not available on this machine")
    return "cuda" if requested == "auto" and torch.cuda.is_available() else requested.replace("auto", "cpu")


def run_phase(phase: Phase, run: RunOptions) -> dict[str, Any]:
    """Train (or resume) one phase; returns its summary (also in ``work_dir/phase.json``)."""
    done = phase.work_dir / "phase.json"
    if done.is_file():
        return dict(json.loads(done.read_text(encoding="utf-8")))
    started = time.perf_counter()
    device = resolve_device(run.device)
    if run.threads:
        import torch

        torch.set_num_threads(run.threads)
    parts = _build(phase, run, device)
    plan = _plan(phase, run, parts.tokenizer, parts.pad_id)
    plan.eval_every, plan.save_every = intervals(
        plan.steps, plan.steps_per_epoch, run.eval_steps, run.save_steps
    )
    scorer = _scorer(phase, parts.dev, parts.pad_id, parts.multitask)
    selector = Selector(phase.work_dir, scorer, phase.stamp, plan.eval_every)
    progress = Progress(phase.label, run.quiet)
    callback = make_callback(selector, progress)
    trainer = _trainer(parts.model, plan, phase, run, device, callback, parts.multitask)
    checkpoint = last_checkpoint(phase.work_dir / "checkpoints")
    resuming = f", resuming from {checkpoint.name}" if checkpoint else ""
    progress.say(f"{plan.n_train} training examples, {plan.steps} steps{resuming}")
    output = _train(trainer, checkpoint)
    summary = {
        **_describe(phase, plan, run, parts.frozen, device),
        "steps_done": int(output.global_step),
        "resumed_from": checkpoint.name if checkpoint else None,
        "dev": {"selected": None, "history": selector.history()},
        "seconds": {"phase": round(time.perf_counter() - started, 2), "mean_step": progress.mean_step()},
    }
    if dist.is_main():
        summary["dev"]["selected"] = selector.load_best(parts.model)
        _save(phase, parts.model, parts.encoder, parts.tokenizer)
        if not run.keep_checkpoints:
            shutil.rmtree(phase.work_dir / "checkpoints", ignore_errors=True)
        atomic_write_json(done, summary)
    dist.barrier()
    return summary


@dataclass
class _Parts:
    tokenizer: Any
    encoder: Any
    model: Any
    dev: dict[str, Encoded]
    frozen: int
    multitask: bool

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id or 0)


def _build(phase: Phase, run: RunOptions, device: str) -> _Parts:
    """Tokenizer, the previous phase's encoder, fresh heads, and the encoded dev sets."""
    tokenizer = load_tokenizer(phase.encoder_ref)
    encoder = load_encoder(phase.encoder_ref, run.seed)
    frozen = freeze_word_embeddings(encoder) if _freeze(run, device) else 0
    if run.freeze_layers:
        frozen = freeze_lower_layers(encoder, run.freeze_layers)
    if run.gradient_checkpointing:
        enable_checkpointing(encoder)
    phase.hyper = _fit_length(phase.hyper, tokenizer)
    dev = {
        t.task.name: encode(t.task.head, t.dev, tokenizer, t.labels, phase.hyper.max_length, t.task.options)
        for t in phase.tasks
    }
    heads = build_heads(encoder, {t.task.name: (t.task.head, t.labels) for t in phase.tasks}, run.seed)
    multitask = len(phase.tasks) > 1
    model = multitask_model(encoder, heads) if multitask else heads[phase.tasks[0].task.name]
    return _Parts(tokenizer, encoder, model, dev, frozen, multitask)


def _train(trainer: Any, checkpoint: Path | None) -> Any:
    """``Trainer.train`` with transformers' info/warning chatter (checkpoint rotation notes) muted."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    finally:
        hf_logging.set_verbosity(verbosity)


def _fit_length(hyper: Hyper, tokenizer: Any) -> Hyper:
    """Never tokenize past what the model can embed (its tokenizer's model_max_length)."""
    limit = int(getattr(tokenizer, "model_max_length", 0) or 0)
    return hyper.merged({"max_length": limit}) if 0 < limit < hyper.max_length else hyper


def _freeze(run: RunOptions, device: str) -> bool:
    return run.freeze_embeddings if run.freeze_embeddings is not None else device == "cpu"


@dataclass
class _Plan:
    dataset: Any
    collator: Any
    per_device: int
    steps: int
    steps_per_epoch: int
    n_train: int
    sampling: dict[str, Any] | None = None
    eval_every: int = 1
    save_every: int = 1


def _plan(phase: Phase, run: RunOptions, tokenizer: Any, pad_id: int) -> _Plan:
    """Training features, the per-device batch and the number of optimizer steps."""
    hyper = phase.hyper
    world = dist.world_size()
    per_device, rest = divmod(hyper.batch_size, world * run.grad_accum)
    if per_device < 1 or rest:
        raise SpecError(
            f"--batch-size {hyper.batch_size} must be a multiple of processes x --grad-accum ({world} x {run.grad_accum})"
        )
    features = {
        t.task.name: encode(
            t.task.head, t.train, tokenizer, t.labels, hyper.max_length, t.task.options
        ).features
        for t in phase.tasks
    }
    if len(phase.tasks) == 1:
        rows = next(iter(features.values()))
        per_epoch = max(1, math.ceil(len(rows) / (per_device * world)) // run.grad_accum)
        steps = _cap(math.ceil(hyper.epochs * per_epoch), run.max_steps)
        return _Plan(rows, Collator(pad_id), per_device, steps, per_epoch, len(rows))
    sizes = {name: len(rows) for name, rows in features.items()}
    probs = sampling_probs(sizes, run.temperature, run.examples_cap)
    capped = sum(min(n, run.examples_cap) if run.examples_cap else n for n in sizes.values())
    per_epoch = max(1, math.ceil(capped / hyper.batch_size))
    steps = _cap(math.ceil(hyper.epochs * per_epoch), run.max_steps)
    batches = plan_batches(sizes, probs, steps * run.grad_accum * world, per_device, run.seed)
    sampling = {
        "temperature": run.temperature,
        "examples_cap": run.examples_cap,
        "sizes": sizes,
        "probs": probs,
    }
    return _Plan(
        PlannedDataset(batches, features, pad_id),
        TakeFirst(),
        1,
        steps,
        per_epoch,
        sum(sizes.values()),
        sampling,
    )


def _cap(steps: int, cap: int | None) -> int:
    return max(1, min(steps, cap) if cap else steps)


def _scorer(
    phase: Phase, dev: Mapping[str, Encoded], pad_id: int, multitask: bool
) -> Callable[[Any], dict[str, Any]]:
    def score(model: Any) -> dict[str, Any]:
        device = next(model.parameters()).device
        per_task = {}
        for data in phase.tasks:
            name = data.task.name
            forward = _forward(model, name if multitask else None)
            per_task[name] = dev_score(
                data.task.head,
                forward,
                dev[name],
                data.dev,
                data.labels,
                pad_id,
                device,
                dict(data.task.options),
            )
        if not multitask:
            return next(iter(per_task.values()))
        mean = sum(r["score"] for r in per_task.values()) / len(per_task)
        return {"metric": "mean", "score": mean, "tasks": per_task}

    return score


def _forward(model: Any, task: str | None) -> Callable[[dict[str, Any]], Any]:
    def forward(batch: dict[str, Any]) -> Any:
        return model(**batch) if task is None else model(task=task, **batch)

    return forward


def _trainer(
    model: Any, plan: _Plan, phase: Phase, run: RunOptions, device: str, callback: Any, multitask: bool
) -> Any:
    from transformers import PrinterCallback, Trainer, TrainingArguments

    args = TrainingArguments(
        output_dir=str(phase.work_dir / "checkpoints"),
        per_device_train_batch_size=plan.per_device,
        gradient_accumulation_steps=run.grad_accum,
        learning_rate=phase.hyper.lr,
        warmup_steps=phase.hyper.warmup,  # a float in [0, 1): fraction of the steps
        lr_scheduler_type="linear",
        max_steps=plan.steps,
        save_strategy="steps",
        save_steps=plan.save_every,
        save_total_limit=1,
        logging_steps=max(1, min(run.logging_steps, plan.steps)),
        report_to="none",
        disable_tqdm=True,
        seed=run.seed,
        data_seed=run.seed,
        use_cpu=device == "cpu",
        bf16=run.precision == "bf16",
        fp16=run.precision == "fp16",
        ddp_backend="gloo" if device == "cpu" and dist.world_size() > 1 else None,
        ddp_find_unused_parameters=multitask,
        dataloader_num_workers=0,
        remove_unused_columns=False,
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=plan.dataset, data_collator=plan.collator, callbacks=[callback]
    )
    trainer.remove_callback(PrinterCallback)
    return trainer


def intervals(steps: int, per_epoch: int, eval_steps: int | None, save_steps: int | None) -> tuple[int, int]:
    """(dev-scoring interval, checkpoint interval); every scoring step is a checkpoint step.

    Default: score once per epoch (at most ~5 times a phase) and checkpoint at most every 500 steps,
    the scoring interval rounded up to a multiple of the checkpoint interval.
    """
    if eval_steps is not None:
        every = min(eval_steps, steps)
        save = save_steps or every
    else:
        every = min(max(per_epoch, math.ceil(steps / 5)), steps)
        save = save_steps or math.ceil(every / math.ceil(every / 500))
        every = math.ceil(every / save) * save
    if every % save:
        raise SpecError(f"--save-steps {save} must divide the dev-scoring interval ({every} steps)")
    return every, save


def last_checkpoint(directory: Path) -> Path | None:
    """The newest complete Trainer checkpoint (trainer_state.json is written last); drop partial ones."""
    if not directory.is_dir():
        return None
    found = sorted(
        (p for p in directory.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()),
        key=lambda p: int(p.name.split("-")[-1]),
    )
    complete = [p for p in found if (p / "trainer_state.json").is_file()]
    if dist.is_main():
        for partial in (p for p in found if p not in complete):
            shutil.rmtree(partial, ignore_errors=True)
    return complete[-1] if complete else None


def _save(phase: Phase, model: Any, encoder: Any, tokenizer: Any) -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # Trainer's context managers turn the hub's bars back on
    phase.save_to.mkdir(parents=True, exist_ok=True)
    (model if phase.final else encoder).save_pretrained(phase.save_to)
    tokenizer.save_pretrained(phase.save_to)


def _describe(phase: Phase, plan: _Plan, run: RunOptions, frozen: int, device: str) -> dict[str, Any]:
    tasks = [
        {
            "task": t.task.name,
            "head": t.task.head,
            "labels": list(t.labels),
            "data": t.source,
            "stand_in": t.stand_in,
        }
        for t in phase.tasks
    ]
    return {
        "task": "+".join(t.task.name for t in phase.tasks),
        "tasks": tasks,
        "hparams": {
            **phase.hyper.__dict__,
            "grad_accum": run.grad_accum,
            "per_device_batch": plan.per_device,
            "processes": dist.world_size(),
            "precision": run.precision,
            "gradient_checkpointing": run.gradient_checkpointing,
        },
        "frozen_embedding_params": frozen,  # with --freeze-layers: embeddings and the frozen layers
        "frozen_layers": run.freeze_layers,
        "device": device,
        "steps": plan.steps,
        "steps_per_epoch": plan.steps_per_epoch,
        "n_train": plan.n_train,
        "sampling": plan.sampling,
        "seed": run.seed,
    }
