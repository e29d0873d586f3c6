"""UD-POS and PAN-X (WikiANN NER): word-level tagging tasks of XTREME, from the hub, XTREME's layout or files.

An example is one sentence: ``fields["tokens"]`` the words (a tuple), ``label`` their tags (a tuple,
same length). Ids are ``<task>/<split>/<sentence index>``; PAN-X's labelled test subset keeps the
index of each sentence in the full XTREME test file (its ``# xtreme_test_sentence_index=`` lines).

Sources:

* hub: ``google/xtreme`` configs ``udpos.<English name>`` (``tokens``, ``pos_tags``) and
  ``PAN-X.<lang>`` (``tokens``, ``ner_tags``); tags are ClassLabel ids, mapped through the features;
* ``--data-dir``: XTREME's ``udpos/{dev,test}-<lang>.tsv`` and ``panx/{dev,test}-<lang>.tsv`` (token TAB
  tag, blank line between sentences, ``.gz`` read alike). Without ``panx/test-<lang>.tsv`` the
  labelled subset ``panx/test_subset/test-<lang>.subset.tsv`` is read and named in the run config;
* ``--data-file``: the same CoNLL-style TSV, or JSONL/Parquet rows with list columns
  (``--columns tokens=words,label=ner_tags``; optional ``lang`` and ``id``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from robustx.errors import DataError, SpecError
from robustx.tasks.family_hub import base_name, class_names, open_hub
from robustx.tasks.readers import open_text, resolve_gz
from robustx.tasks.rows import LoadedRows
from robustx.tasks.spec import HubConfig, TaskSpec
from robustx.types import Example

UPOS = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
    "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X",
)  # fmt: skip
NER_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
UD_NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "kk": "Kazakh", "ko": "Korean",
    "mr": "Marathi", "nl": "Dutch", "pt": "Portuguese", "ru": "Russian", "ta": "Tamil",
    "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "ur": "Urdu",
    "vi": "Vietnamese", "yo": "Yoruba", "zh": "Chinese",
}  # fmt: skip
PANX_LANGS = (
    "af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi",
    "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl", "pt", "ru",
    "sw", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh",
)  # fmt: skip
SUBSET_MARK = "# xtreme_test_sentence_index="


def load_tagging(task: TaskSpec, source: Any, lang: str, split: str, limit: int | None) -> LoadedRows:
    """One language's sentences from the hub, an XTREME download dir, or a local file."""
    if source.kind == "dir":
        return _from_dir(task, Path(source.path), lang, split, limit)
    if source.kind == "file":
        return _from_file(task, Path(source.path), source.columns, lang, split, limit)
    return _from_hub(task, source, lang, split, limit)


def _example(
    task: TaskSpec, lang: str, split: str, row_id: str, tokens: Sequence[Any], tags: Sequence[Any]
) -> Example:
    """Validate one sentence; ValueError with a short reason (the caller adds file and line)."""
    if len(tokens) != len(tags):
        raise ValueError(f"{len(tokens)} tokens but {len(tags)} tags")
    if not tokens:
        raise ValueError("empty sentence")
    for tok in tokens:
        if not isinstance(tok, str) or not tok.strip():
            raise ValueError(f"empty or non-text token {tok!r}")
    for tag in tags:
        if tag not in task.labels:
            raise ValueError(
                f"unknown tag {tag!r} for task {base_name(task)} (expected one of {', '.join(task.labels)})"
            )
    name = base_name(task)
    return Example(f"{name}/{split}/{row_id}", name, lang, {"tokens": tuple(tokens)}, tuple(tags))


def iter_conll(path: Path) -> Iterator[tuple[int, str | None, list[str], list[str]]]:
    """(first line, subset index or None, tokens, tags) per sentence of a token-TAB-tag file."""
    tokens: list[str] = []
    tags: list[str] = []
    start, marked = 0, None
    with open_text(path) as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                if tokens:
                    yield start, marked, tokens, tags
                tokens, tags, marked = [], [], None
                continue
            if "\t" not in line and line.startswith("#"):
                if line.startswith(SUBSET_MARK):
                    marked = line[len(SUBSET_MARK) :].strip()
                continue
            parts = line.split("\t")
            if len(parts) < 2:
                raise DataError(f"{path}:{number}: expected 'token<TAB>tag', found {line[:40]!r}")
            if not tokens:
                start = number
            tokens.append(parts[0])
            tags.append(parts[-1].strip())
    if tokens:
        yield start, marked, tokens, tags


def _read_conll(task: TaskSpec, path: Path, lang: str, split: str, limit: int | None) -> list[Example]:
    out = []
    for index, (line, marked, tokens, tags) in enumerate(iter_conll(path)):
        row_id = f"{int(marked):06d}" if marked is not None and marked.isdigit() else f"{index:06d}"
        try:
            out.append(_example(task, lang, split, row_id, tokens, tags))
        except ValueError as err:
            raise DataError(f"{path}:{line}: language {lang}: {err}") from None
        if limit is not None and len(out) >= limit:
            break
    return out


