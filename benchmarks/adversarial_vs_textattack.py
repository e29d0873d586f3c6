"""Adversarial attack speed: robustx greedy search vs TextAttack's DeepWordBug recipe, one run.

Same victim checkpoint directory, same XNLI test pairs (the first ``--n`` of en and de), same character
edits (swap / substitute / delete / insert, one candidate per edit type per word), the same protected
words (robustx's stopword list of each language, given to TextAttack's StopwordModification), the same
per-example query budget, no cap on the number of changed words (DeepWordBug's Levenshtein limit of 30
is never reached at one edit per word), one process each, the same torch thread count.

* robustx: ``charnoise:search=greedy`` through ``robustx.attacks.search.classify.adversarial_columns``
  (what ``robustx evaluate`` runs per shard), all examples of a language in one shard; also timed as a
  whole ``robustx evaluate`` CLI process.
* TextAttack 0.3.11: benchmarks/peers/textattack_deepwordbug_runner.py in benchmarks/textattack_venv.

Victims: ``tiny`` (default) is a 2-layer XLM-R-architecture classifier (hidden 128, an 8k Unigram
vocabulary trained on English and German XNLI dev text) trained here on the 2,490 English XNLI dev pairs
and cached under ``~/.cache/robustx/bench/``; ``e5`` is multilingual-e5-small fine-tuned on the same
pairs (``train_e5_victim``: the recipe of robustx's former XNLI quickstart, which trained the checkpoint of
the recorded results; trained and cached on first use, about 8 minutes on 2 cores). Both tools truncate at the victim
tokenizer's ``model_max_length`` (tiny: 128, e5: 512); TextAttack's stock model wrapper also pads every
batch to it, robustx pads each batch to its longest input.

    python benchmarks/adversarial_vs_textattack.py                    # writes benchmarks/results/
    python benchmarks/adversarial_vs_textattack.py --n 10 --budget 30 --out /tmp/x.json   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_OUT = REPO / "benchmarks" / "results" / "adversarial_vs_textattack.json"
TA_VENV = REPO / "benchmarks" / "textattack_venv"
RUNNER = REPO / "benchmarks" / "peers" / "textattack_deepwordbug_runner.py"
LABELS = ("entailment", "neutral", "contradiction")
MAX_LENGTH = 128
GOAL_SPEEDUP = 10.0
VICTIMS = {
    "e5": "multilingual-e5-small fine-tuned by `train_e5_victim` (word embeddings frozen, 300 "
    "steps on the 2,490 English XNLI dev pairs)",
    "tiny": "a 2-layer XLM-R-architecture classifier (hidden 128, an 8k Unigram vocabulary from en+de XNLI dev "
    "text) trained here for 5 epochs on the same English pairs",
}


def robustx_spec(budget: int) -> str:
    """DeepWordBug's transformation and constraints in robustx terms."""
    return (
        f"charnoise:search=greedy,budget={budget},per_word=4,min_len=2,keep_digits=false,"
        "protect=stopwords,max_changed=1.0,wir=mask"
    )


def data_root() -> Path:
    from tests.conftest import shared_data_root

    root = shared_data_root()
    if root is None:
        raise SystemExit("real XTREME data not found (../shared/data or $ROBUSTX_DATA)")
    return root


