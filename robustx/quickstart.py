"""``robustx quickstart``: the main job on the embedded default, offline, in minutes.

1. Convert the embedded multilingual-e5-small into a Hugging Face model (cached, checksummed).
2. Fine-tune it on English NLI (the real English XNLI dev set: 2,490 pairs) with the word-embedding
   matrix frozen (a CPU step is ~60x cheaper that way), giving a standard sequence-classification
   checkpoint with a ``lineage.json``; cached by its settings, so a second run re-uses it.
3. Evaluate it zero-shot on XNLI test in languages of seven scripts, clean and under each attack,
   through the same ``robustx.evaluate`` code path that ``robustx evaluate`` uses.

The data is the real XTREME data in ``../shared/data`` (or ``$ROBUSTX_DATA``): it is not part of the
package (XNLI is CC BY-NC), so the quickstart says where it looked when it is missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from robustx.errors import DataError
from robustx.progress import Stages

LABELS = ("entailment", "neutral", "contradiction")
# Seven scripts: Latin, Cyrillic, Greek, Arabic, Devanagari, Thai, Han. Each has a MUSE dictionary in
# the shared data, so code-switching reaches every one of them.
LANGS = ("en", "de", "ru", "el", "ar", "hi", "th", "zh")
ATTACKS = ("charnoise:rate=0.3", "codeswitch:rate=0.3")


@dataclass(frozen=True)
class FineTune:
    """Settings of the English fine-tune; their hash names the cached checkpoint."""

    steps: int = 250
    batch_size: int = 16
    lr: float = 5e-5
    warmup: float = 0.1
    max_length: int = 128
    seed: int = 0

    def key(self, base_hash: str) -> str:
        blob = json.dumps({**asdict(self), "base": base_hash, "data": "xnli/dev-en"}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def find_data_dir(start: Path | None = None) -> Path:
    """The XTREME folder: ``$ROBUSTX_DATA``, else ``../shared/data`` beside the working dir or the repo."""
    from robustx.tasks import default_data_dir

    env = default_data_dir()
    here = start or Path.cwd()
    repo = Path(__file__).resolve().parent.parent
    candidates = [env] if env else []
    candidates += [here.parent / "shared" / "data" / "xtreme", repo.parent / "shared" / "data" / "xtreme"]
    for path in candidates:
        if path is not None and (path / "xnli").is_dir():
            return path
    raise DataError(
        "quickstart needs the XTREME data (xnli/ folder): looked in "
        + ", ".join(str(p) for p in candidates if p is not None)
        + "; set ROBUSTX_DATA to the folder holding xtreme/"
    )


def english_pairs(data_dir: Path) -> tuple[list[str], list[str], list[int]]:
    """English XNLI dev pairs (premise, hypothesis, label index) through robustx's own loader."""
    from robustx.tasks import DataSource, get_task, load_examples

    task = get_task("xnli")
    rows = load_examples(task, DataSource("dir", path=str(data_dir)), "en", "validation").examples
    return (
        [str(e.fields["premise"]) for e in rows],
        [str(e.fields["hypothesis"]) for e in rows],
        [LABELS.index(e.label) for e in rows],
    )


def fine_tuned_checkpoint(data_dir: Path, cache: Path, settings: FineTune, stages: Stages) -> Path:
    """The English-fine-tuned embedded model, trained now or re-used from ``cache``."""
    from robustx.models.embedded import embedded_model_dir
    from robustx.models.loading import model_fingerprint

    stages.log("converting the embedded multilingual-e5-small (first run only)")
    base = embedded_model_dir()
    base_hash = model_fingerprint(str(base))
    out = cache / "quickstart" / f"e5-small-xnli-en-{settings.key(base_hash)}"
    if (out / "lineage.json").is_file():
        stages.log(f"re-using the fine-tuned checkpoint {out}")
        return out
    premises, hypotheses, labels = english_pairs(data_dir)
    tmp = out.with_name(out.name + ".tmp")
    _train(base, tmp, premises, hypotheses, labels, settings, stages)
    lineage = {
        "base": {"id": "multilingual-e5-small (embedded)", "path": str(base), "hash": base_hash},
        "intermediate": [],
        "multitask": False,
        "target": {"task": "xnli", "data": "xnli/dev-en (English XNLI dev)", "examples": len(labels)},
        "hyperparameters": asdict(settings),
        "seed": settings.seed,
        "frozen": ["word_embeddings"],
        "produced_by": "robustx quickstart",
    }
    (tmp / "lineage.json").write_text(json.dumps(lineage, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out


def _train(
    base: Path,
    out: Path,
    premises: Sequence[str],
    hypotheses: Sequence[str],
    labels: Sequence[int],
    settings: FineTune,
    stages: Stages,
) -> None:
    """Plain AdamW fine-tune with linear warm-up/decay; word embeddings frozen."""
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    torch.manual_seed(settings.seed)
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={x: i for i, x in enumerate(LABELS)},
    )
    model.get_input_embeddings().weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=settings.lr, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(settings.warmup * settings.steps), settings.steps)
    gen = torch.Generator().manual_seed(settings.seed)
    target = torch.tensor(labels)
    advance = stages.stage("fine-tuning on English XNLI dev", total=settings.steps)
    model.train()
    for _ in range(settings.steps):
        idx = torch.randint(len(labels), (settings.batch_size,), generator=gen).tolist()
        enc = tok(
            [premises[i] for i in idx],
            [hypotheses[i] for i in idx],
            truncation=True,
            max_length=settings.max_length,
            padding=True,
            return_tensors="pt",
        )
        loss = model(**enc, labels=target[idx]).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        advance()
    model.eval()
    model.save_pretrained(out)
    tok.save_pretrained(out)


def run_quickstart(out: Path, limit: int, settings: FineTune, stages: Stages) -> list[Any]:
    """Fine-tune (or re-use), then evaluate clean vs each attack; returns the EvalResults."""
    from robustx.attacks import build_attack
    from robustx.evaluate import EvalRequest, evaluate
    from robustx.models.embedded import cache_root
    from robustx.tasks import DataSource

    data_dir = find_data_dir()
    for spec in ATTACKS:  # a missing resource fails now, not after the fine-tune
        build_attack(spec).for_data([str(data_dir)]).check(list(LANGS))
    ckpt = fine_tuned_checkpoint(data_dir, cache_root(), settings, stages)
    results = []
    for attack in ATTACKS:
        req = EvalRequest(
            model=str(ckpt),
            task="xnli",
            source=DataSource("dir", path=str(data_dir)),
            out=out,
            langs=list(LANGS),
            attack=attack,
            limit=limit,
            max_length=settings.max_length,
            resume=True,
            command=["robustx", "quickstart"],
        )
        stages.log(f"evaluating XNLI in {len(LANGS)} languages under {attack}")
        results.append(evaluate(req, stages))
    return results
