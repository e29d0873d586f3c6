"""Loading a training task's English train and dev items from the hub, a local mirror, or local files.

Every source goes through the task's row converter, so the hub, a hub mirror (a local directory laid
out like the hub repository, read by the same ``datasets.load_dataset`` call) and the release files
give identical items. The dev set is the first ``dev_size`` items of the dev split (model selection).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustx.errors import DataError, SpecError
from robustx.tasks.readers import file_sha256, iter_delimited, iter_jsonl, open_text, resolve_gz
from robustx.transfer.spec import Item, LocalFile, LocalSpec, PairItem, SpanItem, TagItem, TrainTask


@dataclass(frozen=True)
class DataOptions:
    data_dir: Path | None = None  # XTREME download layout; English sets under english/
    hub_mirror: Path | None = None  # <dir>/<dataset id>/ mirrors of hub datasets
    dev_size: int = 500
    train_limit: int | None = None
    # task -> {"train": path, "dev": path}: local files in the task's release format
    files: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "hub_mirror": str(self.hub_mirror) if self.hub_mirror else None,
            "dev_size": self.dev_size,
            "train_limit": self.train_limit,
            "files": {k: dict(v) for k, v in sorted(self.files.items())},
        }


@dataclass
class TaskData:
    task: TrainTask
    train: list[Item]
    dev: list[Item]
    labels: tuple[str, ...]
    source: dict[str, Any]

    @property
    def stand_in(self) -> bool:
        return bool(self.source.get("stand_in"))


def load_task_data(task: TrainTask, options: DataOptions) -> TaskData:
    """Train and dev items of ``task``; DataError naming the missing file and how to get it."""
    if task.head == "retrieval":
        raise SpecError(f"task {task.name} has no training data (its encoder is used directly)")
    if task.name in options.files:
        train, dev, source = _from_override(task, options)
    elif options.data_dir is not None:
        train, dev, source = _from_dir(task, options)
    else:
        train, dev, source = _from_hub(task, options)
    if task.head == "qa" and not task.options.get("unanswerable"):
        train, dev = _answered(train), _answered(dev)
    if options.train_limit is not None:
        train = train[: options.train_limit]
    if not train or not dev:
        role = "train" if not train else "dev"
        raise DataError(f"task {task.name}: no {role} examples in {source.get('path') or source}")
    source.update(n_train=len(train), n_dev=len(dev))
    return TaskData(task, train, dev, _labels(task, train), source)


def _answered(items: list[Item]) -> list[Item]:
    """SQuAD v1.1 / TyDiQA-GoldP always have an answer; a row without one is unlabelled, not a "no answer"."""
    return [i for i in items if not isinstance(i, SpanItem) or i.answers]


def _labels(task: TrainTask, train: list[Item]) -> tuple[str, ...]:
    if task.labels is not None:
        return task.labels
    if task.head == "tagging":
        return tuple(sorted({t for item in train if isinstance(item, TagItem) for t in item.tags}))
    if task.head == "classification":
        return tuple(sorted({item.label for item in train if isinstance(item, PairItem)}))
    return ()


# ---- local files -------------------------------------------------------------------------------


def _local_spec(task: TrainTask) -> LocalSpec:
    if task.local is None:
        raise DataError(f"task {task.name} has no local-file layout; read it from the hub (omit --data-dir)")
    return task.local


def _from_dir(task: TrainTask, options: DataOptions) -> tuple[list[Item], list[Item], dict[str, Any]]:
    assert options.data_dir is not None
    spec = _local_spec(task)
    root = options.data_dir
    if not root.is_dir():
        raise DataError(f"data dir not found: {root}")
    train_files = _first_existing(task, spec, root, spec.train)
    dev_files = [f for f in spec.dev if _exists(root / f.path)] or [_missing(task, spec, root, spec.dev)]
    train = [it for f in train_files for it in _read_part(spec, root, f, options.dev_size)]
    dev = [it for f in dev_files for it in _read_part(spec, root, f, options.dev_size)][: options.dev_size]
    files = [
        {"role": role, "path": f.path, "part": f.part, "sha256": file_sha256(resolve_gz(root / f.path))}
        for role, group in (("train", train_files), ("dev", dev_files))
        for f in group
    ]
    stand_in = any(f.stand_in for f in train_files)
    return train, dev, {"kind": "dir", "path": str(root), "files": files, "stand_in": stand_in}


def _first_existing(
    task: TrainTask, spec: LocalSpec, root: Path, group: tuple[LocalFile, ...]
) -> list[LocalFile]:
    """The real train file(s) if present, else the stand-in candidates that exist."""
    real = [f for f in group if not f.stand_in]
    if real and all(_exists(root / f.path) for f in real):
        return real
    stand_ins = [f for f in group if f.stand_in and _exists(root / f.path)]
    if stand_ins:
        return stand_ins
    return [_missing(task, spec, root, group)]


def _exists(path: Path) -> bool:
    return path.is_file() or path.with_name(path.name + ".gz").is_file()


def _missing(task: TrainTask, spec: LocalSpec, root: Path, group: tuple[LocalFile, ...]) -> LocalFile:
    wanted = next((f for f in group if not _exists(root / f.path)), group[0])
    hint = spec.hint.replace("DATA", str(root))
    raise DataError(f"task {task.name}: {root / wanted.path} not found (nor .gz): {hint}")


def _from_override(task: TrainTask, options: DataOptions) -> tuple[list[Item], list[Item], dict[str, Any]]:
    """``--train-file task=PATH [--dev-file task=PATH]``: without a dev file, its first rows are dev."""
    spec = _local_spec(task)
    given = options.files[task.name]
    train_path = Path(given["train"])
    dev_path = Path(given["dev"]) if given.get("dev") else None
    root = Path("/")
    train_part = LocalFile(str(train_path.resolve()), "tail" if dev_path is None else "all")
    dev_part = LocalFile(str((dev_path or train_path).resolve()), "head")
    train = _read_part(spec, root, train_part, options.dev_size)
    dev = _read_part(spec, root, dev_part, options.dev_size)
    files = [
        {"role": role, "path": f.path, "part": f.part, "sha256": file_sha256(resolve_gz(Path(f.path)))}
        for role, f in (("train", train_part), ("dev", dev_part))
    ]
    return train, dev, {"kind": "file", "files": files, "stand_in": False}


def _read_part(spec: LocalSpec, root: Path, part: LocalFile, dev_size: int) -> list[Item]:
    path = resolve_gz(root / part.path)
    items: list[Item] = []
    for line, row in iter_rows(spec.fmt, path):
        try:
            item = spec.convert(row)
        except (ValueError, KeyError, TypeError) as err:
            raise DataError(f"{path}:{line}: {err}") from None
        if item is not None:
            items.append(item)
        if part.part == "head" and len(items) >= dev_size:
            break
    return items[dev_size:] if part.part == "tail" else items


def iter_rows(fmt: str, path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(line, row) of a local file; the row keys are what the task's converter reads."""
    if fmt == "jsonl":
        yield from iter_jsonl(path)
    elif fmt in ("csv", "tsv_header"):
        yield from _header_rows(path, "," if fmt == "csv" else "\t")
    elif fmt == "tsv_pairs":
        yield from _pair_rows(path)
    elif fmt == "squad_json":
        yield from _squad_rows(path)
    elif fmt == "conll":
        yield from _conll_rows(path)
    else:
        raise ValueError(f"unknown file format {fmt}")


