"""How fast are robustx's bootstrap CIs at XNLI scale on ONE core?

75,150 synthetic records (15 languages x 5,010 parallel example ids, binary clean/attacked
outcomes, correlated across an example's language versions), 10,000 resamples. Times robustx's
paired (percentile, BCa), cluster (language-averaged) and stratified bootstraps against naive
references: ``scipy.stats.bootstrap(paired=True)`` and a per-resample loop that materialises the
cluster index arrays, both run on fewer resamples and scaled linearly to 10,000.

Goal: each robustx method under 2 s. Writes benchmarks/results/bootstrap_speed.json and prints a
Markdown table.  Usage: ``python benchmarks/bootstrap_speed.py [--quick]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported, so BLAS starts single-threaded

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from robustx.stats import (  # noqa: E402
    Interval,
    cluster_bootstrap_ci,
    paired_bootstrap_ci,
    stratified_bootstrap_ci,
)

N_IDS, N_LANGS, RESAMPLES, GOAL_S = 5010, 15, 10_000, 2.0
RESULTS = Path(__file__).resolve().parent / "results" / "bootstrap_speed.json"
Arrays = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]


def pin_one_core() -> str:
    """Pin this process to one CPU and cap thread pools; returns a note on what was done."""
    notes = ["OMP/MKL/OPENBLAS_NUM_THREADS=1"]
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        notes.append(f"sched_setaffinity cpu {cpu}")
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        notes.append("threadpoolctl limit 1")
    except ImportError:
        notes.append("threadpoolctl not installed")
    return "; ".join(notes)


def xnli_shaped(seed: int = 0, rho: float = 0.5) -> Arrays:
    """clean, attacked (0/1), example id, language code; rows copy their example's outcome w.p. rho."""
    rng = np.random.default_rng(seed)
    acc = np.linspace(0.85, 0.65, N_LANGS)  # English best, low-resource languages worst
    shared = rng.random(N_IDS)[:, None]
    own = rng.random((N_IDS, N_LANGS))
    copy = rng.random((N_IDS, N_LANGS)) < rho  # a row copies its example's (clean, attack) draws
    clean = np.where(copy, shared, own) < acc
    hit = np.where(copy, rng.random(N_IDS)[:, None], rng.random((N_IDS, N_LANGS))) < 0.12
    attacked = clean & ~hit
    ids = np.repeat(np.arange(N_IDS), N_LANGS)
    langs = np.tile(np.arange(N_LANGS), N_IDS)
    return clean.ravel().astype(float), attacked.ravel().astype(float), ids, langs


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """(best, median) wall seconds over ``repeats`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), out


def scipy_paired(clean: NDArray[np.float64], attacked: NDArray[np.float64], resamples: int) -> Interval:
    from scipy.stats import bootstrap

    res = bootstrap(
        (clean, attacked),
        lambda x, y, axis: x.mean(axis=axis) - y.mean(axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=resamples,
        batch=50,
        method="percentile",
        rng=np.random.default_rng(0),
    )
    ci = res.confidence_interval
    return Interval(float(clean.mean() - attacked.mean()), float(ci.low), float(ci.high), 0.95)


def naive_cluster(data: Arrays, resamples: int) -> Interval:
    """A per-resample loop: draw ids, gather their rows, average the per-language drops."""
    clean, attacked, ids, langs = data
    rng = np.random.default_rng(0)
    rows_of = np.argsort(ids, kind="stable").reshape(N_IDS, N_LANGS)  # rows of each id
    stats = np.empty(resamples)
    for r in range(resamples):
        rows = rows_of[rng.integers(0, N_IDS, N_IDS)].ravel()
        d, g = clean[rows] - attacked[rows], langs[rows]
        stats[r] = np.mean(np.bincount(g, weights=d) / np.bincount(g))
    est = float(np.mean(np.bincount(langs, weights=clean - attacked) / np.bincount(langs)))
    low, high = np.quantile(stats, [0.025, 0.975])
    return Interval(est, float(low), float(high), 0.95)


def run(repeats: int, ref_resamples: int) -> dict[str, Any]:
    data = xnli_shaped()
    clean, attacked, ids, langs = data
    scores = np.random.default_rng(1).beta(4, 1.5, (2, clean.shape[0]))  # continuous per-item scores
    ours: dict[str, Callable[[], Interval]] = {
        "paired_bootstrap_ci (percentile)": lambda: paired_bootstrap_ci(clean, attacked),
        "paired_bootstrap_ci (bca)": lambda: paired_bootstrap_ci(clean, attacked, method="bca"),
        "cluster_bootstrap_ci (strata=lang)": lambda: cluster_bootstrap_ci(
            clean, attacked, ids, strata=langs
        ),
        "stratified_bootstrap_ci": lambda: stratified_bootstrap_ci(clean, attacked, langs),
        "paired_bootstrap_ci, continuous scores": lambda: paired_bootstrap_ci(scores[0], scores[1]),
    }
    # warm-up: imports (scipy.special for BCa, scipy.stats) must not count against the first timing
    paired_bootstrap_ci(clean[:100], attacked[:100], n_resamples=10, method="bca")
    scipy_paired(clean[:100], attacked[:100], 2)
    methods: dict[str, dict[str, Any]] = {}
    for name, fn in ours.items():
        best, median, ci = timed(fn, repeats)
        methods[name] = {"seconds_best": best, "seconds_median": median, "ci": [ci.low, ci.high]}
    references = {
        "scipy.stats.bootstrap(paired=True, percentile)": lambda: scipy_paired(
            clean, attacked, ref_resamples
        ),
        "naive per-resample cluster loop": lambda: naive_cluster(data, ref_resamples),
    }
    for name, fn in references.items():
        best, median, ci = timed(fn, 1)
        scale = RESAMPLES / ref_resamples
        methods[name] = {
            "seconds_best": best * scale,
            "seconds_median": median * scale,
            "measured_resamples": ref_resamples,
            "ci": [ci.low, ci.high],
        }
    goal_methods = [k for k in ours if "continuous" not in k]
    return {
        "n_records": int(clean.shape[0]),
        "n_ids": N_IDS,
        "n_languages": N_LANGS,
        "resamples": RESAMPLES,
        "repeats": repeats,
        "goal_seconds": GOAL_S,
        "goal_met": all(methods[k]["seconds_best"] < GOAL_S for k in goal_methods),
        "goal_methods": goal_methods,
        "methods": methods,
    }


def machine_info(pinning: str) -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "pinning": pinning,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"{result['n_records']:,} records ({result['n_languages']} languages x {result['n_ids']:,} ids), "
        f"{result['resamples']:,} resamples, one core ({result['machine']['cpu']})",
        "",
        "| method | seconds (best) | seconds (median) | 95% CI of the drop |",
        "|---|---:|---:|---|",
    ]
    for name, m in result["methods"].items():
        scaled = f" (scaled from {m['measured_resamples']})" if "measured_resamples" in m else ""
        ci = f"[{m['ci'][0]:.4f}, {m['ci'][1]:.4f}]"
        lines.append(f"| {name}{scaled} | {m['seconds_best']:.3f} | {m['seconds_median']:.3f} | {ci} |")
    lines.append("")
    lines.append(
        f"goal (each robustx method on 0/1 outcomes < {result['goal_seconds']} s): {result['goal_met']}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1 repeat, 20 reference resamples; no JSON")
    args = parser.parse_args()
    pinning = pin_one_core()
    result = run(repeats=1 if args.quick else 3, ref_resamples=20 if args.quick else 200)
    result["machine"] = machine_info(pinning)
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))


if __name__ == "__main__":
    main()
