"""Run directories for report and gate tests, written with robustx's own record and store helpers.

Rows look like those of ``robustx evaluate`` on XNLI (ids shared across languages, three labels,
premise/hypothesis JSON text, changed spans into the attacked text); the outcomes are synthetic and
chosen by the test, so a test knows the true drop it planted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robustx.records import text_hash, to_table
from robustx.store import atomic_write_json, atomic_write_table, run_dir

LABELS = ("entailment", "neutral", "contradiction")


@dataclass(frozen=True)
class Outcomes:
    """Per-row correctness, rows ordered language by language (each language: ids 0..n-1)."""

    langs: tuple[str, ...]
    n: int
    clean: np.ndarray
    attacked: np.ndarray


def outcomes(
    langs: Sequence[str], n: int, clean_acc: float, flip: float, seed: int, recover: float = 0.02
) -> Outcomes:
    """Correct clean with ``clean_acc``; a correct row turns wrong under attack with ``flip``, a wrong
    one turns right with ``recover`` (so both discordant kinds occur, as in real runs)."""
    rng = np.random.default_rng(seed)
    size = len(langs) * n
    clean = rng.random(size) < clean_acc
    u = rng.random(size)
    attacked = np.where(clean, u >= flip, u < recover)
    return Outcomes(tuple(langs), n, clean, attacked)


def plant_drop(base: Outcomes, extra: float, seed: int, langs: Sequence[str] | None = None) -> Outcomes:
    """The same outcomes with a further ``extra`` fraction of attacked-correct rows flipped to wrong."""
    rng = np.random.default_rng(seed)
    attacked = base.attacked.copy()
    row_langs = np.repeat(np.array(base.langs), base.n)
    chosen = np.isin(row_langs, list(langs or base.langs))
    attacked[chosen & attacked & (rng.random(attacked.shape[0]) < extra)] = False
    return Outcomes(base.langs, base.n, base.clean.copy(), attacked)


def _texts(lang: str, i: int, special: str) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    premise = f"{special}The committee met in {lang} city number {i} & agreed."
    hypothesis = f'They said "yes" to plan {i}.'
    # the attack swapped two characters of the word "committee" (offsets into the attacked text)
    start = premise.index("committee")
    attacked_premise = premise[:start] + "comimttee" + premise[start + 9 :]
    clean = {"premise": premise, "hypothesis": hypothesis}
    attacked = {"premise": attacked_premise, "hypothesis": hypothesis}
    spans = {"premise": [[start + 3, start + 5]], "hypothesis": []}
    return clean, attacked, spans


def columns(data: Outcomes, task: str, seed: int, special: str = "") -> dict[str, list[Any]]:
    """The records table columns of ``robustx evaluate`` for the given outcomes."""
    rng = np.random.default_rng(seed + 7)
    cols: dict[str, list[Any]] = {k: [] for k in _COLUMN_NAMES}
    for row, (lang, i) in enumerate((lang, i) for lang in data.langs for i in range(data.n)):
        gold = int(rng.integers(0, 3))
        probs = []
        for correct in (data.clean[row], data.attacked[row]):
            pred = gold if correct else (gold + 1 + int(rng.integers(0, 2))) % 3
            p = np.full(3, 0.1)
            p[pred] = 0.8
            probs.append((pred, p))
        clean, attacked, spans = _texts(lang, i, special)
        cols["example_id"].append(f"{task}/test/{i:06d}")
        cols["lang"].append(lang)
        cols["gold"].append(LABELS[gold])
        for suffix, (pred, p) in zip(("clean", "attacked"), probs, strict=True):
            cols[f"pred_{suffix}"].append(LABELS[pred])
            cols[f"correct_{suffix}"].append(pred == gold)
            cols[f"p_gold_{suffix}"].append(float(p[gold]))
            cols[f"probs_{suffix}"].append(p.tolist())
        cols["text_clean"].append(json.dumps(clean, ensure_ascii=False))
        cols["text_attacked"].append(json.dumps(attacked, ensure_ascii=False))
        cols["changed_spans"].append(json.dumps(spans))
        cols["units"].append(20)
        cols["units_changed"].append(1)
        cols["changed_fraction"].append(0.05)
        cols["queries"].append(0)
        cols["status"].append("perturbed")
        cols["text_hash"].append(text_hash(clean))
        cols["text_hash_attacked"].append(text_hash(attacked))
    return cols


_COLUMN_NAMES = (
    "example_id", "lang", "gold", "pred_clean", "pred_attacked", "correct_clean", "correct_attacked",
    "p_gold_clean", "p_gold_attacked", "probs_clean", "probs_attacked", "text_clean", "text_attacked",
    "changed_spans", "units", "units_changed", "changed_fraction", "queries", "status", "text_hash",
    "text_hash_attacked",
)  # fmt: skip


def write_run(
    out: Path,
    data: Outcomes,
    *,
    model: str = "model-a",
    task: str = "xnli",
    attack: str = "charnoise:rate=0.3",
    seed: int = 0,
    lineage: Mapping[str, Any] | None = None,
    special: str = "",
    metrics: bool = True,
    model_hash: str | None = None,
) -> Path:
    """Write config.json, records.parquet and (unless ``metrics=False``) metrics.json like evaluate."""
    from robustx.metrics import classification_metrics
    from robustx.tasks import get_task

    root = run_dir(out, model, task, attack, seed)
    config = {
        "model": model,
        "model_hash": model_hash or f"sha256:{text_hash({'model': model})}",
        "lineage": dict(lineage) if lineage else None,
        "task": task,
        "split": "test",
        "languages": list(data.langs),
        "limit": data.n,
        "attack": attack,
        "seed": seed,
    }
    atomic_write_json(root / "config.json", config)
    table = to_table(columns(data, task, seed, special))
    atomic_write_table(root / "records.parquet", table)
    if metrics:
        computed = classification_metrics(table, parallel=get_task(task).parallel, seed=seed)
        atomic_write_json(root / "metrics.json", {"task": task, "attack": attack, "model": model, **computed})
    return root


# ---------------------------------------------------------------- tagging, QA and retrieval runs
#
# Records built with the families' own column builders (or, for retrieval, the columns the family
# writes), from synthetic outcomes: which items the attack changes is fixed by ``data_seed`` and the
# row, never by ``harm``, so runs with the same data seed saw identical inputs (the gate requires it).
# Which changed items are damaged comes from ``harm_seed``: with the same one, a larger ``harm``
# damages a superset of the items a smaller one damages; another one damages other items.

_POS = ("NOUN", "VERB", "DET", "ADJ", "ADP", "PUNCT")
_ENTITY_TYPES = ("PER", "LOC", "ORG")


def _tag_sentence(rng: np.random.Generator, length: int, pos: bool) -> list[str]:
    if pos:
        return [_POS[int(k)] for k in rng.integers(0, len(_POS), size=length)]
    gold = ["O"] * length
    for _ in range(int(rng.integers(0, 3))):
        start, span, kind = int(rng.integers(0, length)), int(rng.integers(1, 3)), int(rng.integers(0, 3))
        for k in range(start, min(length, start + span)):
            gold[k] = ("B-" if k == start else "I-") + _ENTITY_TYPES[kind]
    return gold


def _wrong_tag(tag: str, pos: bool) -> str:
    if pos:
        return _POS[(_POS.index(tag) + 1) % len(_POS)]
    return "B-MISC" if tag == "O" else "O"


def tagging_records(
    task: str, langs: Sequence[str], n: int, harm: float, data_seed: int, harm_seed: int = 0
) -> dict[str, list[Any]]:
    """UD-POS / PAN-X rows: 30% of sentences get one clean error; half are perturbed (one token), and
    a perturbed sentence's tag at that token turns wrong with probability ``harm``."""
    from robustx.families.apply import WordsPerturbed
    from robustx.families.tagging import tagging_columns
    from robustx.types import Example

    rng, harm_rng = np.random.default_rng(data_seed), np.random.default_rng((data_seed, harm_seed))
    pos = task == "udpos"
    examples, perturbed, pred_clean, pred_att = [], [], [], []
    for lang in langs:
        for i in range(n):
            length = int(rng.integers(4, 12))
            gold = _tag_sentence(rng, length, pos)
            err_at, att_at = int(rng.integers(0, length)), int(rng.integers(0, length))
            (u_err, u_change), u_harm = rng.random(2), harm_rng.random()
            clean = list(gold)
            if u_err < 0.3:
                clean[err_at] = _wrong_tag(gold[err_at], pos)
            tokens = [f"w{i}t{k}&<b>" for k in range(length)]
            attacked, changed = list(clean), u_change < 0.5
            if changed and u_harm < harm:
                attacked[att_at] = _wrong_tag(gold[att_at], pos)
            att_tokens = list(tokens)
            if changed:
                att_tokens[att_at] = att_tokens[att_at][::-1]
            examples.append(
                Example(f"{task}/validation/{i:06d}", task, lang, {"tokens": tuple(tokens)}, tuple(gold))
            )
            perturbed.append(WordsPerturbed(tuple(att_tokens), (att_at,) if changed else (), (), length))
            pred_clean.append(clean)
            pred_att.append(attacked)
    zeros = [0] * len(examples)
    return tagging_columns(examples, perturbed, pred_clean, pred_att, zeros, zeros)


