"""Tatoeba and BUCC 2018: sentence retrieval xx -> en with an encoder, no training data needed.

An example is one non-English sentence (``fields["text"]``, the only side an attack touches); the
English candidates form a :class:`Pool` shared by all examples of a language (``meta["pool"]``).

* Tatoeba (36 languages): ``label`` is the index of the gold English line. XTREME layout
  ``tatoeba/tatoeba.<xxx>-eng.{<xxx>,eng}`` (line i <-> line i); hub ``tatoeba.<xxx>`` (its only split,
  ``validation``, is XTREME's test). ``--limit N`` keeps N queries and the full English pool.
* BUCC 2018 (de fr ru zh): ``label`` is the tuple of gold English indices (empty for most sentences).
  XTREME layout ``bucc2018/<xx>-en.<split>.{<xx>,en,gold}`` (dev = BUCC's sample, test = its training
  gold). For ``--split test`` the dev set rides along (``meta["dev"]``) so the mining threshold is
  chosen on dev and frozen. ``--limit N`` keeps N source sentences, their gold partners, and the
  first English sentences in proportion (the distractor ratio stays that of the full set). The hub's
  ``bucc18.<xx>`` holds only the gold pairs, without the distractors: mining there is much easier
  than BUCC proper, and the run config says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robustx.errors import DataError, SpecError
from robustx.tasks.family_hub import base_name, open_hub
from robustx.tasks.readers import open_text, resolve_gz
from robustx.tasks.rows import LoadedRows
from robustx.tasks.spec import HubConfig, TaskSpec
from robustx.types import Example

TATOEBA_CODES = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "de": "deu", "el": "ell", "es": "spa",
    "et": "est", "eu": "eus", "fa": "pes", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin",
    "hu": "hun", "id": "ind", "it": "ita", "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz",
    "ko": "kor", "ml": "mal", "mr": "mar", "nl": "nld", "pt": "por", "ru": "rus", "sw": "swh",
    "ta": "tam", "te": "tel", "th": "tha", "tl": "tgl", "tr": "tur", "ur": "urd", "vi": "vie",
    "zh": "cmn",
}  # fmt: skip
BUCC_LANGS = ("de", "fr", "ru", "zh")
BUCC_SOURCE = "https://comparable.limsi.fr/bucc2018/ (XTREME's download script fetches and renames them)"


@dataclass(frozen=True, eq=False)
class Pool:
    """The English side of one language's set: never perturbed, encoded once per run."""

    key: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class MiningSet:
    """A BUCC split: source sentences, the English pool, and each source's gold pool indices."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    pool: Pool
    gold: tuple[tuple[int, ...], ...]


def _pairs_or_error(task: TaskSpec, split: str) -> None:
    if split != "test" and base_name(task) == "tatoeba":
        raise SpecError("task tatoeba has only a test split (the hub calls it validation): use --split test")


def load_retrieval(task: TaskSpec, source: Any, lang: str, split: str, limit: int | None) -> LoadedRows:
    _pairs_or_error(task, split)
    if base_name(task) == "bucc":
        return _load_bucc(task, source, lang, split, limit)
    if source.kind == "dir":
        code = TATOEBA_CODES[lang]
        src = _resolve(Path(source.path), f"tatoeba/tatoeba.{code}-eng.{code}", task, lang)
        eng = _resolve(Path(source.path), f"tatoeba/tatoeba.{code}-eng.eng", task, lang)
        xx, en = _lines(src), _lines(eng)
        if len(xx) != len(en):
            raise DataError(
                f"{src}: {len(xx)} lines but {eng.name} has {len(en)} (files must be line-aligned)"
            )
        return LoadedRows(
            _tatoeba(task, lang, split, xx, en, limit), {str(src): src, str(eng): eng}, {"kind": "dir"}
        )
    if source.kind == "file":
        return _tatoeba_file(task, Path(source.path), source.columns, lang, split, limit)
    ds, cfg, info = open_hub(task, source, task.hub[0].config.format(lang=TATOEBA_CODES[lang]), split)
    xx, en = _hub_pairs(ds, info)
    return LoadedRows(_tatoeba(task, lang, split, xx, en, limit), {}, info)


def _tatoeba(
    task: TaskSpec, lang: str, split: str, xx: Sequence[str], en: Sequence[str], limit: int | None
) -> list[Example]:
    name = base_name(task)
    pool = Pool(f"{name}/{split}/{lang}", tuple(f"eng-{i:06d}" for i in range(len(en))), tuple(en))
    n = len(xx) if limit is None else min(limit, len(xx))
    return [
        Example(f"{name}/{split}/{i:06d}", name, lang, {"text": xx[i]}, i, {"pool": pool}) for i in range(n)
    ]


def _tatoeba_file(
    task: TaskSpec, path: Path, columns: str | None, lang: str, split: str, limit: int | None
) -> LoadedRows:
    from robustx.tasks.local_file import _rows, parse_columns

    mapping = parse_columns(columns, task)
    path = resolve_gz(path)
    xx, en = [], []
    for line, row in _rows(path, mapping):
        if row.get(mapping["lang"]) is not None and str(row[mapping["lang"]]) != lang:
            continue
        s, t = row.get(mapping["text"]), row.get(mapping["label"])
        if not isinstance(s, str) or not isinstance(t, str):
            raise DataError(
                f"{path}:{line}: language {lang}: columns {mapping['text']} and {mapping['label']} must hold text"
            )
        xx.append(s)
        en.append(t)
    return LoadedRows(_tatoeba(task, lang, split, xx, en, limit), {str(path): path}, {"kind": "file"})


def _hub_pairs(ds: Any, info: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(non-English, English) sentences of hub rows, whichever side the row calls source."""
    xx, en = [], []
    for index, row in enumerate(ds):
        s, t = row.get("source_sentence"), row.get("target_sentence")
        if not isinstance(s, str) or not isinstance(t, str):
            raise DataError(f"{info['path']} {info['config']}/{info['split']} row {index}: missing sentence")
        if str(row.get("source_lang", "")).startswith("en") and not str(
            row.get("target_lang", "en")
        ).startswith("en"):
            s, t = t, s
        xx.append(s.strip())
        en.append(t.strip())
    return xx, en