def train_tiny_victim(data: Path, seed: int = 0, epochs: int = 5) -> Path:
    """A small classifier trained on English XNLI dev; cached by its recipe."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    from robustx.models.embedded import cache_root
    from robustx.models.loading import head_labels
    from robustx.models.tiny import build_tokenizer
    from robustx.tasks import DataSource, get_task, load_examples

    out = cache_root() / "bench" / f"xnli-tiny-en-h128-l2-e{epochs}-s{seed}"
    if (out / "config.json").is_file():
        return out
    task, source = get_task("xnli"), DataSource("dir", str(data))
    train = load_examples(task, source, "en", "validation").examples
    corpus = [str(ex.fields[f]) for lang in ("en", "de") for ex in load_examples(task, source, lang, "validation").examples for f in task.text_fields]  # fmt: skip
    tokenizer = build_tokenizer(corpus, vocab_size=8000, model_max_length=MAX_LENGTH)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=512, max_position_embeddings=MAX_LENGTH + 4, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, **head_labels(LABELS),
    )  # fmt: skip
    torch.manual_seed(seed)
    model = XLMRobertaForSequenceClassification(config)
    _fit(model, tokenizer, train, epochs, seed)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _fit(model: Any, tokenizer: Any, train: list[Any], epochs: int, seed: int) -> None:
    import random

    import torch

    pairs = [
        (str(ex.fields["premise"]), str(ex.fields["hypothesis"]), LABELS.index(ex.label)) for ex in train
    ]
    optim = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    steps = epochs * ((len(pairs) + 31) // 32)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda s: max(0.0, 1.0 - s / steps))
    rng = random.Random(seed)
    model.train()
    for _ in range(epochs):
        rng.shuffle(pairs)
        for start in range(0, len(pairs), 32):
            batch = pairs[start : start + 32]
            enc = tokenizer([p for p, _, _ in batch], [h for _, h, _ in batch], truncation=True,
                            max_length=MAX_LENGTH, padding=True, return_tensors="pt")  # fmt: skip
            loss = model(**enc, labels=torch.tensor([y for _, _, y in batch])).loss
            loss.backward()
            optim.step()
            sched.step()
            optim.zero_grad()
    model.eval()


E5_RECIPE = {"steps": 300, "batch_size": 16, "lr": 5e-5, "warmup": 0.1, "max_length": 128, "seed": 0}


def train_e5_victim(data: Path) -> Path:
    """The embedded multilingual-e5-small fine-tuned on the 2,490 English XNLI dev pairs (word embeddings
    frozen, AdamW with linear warm-up/decay, seeded random batches): the recipe of the checkpoint behind
    the recorded results, which robustx's XNLI quickstart of an earlier version trained. Cached."""
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    from robustx.models.embedded import cache_root, embedded_model_dir
    from robustx.models.loading import head_labels
    from robustx.tasks import DataSource, get_task, load_examples

    legacy = sorted((cache_root() / "quickstart").glob("e5-small-xnli-en-*"))
    if legacy:  # the very checkpoint of the recorded results
        return legacy[-1]
    out = cache_root() / "bench" / "e5-small-xnli-en-s{steps}-b{batch_size}-seed{seed}".format(**E5_RECIPE)
    if (out / "config.json").is_file():
        return out
    rows = load_examples(get_task("xnli"), DataSource("dir", str(data)), "en", "validation").examples
    r = E5_RECIPE
    torch.manual_seed(r["seed"])
    base = embedded_model_dir()
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, **head_labels(LABELS))
    model.get_input_embeddings().weight.requires_grad_(False)
    params = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(params, lr=r["lr"], weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(r["warmup"] * r["steps"]), r["steps"])
    gen = torch.Generator().manual_seed(r["seed"])
    labels = torch.tensor([LABELS.index(str(e.label)) for e in rows])
    model.train()
    for _ in range(r["steps"]):
        idx = torch.randint(len(rows), (r["batch_size"],), generator=gen).tolist()
        enc = tok([str(rows[i].fields["premise"]) for i in idx], [str(rows[i].fields["hypothesis"]) for i in idx],
                  truncation=True, max_length=r["max_length"], padding=True, return_tensors="pt")  # fmt: skip
        model(**enc, labels=labels[idx]).loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def victim_dir(kind: str, data: Path) -> Path:
    return train_tiny_victim(data) if kind == "tiny" else train_e5_victim(data)


def max_length(model: Path) -> int:
    """The victim tokenizer's ``model_max_length``: TextAttack truncates (and pads) to it; so does robustx."""
    saved = json.loads((model / "tokenizer_config.json").read_text(encoding="utf-8"))
    return int(saved.get("model_max_length", 512))


