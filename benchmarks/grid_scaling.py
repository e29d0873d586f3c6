"""Grid throughput: the local backend vs Ray with 1 and 2 workers, and what the cache saves.

One grid (XNLI x languages x ``none`` + an attack, one seed) on a checkpoint A, run each way with a
fresh cache, then on a second checkpoint B twice: with A's perturbations in the cache and with an
empty one. Examples/s counts records stored per second of the backend phase (worker start-up and
model loading included; planning excluded); ``ray.init`` is timed on its own. Every run's records
are compared with the local backend's at the same torch thread count (they must be identical).

The default checkpoints are the embedded multilingual-e5-small with two random 3-way heads
(throughput does not depend on the head's weights); ``--tiny`` uses two tiny random models built in
code (seconds; the overheads then dominate).

    python benchmarks/grid_scaling.py                  # writes benchmarks/results/grid_scaling.json + README section
    python benchmarks/grid_scaling.py --tiny --limit 40 --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results" / "grid_scaling.json"
README = REPO / "benchmarks" / "README.md"
LABELS = ("entailment", "neutral", "contradiction")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "xtreme")
    p.add_argument("--langs", default="de,zh")
    p.add_argument("--limit", type=int, default=120, help="examples per language")
    p.add_argument("--rounds", type=int, default=2, help="round-robin rounds (best and median reported)")
    p.add_argument("--shard-size", type=int, default=50)
    p.add_argument("--attack", default="charnoise:rate=0.3")
    p.add_argument("--tiny", action="store_true", help="tiny random models built in code")
    p.add_argument("--no-write", action="store_true", help="print only; leave results/ and README alone")
    p.add_argument("--render", action="store_true", help="re-render the README section from the saved JSON")
    return p.parse_args(argv)


def build_models(args: argparse.Namespace, root: Path) -> tuple[list[Path], str]:
    """Checkpoints A and B (same encoder, different random heads)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if args.tiny:
        from robustx.models.tiny import build_tiny_classifier
        from tests.grid_support import corpus

        text = corpus(args.data)
        paths = [
            build_tiny_classifier(root / f"tiny-{n}", text, LABELS, seed=i, vocab_size=3000)
            for i, n in enumerate("ab")
        ]
        return paths, "tiny random XLM-R classifiers (2 layers, hidden 32) built in code"
    from robustx.models.embedded import embedded_model_dir
    from robustx.models.loading import head_labels

    src, paths = embedded_model_dir(), []
    for seed, name in enumerate("ab"):
        torch.manual_seed(seed)
        model = AutoModelForSequenceClassification.from_pretrained(src, **head_labels(LABELS))
        model.save_pretrained(root / f"e5-{name}")
        AutoTokenizer.from_pretrained(src).save_pretrained(root / f"e5-{name}")
        paths.append(root / f"e5-{name}")
    return paths, "embedded multilingual-e5-small + random 3-way heads (seeds 0 and 1)"


def grid_spec(args: argparse.Namespace, model: Path, out: Path, cache: Path) -> Any:
    from robustx.grid.spec import GridSpec, RunOptions
    from robustx.tasks import DataSource

    langs = tuple(args.langs.split(","))
    run = RunOptions(shard_size=args.shard_size, batch_size=32, cache=str(cache))
    return GridSpec(
        path=Path("benchmark"), models=(str(model),), tasks=("xnli",), langs={"xnli": langs},
        attacks=("none", args.attack), seeds=(0,), out=out, source=DataSource("dir", path=str(args.data)),
        split="test", limit=args.limit, run=run,
    )  # fmt: skip


def measure(name: str, spec: Any) -> dict[str, Any]:
    from robustx.grid.run import run_grid
    from robustx.models import memo
    from tests.grid_support import run_records

    # Local runs share this process's victim memo (robustx.models.memo): without clearing it, every run
    # after the first would time memo hits for the clean and attacked passes instead of computing them.
    memo.clear()
    load = os.getloadavg()[0]
    summary = run_grid(spec)
    row = {"name": name, "load_before": round(load, 2), **summary.to_json()}
    row["threads"] = spec.run.threads or (_torch_threads() if spec.run.backend == "local" else 1)
    row["records"] = run_records(spec.out)
    print(f"{name:40} {summary.examples_per_s:6.1f} examples/s {summary.seconds:6.1f} s  "
          f"first shard {summary.first_shard_s or 0:5.1f} s  load {load:.1f}", flush=True)  # fmt: skip
    return row


