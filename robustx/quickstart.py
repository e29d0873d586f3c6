"""``robustx quickstart``: the whole mission on the embedded default, offline, in minutes.

1. **Model.** The embedded multilingual-e5-small, converted once into a Hugging Face directory.
2. **Training** (``robustx.transfer``, the STILTs pipeline): a baseline trained on the English PAN-X
   (WikiANN NER) target only, and a model trained on English SNLI first (the intermediate task), then
   on the same target. CPU settings: embeddings and the 4 lowest layers frozen, short sequences, 150
   steps per phase. (NER learns in that budget; PAWS-X from 1k English pairs stays at chance.)
3. **Zero-shot evaluation** on every language of the bundle, clean and under the three attack
   families (character noise, code-switching, word substitution): PAN-X with both taggers, and
   Tatoeba retrieval with both *encoders* (the pretrained one and the one after SNLI; the paper's
   headline is that intermediate training helps retrieval).
4. **Statistics and the leaderboard** (``robustx report``): Markdown + self-contained HTML.

Data: the licence-clean bundle shipped in the package (``robustx.bundle``). Online (``--online``):
``xlm-roberta-base`` (or ``--base``) and the hub's data (PAN-X, SNLI, Tatoeba) through the same
``datasets.load_dataset`` calls; ``--hub-mirror DIR`` points those calls at local mirrors
``DIR/<dataset id>/`` (``robustx train --hub-mirror``'s layout), which is how that path is tested
without a network, and then evaluates the languages the mirror holds. The code-switching dictionaries
are the bundle's CLDR ones in both modes. Every step is cached by its content (checkpoints by their
training request, runs by their config), so a second run only re-reads.
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
TARGET = "panx"
RETRIEVAL = "tatoeba"
INTERMEDIATE = "snli"


@dataclass(frozen=True)
class Settings:
    """What the quickstart trains and evaluates; every field is a command-line option."""

    online: bool = False
    base_model: str | None = None  # --base: a hub id or a local dir; None: the mode's default
    hub_mirror: Path | None = None  # --hub-mirror: <dir>/<dataset id>/ mirrors of the hub (online)
    steps: int = 150  # optimizer steps per training phase
    batch_size: int = 16
    lr: float = 1e-4
    max_length: int = 128
    freeze_layers: int = 4  # embeddings and the lowest layers stay as pretrained (CPU budget)
    target_limit: int = 250  # PAN-X test sentences per language
    retrieval_limit: int = 150  # Tatoeba sentence pairs per language
    seed: int = 0
    attacks: tuple[str, ...] = ATTACKS
    quiet: bool = False  # no per-step training reports

    @property
    def default_base(self) -> str:
        return "xlm-roberta-base" if self.online else "embedded"

    @property
    def base(self) -> str:
        return self.base_model or self.default_base

    @property
    def embedded(self) -> bool:
        from robustx.models.embedded import ALIASES

        return self.base in ALIASES

    @property
    def base_name(self) -> str:
        """What the leaderboard and the encoder runs call the base: a hub id's or a directory's last part."""
        from robustx.models.embedded import EMBEDDED_MODEL_NAME

        return EMBEDDED_MODEL_NAME if self.embedded else Path(self.base.rstrip("/")).name


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
    data_dir = _data_dir(settings)
    langs = {task: _eval_langs(settings, task) for task in (TARGET, RETRIEVAL)}
    _check_attacks(settings, langs)
    with _timed(result, "train"):
        result.models = train_models(settings, data_dir, stages)
    with _timed(result, "evaluate"):
        for model in ("baseline", "stilts"):
            result.runs += _evaluate(settings, result.models[model], TARGET, langs[TARGET], out, stages)
        for encoder in ("encoder", "encoder+snli"):
            model = result.models[encoder]
            result.runs += _evaluate(settings, model, RETRIEVAL, langs[RETRIEVAL], out, stages)
    with _timed(result, "report"):
        stages.log(f"building the leaderboard in {report_dir}")
        title = f"robustx quickstart: {settings.base_name}, English-trained, zero-shot under attack"
        result.report = build_report([r.run_dir for r in result.runs], report_dir, title=title)
    return result


def _data_dir(settings: Settings) -> Path | None:
    """The bundle offline; online the training data comes from the hub (or ``--hub-mirror``)."""
    from robustx.bundle import bundle_dir

    return None if settings.online else bundle_dir()


def _source(settings: Settings, task: str) -> Any:
    """Where ``task``'s test rows come from: the bundle, the hub, or its dataset's mirror directory."""
    from robustx.tasks import DataSource, get_task

    if not settings.online:
        return DataSource("dir", path=str(_data_dir(settings)))
    if settings.hub_mirror is None:
        return DataSource("hub")
    return DataSource("hub", path=str(settings.hub_mirror / get_task(task).hub[0].dataset))


def _eval_langs(settings: Settings, task: str) -> list[str] | None:
    """The bundle's languages offline, the task's online (None: all), the mirror's with ``--hub-mirror``."""
    from robustx.bundle import languages

    if settings.online and settings.hub_mirror is not None:
        return _mirror_langs(task, str(_source(settings, task).path))
    return None if settings.online else list(languages(task))