def qa_records(
    task: str, langs: Sequence[str], n: int, harm: float, data_seed: int, harm_seed: int = 0
) -> dict[str, list[Any]]:
    """XQuAD-style rows (question ids shared across languages): clean answers exact, partial or wrong;
    half the questions perturbed, and a perturbed answer degrades one level with probability ``harm``."""
    from types import SimpleNamespace

    from robustx.families.qa import qa_columns
    from robustx.types import Example, Perturbed

    rng, harm_rng = np.random.default_rng(data_seed), np.random.default_rng((data_seed, harm_seed))
    examples, perturbed, clean, attacked = [], [], [], []
    for lang in langs:
        for i in range(n):
            answer = f"the old river delta {i}"
            context = f"North of town {i} lies {answer}, & <i>more</i>."
            start = context.index(answer)
            guesses = (f"town {i}", f"river delta {i} & more", answer)  # EM 0 F1 0, partial F1, EM 1
            (u_level, u_change), u_harm = rng.random(2), harm_rng.random()
            level = 2 if u_level < 0.5 else (1 if u_level < 0.8 else 0)
            changed = u_change < 0.5
            level_att = max(0, level - 1) if changed and u_harm < harm else level
            question = f"Where is the delta {i}?"
            q = (
                Perturbed("Whree" + question[5:], ((0, 5),), 5, 1)
                if changed
                else Perturbed(question, (), 5, 0)
            )
            examples.append(
                Example(
                    f"{task}/test/{i:06d}",
                    task,
                    lang,
                    {"question": question, "context": context},
                    ((answer, start),),
                )
            )
            perturbed.append((q, Perturbed(context, (), 8, 0), ((answer, start),)))
            for out, lv in ((clean, level), (attacked, level_att)):
                out.append(SimpleNamespace(text=guesses[lv], start=context.find(guesses[lv])))
    return qa_columns(examples, perturbed, clean, attacked, "squad")