CONFIGS = (
    # name, checkpoint, cache folder (per round), run options
    ("local, 1 thread", "a", "local1", {"threads": 1}),
    ("local, torch threads", "a", "local", {}),
    ("ray, 1 worker", "a", "ray1", {"backend": "ray", "workers": 1}),
    ("ray, 2 workers", "a", "ray2", {"backend": "ray", "workers": 2}),
    ("checkpoint B, A's perturbations cached", "b", "local", {}),  # the cache "local, torch threads" filled
    ("checkpoint B, empty cache", "b", "b-cold", {}),
    ("checkpoint B, cache off", "b", "b-off", {"use_cache": False}),
)


def run_all(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """``args.rounds`` rounds, each running every configuration once (round-robin), fresh folders."""
    import ray
    import torch

    models, model_note = build_models(args, root)
    default_threads = torch.get_num_threads()
    warm = grid_spec(args, models[0], root / "warm-up", root / "warm-up-cas")
    measure("warm-up (imports, page cache)", replace(warm, limit=8))
    began = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="WARNING")
    ray_init_s = time.perf_counter() - began
    rounds: list[list[dict[str, Any]]] = []
    for r in range(args.rounds):
        rows = []
        for name, model, cache, run in CONFIGS:
            torch.set_num_threads(default_threads)  # the local 1-thread run set it process-wide
            base = grid_spec(
                args, models["ab".index(model)], root / f"r{r}" / name, root / f"r{r}" / f"cas-{cache}"
            )
            rows.append(measure(name, replace(base, run=replace(base.run, **run))))
        rounds.append(rows)
    ray.shutdown()
    return {
        "model": model_note,
        "ray_init_s": ray_init_s,
        "rounds": rounds,
        "torch_threads_default": default_threads,
    }


