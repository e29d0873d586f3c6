"""Character-noise throughput and integrity: robustx vs nlpaug and TextAttack on the same real sentences.

Sentences: the first unique premises of XNLI test (``xnli/test-XX.tsv[.gz]`` in the shared XTREME data), in
file order, split evenly over the languages: 2,000 over en, de, ru, ar, hi, th, zh (Latin, Cyrillic, Arabic,
Devanagari, Thai, Han) for the swap attacks, and 2,000 over the languages robustx has a keyboard layout for
(zh has none: Chinese is typed through an input method) for the keyboard attack.

Contenders (same rate, seed and sentences; see benchmarks/peers/ for how each peer is configured):

* robustx ``keyboard``, ``charswap`` and ``charnoise`` (the four ops of TextAttack's CharSwapAugmenter), each
  timed four ways: ``library`` (``attack.perturb`` per sentence, per-example RNG included: the Python path),
  ``stream`` (``robustx.perturb_io.perturb_stream``, what ``robustx perturb`` runs, in-process: the headline
  figure; it runs the compiled path robustx/_fast where that is built, as users get it), ``stream_python``
  (the same with the compiled path switched off, ``ROBUSTX_FAST=0``), and ``cli`` (``robustx perturb`` on a
  JSONL file in a fresh process: start-up and imports included). All must give byte-identical outputs.
* nlpaug ``KeyboardAug`` and ``RandomCharAug(action="swap")`` with a whitespace tokenizer, in
  ``benchmarks/.venv-nlpaug``; TextAttack ``CharSwapAugmenter`` in ``benchmarks/textattack_venv``.
  Each peer runs in a subprocess of its own venv (benchmarks/peers/protocol.py), driven round by round.

Timing: one untimed warm-up on other sentences (lazy loading of layouts, dictionaries and segmenters is off
the clock), then rounds run round-robin (every contender once per round, so a burst of load on a shared
machine hits all of them); a contender's figure is its best round (sentences / seconds), as ``timeit``
advises, with the median beside it. Every round is also timed in process CPU seconds (each tool's own
process), which leaves out the time other processes held the core: on a loaded machine that figure, and
the ratios from it, are the steadier ones. Before every robustx round its per-text caches (the
word-segmentation memo for zh/th) are cleared, so every round is a first pass over these sentences (the
compiled path keeps no such memo); the peers keep whatever they cache. Integrity (benchmarks/perturb_integrity.py) is computed from each contender's outputs.

    python benchmarks/perturb_throughput.py                      # full run -> benchmarks/results/, README
    python benchmarks/perturb_throughput.py --quick --tools robustx --out /tmp/p.json --readme none
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perturb_peers import PEERS, PeerError, PeerProcess, missing
from perturb_report import readme_section, summary_table, write_readme_section

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "results" / "perturb_throughput.json"
DEFAULT_README = HERE / "README.md"
LANGS = ("en", "de", "ru", "ar", "hi", "th", "zh")
ROBUSTX_ATTACKS = {"keyboard": "keyboard", "charswap": "charswap", "charnoise": "charnoise"}
SENTENCE_SET = {"keyboard": "keyboard", "charswap": "swap", "charnoise": "swap"}
MODES = ("library", "stream", "stream_python", "cli")  # "stream" (robustx perturb as users get it) heads
# (robustx attack, peer, peer attack, goal: robustx sentences/s over the peer's)
COMPARISONS = (
    ("keyboard", "nlpaug", "keyboard", 20.0),
    ("charswap", "nlpaug", "charswap", 20.0),
    ("charswap", "textattack", "charswap", 500.0),
    ("charnoise", "textattack", "charswap", 500.0),
)
Blocks = list[tuple[str, list[str]]]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="sentences per attack, split evenly over languages")
    ap.add_argument("--langs", default=",".join(LANGS), help="comma-separated XNLI languages")
    ap.add_argument("--rate", type=float, default=0.3, help="fraction of words touched (every tool)")
    ap.add_argument(
        "--min-len", type=int, default=3, help="shortest word touched (robustx min_len = nlpaug min_char)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds for robustx and nlpaug")
    ap.add_argument("--textattack-rounds", type=int, default=2, help="timed rounds for TextAttack (slow)")
    ap.add_argument("--cli-rounds", type=int, default=3, help="timed `robustx perturb` processes per attack")
    ap.add_argument("--warmup", type=int, default=5, help="untimed warm-up sentences per language")
    ap.add_argument("--tools", default="robustx,nlpaug,textattack", help="contenders; robustx is always run")
    ap.add_argument("--quick", action="store_true", help="35 sentences, 2 rounds: a test of the harness")
    ap.add_argument(
        "--data", type=Path, default=None, help="XTREME dir (default: $ROBUSTX_DATA, ../shared/data)"
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON results go")
    ap.add_argument("--readme", default=str(DEFAULT_README), help="README to update ('none' to skip)")
    ap.add_argument(
        "--render", type=Path, default=None, help="only rewrite the README section from this JSON"
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.rounds, args.textattack_rounds, args.cli_rounds, args.warmup = 35, 2, 1, 1, 2
    counts = (args.n, args.rounds, args.textattack_rounds, args.cli_rounds, args.warmup, args.min_len)
    if min(counts) < 1:
        ap.error("--n, --rounds, --textattack-rounds, --cli-rounds, --warmup and --min-len must be positive")
    if not 0.0 < args.rate <= 1.0:
        ap.error("--rate must be in (0, 1]")
    unknown = set(_split(args.tools)) - {"robustx", *PEERS}
    if unknown:
        ap.error(f"unknown --tools {', '.join(sorted(unknown))}; known: robustx, {', '.join(PEERS)}")
    return args


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


# ---------------------------------------------------------------------------------------------- data


def find_data(explicit: Path | None) -> Path:
    candidates = [explicit] if explicit else []
    if os.environ.get("ROBUSTX_DATA"):
        candidates.append(Path(os.environ["ROBUSTX_DATA"]))
    candidates.append(REPO.parent / "shared" / "data")
    for root in candidates:
        xtreme = root / "xtreme" if (root / "xtreme").is_dir() else root
        if (xtreme / "xnli").is_dir():
            return xtreme
    sys.exit(f"error: no XTREME data with an xnli/ folder in {', '.join(map(str, candidates))}")


def read_premises(xtreme: Path, lang: str, n: int) -> list[str]:
    """The first ``n`` unique premises of ``xnli/test-{lang}.tsv`` (or ``.tsv.gz``), in file order."""
    path = xtreme / "xnli" / f"test-{lang}.tsv"
    if not path.exists():
        path = path.with_name(path.name + ".gz")
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    seen: dict[str, None] = {}
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            premise = line.rstrip("\n").split("\t", 1)[0]
            if premise:
                seen.setdefault(premise)
            if len(seen) >= n:
                break
    if len(seen) < n:
        sys.exit(f"error: {path} has only {len(seen)} unique premises, {n} needed")
    return list(seen)


@dataclass(frozen=True)
class SentenceSet:
    """Timed sentences as per-language blocks, and warm-up sentences that are not among them."""

    name: str
    blocks: Blocks
    warmup: Blocks

    @property
    def n(self) -> int:
        return sum(len(texts) for _, texts in self.blocks)

    def pairs(self, which: str = "blocks") -> list[list[str]]:
        return [[lang, text] for lang, texts in getattr(self, which) for text in texts]

    def flat(self) -> list[tuple[str, str]]:
        return [(lang, text) for lang, texts in self.blocks for text in texts]


def build_set(name: str, xtreme: Path, langs: list[str], n: int, warmup: int) -> SentenceSet:
    blocks, warm = [], []
    for i, lang in enumerate(langs):
        want = n // len(langs) + (1 if i < n % len(langs) else 0)
        premises = read_premises(xtreme, lang, want + warmup)
        blocks.append((lang, premises[:want]))
        warm.append((lang, premises[want:]))
    return SentenceSet(name, blocks, warm)


# ------------------------------------------------------------------------------------------- robustx


def _clear_text_caches() -> None:
    """Forget robustx's per-text memo (word segmentation of zh/th runs): each round is a first pass."""
    from robustx.text import wordseg

    wordseg._segment_cached.cache_clear()