def _header_rows(path: Path, delimiter: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    header: list[str] | None = None
    for line, cells in iter_delimited(path, delimiter):
        if header is None:
            header = [c.strip() for c in cells]
        elif len(cells) == len(header):
            yield line, dict(zip(header, cells, strict=True))
        else:
            raise DataError(f"{path}:{line}: expected {len(header)} columns ({', '.join(header)})")


def _pair_rows(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """XTREME's headerless ``first<TAB>second<TAB>label`` (a header row, where present, is skipped)."""
    for index, (line, cells) in enumerate(iter_delimited(path, "\t")):
        if index == 0 and cells[-1].strip().lower() in {"label", "gold_label"}:
            continue
        if len(cells) != 3:
            raise DataError(f"{path}:{line}: expected 3 tab-separated columns, found {len(cells)}")
        yield line, {"first": cells[0], "second": cells[1], "label": cells[2]}


def _squad_rows(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """SQuAD JSON (data -> paragraphs -> qas), flattened into the hub's row schema."""
    with open_text(path) as fh:
        try:
            doc = json.load(fh)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}: invalid JSON: {err.msg}") from None
    number = 0
    for article in doc.get("data", []):
        for paragraph in article.get("paragraphs", []):
            for qa in paragraph.get("qas", []):
                number += 1
                answers = [] if qa.get("is_impossible") else qa.get("answers", [])
                yield (
                    number,
                    {
                        "id": qa.get("id", str(number)),
                        "context": paragraph.get("context"),
                        "question": qa.get("question"),
                        "answers": {
                            "text": [a["text"] for a in answers],
                            "answer_start": [a["answer_start"] for a in answers],
                        },
                    },
                )


def _conll_rows(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``word<TAB>tag`` lines, a blank line between sentences (XTREME's udpos/panx files)."""
    tokens: list[str] = []
    tags: list[str] = []
    start = 0
    with open_text(path) as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip():
                if tokens:
                    yield start, _sentence(tokens, tags)
                tokens, tags = [], []
                continue
            cells = line.split("\t")
            if len(cells) < 2:
                raise DataError(f"{path}:{number}: expected 'word<TAB>tag'")
            start = start if tokens else number
            tokens.append(cells[0])
            tags.append(cells[-1].strip())
    if tokens:
        yield start, _sentence(tokens, tags)


def _sentence(tokens: list[str], tags: list[str]) -> dict[str, Any]:
    # XTREME's PAN-X files prefix every word with its language ("en:Sioux"); strip it when all have it.
    if all(t.startswith("en:") and len(t) > 3 for t in tokens):
        tokens = [t[3:] for t in tokens]
    return {"tokens": tokens, "tags": tags}


# ---- the hub -----------------------------------------------------------------------------------


def _from_hub(task: TrainTask, options: DataOptions) -> tuple[list[Item], list[Item], dict[str, Any]]:
    if task.hub is None:
        spec = task.local
        raise DataError(
            f"task {task.name} is not on the Hugging Face hub; pass --data-dir ({spec.hint if spec else ''})"
        )
    hub = task.hub
    where = str(options.hub_mirror / hub.dataset) if options.hub_mirror else hub.dataset
    revision = None if options.hub_mirror else hub.revision
    fingerprints: dict[str, str | None] = {}
    held = 0 if hub.dev else options.dev_size  # no dev split: hold out the first training rows
    limit = options.train_limit + held if options.train_limit is not None else None
    train = [it for s in hub.train for it in _hub_items(task, where, s, revision, fingerprints, limit)]
    dev = [it for s in hub.dev for it in _hub_items(task, where, s, revision, fingerprints, options.dev_size)]
    if not hub.dev:
        train, dev = train[held:], train[:held]
    source = {
        "kind": "hub",
        "dataset": hub.dataset,
        "config": hub.config,
        "train_splits": list(hub.train),
        "dev_splits": list(hub.dev) or [f"first {held} of {', '.join(hub.train)}"],
        "revision": revision,
        "path": where,
        "fingerprints": fingerprints,
        "stand_in": False,
    }
    return train, dev[: options.dev_size], source


def _hub_items(
    task: TrainTask,
    where: str,
    split: str,
    revision: str | None,
    prints: dict[str, str | None],
    limit: int | None,
) -> list[Item]:
    from datasets import load_dataset

    assert task.hub is not None
    cache = _mirror_cache(Path(where)) if Path(where).is_dir() else None
    try:
        ds = load_dataset(where, name=task.hub.config, split=split, revision=revision, cache_dir=cache)
    except Exception as err:  # datasets raises many types (connection, missing config, ...)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"cannot load {where} config {task.hub.config} split {split}: {first}") from None
    prints[split] = getattr(ds, "_fingerprint", None)
    items: list[Item] = []
    for index, row in enumerate(ds):
        if task.hub.keep is not None and not task.hub.keep(row):
            continue
        try:
            item = task.hub.convert(row)
        except (ValueError, KeyError, TypeError) as err:
            raise DataError(f"{where} {split} row {index}: {err}") from None
        if item is not None:
            items.append(item)
        if limit is not None and len(items) >= limit:
            break
    return items


def _mirror_cache(mirror: Path) -> str:
    """A ``datasets`` cache dir keyed by the mirror's path and file stats.

    ``datasets`` keys the cache of a local repository by its name and file patterns only, so two
    mirrors named ``.../google/xtreme`` (or one whose files changed) would share stale tables.
    """
    import hashlib

    from robustx.models.embedded import cache_root

    digest = hashlib.sha256(str(mirror.resolve()).encode())
    for path in sorted(p for p in mirror.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(mirror)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return str(cache_root() / "datasets" / digest.hexdigest()[:16])
