"""Build robustx/data/bundle/: the licence-clean data the quickstart runs on (issue 8).

Run once and commit the output (``.venv/bin/python tools/build_bundle.py``); ``--check`` rebuilds in a
temporary directory and fails if any byte differs from the committed bundle. Inputs:

- the real XTREME data in ``../shared/data/xtreme``: every file read is checked against the sha256 in
  its ``PROVENANCE.txt`` (which also gives the upstream repository, commit and path for MANIFEST.json);
- the npm package ``cldr-annotations-full@48.2.0`` (Unicode License v3): ``--cldr`` takes its tarball
  or unpacked ``package/`` folder, else ``$ROBUSTX_CLDR``, else ``npm pack`` fetches the tarball into
  robustx's cache; the tarball is checked against the registry's integrity hash;
- ``tools/licences/ODC-By-1.0.txt``: the ODC-By 1.0 text shipped with PAN-X, checked against its sha256.

The output is XTREME's download layout (``pawsx/test-de.tsv``, ``panx/train-en.tsv``,
``tatoeba/tatoeba.deu-eng.deu``, ``muse/en-de.txt``, ``english/snli_subset/...``), so every loader reads
it with ``--data-dir``; files
over 200 kB are gzipped (loaders read ``.gz`` transparently) with a zero mtime so rebuilds are
byte-identical. Nothing non-commercial (XNLI, MUSE) or copyleft-software-licensed (FreeDict) is bundled:
MUSE is only *read* to measure how often the CLDR word pairs agree with it (numbers, not content).
"""

from __future__ import annotations

import argparse
import base64
import collections
import filecmp
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from robustx.tasks.retrieval import TATOEBA_CODES  # noqa: E402
from robustx.tasks.tagging import NER_TAGS  # noqa: E402
from robustx.text.scripts import XTREME_LANGUAGES  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundle_texts import attribution, readme  # noqa: E402

OUT = REPO / "robustx" / "data" / "bundle"
SHARED = REPO.parent / "shared" / "data" / "xtreme"
FORMAT = "robustx-bundle/1"
GZIP_OVER = 200_000  # bytes of text above which a file is stored gzipped
BUDGET = 6_000_000
PAWSX_LANGS = ("de", "en", "es", "fr", "ja", "ko", "zh")
PAWSX_TRAIN_ROWS = 1200  # English rows of the training groups; the rest of the dev rows are the test set
PAWSX_VALIDATION_ROWS = 200  # of those, whole groups from the end select checkpoints (pawsx/dev-en.tsv)
# PAN-X: English train / model-selection / test sentences and test sentences in 13 more languages, many
# scripts (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Han, Japanese, Hangul, Georgian, Tamil).
PANX_LANGS = ("en", "de", "es", "fr", "ru", "el", "ar", "he", "hi", "zh", "ja", "ko", "ka", "ta")
PANX_SPLITS = (("train", 1000), ("validation", 200), ("test", 250))  # English; the other languages: test
PANX_TOKENS = (3, 40)  # sentences outside this many tokens are skipped (too little context / slow on CPU)
PANX_FILES = {"train": "train-en.tsv", "validation": "dev-en.tsv", "test": "test-{lang}.tsv"}
ODC_BY = {
    "path": "tools/licences/ODC-By-1.0.txt",
    "sha256": "52d87128f8b25b90b9ca44ec737d3d6b2ec6d83abef2ca6de42134bf7ba57ab7",
    "package": "spdx-license-list@6.12.0",
    "integrity": "sha512-+nUYqm3aZMSHbjsthK+i/HHI2okTElCvqwUd4k8QcSk+FTGgjq+fsdFj2wZOaX6XmR2JdWhf/NeflNnvKOjcnQ==",
    "member": "licenses/ODC-By-1.0.json (licenseText, SPDX License List text of ODC-By-1.0)",
    "url": "https://opendatacommons.org/licenses/by/1-0/",
}
TATOEBA = ("deu", "rus", "ell", "ara", "heb", "hin", "tha", "cmn", "jpn", "kor", "kat", "tam")
TATOEBA_PAIRS = 300
CLDR = {
    "package": "cldr-annotations-full",
    "version": "48.2.0",
    "integrity": "sha512-DV7A+rEcgUSNTRsVGNGqBZRmAkGfwhGHO5Q1dRwzBoBnVrHWp804JP7/QJdEc66iHmx3+zLWVIMCFLm0lW7PUQ==",
    "licence": "Unicode-3.0",
}
CLDR_LOCALE = {"tl": "fil"}  # CLDR files Tagalog under Filipino, its standardised form
LICENCES = {
    "pawsx": "PAWS-X terms: free for any use; acknowledgement of Google LLC appreciated",
    "panx": "ODC-By 1.0 (Open Data Commons Attribution License v1.0)",
    "tatoeba": "CC-BY 2.0 FR",
    "snli": "CC BY-SA 4.0",
    "socialiqa": "CC BY 4.0",
    "cldr": "Unicode License v3 (Unicode-3.0)",
    "bundle": "see each folder",
}
# A dictionary "word": letters and combining marks (ZWJ/ZWNJ inside), optionally joined by one hyphen or
# apostrophe -- the characters robustx's tokenizer keeps inside a word -- and nothing else: no space,
# digit, other punctuation or symbol. Names that fail this are dropped (and counted), never trimmed.
WORD = regex.compile(
    r"^\p{L}[\p{L}\p{M}\u200c\u200d]*(?:['\u2019\-\u2010\u2011\u05be]\p{L}[\p{L}\p{M}\u200c\u200d]*)*$"
)
NUMBER = re.compile(r"\d{3,}")