Round = tuple[list[str], dict[str, float], dict[str, float]]  # outputs, wall and CPU seconds per language


def robustx_library_round(spec: str, blocks: Blocks, seed: int) -> Round:
    """``attack.perturb`` per sentence with its own RNG (id = line number in the language block)."""
    from robustx.attacks.base import build_attack

    attack = build_attack(spec)
    perturb, rng = attack.perturb, attack.rng
    _clear_text_caches()
    outputs: list[str] = []
    per_lang: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for lang, texts in blocks:
        start, start_cpu = time.perf_counter(), time.process_time()
        for number, text in enumerate(texts, start=1):
            outputs.append(perturb(text, lang, rng(seed, str(number), lang, "text")).text)
        per_lang[lang] = time.perf_counter() - start
        cpu[lang] = time.process_time() - start_cpu
    return outputs, per_lang, cpu


def robustx_stream_round(spec: str, blocks: Blocks, seed: int, compiled: bool = True) -> Round:
    """``perturb_stream`` over each language's lines, as ``robustx perturb -a SPEC -l LANG`` runs it
    (``compiled=False``: with the compiled path switched off, as ``ROBUSTX_FAST=0`` does)."""
    from robustx.perturb_io import PerturbJob, perturb_stream

    _clear_text_caches()
    outputs: list[str] = []
    per_lang: dict[str, float] = {}
    cpu: dict[str, float] = {}
    with compiled_path(compiled):
        for lang, texts in blocks:
            lines = [text + "\n" for text in texts]
            job = PerturbJob(spec, lang, seed, False, ("text",), None, None, False)
            sink = io.StringIO()
            start, start_cpu = time.perf_counter(), time.process_time()
            perturb_stream(job, lines, sink)
            per_lang[lang] = time.perf_counter() - start
            cpu[lang] = time.process_time() - start_cpu
            outputs.extend(sink.getvalue().split("\n")[:-1])
    return outputs, per_lang, cpu


