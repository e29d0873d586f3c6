"""``robustx train`` (base -> intermediate task(s) -> target, with lineage) and ``robustx train-grid``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

Opt = typer.Option


def train(
    target: Annotated[
        str,
        Opt(
            "--target", "-t", help="Target task: xnli, pawsx, udpos, panx, xquad, mlqa, tydiqa, tatoeba, bucc"
        ),
    ],
    out: Annotated[Path, Opt("--out", "-o", help="Output checkpoint directory")],
    base: Annotated[str, Opt(help="Base encoder: 'embedded', a checkpoint dir or a hub id")] = "embedded",
    intermediate: Annotated[
        str, Opt("--intermediate", "-i", help="Intermediate task(s), comma-separated, or 'none'")
    ] = "none",
    multitask: Annotated[
        bool, Opt(help="Train the intermediate tasks together (shared encoder, one head each)")
    ] = False,
    data_dir: Annotated[
        Path | None, Opt(help="XTREME download dir; English sets under its english/ folder")
    ] = None,
    hub_mirror: Annotated[
        Path | None, Opt(help="Dir of local hub mirrors: <dir>/<dataset id>/ (same schema)")
    ] = None,
    train_file: Annotated[
        list[str] | None, Opt(help="TASK=PATH: a local training file for TASK (repeatable)")
    ] = None,
    dev_file: Annotated[
        list[str] | None, Opt(help="TASK=PATH: a local dev file for TASK (repeatable)")
    ] = None,
    max_steps: Annotated[int | None, Opt(help="Cap the optimizer steps of every phase")] = None,
    seed: Annotated[int, Opt(help="Seed of head init, data order and dropout")] = 0,
    lr: Annotated[float | None, Opt(help="Learning rate (default 1e-5)")] = None,
    epochs: Annotated[
        float | None, Opt(help="Epochs per phase (default: per task, the paper's for targets)")
    ] = None,
    batch_size: Annotated[int | None, Opt(help="Global batch size (default: per task)")] = None,
    max_length: Annotated[int | None, Opt(help="Max tokens per input (default: per task)")] = None,
    warmup: Annotated[float | None, Opt(help="Warm-up fraction of each phase (default 0.1)")] = None,
    grad_accum: Annotated[int, Opt(help="Gradient accumulation steps")] = 1,
    dev_size: Annotated[int, Opt(help="English dev examples for model selection")] = 500,
    train_limit: Annotated[
        int | None, Opt(help="Use only the first N training examples of each task")
    ] = None,
    eval_steps: Annotated[
        int | None, Opt(help="Score the dev set every N steps (default: every epoch)")
    ] = None,
    save_steps: Annotated[
        int | None, Opt(help="Checkpoint every N steps for --resume (must divide the dev-scoring interval)")
    ] = None,
    temperature: Annotated[
        float, Opt(help="Multi-task sampling temperature (1: examples-proportional)")
    ] = 1.0,
    examples_cap: Annotated[int | None, Opt(help="Multi-task: cap each task's size when sampling")] = None,
    device: Annotated[str, Opt(help="auto, cpu or cuda")] = "auto",
    bf16: Annotated[bool, Opt(help="bfloat16 mixed precision")] = False,
    fp16: Annotated[bool, Opt(help="float16 mixed precision (GPU)")] = False,
    gradient_checkpointing: Annotated[
        bool, Opt(help="Activation checkpointing (less memory, slower)")
    ] = False,
    freeze_embeddings: Annotated[
        bool | None,
        Opt(
            "--freeze-embeddings/--no-freeze-embeddings",
            help="Freeze the word-embedding matrix (default: on for CPU)",
        ),
    ] = None,
    freeze_layers: Annotated[
        int, Opt(help="Also freeze all embeddings and the N lowest transformer layers (faster on CPU)")
    ] = 0,
    resume: Annotated[
        bool, Opt(help="Continue an interrupted run in --out from its last checkpoint")
    ] = False,
    keep_checkpoints: Annotated[bool, Opt(help="Keep Trainer checkpoints after each phase")] = False,
    threads: Annotated[int | None, Opt(help="CPU threads for torch (default: torch's choice)")] = None,
    quiet: Annotated[bool, Opt(help="No progress lines")] = False,
) -> None:
    """Train base -> English intermediate task(s) -> English target, writing lineage.json (STILTs)."""
    options = dict(locals())
    from robustx.cli import user_errors

    with user_errors():
        from robustx.transfer.pipeline import train as run_training

        request = build_request(options)
        result = run_training(request)
        if not quiet or result.state == "complete":
            print_result(result)


def build_request(options: dict[str, Any]) -> Any:
    """A TrainRequest from CLI-style options (also used by the grid)."""
    from robustx.errors import SpecError
    from robustx.transfer.data import DataOptions
    from robustx.transfer.phase import RunOptions
    from robustx.transfer.pipeline import TrainRequest

    o = {**_DEFAULTS, **options}
    if o["bf16"] and o["fp16"]:
        raise SpecError("give one of --bf16 and --fp16")
    _check_positive(o)
    data = DataOptions(
        data_dir=_data_dir(o["data_dir"], o["hub_mirror"]),
        hub_mirror=Path(o["hub_mirror"]) if o["hub_mirror"] else None,
        dev_size=o["dev_size"],
        train_limit=o["train_limit"],
        files=_file_overrides(o["train_file"], o["dev_file"]),
    )
    run = RunOptions(
        seed=o["seed"],
        max_steps=o["max_steps"],
        grad_accum=o["grad_accum"],
        device=o["device"],
        precision="bf16" if o["bf16"] else "fp16" if o["fp16"] else "fp32",
        gradient_checkpointing=o["gradient_checkpointing"],
        freeze_embeddings=o["freeze_embeddings"],
        freeze_layers=o["freeze_layers"],
        eval_steps=o["eval_steps"],
        save_steps=o["save_steps"],
        temperature=o["temperature"],
        examples_cap=o["examples_cap"],
        keep_checkpoints=o["keep_checkpoints"],
        quiet=o["quiet"],
        threads=o["threads"],
    )
    hyper = {k: o[k] for k in ("lr", "epochs", "batch_size", "max_length", "warmup")}
    return TrainRequest(
        base=o["base"],
        intermediate=o["intermediate"],
        target=o["target"],
        out=Path(o["out"]),
        multitask=o["multitask"],
        data=data,
        run=run,
        hyper=hyper,
        resume=o["resume"],
    )


_DEFAULTS: dict[str, Any] = {
    "base": "embedded",
    "intermediate": "none",
    "multitask": False,
    "data_dir": None,
    "hub_mirror": None,
    "train_file": None,
    "dev_file": None,
    "max_steps": None,
    "seed": 0,
    "lr": None,
    "epochs": None,
    "batch_size": None,
    "max_length": None,
    "warmup": None,
    "grad_accum": 1,
    "dev_size": 500,
    "train_limit": None,
    "eval_steps": None,
    "save_steps": None,
    "temperature": 1.0,
    "examples_cap": None,
    "device": "auto",
    "bf16": False,
    "fp16": False,
    "gradient_checkpointing": False,
    "freeze_embeddings": None,
    "freeze_layers": 0,
    "resume": False,
    "keep_checkpoints": False,
    "quiet": False,
    "threads": None,
}


def _check_positive(o: dict[str, Any]) -> None:
    from robustx.errors import SpecError

    for key in (
        "max_steps",
        "batch_size",
        "max_length",
        "grad_accum",
        "dev_size",
        "train_limit",
        "eval_steps",
        "save_steps",
        "threads",
    ):
        if o[key] is not None and o[key] < 1:
            raise SpecError(f"--{key.replace('_', '-')} must be >= 1")
    for key in ("lr", "epochs"):
        if o[key] is not None and o[key] <= 0:
            raise SpecError(f"--{key} must be > 0")
    if o["freeze_layers"] < 0:
        raise SpecError("--freeze-layers must be >= 0")
    if o["warmup"] is not None and not 0 <= o["warmup"] < 1:
        raise SpecError("--warmup is a fraction in [0, 1)")


def _data_dir(data_dir: Any, hub_mirror: Any) -> Path | None:
    """--data-dir, else $ROBUSTX_DATA (unless a hub mirror is given), else the hub."""
    from robustx.errors import SpecError
    from robustx.tasks import default_data_dir

    if data_dir and hub_mirror:
        raise SpecError("give one data source: --data-dir or --hub-mirror")
    if data_dir:
        return Path(data_dir)
    return None if hub_mirror else default_data_dir()


def _file_overrides(train: list[str] | None, dev: list[str] | None) -> dict[str, dict[str, str]]:
    from robustx.errors import SpecError
    from robustx.transfer.catalog import any_task

    out: dict[str, dict[str, str]] = {}
    for role, entries in (("train", train or []), ("dev", dev or [])):
        for entry in entries:
            name, eq, path = entry.partition("=")
            if not eq or not name.strip() or not path.strip():
                raise SpecError(f"--{role}-file {entry!r}: expected TASK=PATH")
            out.setdefault(any_task(name).name, {})[role] = path.strip()
    for name, files in out.items():
        if "train" not in files:
            raise SpecError(f"--dev-file {name}=... needs a --train-file {name}=... too")
    return out


def print_result(result: Any) -> None:
    lineage = result.lineage
    if result.state == "complete":
        typer.echo(f"{result.out}: already trained with these settings (nothing to do)")
    for phase in [*lineage.get("intermediate", []), lineage.get("target") or {}]:
        if not phase or phase.get("head") == "retrieval":
            continue
        selected = (phase.get("dev") or {}).get("selected") or {}
        step = (phase.get("seconds") or {}).get("mean_step")
        typer.echo(
            f"  {phase['task']}: {phase.get('steps_done', phase.get('steps'))} steps"
            + (f", {step:.3f} s/step" if step else "")
            + f", {phase['seconds']['phase']:.0f} s; dev {selected.get('metric', '?')} "
            + f"{selected.get('score', float('nan')):.2f} (step {selected.get('step', '?')})"
        )
    target = lineage.get("target") or {}
    task = target.get("task", "?")
    typer.echo(f"model: {result.out}\nnext:  robustx evaluate --model {result.out} --task {task}")


def train_grid(
    grid: Annotated[Path, typer.Argument(help="Grid file (TOML): intermediate tasks x targets x seeds")],
    dry_run: Annotated[bool, Opt(help="List the cells and what is already done; train nothing")] = False,
    quiet: Annotated[bool, Opt(help="No progress lines")] = False,
) -> None:
    """Train and evaluate every (intermediate, target, seed) cell of a grid, skipping finished ones."""
    from robustx.cli import user_errors

    with user_errors():
        from robustx.transfer.grid import load_grid, run_grid

        spec = load_grid(grid)
        for line in run_grid(spec, dry_run=dry_run, quiet=quiet):
            typer.echo(line)