def _mirror_langs(task: str, path: str) -> list[str]:
    """The task's languages whose hub config the mirror declares (``datasets`` reads its README)."""
    from datasets import get_dataset_config_names

    from robustx.errors import DataError
    from robustx.tasks import get_task
    from robustx.tasks.retrieval import TATOEBA_CODES

    spec = get_task(task)
    if not Path(path).is_dir():
        raise DataError(f"the hub mirror has no {path} (a hub mirror is <dir>/<dataset id>/, as for train)")
    try:
        names = set(get_dataset_config_names(path))
    except Exception as err:  # datasets raises many types (missing dir, bad README, ...)
        text = str(err).strip()
        raise DataError(
            f"cannot read the configs of {path}: {text.splitlines()[0] if text else err!r}"
        ) from None

    def config(lang: str) -> str:
        return spec.hub[0].config_for(TATOEBA_CODES[lang] if task == RETRIEVAL else lang)

    found = [lang for lang in spec.languages if config(lang) in names]
    if not found:
        raise DataError(
            f"{path} declares no {task} config (such as {config(spec.languages[0])}); "
            "a hub mirror is <dir>/<dataset id>/ with the hub's configs in its README.md"
        )
    return found


def _check_attacks(settings: Settings, langs: dict[str, list[str] | None]) -> None:
    """A missing resource (dictionary, layout) fails now, before any training."""
    from robustx.attacks import build_attack
    from robustx.tasks import get_task

    wanted = sorted({lang for task, got in langs.items() for lang in (got or get_task(task).languages)})
    for spec in settings.attacks:
        build_attack(spec).for_data(_resource_dirs()).check(wanted)


def _resource_dirs() -> list[str]:
    """Attack resources: the bundle's (CLDR dictionaries) in both modes."""
    from robustx.bundle import bundle_dir

    return [str(bundle_dir())]


def train_models(settings: Settings, data_dir: Path | None, stages: Stages) -> dict[str, str]:
    """Baseline (target only) and STILTs (intermediate, then target); the two encoders for retrieval."""
    from dataclasses import replace

    from robustx.models.embedded import cache_root, resolve_model_ref
    from robustx.transfer.pipeline import request_key, train

    root = cache_root() / "quickstart" / ("online" if settings.online else "offline")
    stages.log(f"preparing the base model ({settings.base})")
    base = resolve_model_ref(settings.base)
    models: dict[str, str] = {}
    keys: dict[str, str] = {}
    for name, intermediate in (("baseline", None), ("stilts", INTERMEDIATE)):
        stages.log(
            f"training {name}: {settings.base} -> {intermediate or 'no intermediate task'} -> {TARGET}"
        )
        # The lineage names the embedded model by its alias, not by this machine's cache path.
        req = _request(settings, settings.base if settings.embedded else base, intermediate, data_dir)
        # Named after the recipe hash: another recipe (settings, data, robustx version) gets another
        # checkpoint, and so other run directories, instead of colliding with this one.
        keys[name] = request_key(req).removeprefix("sha256:")[:10]
        out = root / f"{name}-{TARGET}-{keys[name]}"
        train(replace(req, out=out))
        models[name] = str(out)
    # The embedded model's cache dir gets a readable name; a hub id or a local dir is used as given.
    models["encoder"] = str(_named_link(Path(base), root / settings.base_name)) if settings.embedded else base
    encoder = Path(models["stilts"]) / "_work" / f"1-{INTERMEDIATE}" / "encoder"
    short = "e5-small" if settings.embedded else settings.base_name
    models["encoder+snli"] = str(_named_link(encoder, root / f"{short}+{INTERMEDIATE}-{keys['stilts']}"))
    return models


def _request(settings: Settings, base: str, intermediate: str | None, data_dir: Path | None) -> Any:
    from robustx.transfer.data import DataOptions
    from robustx.transfer.phase import RunOptions
    from robustx.transfer.pipeline import TrainRequest

    return TrainRequest(
        base=base,
        intermediate=intermediate,
        target=TARGET,
        out=Path("."),  # set by the caller, once the recipe's key is known
        data=DataOptions(data_dir=data_dir, hub_mirror=settings.hub_mirror, dev_size=200),
        run=RunOptions(
            seed=settings.seed,
            max_steps=settings.steps,
            freeze_layers=settings.freeze_layers,
            quiet=settings.quiet,
        ),
        hyper={"lr": settings.lr, "batch_size": settings.batch_size, "max_length": settings.max_length},
        resume=True,
    )


def _named_link(target: Path, link: Path) -> Path:
    """A readable name for a checkpoint directory (run directories are named after it)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() != target.resolve():
        link.unlink()
    if not link.exists():
        link.symlink_to(target.resolve(), target_is_directory=True)
    return link


def _evaluate(
    settings: Settings, model: str, task: str, langs: list[str] | None, out: Path, stages: Stages
) -> list[Any]:
    from robustx.evaluate import EvalRequest, evaluate

    retrieval = task == RETRIEVAL
    source = _source(settings, task)
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
            resource_dirs=tuple(_resource_dirs()),
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