@contextlib.contextmanager
def compiled_path(on: bool) -> Iterator[None]:
    """The compiled path (robustx/_fast) as robustx decides (``on``), or switched off (ROBUSTX_FAST=0)."""
    import robustx._fast as fast

    before = os.environ.get("ROBUSTX_FAST")
    if not on:
        os.environ["ROBUSTX_FAST"] = "0"
    fast.status.cache_clear()
    fast.status()  # decided once per process in real use (~10 ms: digest of the emulated code): off the clock
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("ROBUSTX_FAST", None)
        else:
            os.environ["ROBUSTX_FAST"] = before
        fast.status.cache_clear()


def compiled_status() -> dict[str, Any]:
    import robustx._fast as fast

    fast.status.cache_clear()
    on, why = fast.status()
    return {"on": on, "status": why}


def _robustx_command() -> list[str]:
    script = Path(sys.executable).with_name("robustx")
    return (
        [str(script)] if script.exists() else [sys.executable, "-c", "from robustx.cli import main; main()"]
    )


def robustx_cli_round(
    spec: str, sentences: SentenceSet, seed: int, tmp: Path
) -> tuple[list[str], float, float]:
    """One ``robustx perturb`` process over a JSONL file of all languages (same ids, so same outputs)."""
    src, dst = tmp / f"{sentences.name}.jsonl", tmp / f"{sentences.name}.{spec.split(':')[0]}.out.jsonl"
    if not src.exists():
        rows = [
            json.dumps({"id": str(k), "lang": lang, "text": text}, ensure_ascii=False)
            for lang, texts in sentences.blocks
            for k, text in enumerate(texts, start=1)
        ]
        src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    first = sentences.blocks[0][0]
    cmd = [*_robustx_command(), "perturb", "-a", spec, "-l", first, "--seed", str(seed), "--jsonl"]
    cmd += ["--fields", "text", "--id-field", "id", "--lang-field", "lang", str(src), "-o", str(dst)]
    start, before = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    wall, cpu = time.perf_counter() - start, _children_cpu() - before
    if proc.returncode != 0:
        raise RuntimeError(f"robustx perturb failed ({proc.returncode}): {proc.stderr[-1000:]}")
    lines = dst.read_text(encoding="utf-8").splitlines()
    return [str(json.loads(line)["text"]) for line in lines], wall, cpu


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def robustx_floor(spec: str, sentences: SentenceSet, seed: int) -> dict[str, float]:
    """Microseconds per sentence of the two fixed costs of every sentence on the Python path: the per-example
    RNG (``random.Random`` seeded from a string) and script-aware tokenization (cold segmentation memo)."""
    from robustx.attacks.base import build_attack
    from robustx.text.segment import tokenize

    attack, flat = build_attack(spec), sentences.flat()
    start = time.perf_counter()
    for k, (lang, _) in enumerate(flat):
        attack.rng(seed, str(k), lang, "text")
    rng_s = time.perf_counter() - start
    _clear_text_caches()
    start = time.perf_counter()
    for lang, text in flat:
        tokenize(text, lang)
    tok_s = time.perf_counter() - start
    return {"rng_us": round(rng_s / len(flat) * 1e6, 2), "tokenize_us": round(tok_s / len(flat) * 1e6, 2)}