def _text_columns(ids: Sequence[str], changed: Sequence[bool]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {k: [] for k in ("text_clean", "text_attacked", "changed_spans", "units", "units_changed", "changed_fraction", "queries", "status", "text_hash", "text_hash_attacked")}  # fmt: skip
    for example_id, ch in zip(ids, changed, strict=True):
        clean = {"text": f"Satz {example_id} <b>&</b>"}
        att = {"text": "Stza" + clean["text"][4:]} if ch else clean
        cols["text_clean"].append(json.dumps(clean, ensure_ascii=False))
        cols["text_attacked"].append(json.dumps(att, ensure_ascii=False))
        cols["changed_spans"].append(json.dumps({"text": [[0, 4]] if ch else []}))
        for name, value in (
            ("units", 3),
            ("units_changed", int(ch)),
            ("changed_fraction", ch / 3),
            ("queries", 0),
        ):
            cols[name].append(value)
        cols["status"].append("perturbed" if ch else "unchanged")
        cols["text_hash"].append(text_hash(clean))
        cols["text_hash_attacked"].append(text_hash(att))
    return cols


def retrieval_records(
    task: str, langs: Sequence[str], n: int, harm: float, data_seed: int, harm_seed: int = 0
) -> dict[str, list[Any]]:
    """Tatoeba rows (a hit per query) or BUCC rows (per source sentence: gold pairs, the extracted pair
    or none, tp/fp/fn, the dev threshold); half perturbed, a perturbed one harmed with ``harm``."""
    rng, harm_rng = np.random.default_rng(data_seed), np.random.default_rng((data_seed, harm_seed))
    bucc = task == "bucc"
    cols: dict[str, list[Any]] = defaultdict_list()
    changed_all = []
    for lang in langs:
        for i in range(n):
            (u_gold, u_hit, u_change, u_fp), u_harm = rng.random(4), harm_rng.random()
            example_id = f"bucc/test/{lang}-{i:09d}" if bucc else f"tatoeba/test/{i:06d}"
            gold = [f"en-{i:09d}"] if (u_gold < 0.6 or not bucc) else []
            pred = gold[0] if gold and u_hit < 0.7 else (f"en-{i + 1:09d}" if u_fp < 0.2 or not bucc else "")
            changed = u_change < 0.5
            harmed = changed and u_harm < harm
            pred_att = ("" if pred in gold and bucc else f"en-{i + 2:09d}") if harmed else pred
            cols["example_id"].append(example_id)
            cols["lang"].append(lang)
            cols["gold"].append(gold if bucc else gold[0])
            for side, p in (("clean", pred), ("attacked", pred_att)):
                cols[f"pred_{side}"].append(p)
                cols[f"score_{side}"].append(1.2 if p else 1.0)
                if bucc:
                    hit = int(p in gold)
                    cols[f"tp_{side}"].append(hit)
                    cols[f"fp_{side}"].append(int(bool(p)) - hit)
                    cols[f"fn_{side}"].append(len(gold) - hit)
                else:
                    cols[f"correct_{side}"].append(p == gold[0])
                    cols[f"gold_rank_{side}"].append(1 if p == gold[0] else 2)
            if bucc:
                cols["threshold"].append(1.1)
            changed_all.append(changed)
    return dict(cols) | _text_columns(cols["example_id"], changed_all)


def defaultdict_list() -> dict[str, list[Any]]:
    from collections import defaultdict

    return defaultdict(list)


def write_family_run(
    out: Path,
    task: str,
    langs: Sequence[str],
    n: int,
    *,
    harm: float,
    data_seed: int = 1,
    harm_seed: int = 0,
    model: str = "model-a",
    attack: str = "charnoise:rate=0.3",
    seed: int = 0,
    metrics: bool = True,
) -> Path:
    """A tagging, QA or retrieval run as ``robustx evaluate`` lays it out, metrics.json by the family."""
    from robustx.families import get_family
    from robustx.tasks import get_task

    spec = get_task(task)
    build = {"tagging": tagging_records, "qa": qa_records, "retrieval": retrieval_records}[spec.family]
    table = to_table(build(task, langs, n, harm, data_seed, harm_seed))
    root = run_dir(out, model, task, attack, seed)
    config = {
        "model": model, "model_hash": f"sha256:{text_hash({'model': model})}", "lineage": None, "task": task,
        "split": "test", "languages": list(langs), "limit": n, "attack": attack, "seed": seed,
    }  # fmt: skip
    atomic_write_json(root / "config.json", config)
    atomic_write_table(root / "records.parquet", table)
    if metrics:
        computed = get_family(spec.family).metrics(spec, table, seed)
        atomic_write_json(root / "metrics.json", {"task": task, "attack": attack, "model": model, **computed})
    return root