def run_robustx(model: Path, examples: dict[str, list[Any]], budget: int) -> dict[str, Any]:
    from robustx.attacks import build_attack
    from robustx.attacks.search.classify import adversarial_columns
    from robustx.models.classifier import load_classifier

    start = time.perf_counter()
    victim = load_classifier(str(model), LABELS, batch_size=32, max_length=max_length(model))
    attack = build_attack(robustx_spec(budget))
    rows: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    for lang, block in examples.items():
        attack.check([lang])
        t0 = time.perf_counter()
        cols = adversarial_columns(
            LABELS, ("premise", "hypothesis"), block, attack, 0, victim, lambda p, n: None
        )
        seconds[lang] = time.perf_counter() - t0
        rows += [{"id": i, "lang": lang, "status": s, "queries": q}
                 for i, s, q in zip(cols["example_id"], cols["status"], cols["queries"], strict=True)]  # fmt: skip
    return {"rows": rows, "attack_seconds": sum(seconds.values()), "per_lang_seconds": seconds,
            "process_like_seconds": time.perf_counter() - start, "spec": attack.canonical}  # fmt: skip


def run_robustx_cli(model: Path, data: Path, langs: list[str], n: int, budget: int, threads: int) -> float:
    """Wall time of a whole ``robustx evaluate`` process (start-up, data, model, clean pass, attack, stats)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(REPO / ".venv" / "bin" / "robustx"), "evaluate", "--model", str(model), "--task", "xnli",
               "--data-dir", str(data), "--langs", ",".join(langs), "--limit", str(n), "--attack",
               robustx_spec(budget), "--out", tmp, "--quiet", "--max-length", str(max_length(model))]  # fmt: skip
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        return time.perf_counter() - start


def run_textattack(
    model: Path, examples: dict[str, list[Any]], budget: int, threads: int, padding: str = "stock"
) -> dict[str, Any]:
    from robustx.attacks.filters import stopwords

    langs = {}
    for lang, block in examples.items():
        stops = sorted({v for w in stopwords(lang) for v in (w, w.title(), w.upper())})
        rows = [{"id": ex.id, "premise": ex.fields["premise"], "hypothesis": ex.fields["hypothesis"],
                 "label": LABELS.index(ex.label)} for ex in block]  # fmt: skip
        langs[lang] = {"examples": rows, "stopwords": stops}
    job = {
        "model": str(model),
        "budget": budget,
        "seed": 0,
        "threads": threads,
        "langs": langs,
        "padding": padding,
    }
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "job.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        env = {
            **os.environ,
            "TA_CACHE_DIR": str(TA_VENV / "textattack_cache"),
            "TOKENIZERS_PARALLELISM": "false",
        }
        cmd = [str(TA_VENV / "bin" / "python"), str(RUNNER), "--input", str(src), "--output", str(dst)]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, cwd=str(RUNNER.parent))
        wall = time.perf_counter() - start
        out: dict[str, Any] = json.loads(dst.read_text(encoding="utf-8"))
    status = {
        "SuccessfulAttackResult": "success",
        "FailedAttackResult": "failed",
        "SkippedAttackResult": "skipped",
    }
    out["rows"] = [{"id": r["id"], "lang": r["lang"], "status": status.get(r["type"], r["type"]),
                    "queries": r["queries"]} for r in out.pop("examples")]  # fmt: skip
    out["process_wall_seconds"] = wall
    return out


def summary(rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    attacked = [r for r in rows if r["status"] in ("success", "failed")]
    wins = sum(r["status"] == "success" for r in attacked)
    return {
        "examples": len(rows),
        "skipped": len(rows) - len(attacked),
        "attacked": len(attacked),
        "success_rate": wins / len(attacked) if attacked else 0.0,
        "queries_per_attacked_example": sum(r["queries"] for r in attacked) / len(attacked)
        if attacked
        else 0.0,
        "max_queries": max((r["queries"] for r in rows), default=0),
        "attack_seconds": seconds,
        "seconds_per_attacked_example": seconds / len(attacked) if attacked else 0.0,
    }


def load(data: Path, langs: list[str], n: int) -> dict[str, list[Any]]:
    from robustx.tasks import DataSource, get_task, load_examples

    task = get_task("xnli")
    return {
        lang: list(load_examples(task, DataSource("dir", str(data)), lang, "test", n).examples)
        for lang in langs
    }


def render(paths: list[Path]) -> str:
    """The benchmarks/README.md section from saved result files (the first is the headline run)."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    head = runs[0]
    lines = [
        "## adversarial_vs_textattack",
        "",
        f"`python benchmarks/adversarial_vs_textattack.py` (TextAttack venv: `bash benchmarks/setup_peers.sh "
        f"textattack`). One run per victim, {head['n_per_lang']} XNLI test pairs each in "
        f"{', '.join(head['langs'])}, query budget {head['budget']} per example, {head['machine']['threads']} torch "
        f"thread(s), {head['machine']['cpus']} shared cores (load {head['machine']['load_before']:.1f} -> "
        f"{head['machine']['load_after']:.1f}), {head['date']}. robustx: `{robustx_spec(head['budget'])}`; "
        "TextAttack 0.3.11: the DeepWordBug recipe (swap/substitute/delete/insert, greedy WIR with `unk`, "
        "Levenshtein 30) with the same stopword lists. Raw numbers and per-example rows: "
        f"{', '.join(f'`{p.name}`' for p in paths)} in `benchmarks/results/`.",
        "",
        "Victims: "
        + "; ".join(f"*{r['victim']['kind']}*: {VICTIMS[r['victim']['kind']]}" for r in runs)
        + ".",
        "",
        "| victim | tool | attacked (skipped) | success rate | queries / attacked example | attack wall time | "
        "s / attacked example | robustx faster |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        rx = run["robustx"]
        rows = [("robustx greedy", rx, None), ("TextAttack DeepWordBug", run["textattack"], run["speedup"])]
        if "textattack_dynamic_padding" in run:
            rows.append(("TextAttack, per-batch padding", run["textattack_dynamic_padding"], run["speedup_vs_dynamic_padding"]))  # fmt: skip
        for tool, cell, ratio in rows:
            lines.append(
                f"| {run['victim']['kind']} | {tool} | {cell['attacked']} ({cell['skipped']}) | "
                f"{100 * cell['success_rate']:.1f}% | {cell['queries_per_attacked_example']:.1f} | "
                f"{cell['attack_seconds']:.1f} s | {cell['seconds_per_attacked_example']:.3f} | "
                f"{_ratio(ratio)} |"
            )
    return "\n".join(lines + [""] + notes(runs)) + "\n"


def _ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x" if ratio < 2 else f"{ratio:.1f}x"


def notes(runs: list[dict[str, Any]]) -> list[str]:
    """What the table does and does not show, from the same numbers."""
    head = runs[0]
    met = "met" if head["goal_met"] else "**not met**"
    out = [
        f"- Goal (robustx >= {GOAL_SPEEDUP:.0f}x faster at an equal or higher success rate, headline victim "
        f"{head['victim']['kind']}): {met}: {head['speedup']:.1f}x at {100 * head['robustx']['success_rate']:.1f}% "
        f"vs {100 * head['textattack']['success_rate']:.1f}% success.",
    ]
    if "speedup_vs_dynamic_padding" in head:
        dyn = ", ".join(f"{_ratio(r['speedup_vs_dynamic_padding'])} ({r['victim']['kind']})" for r in runs)
        out.append(
            "- Where the speed-up comes from: TextAttack's stock `HuggingFaceModelWrapper` pads every batch to the "
            f"tokenizer's `model_max_length` ({head['textattack_model_max_length']} for {head['victim']['kind']}). "
            "With a wrapper that pads each batch to its longest input (our patch, not TextAttack's default) the "
            f"ratio is {dyn}: both tools send about the same queries, and what remains is how they are batched "
            "(robustx sends one round of all examples' candidates and cuts it by length so rows of very different "
            "lengths do not share a batch, `robustx.models.batching.cheapest_cuts`; TextAttack sends each example's "
            "few candidates on their own, paying a forward pass's fixed cost each time) and, on the tiny victim, "
            "Python work per candidate."
        )
    out += [
        "- Queries: TextAttack counts every candidate it sends (cache hits included), robustx the distinct inputs "
        "an example sent; both count the clean input and stop at the budget.",
        "- Same victim answers: the same examples were skipped (already wrong) by both tools: "
        + ", ".join(f"{r['victim']['kind']} {'yes' if r['same_skipped'] else 'NO'}" for r in runs)
        + ".",
        "- Not identical: robustx's substitutions and insertions draw keyboard neighbours (TextAttack: random "
        "letters); word importance masks with the tokenizer's `<unk>` (TextAttack writes the literal `[UNK]`, "
        "which XLM-R tokenizers split into pieces); the tools ran one after the other on a shared machine, so "
        "load differed between them.",
    ]
    return out


def main() -> None:
    opts = _args()
    if opts.render:
        print(render(opts.render), end="")
        return
    import torch

    torch.set_num_threads(opts.threads)
    data, langs = data_root(), opts.langs.split(",")
    model = victim_dir(opts.victim, data)
    examples = load(data, langs, opts.n)
    load_before = os.getloadavg()[0]
    rx = run_robustx(model, examples, opts.budget)
    ta = run_textattack(model, examples, opts.budget, opts.threads)
    dyn = (
        run_textattack(model, examples, opts.budget, opts.threads, "dynamic")
        if opts.textattack_dynamic
        else None
    )
    cli = None if opts.skip_cli else run_robustx_cli(model, data, langs, opts.n, opts.budget, opts.threads)
    result = report(opts, model, rx, ta, cli, load_before)
    if dyn is not None:
        result["textattack_dynamic_padding"] = summary(dyn["rows"], dyn["attack_seconds"])
        result["speedup_vs_dynamic_padding"] = dyn["attack_seconds"] / rx["attack_seconds"]
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    keys = ("robustx", "textattack", "speedup", "goal_met", "same_skipped", "speedup_vs_dynamic_padding")
    print(json.dumps({k: result.get(k) for k in keys}, indent=2))


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--langs", default="en,de")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--victim", choices=("tiny", "e5"), default="tiny")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of both tools")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--skip-cli", action="store_true", help="do not time a whole robustx evaluate process"
    )
    parser.add_argument(
        "--textattack-dynamic", action="store_true", help="also run TextAttack padding per batch"
    )
    parser.add_argument("--render", type=Path, nargs="+", help="print the README section from result files")
    return parser.parse_args()