def compiled_stages(spec: str, sentences: SentenceSet, seed: int, repeats: int = 5) -> dict[str, Any]:
    """Where the compiled path's time goes, µs per sentence and language (best of ``repeats``, CPU time):
    the whole batch (``Engine.run``: seeding, tokens, words, edits, output), the seeding alone (8 keys at a
    time, as the batch seeds them), and the word segmenters it calls back in Python (jieba, nlpo3, MeCab)."""
    import robustx._fast as fast

    if not fast.status()[0]:
        return {"status": fast.status()[1]}
    from robustx._fast import _charnoise
    from robustx.attacks.base import build_attack
    from robustx.text import segment, wordseg

    attack = build_attack(spec)
    prefix = f"{seed}:{attack.canonical}:"
    out: dict[str, Any] = {}
    for lang, texts in sentences.blocks:
        engine = attack.perturb.fast_engine(lang)  # type: ignore[attr-defined]
        keys = [f"{prefix}{k}:{lang}:text" for k in range(1, len(texts) + 1)]
        runs = _spaceless_runs(texts, segment, wordseg)

        def run(engine: Any = engine, texts: list[str] = texts, lang: str = lang) -> None:
            engine.run(texts, prefix, 1, f":{lang}:text", False, wordseg._backend, wordseg.segment_word)

        def seed_all(keys: list[str] = keys) -> None:
            _charnoise.seed_batch(keys)

        def segment_all(runs: list[tuple[str, str]] = runs) -> None:
            for code, text in runs:
                backend = wordseg._backend(code)
                if backend is not None:
                    backend.cut(text)

        def setup(lang: str = lang) -> None:  # what each `robustx perturb` call pays once per language
            fresh = build_attack(spec)
            fresh.check([lang])
            fresh.perturb.fast_engine(lang)  # type: ignore[attr-defined]

        n = len(texts)
        total, seeding, segmenters = (_best_cpu(f, repeats) / n * 1e6 for f in (run, seed_all, segment_all))
        out[lang] = {
            "setup_ms": round(_best_cpu(setup, repeats) * 1e3, 3),
            "total_us": round(total, 2),
            "seeding_us": round(min(seeding, total), 2),
            "segmenter_us": round(segmenters, 2),
            "rest_us": round(max(0.0, total - min(seeding, total) - segmenters), 2),
        }
    return out