def _resolve(root: Path, rel: str, task: TaskSpec, lang: str) -> Path:
    if not root.is_dir():
        raise DataError(f"data dir not found: {root}")
    try:
        return resolve_gz(root / rel)
    except DataError:
        raise DataError(
            f"{root} has no {rel} (nor .gz) for task {base_name(task)}, language {lang}"
        ) from None


def _lines(path: Path) -> list[str]:
    with open_text(path) as fh:
        return [line.rstrip("\r\n") for line in fh]


def _id_lines(path: Path) -> tuple[list[str], list[str]]:
    ids, texts = [], []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        key, tab, text = line.partition("\t")
        if not tab:
            raise DataError(f"{path}:{number}: expected 'id<TAB>sentence'")
        ids.append(key.strip())
        texts.append(text.strip())
    return ids, texts


def _bucc_dir(task: TaskSpec, root: Path, lang: str, split: str) -> tuple[MiningSet, dict[str, Path]]:
    part = "dev" if split == "validation" else "test"
    stem = f"bucc2018/{lang}-en.{part}"
    gold_path = _resolve(root, f"{stem}.gold", task, lang)
    files = {}
    for side in (lang, "en"):
        try:
            files[side] = resolve_gz(root / f"{stem}.{side}")
        except DataError:
            raise DataError(
                f"{root / stem}.{side} not found (task bucc, language {lang}, split {split}): only "
                f"{gold_path.name} is there; BUCC's sentence files come from {BUCC_SOURCE}"
            ) from None
    src_ids, src = _id_lines(files[lang])
    en_ids, en = _id_lines(files["en"])
    pairs = []
    for number, line in enumerate(_lines(gold_path), start=1):
        if line.strip():
            a, tab, b = line.partition("\t")
            if not tab:
                raise DataError(f"{gold_path}:{number}: expected '<{lang} id><TAB><en id>'")
            pairs.append((a.strip(), b.strip(), number))
    pool = Pool(f"bucc/{part}/{lang}", tuple(en_ids), tuple(en))
    mining = _mining_set(src_ids, src, pool, pairs, gold_path)
    return mining, {str(files[lang]): files[lang], str(files["en"]): files["en"], str(gold_path): gold_path}


def _mining_set(
    src_ids: list[str], src: list[str], pool: Pool, pairs: list[tuple[str, str, int]], where: Path | str
) -> MiningSet:
    src_index = {k: i for i, k in enumerate(src_ids)}
    en_index = {k: i for i, k in enumerate(pool.ids)}
    gold: list[list[int]] = [[] for _ in src_ids]
    for a, b, number in pairs:
        if a not in src_index or b not in en_index:
            raise DataError(f"{where}:{number}: gold pair {a} {b} names a sentence the corpus does not have")
        gold[src_index[a]].append(en_index[b])
    return MiningSet(tuple(src_ids), tuple(src), pool, tuple(tuple(g) for g in gold))


