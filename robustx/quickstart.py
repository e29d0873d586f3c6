"""``robustx quickstart``: the whole mission on the embedded default, offline, in minutes.

1. **Model.** The embedded multilingual-e5-small, converted once into a Hugging Face directory.
2. **Training** (``robustx.transfer``, the STILTs pipeline): a baseline trained on the English PAWS-X
   target only, and a model trained on English SNLI first (the intermediate task), then on the same
   target. CPU settings: frozen word embeddings, short sequences, a few hundred steps per phase.
3. **Zero-shot evaluation** on every language of the bundle, clean and under the three attack
   families (character noise, code-switching, word substitution): PAWS-X with both classifiers, and
   Tatoeba retrieval with both *encoders* (the pretrained one and the one after SNLI; the paper's
   headline is that intermediate training helps retrieval).
4. **Statistics and the leaderboard** (``robustx report``): Markdown + self-contained HTML.

Data: the licence-clean bundle shipped in the package (``robustx.bundle``). Online (``--online``):
``xlm-roberta-base`` and the hub's XTREME data, through the same code. Every step is cached by its
content (checkpoints by their training request, runs by their config), so a second run only re-reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustx.progress import Stages

ATTACKS = (
    "charnoise:rate=0.3",
    "codeswitch:rate=1.0",
    "wordsub:rate=0.3,source=embedding,embedding=embedded,skip_stopwords=false",
)
TARGET = "pawsx"
RETRIEVAL = "tatoeba"
INTERMEDIATE = "snli"


@dataclass(frozen=True)
class Settings:
    """What the quickstart trains and evaluates; every field is a command-line option."""

    online: bool = False
    steps: int = 200  # optimizer steps per training phase
    batch_size: int = 16
    lr: float = 5e-5
    max_length: int = 128
    target_limit: int = 200  # PAWS-X test pairs per language
    retrieval_limit: int = 150  # Tatoeba sentence pairs per language
    seed: int = 0
    attacks: tuple[str, ...] = ATTACKS
    quiet: bool = False  # no per-step training reports

    def training_key(self) -> str:
        """Names the checkpoints: other training settings train (and cache) other models."""
        import hashlib
        import json

        keys = ("online", "steps", "batch_size", "lr", "max_length", "seed")
        blob = json.dumps({k: getattr(self, k) for k in keys}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:10]

    @property
    def base(self) -> str:
        return "xlm-roberta-base" if self.online else "embedded"


@dataclass
class Result:
    """What the job produced, for the summary."""

    models: dict[str, str] = field(default_factory=dict)
    runs: list[Any] = field(default_factory=list)  # EvalResult
    report: Any = None  # ReportResult
    seconds: dict[str, float] = field(default_factory=dict)


def run_quickstart(settings: Settings, out: Path, report_dir: Path, stages: Stages) -> Result:
    """Train (or re-use) both models, evaluate every cell, build the leaderboard."""
    from robustx.report.build import build_report

    result = Result()
    source, data_dir = _data(settings)
    _check_attacks(settings, data_dir)
    with _timed(result, "train"):
        result.models = train_models(settings, data_dir, stages)
    with _timed(result, "evaluate"):
        for model in ("baseline", "stilts"):
            result.runs += _evaluate(settings, result.models[model], TARGET, source, out, stages)
        for encoder in ("encoder", "encoder+snli"):
            result.runs += _evaluate(settings, result.models[encoder], RETRIEVAL, source, out, stages)
    with _timed(result, "report"):
        stages.log(f"building the leaderboard in {report_dir}")
        title = "robustx quickstart: multilingual-e5-small, English-trained, zero-shot under attack"
        result.report = build_report([r.run_dir for r in result.runs], report_dir, title=title)
    return result


def _data(settings: Settings) -> tuple[Any, Path | None]:
    from robustx.bundle import bundle_dir
    from robustx.tasks import DataSource

    if settings.online:
        return DataSource("hub"), None
    path = bundle_dir()
    return DataSource("dir", path=str(path)), path


def _check_attacks(settings: Settings, data_dir: Path | None) -> None:
    """A missing resource (dictionary, layout) fails now, before any training."""
    from robustx.attacks import build_attack
    from robustx.tasks import get_task

    langs = sorted(set(get_task(TARGET).languages) | set(_retrieval_langs(settings)))
    for spec in settings.attacks:
        build_attack(spec).for_data(_resource_dirs(data_dir)).check(langs)


def _resource_dirs(data_dir: Path | None) -> list[str]:
    """Attack resources: the bundle's (CLDR dictionaries) in both modes; online there is no data dir."""
    from robustx.bundle import bundle_dir

    return [str(data_dir or bundle_dir())]


