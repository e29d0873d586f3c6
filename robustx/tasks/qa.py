"""XQuAD, MLQA and TyDiQA-GoldP: extractive QA in SQuAD v1.1 format, from the hub, XTREME's layout or files.

An example is one question: ``fields = {"question", "context"}`` and ``label`` the gold answers as
``((text, start), ...)`` with ``start`` a code-point offset into the context; every answer is checked
to sit where it claims (``context[start:start+len(text)] == text``). Ids are the datasets' own
question ids, so XQuAD (and MLQA's parallel questions) share ids across languages.

Splits follow XTREME: XQuAD is a test set only (the hub calls it ``validation``); TyDiQA-GoldP is
evaluated on its dev set, which is its ``test`` here; MLQA has both (``dev``/``test`` files, hub
``validation``/``test``), same-language pairs only (``MLQA.de.de``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from robustx.errors import DataError, SpecError
from robustx.tasks.family_hub import base_name, open_hub
from robustx.tasks.readers import open_text, resolve_gz
from robustx.tasks.rows import LoadedRows
from robustx.tasks.spec import HubConfig, TaskSpec
from robustx.types import Example

XQUAD_LANGS = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
MLQA_LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh")
TYDIQA_NAMES = {
    "ar": "arabic", "bn": "bengali", "en": "english", "fi": "finnish", "id": "indonesian",
    "ko": "korean", "ru": "russian", "sw": "swahili", "te": "telugu",
}  # fmt: skip
_QA_COLUMNS = {"id": "id", "question": "question", "context": "context", "answers": "answers"}


def qa_example(
    task: TaskSpec, lang: str, split: str, qid: str, question: Any, context: Any, answers: Any
) -> Example:
    """Validate one question; ValueError with a short reason (callers add where it came from)."""
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"question {qid}: empty or missing question")
    if not isinstance(context, str) or not context:
        raise ValueError(f"question {qid}: empty or missing context")
    gold = []
    for text, start in _answer_pairs(answers):
        if not isinstance(text, str) or not isinstance(start, int) or isinstance(start, bool):
            raise ValueError(f"question {qid}: malformed answer {text!r} at {start!r}")
        if not text.strip():
            raise ValueError(f"question {qid}: a gold answer is empty (the file carries no answer labels)")
        if context[start : start + len(text)] != text:
            raise ValueError(f"question {qid}: answer {text[:30]!r} is not at offset {start} of its context")
        gold.append((text, start))
    if not gold:
        raise ValueError(f"question {qid}: no gold answer")
    name = base_name(task)
    return Example(
        f"{name}/{split}/{qid}", name, lang, {"question": question, "context": context}, tuple(gold)
    )


def _answer_pairs(answers: Any) -> list[tuple[Any, Any]]:
    """SQuAD lists of {text, answer_start} or the hub's {text: [...], answer_start: [...]}."""
    if isinstance(answers, Mapping):
        return list(zip(answers.get("text") or [], answers.get("answer_start") or [], strict=False))
    if isinstance(answers, list):
        return [(a.get("text"), a.get("answer_start")) for a in answers if isinstance(a, Mapping)]
    return []


def iter_squad(path: Path) -> Iterator[tuple[str, str, str, Any]]:
    """(id, question, context, answers) of every question of a SQuAD v1.1 JSON file."""
    with open_text(path) as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("data"), list):
        raise DataError(f"{path}: not SQuAD format (expected an object with a 'data' list)")
    for a, article in enumerate(data["data"]):
        for p, para in enumerate(article.get("paragraphs") or []):
            context = para.get("context")
            for q, qa in enumerate(para.get("qas") or []):
                qid = qa.get("id")
                yield (
                    str(qid) if qid is not None else f"{a}-{p}-{q}",
                    qa.get("question"),
                    context,
                    qa.get("answers"),
                )


def _read_squad(task: TaskSpec, path: Path, lang: str, split: str, limit: int | None) -> list[Example]:
    out = []
    seen: set[str] = set()
    for qid, question, context, answers in iter_squad(path):
        try:
            if qid in seen:
                raise ValueError(f"question id {qid} appears twice (ids must be unique)")
            seen.add(qid)
            out.append(qa_example(task, lang, split, qid, question, context, answers))
        except ValueError as err:
            raise DataError(f"{path}: language {lang}: {err}") from None
        if limit is not None and len(out) >= limit:
            break
    return out


def _split_name(task: TaskSpec, split: str) -> str:
    allowed = task.options.get("splits") or {"test": "test", "validation": "dev"}
    if split not in allowed:
        raise SpecError(f"task {base_name(task)} has no {split} split ({task.options.get('split_note', '')})")
    return str(allowed[split])


def qa_file(task: TaskSpec, data_dir: Path, lang: str, split: str) -> Path:
    if not data_dir.is_dir():
        raise DataError(f"data dir not found: {data_dir}")
    part = _split_name(task, split)
    names = task.options.get("names") or {}
    layouts = [task.download_path, *task.options.get("alt_paths", ())]
    rels = [p.format(split=part, lang=lang, name=names.get(lang, lang)) for p in layouts]
    for rel in rels:
        try:
            return resolve_gz(data_dir / rel)
        except DataError:
            continue
    raise DataError(
        f"{data_dir} has no {' or '.join(rels)} (nor .gz) for task {base_name(task)}, language {lang}"
    )


def load_qa(task: TaskSpec, source: Any, lang: str, split: str, limit: int | None) -> LoadedRows:
    if source.kind == "dir":
        path = qa_file(task, Path(source.path), lang, split)
        return LoadedRows(_read_squad(task, path, lang, split, limit), {str(path): path}, {"kind": "dir"})
    if source.kind == "file":
        return _from_file(task, Path(source.path), source.columns, lang, split, limit)
    return _from_hub(task, source, lang, split, limit)