def summarize(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per configuration: the best round (shortest wall time) with the median beside it."""
    out = []
    for i in range(len(CONFIGS)):
        runs = [rows[i] for rows in rounds]
        best = dict(min(runs, key=lambda row: row["seconds"]))
        best["median_examples_per_s"] = statistics.median(row["examples_per_s"] for row in runs)
        best["rounds"] = len(runs)
        out.append(best)
    return out


def check_identical(rows: list[dict[str, Any]]) -> dict[str, bool]:
    """Each run's records vs the local backend's at the same thread count."""
    by_name = {r["name"]: r for r in rows}
    ref_a = by_name["local, 1 thread"]["records"]
    out = {
        f"{r['name']} == local, 1 thread": _same(r["records"], ref_a)
        for r in rows
        if r["name"].startswith("ray")
    }
    b = [r for r in rows if r["name"].startswith("checkpoint B")]
    out["checkpoint B: cached == empty cache == cache off"] = all(
        _same(r["records"], b[0]["records"]) for r in b
    )
    return out


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    strip = lambda recs: [v for _, v in sorted(recs.items(), key=lambda kv: kv[0].split("/", 1)[1])]  # noqa: E731
    return strip(a) == strip(b)


def render(result: dict[str, Any]) -> str:
    by = {r["name"]: r for r in result["rows"]}
    local1, localn = by["local, 1 thread"], by["local, torch threads"]
    ray1, ray2 = by["ray, 1 worker"], by["ray, 2 workers"]
    lines = [
        "## grid_scaling",
        "",
        f"`python benchmarks/grid_scaling.py`. One grid: XNLI test, {result['langs']} ({result['limit']} pairs "
        f"each), `none` + `{result['attack']}`, seed 0, shards of {result['shard_size']} (one run of each kind "
        f"writes {ray2['examples']} records); {result['model']}. {result['machine']}; {result['when']}. "
        f"Best of {ray2['rounds']} round-robin rounds (median beside it), fresh run and cache folders each time. "
        "Examples/s: records stored per second of the backend phase, worker start-up and model loading "
        "included (*first shard*: how long until the first shard was stored; *after start-up*: from the "
        "moment every worker had stored one shard). "
        "Raw numbers: `grid_scaling.json` in `benchmarks/results/`.",
        "",
        "| run | workers × torch threads | examples/s (best) | median | after start-up | wall s | first shard s | model loads | load avg before |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['name']} | {max(r['workers'], 1)} × {r['threads']} | {r['examples_per_s']:.1f} | "
            f"{r['median_examples_per_s']:.1f} | {_num(r.get('steady_examples_per_s'))} | {r['seconds']:.1f} | "
            f"{r['first_shard_s'] or 0:.1f} | "
            f"{r['model_loads']} | {r['load_before']} |"
        )
    warm, cold = by["checkpoint B, A's perturbations cached"], by["checkpoint B, empty cache"]
    off = by["checkpoint B, cache off"]
    served = cold["counts"].get("clean_served", 0)
    lines += [
        "",
        f"- `ray.init(num_cpus={result['cpus']})`: {result['ray_init_s']:.1f} s (once, not in the figures above).",
        f"- Ray 2 workers / Ray 1 worker: **{_ratio(ray2, ray1):.2f}×**; Ray 2 workers / local 1 thread: "
        f"**{_ratio(ray2, local1):.2f}×**; Ray 2 workers / local {localn['threads']} threads: "
        f"**{_ratio(ray2, localn):.2f}×**; Ray 1 worker / local 1 thread: {_ratio(ray1, local1):.2f}×. "
        f"After start-up (every worker has stored a shard): Ray 2 / Ray 1 "
        f"{_ratio(ray2, ray1, 'steady_examples_per_s'):.2f}×, Ray 2 / local 1 thread "
        f"{_ratio(ray2, local1, 'steady_examples_per_s'):.2f}×.",
        f"- Second checkpoint with the first one's perturbations in the cache: "
        f"{warm['counts'].get('perturbations_served', 0)} perturbations served, "
        f"{warm['counts'].get('perturbations_computed', 0)} computed; {warm['seconds']:.1f} s vs "
        f"{cold['seconds']:.1f} s with an empty cache ({_ratio(warm, cold):.2f}×) and {off['seconds']:.1f} s "
        f"with the cache off ({_ratio(warm, off):.2f}×). In every cached run the attacked cell re-uses the "
        f"`none` cell's clean pass ({served} of {served + cold['counts'].get('clean_computed', 0)} shard clean "
        "passes served).",
        "- Identical records: "
        + "; ".join(f"{k}: {'yes' if v else '**no**'}" for k, v in result["identical"].items())
        + ".",
    ]
    return "\n".join(lines) + "\n"


def _ratio(a: dict[str, Any], b: dict[str, Any], key: str = "examples_per_s") -> float:
    return float(a[key] / b[key]) if a.get(key) and b.get(key) else float("nan")


def _num(value: float | None) -> str:
    return f"{value:.1f}" if value else "–"


def update_readme(section: str) -> None:
    """Replace (or append) only the ``## grid_scaling`` section."""
    text = README.read_text(encoding="utf-8")
    start = text.find("## grid_scaling\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.render:
        result = json.loads(RESULTS.read_text(encoding="utf-8"))
        update_readme(render(result))
        return
    root = Path(tempfile.mkdtemp(prefix="grid-scaling-"))
    try:
        result = run_all(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    checks = [check_identical(rows) for rows in result["rounds"]]
    result["identical"] = {k: all(c[k] for c in checks) for k in checks[0]}
    for rows in result["rounds"]:
        for row in rows:
            row.pop("records")
    result["rows"] = summarize(result["rounds"])
    import ray

    result.update(
        langs=args.langs.replace(",", ", "), limit=args.limit, attack=args.attack, shard_size=args.shard_size,
        cpus=os.cpu_count(), ray_version=ray.__version__, python=platform.python_version(),
        machine=f"{os.cpu_count()} cores ({_cpu_name()}), shared with other jobs",
        when=time.strftime("%Y-%m-%dT%H:%M:%S%z"), tiny=args.tiny,
    )  # fmt: skip
    section = render(result)
    print(section)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        update_readme(section)


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