def _spaceless_runs(texts: list[str], segment: Any, wordseg: Any) -> list[tuple[str, str]]:
    """(segmenter code, run) for every run a segmenter is called on (wordseg._segment_cached's runs)."""
    runs = []
    for text in texts:
        for tok in segment._base_tokens(text):
            if not tok.is_word or not wordseg.needs_segmentation(tok.text):
                continue
            for m in wordseg._RUN_RE.finditer(tok.text):
                family = m.lastgroup
                if family in ("th", "cjk"):
                    code = "th" if family == "th" else "ja" if wordseg._KANA_RE.search(m.group()) else "zh"
                    runs.append((code, m.group()))
    return runs


def _best_cpu(fn: Callable[[], None], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


# ------------------------------------------------------------------------------------------- timing


@dataclass
class Timings:
    """Rounds of one contender on one attack: total seconds and seconds per language, per round."""

    n: int
    per_lang_n: dict[str, int]
    seconds: list[float] = field(default_factory=list)
    per_lang: list[dict[str, float]] = field(default_factory=list)
    cpu: list[dict[str, float]] = field(default_factory=list)  # process CPU seconds, same shape

    def add(self, per_lang: dict[str, float], cpu: dict[str, float] | None = None) -> None:
        self.per_lang.append(per_lang)
        self.seconds.append(sum(per_lang.values()))
        if cpu:
            self.cpu.append(cpu)

    def summary(self) -> dict[str, Any]:
        best, median = min(self.seconds), statistics.median(self.seconds)
        out: dict[str, Any] = {
            "sentences": self.n,
            "sentences_per_s": round(self.n / best, 1),
            "sentences_per_s_median": round(self.n / median, 1),
            "us_per_sentence": round(best / self.n * 1e6, 2),
            "seconds_best": round(best, 4),
            "seconds_all": [round(s, 4) for s in self.seconds],
        }
        if self.per_lang and set(self.per_lang[0]) == set(self.per_lang_n):  # the CLI is timed whole
            out["per_lang_sentences_per_s"] = {
                lang: round(count / min(r[lang] for r in self.per_lang), 1)
                for lang, count in self.per_lang_n.items()
            }
        if self.cpu and len(self.cpu) == len(self.seconds):
            cpu = [sum(r.values()) for r in self.cpu]
            out["sentences_per_s_cpu"] = round(self.n / max(min(cpu), 1e-9), 1)
            out["us_per_sentence_cpu"] = round(min(cpu) / self.n * 1e6, 2)
            out["seconds_cpu_all"] = [round(c, 4) for c in cpu]
            if set(self.cpu[0]) == set(self.per_lang_n):
                out["per_lang_sentences_per_s_cpu"] = {
                    lang: round(count / max(min(r[lang] for r in self.cpu), 1e-9), 1)
                    for lang, count in self.per_lang_n.items()
                }
        return out


def _timings(sentences: SentenceSet) -> Timings:
    return Timings(sentences.n, {lang: len(texts) for lang, texts in sentences.blocks})


@dataclass
class Contender:
    tool: str
    attack: str
    sentences: SentenceSet
    config: dict[str, Any]
    modes: dict[str, Timings] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)


def robustx_contenders(args: argparse.Namespace, sets: dict[str, SentenceSet]) -> list[Contender]:
    from robustx.attacks.base import build_attack

    out = []
    for name, attack in ROBUSTX_ATTACKS.items():
        spec = build_attack(f"{attack}:rate={args.rate},min_len={args.min_len}").canonical
        sentences = sets[SENTENCE_SET[name]]
        contender = Contender("robustx", name, sentences, {"spec": spec})
        contender.modes = {mode: _timings(sentences) for mode in MODES}
        out.append(contender)
    return out


def warm_up(contenders: list[Contender], seed: int) -> None:
    for c in contenders:
        robustx_library_round(c.config["spec"], c.sentences.warmup, seed)
        robustx_stream_round(c.config["spec"], c.sentences.warmup, seed)
        robustx_stream_round(c.config["spec"], c.sentences.warmup, seed, compiled=False)


@dataclass
class Peer:
    """A started peer runner and its contenders (one per attack it has)."""

    process: PeerProcess
    contenders: list[Contender]
    rounds: int
    error: str | None = None