def _bucc_hub(task: TaskSpec, source: Any, lang: str, split: str) -> tuple[MiningSet, dict[str, Any]]:
    ds, cfg, info = open_hub(task, source, task.hub[0].config.format(lang=lang), split)
    xx, en = _hub_pairs(ds, info)
    src_texts = list(dict.fromkeys(xx))
    en_texts = list(dict.fromkeys(en))
    src_ids = [f"{lang}-{i:09d}" for i in range(len(src_texts))]
    pool = Pool(f"bucc/{split}/{lang}", tuple(f"en-{i:09d}" for i in range(len(en_texts))), tuple(en_texts))
    s_of, e_of = {t: i for i, t in enumerate(src_texts)}, {t: i for i, t in enumerate(en_texts)}
    pairs = [(src_ids[s_of[a]], pool.ids[e_of[b]], n) for n, (a, b) in enumerate(zip(xx, en, strict=True))]
    info["note"] = "hub bucc18 holds only the gold pairs (no distractors): easier than BUCC proper"
    return _mining_set(src_ids, src_texts, pool, pairs, f"{info['path']} {info['config']}"), info


def _bucc_set(
    task: TaskSpec, source: Any, lang: str, split: str
) -> tuple[MiningSet, dict[str, Path], dict[str, Any]]:
    if source.kind == "file":
        raise SpecError(
            "task bucc reads --data-dir (bucc2018/<xx>-en.<split>.{<xx>,en,gold}) or the hub, not --data-file"
        )
    if source.kind == "dir":
        mining, files = _bucc_dir(task, Path(source.path), lang, split)
        return mining, files, {"kind": "dir"}
    mining, info = _bucc_hub(task, source, lang, split)
    return mining, {}, info


def limit_set(mining: MiningSet, limit: int | None) -> MiningSet:
    """First ``limit`` sources, their gold partners, and English distractors in the full set's ratio."""
    if limit is None or limit >= len(mining.ids):
        return mining
    n_en = min(len(mining.pool.ids), math.ceil(limit * len(mining.pool.ids) / max(len(mining.ids), 1)))
    keep = sorted({*range(n_en), *(g for gold in mining.gold[:limit] for g in gold)})
    new_index = {old: new for new, old in enumerate(keep)}
    pool = Pool(
        f"{mining.pool.key}/limit={limit}",
        tuple(mining.pool.ids[i] for i in keep),
        tuple(mining.pool.texts[i] for i in keep),
    )
    gold = tuple(tuple(new_index[g] for g in gs) for gs in mining.gold[:limit])
    return MiningSet(mining.ids[:limit], mining.texts[:limit], pool, gold)


def _load_bucc(task: TaskSpec, source: Any, lang: str, split: str, limit: int | None) -> LoadedRows:
    mining, files, info = _bucc_set(task, source, lang, split)
    mining = limit_set(mining, limit)
    meta: dict[str, Any] = {"pool": mining.pool, "set": mining}
    if split == "test":
        dev, dev_files, _ = _bucc_set(task, source, lang, "validation")
        meta["dev"] = limit_set(dev, limit)
        files |= dev_files
    info |= {
        "threshold": "chosen on dev (clean), frozen" if split == "test" else "chosen on this dev set (clean)"
    }
    name = base_name(task)
    examples = [
        Example(f"{name}/{split}/{sid}", name, lang, {"text": text}, gold, meta)
        for sid, text, gold in zip(mining.ids, mining.texts, mining.gold, strict=True)
    ]
    return LoadedRows(examples, files, info)


_TUNABLE = ("layer", "scoring", "k")

TATOEBA = TaskSpec(
    name="tatoeba",
    family="retrieval",
    description="Tatoeba xx -> en sentence retrieval, top-1 accuracy (XTREME: cosine, mean-pooled middle layer)",
    languages=tuple(TATOEBA_CODES),
    labels=(),
    text_fields=("text",),
    download_path="tatoeba/tatoeba.{lang}-eng.{lang}",
    hub=(
        HubConfig(
            dataset="google/xtreme", config="tatoeba.{lang}", columns={}, splits={"test": "validation"}
        ),
    ),
    licence="CC BY 2.0 FR",
    loader=load_retrieval,
    options={"scoring": "cosine", "layer": "auto", "k": 4, "whole_language": True, "tunable": _TUNABLE},
)

BUCC = TaskSpec(
    name="bucc",
    family="retrieval",
    description="BUCC 2018 parallel-sentence mining xx-en, F1 (ratio margin k=4, threshold tuned on dev)",
    languages=BUCC_LANGS,
    labels=(),
    text_fields=("text",),
    download_path="bucc2018/{lang}-en.{split}.{lang}",
    hub=(HubConfig(dataset="google/xtreme", config="bucc18.{lang}", columns={}),),
    licence="BUCC 2018 shared task terms",
    loader=load_retrieval,
    options={"scoring": "margin", "layer": "auto", "k": 4, "whole_language": True, "tunable": _TUNABLE},
)
