"""The driver <-> peer-runner protocol of benchmarks/perturb_throughput.py (standard library only).

A runner is started in its own venv as ``python RUNNER --input JOB.json --output OUT.json``. ``JOB.json``
holds the seed and, per attack, the timed sentences and a few warm-up sentences (``[lang, text]`` pairs).
The runner builds its augmenters, runs the warm-up (lazy loading off the clock), then answers one JSON
line per command read from stdin:

* ``{"cmd": "round", "attack": NAME}`` -> reseed ``random`` (and numpy), perturb every sentence of that
  attack once, one language block at a time, and reply ``{"event": "timed", "seconds": S, "per_lang":
  {lang: s}}`` (``S`` is the sum of the blocks). The clock covers only the tool's calls and appending each
  output to a list, as for robustx.
* ``{"cmd": "finish"}`` -> write ``{"outputs": {attack: [text, ...]}}`` (the last round's outputs) to
  ``OUT.json`` and exit.

The first line a runner writes is ``{"event": "ready", ...}`` with its versions and set-up time. Protocol
lines go to the original stdout only: libraries that print (jieba, TextAttack's logger) are sent to stderr
by pointing file descriptor 1 at stderr, so nothing they print can corrupt a reply.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO, Any

# One callable per (attack, language): text -> perturbed text.
Perturb = Callable[[str], str]
# build(attack, params, langs) -> (a perturb function per language, notes on how it was configured)
Build = Callable[[str, Mapping[str, Any], list[str]], tuple[dict[str, Perturb], dict[str, Any]]]


def _protocol_stream() -> IO[str]:
    """A text stream on the real stdout; fd 1 (and ``sys.stdout``) then point at stderr."""
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


def _send(out: IO[str], message: Mapping[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def _seed(seed: int) -> None:
    random.seed(seed)
    try:
        import numpy

        numpy.random.seed(seed)
    except ImportError:
        pass


def _blocks(sentences: list[list[str]]) -> list[tuple[str, list[str]]]:
    """Consecutive runs of one language, in order: ``[(lang, [text, ...]), ...]``."""
    out: list[tuple[str, list[str]]] = []
    for lang, text in sentences:
        if not out or out[-1][0] != lang:
            out.append((lang, []))
        out[-1][1].append(text)
    return out


def time_round(
    fns: Mapping[str, Perturb], sentences: list[list[str]]
) -> tuple[list[str], dict[str, float], dict[str, float]]:
    """Perturb every sentence once; wall-clock and process CPU seconds per language block (the tool's
    calls only). CPU time leaves out the time other processes of a loaded machine held the core."""
    outputs: list[str] = []
    per_lang: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for lang, texts in _blocks(sentences):
        fn = fns[lang]
        append = outputs.append
        start, start_cpu = time.perf_counter(), time.process_time()
        for text in texts:
            append(fn(text))
        per_lang[lang] = per_lang.get(lang, 0.0) + time.perf_counter() - start
        cpu[lang] = cpu.get(lang, 0.0) + time.process_time() - start_cpu
    return outputs, per_lang, cpu


def serve(tool: str, versions: Mapping[str, str], build: Build) -> None:
    """Run the protocol for one peer (see ``Build``); returns when the driver says ``finish``."""
    ap = argparse.ArgumentParser(description=f"{tool} runner for benchmarks/perturb_throughput.py")
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    args = ap.parse_args()
    out = _protocol_stream()
    with open(args.input, encoding="utf-8") as fh:
        job = json.load(fh)
    seed = int(job["seed"])
    start = time.perf_counter()
    fns: dict[str, dict[str, Perturb]] = {}
    notes: dict[str, dict[str, Any]] = {}
    for name, spec in job["attacks"].items():
        langs = sorted({lang for lang, _ in spec["sentences"]})
        fns[name], notes[name] = build(name, spec["params"], langs)
        _seed(seed)
        time_round(fns[name], spec["warmup"])
    ready = {"event": "ready", "tool": tool, "versions": dict(versions), "notes": notes}
    _send(out, {**ready, "setup_s": time.perf_counter() - start})
    last: dict[str, list[str]] = {}
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "finish":
            break
        name = command["attack"]
        _seed(seed)
        last[name], per_lang, cpu = time_round(fns[name], job["attacks"][name]["sentences"])
        _send(
            out,
            {"event": "timed", "seconds": sum(per_lang.values()), "per_lang": per_lang, "cpu_per_lang": cpu},
        )
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump({"outputs": last}, fh, ensure_ascii=False)
    _send(out, {"event": "done"})