class BuildError(RuntimeError):
    """An input is missing or not what PROVENANCE.txt / the pinned package says it is."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where a shared file came from (one PROVENANCE.txt row)."""

    repo: str
    commit: str
    path: str
    sha256: str

    def describe(self, shared_file: str) -> dict[str, str]:
        return {
            "shared_file": shared_file,
            "repo": self.repo,
            "commit": self.commit,
            "path": self.path,
            "sha256": self.sha256,
        }


def read_provenance(path: Path) -> dict[tuple[str, str], Origin]:
    """``(section, local_file) -> Origin``; the first row wins (the file repeats some sections)."""
    out: dict[tuple[str, str], Origin] = {}
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        cells = line.split("\t")
        if line.startswith("#") or len(cells) < 7:
            continue
        fields = dict(c.split("=", 1) for c in cells[4:] if "=" in c)
        out.setdefault((section, cells[0]), Origin(cells[1], cells[2], cells[3], fields.get("sha256", "")))
    return out


@dataclass
class Shared:
    """The shared XTREME folder; every read is checked against PROVENANCE.txt."""

    root: Path
    provenance: dict[tuple[str, str], Origin] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.root / "PROVENANCE.txt").is_file():
            raise BuildError(
                f"no PROVENANCE.txt in {self.root}: pass --shared DIR (the shared xtreme/ folder)"
            )
        self.provenance = read_provenance(self.root / "PROVENANCE.txt")

    def read(self, rel: str, section: str, local: str) -> tuple[bytes, dict[str, str]]:
        """The text of ``rel`` (or ``rel.gz``, decompressed) and its provenance record."""
        path = self.root / rel
        if not path.is_file():
            path = path.with_name(path.name + ".gz")
        if not path.is_file():
            raise BuildError(f"{self.root / rel} not found (nor .gz)")
        raw = path.read_bytes()
        raw = gzip.decompress(raw) if path.suffix == ".gz" else raw
        origin = self.provenance.get((section, local))
        if origin is None:
            raise BuildError(f"PROVENANCE.txt has no row for {local} in section {section}")
        if sha256(raw) != origin.sha256:
            raise BuildError(f"{path} does not match its sha256 in PROVENANCE.txt ({section}/{local})")
        return raw, origin.describe(str(path.relative_to(self.root)))