def start_peer(
    tool: str, args: argparse.Namespace, sets: dict[str, SentenceSet], tmp: Path
) -> tuple[dict[str, Any], Peer | None]:
    """Start ``tool``'s runner on its sentence sets; (its results entry, the running peer or None)."""
    spec = PEERS[tool]
    absent = missing(spec)
    if absent is not None:
        return absent, None
    params = {"rate": args.rate, "min_len": args.min_len}
    contenders = [Contender(tool, a, sets[SENTENCE_SET[a]], {"params": params}) for a in spec.attacks]
    job = {
        "seed": args.seed,
        "attacks": {
            c.attack: {
                "params": params,
                "sentences": c.sentences.pairs(),
                "warmup": c.sentences.pairs("warmup"),
            }
            for c in contenders
        },
    }
    try:
        process = PeerProcess(spec, job, tmp)
    except PeerError as err:
        return {"status": "failed", "error": str(err)}, None
    for c in contenders:
        c.config["configuration"] = process.ready["notes"][c.attack]
        c.modes["peer"] = _timings(c.sentences)
    entry = {"status": "ok", "venv": str(spec.venv.relative_to(REPO)), "versions": process.ready["versions"]}
    entry["setup_s"] = round(float(process.ready["setup_s"]), 2)
    rounds = args.textattack_rounds if tool == "textattack" else args.rounds
    return entry, Peer(process, contenders, rounds)


def robustx_round(c: Contender, args: argparse.Namespace, r: int, tmp: Path) -> None:
    spec, blocks = c.config["spec"], c.sentences.blocks
    c.outputs["library"], per_lang, cpu = robustx_library_round(spec, blocks, args.seed)
    c.modes["library"].add(per_lang, cpu)
    c.outputs["stream"], per_lang, cpu = robustx_stream_round(spec, blocks, args.seed)
    c.modes["stream"].add(per_lang, cpu)
    c.outputs["stream_python"], per_lang, cpu = robustx_stream_round(spec, blocks, args.seed, compiled=False)
    c.modes["stream_python"].add(per_lang, cpu)
    if r < args.cli_rounds:
        c.outputs["cli"], wall, cli_cpu = robustx_cli_round(spec, c.sentences, args.seed, tmp)
        c.modes["cli"].add({"all": wall}, {"all": cli_cpu})


def peer_round(peer: Peer, r: int) -> None:
    if peer.error is not None or r >= peer.rounds:
        return
    for c in peer.contenders:
        try:
            c.modes["peer"].add(*peer.process.round(c.attack))
        except PeerError as err:
            peer.error = str(err)
            return


def run_rounds(args: argparse.Namespace, ours: list[Contender], peers: list[Peer], tmp: Path) -> None:
    """Round-robin: every contender once per round (TextAttack and the CLI for their first rounds only)."""
    for r in range(args.rounds):
        for c in ours:
            robustx_round(c, args, r, tmp)
        for peer in peers:
            peer_round(peer, r)
        print(f"  round {r + 1}/{args.rounds} done", file=sys.stderr)


def finish_peer(peer: Peer, entry: dict[str, Any]) -> None:
    """Collect the peer's outputs into its contenders' results (or record why it failed)."""
    if peer.error is None:
        try:
            outputs = peer.process.finish()
        except PeerError as err:
            peer.error = str(err)
    if peer.error is not None:
        peer.process.kill()
        entry.update({"status": "failed", "error": peer.error})
        return
    entry["attacks"] = {}
    for c in peer.contenders:
        c.outputs["peer"] = outputs[c.attack]
        entry["attacks"][c.attack] = contender_result(c)


# ------------------------------------------------------------------------------------------- results