def _retrieval_langs(settings: Settings) -> list[str]:
    from robustx.bundle import languages
    from robustx.tasks import get_task

    return list(get_task(RETRIEVAL).languages) if settings.online else list(languages(RETRIEVAL))


def train_models(settings: Settings, data_dir: Path | None, stages: Stages) -> dict[str, str]:
    """Baseline (target only) and STILTs (intermediate, then target); the two encoders for retrieval."""
    from robustx.models.embedded import cache_root, resolve_model_ref

    root = cache_root() / "quickstart" / ("online" if settings.online else "offline")
    stages.log(f"preparing the base model ({settings.base})")
    base = resolve_model_ref(settings.base)
    models: dict[str, str] = {}
    for name, intermediate in (("baseline", None), ("stilts", INTERMEDIATE)):
        stages.log(
            f"training {name}: {settings.base} -> {intermediate or 'no intermediate task'} -> {TARGET}"
        )
        out = root / f"{name}-{TARGET}-{settings.training_key()}"
        models[name] = str(_train(settings, base, intermediate, out, data_dir))
    models["encoder"] = (
        base if settings.online else str(_named_link(Path(base), root / "multilingual-e5-small"))
    )
    encoder = Path(models["stilts"]) / "_work" / f"1-{INTERMEDIATE}" / "encoder"
    models["encoder+snli"] = str(
        _named_link(encoder, root / f"e5-small+{INTERMEDIATE}-{settings.training_key()}")
    )
    return models


def _train(settings: Settings, base: str, intermediate: str | None, out: Path, data_dir: Path | None) -> Path:
    from robustx.transfer.data import DataOptions
    from robustx.transfer.phase import RunOptions
    from robustx.transfer.pipeline import TrainRequest, train

    req = TrainRequest(
        base=base,
        intermediate=intermediate,
        target=TARGET,
        out=out,
        data=DataOptions(data_dir=data_dir, dev_size=100),
        run=RunOptions(seed=settings.seed, max_steps=settings.steps, quiet=settings.quiet),
        hyper={"lr": settings.lr, "batch_size": settings.batch_size, "max_length": settings.max_length},
        resume=True,
    )
    train(req)
    return out


def _named_link(target: Path, link: Path) -> Path:
    """A readable name for a checkpoint directory (run directories are named after it)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() != target.resolve():
        link.unlink()
    if not link.exists():
        link.symlink_to(target.resolve(), target_is_directory=True)
    return link


def _evaluate(settings: Settings, model: str, task: str, source: Any, out: Path, stages: Stages) -> list[Any]:
    from robustx.evaluate import EvalRequest, evaluate

    retrieval = task == RETRIEVAL
    langs = _retrieval_langs(settings) if retrieval else None
    results = []
    for attack in settings.attacks:
        stages.log(f"evaluating {Path(model).name} on {task} under {attack}")
        req = EvalRequest(
            model=model,
            task=task,
            source=source,
            out=out,
            langs=langs,
            attack=attack,
            seed=settings.seed,
            limit=settings.retrieval_limit if retrieval else settings.target_limit,
            max_length=settings.max_length,
            resume=True,
            resource_dirs=tuple(_resource_dirs(None if settings.online else Path(str(source.path)))),
            command=["robustx", "quickstart"],
        )
        results.append(evaluate(req, stages))
    return results


@contextmanager
def _timed(result: Result, name: str) -> Iterator[None]:
    """Adds the wall seconds of a block to ``result.seconds[name]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        result.seconds[name] = time.perf_counter() - start