class Cldr:
    """The CLDR annotations package, from its npm tarball or an unpacked ``package/`` folder."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self._tar = tarfile.open(where, "r:gz") if where.is_file() else None
        if self._tar is not None and _integrity(where.read_bytes()) != CLDR["integrity"]:
            raise BuildError(f"{where} is not {CLDR['package']}@{CLDR['version']} (integrity differs)")
        meta = json.loads(self.read("package.json"))
        if (meta.get("name"), meta.get("version")) != (CLDR["package"], CLDR["version"]):
            raise BuildError(f"{where} holds {meta.get('name')}@{meta.get('version')}, not {CLDR['version']}")
        self.meta = {"cldr_version": meta.get("cldrVersion"), "unicode_version": meta.get("unicodeVersion")}

    def read(self, rel: str) -> bytes:
        if self._tar is None:
            path = self.where / rel
            if not path.is_file():
                raise BuildError(f"{path} not found in the CLDR package")
            return path.read_bytes()
        member = self._tar.extractfile(f"package/{rel}")
        if member is None:
            raise BuildError(f"{self.where} has no package/{rel}")
        return member.read()

    def annotations(self, locale: str) -> tuple[Mapping[str, Any], str]:
        """``emoji -> {"default": [...], "tts": [...]}`` of a locale, and the file's sha256."""
        raw = self.read(f"annotations/{locale}/annotations.json")
        return json.loads(raw)["annotations"].get("annotations", {}), sha256(raw)


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def find_cldr(given: str | None, fetch: bool = True) -> Path | None:
    """``--cldr``, ``$ROBUSTX_CLDR``, the tarball in robustx's cache, else (``fetch``) ``npm pack`` it there."""
    for candidate in (given, os.environ.get("ROBUSTX_CLDR")):
        if candidate:
            return Path(candidate).expanduser()
    from robustx.models.embedded import cache_root

    cache = cache_root() / "npm"
    tarball = cache / f"{CLDR['package']}-{CLDR['version']}.tgz"
    if tarball.is_file() or not fetch:
        return tarball if tarball.is_file() else None
    cache.mkdir(parents=True, exist_ok=True)
    spec = f"{CLDR['package']}@{CLDR['version']}"
    try:
        subprocess.run(
            ["npm", "pack", spec, "--pack-destination", str(cache)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError) as err:
        raise BuildError(f"cannot fetch {spec} with npm ({err}); pass --cldr TARBALL_OR_DIR") from None
    return tarball


# ---- output ------------------------------------------------------------------------------------


class Writer:
    """The bundle's files in memory, with their MANIFEST.json records; gzips what is large."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.records: dict[str, dict[str, Any]] = {}

    def add(self, rel: str, text: bytes, dataset: str, rows: int | None = None, **meta: Any) -> str:
        name, stored = rel, text
        if len(text) > GZIP_OVER:
            name, stored = rel + ".gz", gzip.compress(text, compresslevel=9, mtime=0)
        record: dict[str, Any] = {
            "dataset": dataset,
            "licence": LICENCES[dataset],
            "bytes": len(stored),
            "sha256": sha256(stored),
        }
        if name != rel:
            record.update(content_bytes=len(text), content_sha256=sha256(text))
        if rows is not None:
            record["rows"] = rows
        self.files[name] = stored
        self.records[name] = {**record, **meta}
        return name

    def total(self) -> int:
        return sum(len(data) for data in self.files.values())


def lines_of(text: bytes) -> list[str]:
    """Lines without their ``\\n`` (a final newline does not make an empty last line)."""
    body = text.decode("utf-8")
    return (body[:-1] if body.endswith("\n") else body).split("\n") if body else []


def joined(lines: Iterable[str]) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


# ---- PAWS-X ------------------------------------------------------------------------------------


def _bag(sentence: str) -> str:
    """Order-free key of a sentence: PAWS word-swap pairs (and exact repeats) share it."""
    return " ".join(sorted(re.findall(r"\w+", sentence.lower())))


def paws_groups(rows: Mapping[str, Sequence[Sequence[str]]]) -> list[int]:
    """Each row's group (its smallest row index): rows that share a sentence, or a word-swap of one,
    in any language (two English paraphrases can share one translation) join one group.

    PAWS builds several pairs from one source sentence, so a plain row split would put a training
    sentence (and its translations) into evaluation (MANIFEST.json: datasets.pawsx.row_split_leak)."""
    n = len(rows["en"])
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for lang, table in sorted(rows.items()):
        for index, row in enumerate(table):
            for sentence in row[:2]:
                if sentence.strip() == "NS":
                    continue
                other = first.setdefault((lang, _bag(sentence)), index)
                a, b = root(index), root(other)
                parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(n)]


def paws_split(groups: Sequence[int], n_train: int) -> tuple[list[int], list[int]]:
    """Whole groups, in order of their first row, go to training until it holds ``n_train`` rows."""
    size = collections.Counter(groups)
    chosen: set[int] = set()
    count = 0
    for index, group in enumerate(groups):
        if group == index and count < n_train:
            chosen.add(group)
            count += size[group]
    train = [i for i, g in enumerate(groups) if g in chosen]
    return train, [i for i, g in enumerate(groups) if g not in chosen]


def paws_carve(pool: Sequence[int], groups: Sequence[int], n_select: int) -> tuple[list[int], list[int]]:
    """Split training rows ``pool`` into (train, selection): whole groups, taken from the end of the
    pool (by their last row), go to the model-selection set until it holds ``n_select`` rows."""
    size = collections.Counter(groups[i] for i in pool)
    chosen: set[int] = set()
    count = 0
    for index in reversed(pool):
        group = groups[index]
        if group not in chosen and count < n_select:
            chosen.add(group)
            count += size[group]
    return [i for i in pool if groups[i] not in chosen], [i for i in pool if groups[i] in chosen]


def _row_split_leak(english: Sequence[Sequence[str]]) -> int:
    """English sentences a plain split at row PAWSX_TRAIN_ROWS would share between train and evaluation."""
    head = {s for row in english[:PAWSX_TRAIN_ROWS] for s in row[:2]}
    return len(head & {s for row in english[PAWSX_TRAIN_ROWS:] for s in row[:2]})


def _is_ns(row: Sequence[str]) -> bool:
    """PAWS-X's placeholder for a pair its translators could not translate."""
    return any(cell.strip() == "NS" for cell in row[:2])


def _parallel_checks(rows: Mapping[str, list[list[str]]]) -> dict[str, Any]:
    """Rows are parallel: labels agree wherever both rows are translated, and the long numbers of an
    English sentence reappear in the same row of each language (and not in the next row)."""
    english = rows["en"]
    out: dict[str, Any] = {}
    for lang, table in rows.items():
        if len(table) != len(english):
            raise BuildError(f"pawsx dev-{lang}: {len(table)} rows, English has {len(english)}")
        label_diff = sum(1 for a, b in zip(english, table, strict=True) if not _is_ns(b) and a[2] != b[2])
        same = shifted = checked = 0
        for i, (a, b) in enumerate(zip(english, table, strict=True)):
            numbers = sorted(NUMBER.findall(a[0]))
            if numbers and not _is_ns(b):
                checked += 1
                same += numbers == sorted(NUMBER.findall(b[0]))
                shifted += i + 1 < len(table) and numbers == sorted(NUMBER.findall(table[i + 1][0]))
        if label_diff or (lang != "en" and (same < 0.9 * checked or shifted > 0.05 * checked)):
            raise BuildError(f"pawsx dev-{lang} is not row-parallel to dev-en ({label_diff} labels differ)")
        out[lang] = {
            "label_mismatch_outside_NS": label_diff,
            "numbers_checked": checked,
            "numbers_same_row": same,
            "numbers_next_row": shifted,
        }
    return out


def _paws_ids(shared: Shared, zh: list[list[str]]) -> list[str]:
    """PAWS-X ids of the dev rows, from the Hugging Face copy of the Chinese dev set (same rows, with ids)."""
    raw, _ = shared.read("pawsx/hf_labeled/validation-zh.tsv", "pawsx", "hf_labeled/validation-zh.tsv")
    table = [line.split("\t") for line in lines_of(raw)[1:]]
    if [r[1:] for r in table] != zh:
        raise BuildError("pawsx/hf_labeled/validation-zh.tsv is not dev-zh.tsv with ids: cannot map ids")
    return [r[0] for r in table]


def build_pawsx(shared: Shared, out: Writer) -> dict[str, Any]:
    raw: dict[str, bytes] = {}
    origins: dict[str, dict[str, str]] = {}
    for lang in PAWSX_LANGS:
        rel = f"pawsx/dev-{lang}.tsv"
        raw[lang], origins[lang] = shared.read(rel, "pawsx", f"xtreme_format/dev-{lang}.tsv")
    lines = {lang: lines_of(raw[lang]) for lang in PAWSX_LANGS}
    rows = {lang: [line.split("\t") for line in lines[lang]] for lang in PAWSX_LANGS}
    if any(len(r) != 3 for table in rows.values() for r in table):
        raise BuildError("pawsx dev files must hold sentence1<TAB>sentence2<TAB>label rows")
    checks = _parallel_checks(rows)
    ids = _paws_ids(shared, rows["zh"])
    groups = paws_groups(rows)
    pool, held = paws_split(groups, PAWSX_TRAIN_ROWS)
    train, select = paws_carve(pool, groups, PAWSX_VALIDATION_ROWS)
    untranslated = [i for i in held if any(_is_ns(rows[lang][i]) for lang in PAWSX_LANGS)]
    test = [i for i in held if i not in set(untranslated)]
    if {groups[i] for i in train + select} & {groups[i] for i in test} or set(train) & set(select):
        raise BuildError("pawsx: a group reaches two splits")
    selection = "the rows listed in pawsx/rows.tsv (group-aware split, see README.md)"
    for rel, split, chosen in (("train-en.tsv", "train", train), ("dev-en.tsv", "validation", select)):
        out.add(
            f"pawsx/{rel}",
            joined(lines["en"][i] for i in chosen),
            "pawsx",
            len(chosen),
            lang="en",
            split=split,
            sources=[origins["en"]],
            selection=selection,
        )
    for lang in PAWSX_LANGS:
        out.add(
            f"pawsx/test-{lang}.tsv",
            joined(lines[lang][i] for i in test),
            "pawsx",
            len(test),
            lang=lang,
            split="test",
            sources=[origins[lang]],
            selection=selection,
        )
    splits = {"train": train, "validation": select, "test": test}
    mapping = ["split\trow\tsource_row\tpawsx_id"]
    mapping += [
        f"{split}\t{n}\t{i}\t{ids[i]}" for split, chosen in splits.items() for n, i in enumerate(chosen)
    ]
    out.add("pawsx/rows.tsv", joined(mapping), "pawsx", len(mapping) - 1, sources=[origins["zh"]])
    return {
        "languages": list(PAWSX_LANGS),
        "train_target": PAWSX_TRAIN_ROWS,
        "training_pool_rows": len(pool),
        "validation_target": PAWSX_VALIDATION_ROWS,
        "train_rows": len(train),
        "validation_rows": len(select),
        "test_rows": len(test),
        "groups": len(set(groups)),
        "row_split_leak": _row_split_leak(rows["en"]),
        "held_out_rows": len(held),
        "untranslated_rows_dropped": len(untranslated),
        "parallel_checks": checks,
        "label_counts": {
            split: dict(sorted(collections.Counter(rows["en"][i][2] for i in chosen).items()))
            for split, chosen in splits.items()
        },
    }


# ---- PAN-X ---------------------------------------------------------------------------------------


def conll_sentences(text: bytes, name: str) -> list[list[str]]:
    """The sentences of a ``word<TAB>tag`` file, each as its lines (unchanged), in file order.

    Blank (or whitespace-only) lines separate sentences, as robustx's CoNLL readers split them, so the
    position of a sentence here is the number in its example id when the shared file is loaded."""
    sentences: list[list[str]] = []
    current: list[str] = []
    for number, line in enumerate(lines_of(text), start=1):
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        cells = line.split("\t")
        if len(cells) != 2 or not cells[0].strip() or cells[1] not in NER_TAGS:
            raise BuildError(
                f"{name}:{number}: expected 'word<TAB>tag' with a PAN-X tag, found {line[:40]!r}"
            )
        current.append(line)
    if current:
        sentences.append(current)
    return sentences


def panx_pick(
    sentences: Sequence[Sequence[str]], sizes: Sequence[tuple[str, int]], name: str
) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Fill each split in turn with the next sentences in file order: a sentence is skipped when it has
    fewer or more tokens than PANX_TOKENS allows, or repeats the words of one already taken (in any
    split), so the splits share no sentence. Returns the source indices per split and the skip counts."""
    low, high = PANX_TOKENS
    wanted = list(sizes)
    picked: dict[str, list[int]] = {split: [] for split, _ in sizes}
    seen: set[tuple[str, ...]] = set()
    skipped = collections.Counter(dict.fromkeys(("too_short", "too_long", "repeated"), 0))
    scanned = 0
    for index, lines in enumerate(sentences):
        if not wanted:
            break
        scanned = index + 1
        words = tuple(line.split("\t")[0] for line in lines)
        if len(words) < low or len(words) > high:
            skipped["too_short" if len(words) < low else "too_long"] += 1
        elif words in seen:
            skipped["repeated"] += 1
        else:
            seen.add(words)
            split, size = wanted[0]
            picked[split].append(index)
            if len(picked[split]) == size:
                wanted.pop(0)
    if wanted:
        have, need = sum(map(len, picked.values())), sum(n for _, n in sizes)
        raise BuildError(f"{name}: only {have} usable sentences, {need} needed")
    return picked, {"source_sentences": len(sentences), "scanned": scanned, **dict(sorted(skipped.items()))}


def _entities(sentences: Sequence[Sequence[str]], chosen: Iterable[int]) -> dict[str, int]:
    """Entities (B- tags) by type, and the tokens, of the chosen sentences."""
    tags = [line.split("\t")[1] for i in chosen for line in sentences[i]]
    counts = collections.Counter(t[2:] for t in tags if t.startswith("B-"))
    return {"tokens": len(tags), **{kind: counts[kind] for kind in ("PER", "ORG", "LOC")}}


def odc_by_text() -> bytes:
    """The ODC-By 1.0 text kept in tools/licences, checked against its pinned sha256."""
    path = REPO / ODC_BY["path"]
    if not path.is_file():
        raise BuildError(f"{path} not found: it is part of the repository")
    text = path.read_bytes()
    if sha256(text) != ODC_BY["sha256"]:
        raise BuildError(f"{path} does not match its pinned sha256 (ODC_BY in tools/build_bundle.py)")
    return text


def build_panx(shared: Shared, out: Writer) -> dict[str, Any]:
    selection = (
        f"in file order, the first sentences with {PANX_TOKENS[0]}-{PANX_TOKENS[1]} tokens whose words no"
        " earlier chosen sentence has (see panx/rows.tsv and panx/ATTRIBUTION.md)"
    )
    rows = ["split\tlang\trow\tsource_sentence"]
    per_lang: dict[str, Any] = {}
    origins = []
    for lang in PANX_LANGS:
        text, origin = shared.read(f"panx/dev-{lang}.tsv", "panx", f"xtreme_format/dev-{lang}.tsv")
        origins.append(origin)
        sentences = conll_sentences(text, f"panx/dev-{lang}.tsv")
        wanted = PANX_SPLITS if lang == "en" else [s for s in PANX_SPLITS if s[0] == "test"]
        picked, stats = panx_pick(sentences, wanted, f"panx/dev-{lang}.tsv")
        for split, chosen in picked.items():
            out.add(
                f"panx/{PANX_FILES[split].format(lang=lang)}",
                joined(line for i in chosen for line in [*sentences[i], ""]),
                "panx",
                len(chosen),
                lang=lang,
                split=split,
                sources=[origin],
                selection=selection,
            )
            rows += [f"{split}\t{lang}\t{n}\t{i}" for n, i in enumerate(chosen)]
        per_lang[lang] = {**stats, "entities": {s: _entities(sentences, c) for s, c in picked.items()}}
    out.add("panx/rows.tsv", joined(rows), "panx", len(rows) - 1, sources=origins)
    out.add(
        "panx/LICENCE-ODC-By-1.0.txt",
        odc_by_text(),
        "panx",
        sources=[{k: v for k, v in ODC_BY.items() if k != "path"}],
    )
    sizes = dict(PANX_SPLITS)
    return {
        "languages": list(PANX_LANGS),
        "train_sentences": sizes["train"],
        "validation_sentences": sizes["validation"],
        "test_sentences_per_language": sizes["test"],
        "tokens_per_sentence": list(PANX_TOKENS),
        "tags": list(NER_TAGS),
        "selection": selection,
        "per_language": per_lang,
    }


# ---- Tatoeba, SNLI, SocialIQA -------------------------------------------------------------------


def build_tatoeba(shared: Shared, out: Writer) -> dict[str, Any]:
    iso = {code: lang for lang, code in TATOEBA_CODES.items()}
    langs = []
    for code in TATOEBA:
        sides = {}
        for side in (code, "eng"):
            name = f"tatoeba.{code}-eng.{side}"
            text, origin = shared.read(f"tatoeba/{name}", "tatoeba_laser", name)
            sides[side] = (lines_of(text), origin)
        (xx, xx_origin), (en, en_origin) = sides[code], sides["eng"]
        if len(xx) != len(en) or len(xx) < TATOEBA_PAIRS or not all(xx[:TATOEBA_PAIRS] + en[:TATOEBA_PAIRS]):
            raise BuildError(f"tatoeba {code}: files not line-aligned or shorter than {TATOEBA_PAIRS} lines")
        for side, table, origin in ((code, xx, xx_origin), ("eng", en, en_origin)):
            out.add(
                f"tatoeba/tatoeba.{code}-eng.{side}",
                joined(table[:TATOEBA_PAIRS]),
                "tatoeba",
                TATOEBA_PAIRS,
                lang=iso[code],
                sources=[origin],
                selection=f"first {TATOEBA_PAIRS} of {len(table)} lines",
            )
        langs.append(iso[code])
    return {"languages": langs, "pairs_per_language": TATOEBA_PAIRS, "codes": list(TATOEBA)}


def build_english(shared: Shared, out: Writer) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for split in ("dev", "test"):
        local = f"snli_subset/snli_1.0_{split}.jsonl"
        text, origin = shared.read(f"english/{local}", "english", local)
        rows = len([line for line in lines_of(text) if line.strip()])
        out.add(f"english/{local}", text, "snli", rows, split=split, sources=[origin], selection="whole file")
        summary[f"snli_{split}"] = rows
    licence, origin = shared.read("english/siqa/LICENCE-CC-BY-4.txt", "english", "siqa/LICENCE-CC-BY-4.txt")
    out.add("english/siqa/LICENCE-CC-BY-4.txt", licence, "socialiqa", sources=[origin])
    for split in ("dev", "tst"):
        local = f"siqa/socialIQa_v1.4_{split}.jsonl"
        text, origin = shared.read(f"english/{local}", "english", local)
        rows = len([line for line in lines_of(text) if line.strip()])
        out.add(
            f"english/{local}", text, "socialiqa", rows, split=split, sources=[origin], selection="whole file"
        )
        summary[f"socialiqa_{split}"] = rows
    cc_by_sa, origin = shared.read("xquad/CC-BY-SA4.0.txt", "xquad", "CC-BY-SA4.0.txt")
    out.add("english/snli_subset/LICENCE-CC-BY-SA-4.0.txt", cc_by_sa, "snli", sources=[origin])
    return summary


# ---- CLDR dictionaries ---------------------------------------------------------------------------


def one_name(entry: Mapping[str, Any] | None) -> str | None:
    names = entry.get("tts", []) if entry else []
    return names[0] if len(names) == 1 else None


def tts_pairs(
    en: Mapping[str, Any], other: Mapping[str, Any]
) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """English tts name (lower-cased) -> the locale's tts name (its case), single word on both sides."""
    reasons = ("no_single_tts_name", "english_not_one_word", "target_not_one_word", "same_word", "duplicate")
    stats: collections.Counter[str] = collections.Counter(dict.fromkeys(reasons, 0))
    pairs: dict[tuple[str, str], None] = {}
    for emoji, entry in en.items():
        source, target = one_name(entry), one_name(other.get(emoji))
        if source is None or target is None:
            stats["no_single_tts_name"] += 1
        elif not WORD.match(source):
            stats["english_not_one_word"] += 1
        elif not WORD.match(target):
            stats["target_not_one_word"] += 1
        elif target.lower() == source.lower():
            stats["same_word"] += 1
        elif (source.lower(), target) in pairs:
            stats["duplicate"] += 1
        else:
            pairs[(source.lower(), target)] = None
    return sorted(pairs), {"emoji": len(en), **dict(sorted(stats.items())), "kept": len(pairs)}


def keyword_candidates(en: Mapping[str, Any], other: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What a ``default``-keyword rule would add: per emoji, the one keyword left on each side once
    the tts name is set aside, where both are single words. Measured, not bundled (see the README)."""
    out = set()
    for emoji, entry in en.items():
        theirs = other.get(emoji)
        if not theirs:
            continue
        mine = [k for k in entry.get("default", []) if k != one_name(entry)]
        yours = [k for k in theirs.get("default", []) if k != one_name(theirs)]
        if len(mine) == 1 == len(yours) and WORD.match(mine[0]) and WORD.match(yours[0]):
            if mine[0].lower() != yours[0].lower():
                out.add((mine[0].lower(), yours[0]))
    return sorted(out)


def muse_agreement(shared: Path, lang: str, pairs: Iterable[tuple[str, str]]) -> list[int] | None:
    """``[agree, checked]``: of the pairs whose English word the shared MUSE en-xx file lists, how many
    it translates the same way (case-insensitive). None where no MUSE file exists for ``lang``."""
    from robustx.attacks.dictionaries import FileTables, read_file

    path = FileTables((shared / "muse",)).find("en", lang)
    if path is None:
        return None
    entries, _ = read_file(path)
    checked = [(s, t) for s, t in pairs if s in entries]
    agree = sum(1 for s, t in checked if t.lower() in {x.lower() for x in entries[s]})
    return [agree, len(checked)]


def english_texts(out: Writer) -> dict[str, list[str]]:
    """The bundle's English evaluation text (PAWS-X test sentences, Tatoeba English lines)."""
    texts: dict[str, list[str]] = {"pawsx": [], "tatoeba": []}
    for name, data in sorted(out.files.items()):
        body = gzip.decompress(data) if name.endswith(".gz") else data
        if name.startswith("pawsx/test-en.tsv"):
            texts["pawsx"] += [cell for line in lines_of(body) for cell in line.split("\t")[:2]]
        elif name.startswith("tatoeba/") and name.endswith(".eng"):
            texts["tatoeba"] += lines_of(body)
    return texts


def english_coverage(
    pairs: Sequence[tuple[str, str]], lang: str, texts: Mapping[str, list[str]]
) -> dict[str, float]:
    """Share of eligible English words a dictionary translates, measured exactly as codeswitch does."""
    from robustx.attacks.codeswitch import CodeSwitch
    from robustx.attacks.dictionaries import Dictionaries, MemoryTables

    table: dict[str, list[str]] = {}
    for source, target in pairs:
        table.setdefault(source, []).append(target)
    attack = CodeSwitch(Dictionaries(MemoryTables({("en", lang): table})), langs=(lang,))
    return {name: round(attack.coverage(lines, "en")[lang], 4) for name, lines in texts.items()}


def build_muse(cldr: Cldr, shared: Path, out: Writer) -> dict[str, Any]:
    en, en_sha = cldr.annotations("en")
    texts = english_texts(out)
    stats: dict[str, Any] = {}
    agreement: dict[str, Any] = {}
    coverage: dict[str, Any] = {}
    pack_files: dict[str, Any] = {}
    for lang in (x for x in XTREME_LANGUAGES if x != "en"):
        locale = CLDR_LOCALE.get(lang, lang)
        other, other_sha = cldr.annotations(locale)
        pairs, stats[lang] = tts_pairs(en, other)
        sources = [
            {
                "kind": "cldr-annotations",
                "package": f"{CLDR['package']}@{CLDR['version']}",
                "path": f"annotations/{loc}/annotations.json",
                "sha256": sha,
                "licence": CLDR["licence"],
            }
            for loc, sha in (("en", en_sha), (locale, other_sha))
        ]
        name = out.add(
            f"muse/en-{lang}.txt",
            joined(f"{s}\t{t}" for s, t in pairs),
            "cldr",
            len(pairs),
            lang=lang,
            cldr_locale=locale,
            sources=sources,
        )
        pack_files[name.rsplit("/", 1)[-1]] = {
            "pair": f"en-{lang}",
            "pairs": len(pairs),
            "sha256": out.records[name]["sha256"],
            "sources": sources,
        }
        coverage[lang] = english_coverage(pairs, lang, texts)
        tts_agree = muse_agreement(shared, lang, pairs)
        if tts_agree is not None:
            candidates = [p for p in keyword_candidates(en, other) if p not in set(pairs)]
            agreement[lang] = {
                "tts": tts_agree,
                "default_keywords": muse_agreement(shared, lang, candidates),
                "default_candidates": len(candidates),
            }
    pack = {
        "format": "robustx-dictionary-packs/1",
        "files": pack_files,
        "note": "word pairs from Unicode CLDR emoji names (tts); see ../README.md",
    }
    out.add("muse/MANIFEST.json", _json(pack), "cldr")
    licence = cldr.read("LICENSE")
    out.add(
        "muse/LICENSE.unicode",
        licence,
        "cldr",
        sources=[
            {"package": f"{CLDR['package']}@{CLDR['version']}", "path": "LICENSE", "sha256": sha256(licence)}
        ],
    )
    english_words = sum(1 for entry in en.values() if (n := one_name(entry)) and WORD.match(n))
    return {
        "languages": sorted(stats),
        "entries": {k: v["kept"] for k, v in stats.items()},
        "english_names": len(en),
        "english_one_word_names": english_words,
        "stats": stats,
        "muse_agreement": agreement,
        "english_coverage": coverage,
        "cldr": {**CLDR, **cldr.meta},
    }


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


# ---- the whole bundle ----------------------------------------------------------------------------


def build(shared_root: Path, cldr_path: Path) -> Writer:
    shared, cldr = Shared(shared_root), Cldr(cldr_path)
    out = Writer()
    datasets = {
        "pawsx": build_pawsx(shared, out),
        "panx": build_panx(shared, out),
        "tatoeba": build_tatoeba(shared, out),
        "english": build_english(shared, out),
        "muse": build_muse(cldr, shared_root, out),
    }
    for folder, dataset in (
        ("pawsx", "pawsx"),
        ("panx", "panx"),
        ("tatoeba", "tatoeba"),
        ("english/snli_subset", "snli"),
        ("english/siqa", "socialiqa"),
        ("muse", "cldr"),
    ):
        out.add(f"{folder}/ATTRIBUTION.md", attribution(dataset, datasets).encode("utf-8"), dataset)
    out.add("README.md", readme(datasets, out.records, GZIP_OVER, BUDGET).encode("utf-8"), "bundle")
    manifest = {
        "format": FORMAT,
        "built_by": "tools/build_bundle.py",
        "inputs": {
            "shared_provenance_sha256": sha256((shared_root / "PROVENANCE.txt").read_bytes()),
            "cldr": {**CLDR, **cldr.meta},
        },
        "total_bytes": out.total(),
        "budget_bytes": BUDGET,
        "datasets": datasets,
        "files": out.records,
    }
    if out.total() > BUDGET:
        raise BuildError(f"bundle is {out.total()} bytes, over the {BUDGET} budget")
    out.files["MANIFEST.json"] = _json(manifest)
    return out


def write(files: Mapping[str, bytes], target: Path) -> None:
    """Replace ``target`` with exactly ``files`` (refuses a non-empty folder that is not a bundle)."""
    if target.exists() and any(target.iterdir()):
        manifest = target / "MANIFEST.json"
        if not manifest.is_file() or json.loads(manifest.read_text(encoding="utf-8")).get("format") != FORMAT:
            raise BuildError(f"{target} is not empty and not a robustx bundle; refusing to replace it")
        shutil.rmtree(target)
    for rel, data in sorted(files.items()):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def differences(a: Path, b: Path) -> list[str]:
    names = {str(p.relative_to(root)) for root in (a, b) for p in root.rglob("*") if p.is_file()}
    return sorted(
        n
        for n in names
        if not ((a / n).is_file() and (b / n).is_file() and filecmp.cmp(a / n, b / n, shallow=False))
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared xtreme/ folder")
    parser.add_argument("--cldr", help=f"{CLDR['package']}-{CLDR['version']}.tgz or its unpacked package/")
    parser.add_argument("--out", type=Path, default=OUT, help="bundle folder to (re)write")
    parser.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare with --out")
    args = parser.parse_args(argv)
    try:
        cldr = find_cldr(args.cldr)
        assert cldr is not None
        built = build(args.shared, cldr)
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not args.check:
        write(built.files, args.out)
        print(f"wrote {len(built.files)} files, {built.total():,} bytes, to {args.out}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write(built.files, Path(tmp))
        diff = differences(Path(tmp), args.out)
    for name in diff:
        print(f"differs: {name}", file=sys.stderr)
    print("bundle is up to date" if not diff else f"{len(diff)} files differ: rebuild and commit")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