def integrity(sentences: SentenceSet, outputs: list[str]) -> dict[str, Any]:
    """Fractions of outputs that changed, altered untouched text, or broke a cluster; overall and per lang."""
    from perturb_integrity import Verdict, check

    by_lang: dict[str, list[Verdict]] = {}
    examples: list[dict[str, Any]] = []
    for (lang, text), out in zip(sentences.flat(), outputs, strict=True):
        verdict = check(text, out)
        by_lang.setdefault(lang, []).append(verdict)
        if (verdict.untouched or verdict.broken) and len(examples) < 12:
            reason = verdict.untouched or "broken cluster"
            broken = list(verdict.broken[:3])
            examples.append({"lang": lang, "reason": reason, "broken": broken, "input": text, "output": out})
    every = [v for vs in by_lang.values() for v in vs]
    per_lang = {lang: _fractions(vs) for lang, vs in by_lang.items()}
    return {**_fractions(every), "per_lang": per_lang, "examples": examples}


def _fractions(verdicts: Sequence[Any]) -> dict[str, float]:
    n = len(verdicts)

    def frac(pred: Callable[[Any], bool]) -> float:
        return round(sum(1 for v in verdicts if pred(v)) / n, 4)

    return {
        "changed": frac(lambda v: v.changed),
        "altered_untouched": frac(lambda v: v.untouched is not None),
        "altered_untouched_whitespace": frac(lambda v: v.untouched == "whitespace"),
        "altered_untouched_punctuation": frac(lambda v: v.untouched == "punctuation"),
        "broken_cluster": frac(lambda v: bool(v.broken)),
    }


def contender_result(c: Contender) -> dict[str, Any]:
    ours = c.tool == "robustx"
    outputs = c.outputs["library" if ours else "peer"]
    out: dict[str, Any] = {**c.config, **c.modes["stream" if ours else "peer"].summary()}
    out["sentences_per_lang"] = {lang: len(texts) for lang, texts in c.sentences.blocks}
    if ours:
        out["modes"] = {mode: t.summary() for mode, t in c.modes.items()}
        out["modes_identical_outputs"] = all(o == outputs for o in c.outputs.values())
    out["integrity"] = integrity(c.sentences, outputs)
    return out