def tagging_file(task: TaskSpec, data_dir: Path, lang: str, split: str) -> Path:
    if not data_dir.is_dir():
        raise DataError(f"data dir not found: {data_dir}")
    rel = task.download_path.format(split=task.split_files.get(split, split), lang=lang)
    candidates = [rel]
    subset = task.options.get("test_subset")
    if split == "test" and subset:
        candidates.append(str(subset).format(lang=lang))
    for candidate in candidates:
        try:
            return resolve_gz(data_dir / candidate)
        except DataError:
            continue
    raise DataError(
        f"{data_dir} has no {' or '.join(candidates)} (nor .gz) for task {base_name(task)}, "
        f"language {lang}, split {split}"
    )


def _from_dir(task: TaskSpec, data_dir: Path, lang: str, split: str, limit: int | None) -> LoadedRows:
    path = tagging_file(task, data_dir, lang, split)
    info: dict[str, Any] = {"kind": "dir", "file": str(path)}
    if "test_subset" in path.parts:
        info["subset"] = "labelled subset of the test sentences (ids keep their full-test index)"
    return LoadedRows(_read_conll(task, path, lang, split, limit), {str(path): path}, info)


def _from_file(
    task: TaskSpec, path: Path, columns: str | None, lang: str, split: str, limit: int | None
) -> LoadedRows:
    from robustx.tasks.local_file import _rows, parse_columns
    from robustx.tasks.readers import file_format

    path = resolve_gz(path)
    name = path.name.removesuffix(".gz").lower()
    if name.endswith((".conll", ".iob", ".txt")) or (name.endswith(".tsv") and not columns):
        return LoadedRows(_read_conll(task, path, lang, split, limit), {str(path): path}, {"kind": "file"})
    mapping = parse_columns(columns, task)
    if file_format(path) not in ("jsonl", "parquet"):
        raise SpecError(
            f"{path}: tagging files are token<TAB>tag (CoNLL) or JSONL/Parquet rows with list columns"
        )
    out: list[Example] = []
    for line, row in _rows(path, mapping):
        row_lang = row.get(mapping["lang"])
        if row_lang is not None and str(row_lang) != lang:
            continue
        row_id = str(row[mapping["id"]]) if row.get(mapping["id"]) is not None else f"{len(out):06d}"
        try:
            out.append(
                _example(
                    task,
                    lang,
                    split,
                    row_id,
                    row.get(mapping["tokens"]) or [],
                    row.get(mapping["label"]) or [],
                )
            )
        except ValueError as err:
            raise DataError(f"{path}:{line}: language {lang}: {err}") from None
        if limit is not None and len(out) >= limit:
            break
    return LoadedRows(out, {str(path): path}, {"kind": "file", "path": str(path)})


def _from_hub(task: TaskSpec, source: Any, lang: str, split: str, limit: int | None) -> LoadedRows:
    names = task.options.get("hub_names") or {}
    cfg: HubConfig = task.hub[0]
    ds, cfg, info = open_hub(task, source, cfg.config.format(lang=names.get(lang, lang)), split)
    tag_column = cfg.columns["label"]
    classes = class_names(ds, tag_column)
    out: list[Example] = []
    for index, row in enumerate(ds):
        raw = row.get(tag_column) or []
        tags = [classes[t] if classes is not None and isinstance(t, int) else t for t in raw]
        try:
            out.append(
                _example(task, lang, split, f"{index:06d}", row.get(cfg.columns["tokens"]) or [], tags)
            )
        except ValueError as err:
            raise DataError(f"{info['path']} {info['config']}/{info['split']} row {index}: {err}") from None
        if limit is not None and len(out) >= limit:
            break
    return LoadedRows(out, {}, info)


UDPOS = TaskSpec(
    name="udpos",
    family="tagging",
    description="Universal Dependencies v2.5 part-of-speech tagging, 17 UPOS tags (seqeval F1, as XTREME)",
    languages=tuple(UD_NAMES),
    labels=UPOS,
    text_fields=("tokens",),
    download_path="udpos/{split}-{lang}.tsv",
    hub=(
        HubConfig(
            dataset="google/xtreme",
            config="udpos.{lang}",
            columns={"tokens": "tokens", "label": "pos_tags"},
        ),
    ),
    licence="UD treebanks: CC BY-SA (most) and others per treebank",
    loader=load_tagging,
    options={"hub_names": UD_NAMES},
)

PANX = TaskSpec(
    name="panx",
    family="tagging",
    description="PAN-X / WikiANN named entities (PER, ORG, LOC; IOB2), entity F1 (seqeval, as XTREME)",
    languages=PANX_LANGS,
    labels=NER_TAGS,
    text_fields=("tokens",),
    download_path="panx/{split}-{lang}.tsv",
    hub=(
        HubConfig(
            dataset="google/xtreme",
            config="PAN-X.{lang}",
            columns={"tokens": "tokens", "label": "ner_tags"},
        ),
    ),
    licence="ODC-By",
    loader=load_tagging,
    options={"test_subset": "panx/test_subset/test-{lang}.subset.tsv"},
)