def _skipped(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((r["lang"], r["id"]) for r in rows if r["status"] == "skipped")


def report(
    opts: Any, model: Path, rx: dict[str, Any], ta: dict[str, Any], cli: float | None, load0: float
) -> dict[str, Any]:
    per_lang = {}
    for lang in opts.langs.split(","):
        per_lang[lang] = {
            "robustx": summary([r for r in rx["rows"] if r["lang"] == lang], rx["per_lang_seconds"][lang]),
            "textattack": summary([r for r in ta["rows"] if r["lang"] == lang], ta["per_lang_seconds"][lang]),
        }
    ours, theirs = summary(rx["rows"], rx["attack_seconds"]), summary(ta["rows"], ta["attack_seconds"])
    ours["cli_process_seconds"] = cli
    theirs["process_seconds"] = ta["process_wall_seconds"]
    speedup = theirs["attack_seconds"] / ours["attack_seconds"]
    return {
        "benchmark": "adversarial_vs_textattack",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "threads": opts.threads,
                    "load_before": load0, "load_after": os.getloadavg()[0]},
        "victim": {"kind": opts.victim, "path": str(model)},
        "n_per_lang": opts.n, "langs": opts.langs.split(","), "budget": opts.budget, "max_length": max_length(model),
        "robustx_spec": rx["spec"], "textattack_versions": ta.get("versions"),
        "textattack_model_max_length": ta.get("model_max_length"),
        "robustx": ours, "textattack": theirs, "per_lang": per_lang,
        "speedup": speedup,
        "speedup_process": (theirs["process_seconds"] / cli) if cli else None,
        "goal_met": speedup >= GOAL_SPEEDUP and ours["success_rate"] >= theirs["success_rate"],
        # Both tools must see the victim answer the same on clean inputs: the same examples skipped.
        "same_skipped": _skipped(rx["rows"]) == _skipped(ta["rows"]),
        "rows": {"robustx": rx["rows"], "textattack": ta["rows"]},
    }  # fmt: skip


if __name__ == "__main__":
    main()