def comparisons(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for ours, peer, theirs, goal in COMPARISONS:
        row: dict[str, Any] = {"robustx": ours, "peer": peer, "peer_attack": theirs, "goal": goal}
        other = results.get(peer, {}).get("attacks", {}).get(theirs)
        if other is None:
            status = results.get(peer, {}).get("status", "not run")
            rows.append({**row, "ratio": None, "met": None, "note": f"{peer} {status}"})
            continue
        mine = results["robustx"]["attacks"][ours]
        speed = other["sentences_per_s"]
        per_lang = {
            lang: round(mine["per_lang_sentences_per_s"][lang] / s, 1)
            for lang, s in other["per_lang_sentences_per_s"].items()
        }
        row["ratio"] = round(mine["sentences_per_s"] / speed, 1)
        row["ratio_library"] = round(mine["modes"]["library"]["sentences_per_s"] / speed, 1)
        row["ratio_python"] = round(mine["modes"]["stream_python"]["sentences_per_s"] / speed, 1)
        if "sentences_per_s_cpu" in mine and "sentences_per_s_cpu" in other:
            row["ratio_cpu"] = round(mine["sentences_per_s_cpu"] / other["sentences_per_s_cpu"], 1)
            row["met_cpu"] = row["ratio_cpu"] >= goal
        row["met"] = row["ratio"] >= goal
        row["same_sentences"] = mine["sentences_per_lang"] == other["sentences_per_lang"]
        rows.append({**row, "ratio_per_lang": per_lang})
    return rows


def _robustx_dir() -> str:
    import robustx

    return str(Path(robustx.__file__).resolve().parent)


def _git_state() -> str:
    """HEAD of the checkout, and whether the robustx measured had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "robustx"], capture_output=True, text=True, cwd=REPO
        )
    except OSError:
        return "unknown"
    if Path(_robustx_dir()) != REPO / "robustx":
        return f"{head.stdout.strip()} (robustx imported from {_robustx_dir()}, not this checkout)"
    return head.stdout.strip() + (" + uncommitted changes in robustx/" if dirty.stdout.strip() else "")


def machine_info() -> dict[str, Any]:
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "robustx": metadata.version("robustx"),
        "git": _git_state(),
        "robustx_imported_from": _robustx_dir(),
        "regex": metadata.version("regex"),
        "load_avg_1min_before": round(os.getloadavg()[0], 2),
        "robustx_compiled_path": compiled_status(),
    }


def sentence_sets(args: argparse.Namespace, xtreme: Path) -> dict[str, SentenceSet]:
    from robustx.attacks.resources import keyboard_languages

    langs = _split(args.langs)
    kb_langs = [x for x in langs if x in keyboard_languages()]
    return {
        "swap": build_set("swap", xtreme, langs, args.n, args.warmup),
        "keyboard": build_set("keyboard", xtreme, kb_langs, args.n, args.warmup),
    }


def measure(args: argparse.Namespace, sets: dict[str, SentenceSet]) -> dict[str, Any]:
    """Warm up, start the peers, run the rounds, and assemble every contender's results."""
    ours = robustx_contenders(args, sets)
    warm_up(ours, args.seed)
    results: dict[str, dict[str, Any]] = {"robustx": {"status": "ok"}}
    peers: dict[str, Peer] = {}
    with tempfile.TemporaryDirectory(prefix="robustx-perturb-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for tool in [t for t in _split(args.tools) if t in PEERS]:
            results[tool], peer = start_peer(tool, args, sets, tmp)
            if peer is not None:
                peers[tool] = peer
        try:
            run_rounds(args, ours, list(peers.values()), tmp)
        finally:
            for tool, peer in peers.items():
                finish_peer(peer, results[tool])
    results["robustx"]["attacks"] = {c.attack: contender_result(c) for c in ours}
    return results


def data_info(sets: dict[str, SentenceSet], xtreme: Path) -> dict[str, Any]:
    return {
        "source": "XNLI test premises (xnli/test-XX.tsv[.gz]), first unique premises in file order",
        "data_dir": str(xtreme),
        "sets": {
            name: {"sentences": s.n, "per_lang": {lang: len(t) for lang, t in s.blocks}}
            for name, s in sets.items()
        },
        "keyboard_note": "zh is not in the keyboard set: robustx has no Chinese layout (typed through an "
        "input method; `keyboard` raises a clear error) and nlpaug has none either",
        "attack_sets": dict(SENTENCE_SET),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    xtreme = find_data(args.data)
    sets = sentence_sets(args, xtreme)
    machine = machine_info()
    results = measure(args, sets)
    machine["load_avg_1min_after"] = round(os.getloadavg()[0], 2)
    return {
        "benchmark": "perturb_throughput",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick": bool(args.quick),
        "machine": machine,
        "settings": {
            "rate": args.rate,
            "min_len": args.min_len,
            "seed": args.seed,
            "rounds": args.rounds,
            "textattack_rounds": args.textattack_rounds,
            "cli_rounds": args.cli_rounds,
            "warmup_per_lang": args.warmup,
            "timing": "best round of round-robin rounds, warm-up excluded; robustx per-text caches cleared "
            "before each round",
        },
        "data": data_info(sets, xtreme),
        "integrity_definition": "benchmarks/perturb_integrity.py (module docstring)",
        "results": results,
        "comparisons": comparisons(results),
        "robustx_floor_us_per_sentence": robustx_floor(f"charswap:rate={args.rate}", sets["swap"], args.seed),
        "robustx_compiled_stages_us_per_sentence": {
            name: compiled_stages(
                f"{attack}:rate={args.rate},min_len={args.min_len}", sets[SENTENCE_SET[name]], args.seed
            )
            for name, attack in (("charswap", "charswap"), ("keyboard", "keyboard"))
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render is not None:  # re-render a past run's tables without measuring again
        result = json.loads(args.render.read_text(encoding="utf-8"))
        write_readme_section(Path(args.readme), readme_section(result, args.render))
        return 0
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(summary_table(result))
    if args.readme != "none":
        write_readme_section(Path(args.readme), readme_section(result, args.out))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