def _from_file(
    task: TaskSpec, path: Path, columns: str | None, lang: str, split: str, limit: int | None
) -> LoadedRows:
    """A SQuAD JSON file, or JSONL/Parquet rows with id/question/context/answers columns."""
    from robustx.tasks.local_file import _rows

    path = resolve_gz(path)
    if path.name.removesuffix(".gz").lower().endswith(".json"):
        return LoadedRows(_read_squad(task, path, lang, split, limit), {str(path): path}, {"kind": "file"})
    mapping = dict(_QA_COLUMNS, lang="lang") | _column_overrides(columns)
    out: list[Example] = []
    for line, row in _rows(path, mapping):
        if row.get(mapping["lang"]) is not None and str(row[mapping["lang"]]) != lang:
            continue
        qid = str(row.get(mapping["id"], f"{len(out):06d}"))
        try:
            out.append(
                qa_example(
                    task,
                    lang,
                    split,
                    qid,
                    row.get(mapping["question"]),
                    row.get(mapping["context"]),
                    row.get(mapping["answers"]),
                )
            )
        except ValueError as err:
            raise DataError(f"{path}:{line}: language {lang}: {err}") from None
        if limit is not None and len(out) >= limit:
            break
    return LoadedRows(out, {str(path): path}, {"kind": "file", "path": str(path)})


def _column_overrides(text: str | None) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, eq, value = part.partition("=")
        if not eq or key.strip() not in (*_QA_COLUMNS, "lang"):
            raise SpecError(f"malformed --columns entry '{part}': fields are {', '.join(_QA_COLUMNS)}, lang")
        out[key.strip()] = value.strip()
    return out


def _from_hub(task: TaskSpec, source: Any, lang: str, split: str, limit: int | None) -> LoadedRows:
    _split_name(task, split)
    cfg: HubConfig = task.hub[0]
    ds, cfg, info = open_hub(task, source, cfg.config.format(lang=lang), split)
    prefix = task.options.get("id_prefix")
    wanted = f"{str(prefix).format(name=TYDIQA_NAMES.get(lang, lang))}-" if prefix else None
    out: list[Example] = []
    for index, row in enumerate(ds):
        qid = str(row.get("id") or f"{index:06d}")
        if wanted is not None and not qid.startswith(wanted):
            continue
        try:
            out.append(
                qa_example(
                    task, lang, split, qid, row.get("question"), row.get("context"), row.get("answers")
                )
            )
        except ValueError as err:
            raise DataError(f"{info['path']} {info['config']}/{info['split']} row {index}: {err}") from None
        if limit is not None and len(out) >= limit:
            break
    return LoadedRows(out, {}, info)


# The reference SQuAD pipeline's decoding settings (HF run_qa.py / XTREME): overlap of long-context
# windows in tokens, longest answer in tokens, start/end candidates kept per window.
QA_DEFAULTS = {
    "doc_stride": 128,
    "max_answer_length": 30,
    "n_best": 20,
    "tunable": ("doc_stride", "max_answer_length", "n_best"),
}


def _hub(config: str, splits: Mapping[str, str]) -> tuple[HubConfig, ...]:
    return (
        HubConfig(dataset="google/xtreme", config=config, columns=_QA_COLUMNS, id_column="id", splits=splits),
    )


XQUAD = TaskSpec(
    name="xquad",
    family="qa",
    description="XQuAD: SQuAD v1.1 dev translated into 10 languages (F1/EM, SQuAD normalisation)",
    languages=XQUAD_LANGS,
    labels=(),
    text_fields=("question", "context"),
    download_path="xquad/xquad.{lang}.json",
    hub=_hub("XQuAD.{lang}", {"test": "validation"}),
    parallel=True,
    licence="CC BY-SA 4.0",
    loader=load_qa,
    options={
        **QA_DEFAULTS,
        "metric": "squad",
        "splits": {"test": "test"},
        "split_note": "XQuAD is a test set only",
    },
)

MLQA = TaskSpec(
    name="mlqa",
    family="qa",
    description="MLQA, same-language context/question pairs (F1/EM, MLQA's per-language normalisation)",
    languages=MLQA_LANGS,
    labels=(),
    text_fields=("question", "context"),
    download_path="mlqa/MLQA_V1/{split}/{split}-context-{lang}-question-{lang}.json",
    hub=_hub("MLQA.{lang}.{lang}", {"test": "test", "validation": "validation"}),
    parallel=True,
    licence="CC BY-SA 3.0",
    loader=load_qa,
    options={
        **QA_DEFAULTS,
        "metric": "mlqa",
        "alt_paths": ("mlqa/{split}/{split}-context-{lang}-question-{lang}.json",),
    },
)

TYDIQA = TaskSpec(
    name="tydiqa",
    family="qa",
    description="TyDiQA-GoldP v1.1 (gold passage), evaluated on its dev set as XTREME does (F1/EM, SQuAD normalisation)",
    languages=tuple(TYDIQA_NAMES),
    labels=(),
    text_fields=("question", "context"),
    download_path="tydiqa/tydiqa-goldp-v1.1-dev/tydiqa.goldp.{lang}.dev.json",
    hub=_hub("tydiqa", {"test": "validation"}),
    licence="Apache-2.0",
    loader=load_qa,
    options={
        **QA_DEFAULTS,
        "metric": "squad",
        "splits": {"test": "dev"},
        "split_note": "XTREME evaluates TyDiQA-GoldP on its dev set: use --split test",
        "names": TYDIQA_NAMES,
        "alt_paths": ("tydiqa/tydiqa-goldp-v1.1-dev/tydiqa-goldp-dev-{name}.json",),
        "id_prefix": "{name}",
    },
)
