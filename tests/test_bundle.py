"""The embedded data bundle (robustx/data/bundle) as users reach it: through the real loaders.

PAWS-X is laid out as XTREME's train-en / dev-en / test-<lang>: the test rows load with the default
split in every language, training reads train-en and selects on dev-en, and neither ever holds a test
item (nor its translation). PAN-X (NER) is laid out the same way: English train-en / dev-en and
test-<lang> in 14 languages, loaded by the tagging loader and the trainer, English splits sharing no
sentence. Tatoeba loads in every bundled language, codeswitch finds the CLDR dictionaries for every bundled language without any other
dictionary on the search path, the manifest's sha256s match, the bundle fits its size budget, and
tools/build_bundle.py rebuilds it byte for byte from the shared data and the CLDR npm package.
"""

from __future__ import annotations

import importlib.util
import inspect
import random
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from robustx.attacks.base import build_attack
from robustx.bundle import bundle_dir, languages, manifest, verify
from robustx.cli import evaluate as evaluate_command
from robustx.tasks import DataSource, get_task, load_examples
from robustx.tasks.classification import PAWSX_LANGS
from robustx.tasks.readers import open_text, resolve_gz
from robustx.tasks.tagging import NER_TAGS, iter_conll
from robustx.transfer.catalog import get_intermediate, get_target
from robustx.transfer.data import DataOptions, load_task_data
from robustx.transfer.spec import PairItem, TagItem

REPO = Path(__file__).resolve().parent.parent
BUNDLE = bundle_dir()
SOURCE = DataSource("dir", path=str(BUNDLE))
DATASETS: dict[str, Any] = dict(manifest()["datasets"])
ALLOWED_LICENCES = (
    "PAWS-X terms",
    "CC-BY 2.0 FR",
    "ODC-By 1.0",
    "CC BY-SA 4.0",
    "CC BY 4.0",
    "Unicode License v3",
    "see each",
)


def _bag(sentence: str) -> str:
    return " ".join(sorted(re.findall(r"\w+", sentence.lower())))


# `robustx evaluate`'s default --split (what `robustx evaluate --task pawsx --data-dir BUNDLE` reads)
DEFAULT_SPLIT: str = inspect.signature(evaluate_command).parameters["split"].default
SPLITS = {"train": "train-en.tsv", "validation": "dev-en.tsv"}  # and test: test-<lang>.tsv
PANX_LANGS = ("en", "de", "es", "fr", "ru", "el", "ar", "he", "hi", "zh", "ja", "ko", "ka", "ta")
PANX_SIZES = {"train": 1000, "validation": 200, "test": 250}


def _rows_map() -> dict[str, list[tuple[int, str]]]:
    """pawsx/rows.tsv: split -> [(row in XTREME's dev file, PAWS-X id)] in bundle row order."""
    out: dict[str, list[tuple[int, str]]] = {"train": [], "validation": [], "test": []}
    with open_text(resolve_gz(BUNDLE / "pawsx" / "rows.tsv")) as fh:
        next(fh)
        for line in fh:
            split, row, source_row, pawsx_id = line.rstrip("\n").split("\t")
            assert int(row) == len(out[split])
            out[split].append((int(source_row), pawsx_id))
    return out


def _bundle_lines(name: str) -> list[str]:
    with open_text(resolve_gz(BUNDLE / "pawsx" / name)) as fh:
        return [line.rstrip("\n") for line in fh]


# ---- integrity, size, licences -------------------------------------------------------------------


def test_manifest_sha256s_match_the_files() -> None:
    assert verify() == []
    records = manifest()["files"]
    for name, record in records.items():
        path = BUNDLE / name
        assert path.stat().st_size == record["bytes"], name
        if name.endswith(".gz"):  # the content hash is of the text a loader reads
            import gzip
            import hashlib

            assert hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest() == record["content_sha256"]
    assert manifest()["total_bytes"] == sum(r["bytes"] for r in records.values())


def test_bundle_is_under_its_size_budget_and_gzips_large_files() -> None:
    total = sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file())
    assert total < 6_000_000, f"bundle is {total:,} bytes"
    for name, record in manifest()["files"].items():
        assert name.endswith(".gz") or record["bytes"] <= 200_000, f"{name} should be gzipped"


def test_every_folder_is_attributed_and_nothing_non_commercial_is_bundled() -> None:
    records = manifest()["files"]
    folders = {name.rsplit("/", 1)[0] for name in records if "/" in name}
    for folder in folders:
        assert f"{folder}/ATTRIBUTION.md" in records, folder
    for name, record in records.items():
        assert record["licence"].startswith(ALLOWED_LICENCES), (name, record["licence"])
    assert not (BUNDLE / "xnli").exists()
    for name, record in records.items():  # the dictionaries come from CLDR only, never MUSE/FreeDict
        if name.startswith("muse/en-"):
            assert {s["kind"] for s in record["sources"]} == {"cldr-annotations"}


# ---- PAWS-X ---------------------------------------------------------------------------------------


def test_pawsx_has_xtremes_three_way_layout() -> None:
    files = {name.removesuffix(".gz") for name in manifest()["files"] if name.startswith("pawsx/")}
    tables = {name for name in files if name.endswith(".tsv") and name != "pawsx/rows.tsv"}
    assert tables == {"pawsx/train-en.tsv", "pawsx/dev-en.tsv"} | {f"pawsx/test-{x}.tsv" for x in PAWSX_LANGS}
    p, mapping = DATASETS["pawsx"], _rows_map()
    assert p["train_rows"] == len(mapping["train"]) == len(_bundle_lines("train-en.tsv"))
    assert p["validation_rows"] == len(mapping["validation"]) == len(_bundle_lines("dev-en.tsv")) >= 200
    assert p["test_rows"] == len(mapping["test"]) > 600
    assert p["train_rows"] + p["validation_rows"] == p["training_pool_rows"] >= p["train_target"]


@pytest.mark.parametrize("lang", PAWSX_LANGS)
def test_pawsx_test_rows_load_with_the_default_split(lang: str) -> None:
    task = get_task("pawsx")
    assert task.parallel  # the same ids in every language: the overall CI is a cluster bootstrap
    rows = load_examples(task, SOURCE, lang, DEFAULT_SPLIT).examples
    english = load_examples(task, SOURCE, "en", "test").examples
    n = DATASETS["pawsx"]["test_rows"]
    assert len(rows) == n == len(_rows_map()["test"])
    assert [e.id for e in rows] == [f"pawsx/test/{i:06d}" for i in range(n)]
    assert [e.label for e in rows] == [e.label for e in english]  # parallel: the same items
    assert not any(str(v).strip() == "NS" for e in rows for v in e.fields.values())


def test_pawsx_selection_set_loads_as_the_validation_split() -> None:
    rows = load_examples(get_task("pawsx"), SOURCE, "en", "validation").examples
    n = DATASETS["pawsx"]["validation_rows"]
    assert [e.id for e in rows] == [f"pawsx/validation/{i:06d}" for i in range(n)]


def test_pawsx_training_and_selection_items_never_appear_in_the_test_set() -> None:
    mapping = _rows_map()
    rows = {split: {row for row, _ in pairs} for split, pairs in mapping.items()}
    ids = {split: {i for _, i in pairs} for split, pairs in mapping.items()}
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        assert rows[a].isdisjoint(rows[b]) and ids[a].isdisjoint(ids[b]), (a, b)
    data = load_task_data(get_target("pawsx"), DataOptions(data_dir=BUNDLE))
    seen: dict[str, set[str]] = {}
    for role, items in (("train", data.train), ("dev", data.dev)):
        pairs = [item for item in items if isinstance(item, PairItem)]
        seen[role] = {key for item in pairs for s in (item.first, item.second or "") for key in (s, _bag(s))}
    assert len(data.train) == DATASETS["pawsx"]["train_rows"]
    assert len(data.dev) == DATASETS["pawsx"]["validation_rows"]  # all of it at the default --dev-size
    assert seen["train"].isdisjoint(seen["dev"])  # whole groups: selection shares no sentence with training
    # The English version of every test row (the same id in every language) shares no sentence, not even
    # a word-swapped one, with any training or selection row.
    for example in load_examples(get_task("pawsx"), SOURCE, "en", "test").examples:
        for sentence in (str(example.fields["sentence1"]), str(example.fields["sentence2"])):
            for role in ("train", "dev"):
                assert sentence not in seen[role] and _bag(sentence) not in seen[role], (role, example.id)


def test_training_reads_train_en_and_selects_on_dev_en() -> None:
    data = load_task_data(get_target("pawsx"), DataOptions(data_dir=BUNDLE))
    assert not data.stand_in
    roles = [(f["role"], f["path"], f["part"]) for f in data.source["files"]]
    assert roles == [("train", "pawsx/train-en.tsv", "all"), ("dev", "pawsx/dev-en.tsv", "head")]
    assert [(i.first, i.second) for i in data.train if isinstance(i, PairItem)] == [
        tuple(line.split("\t")[:2]) for line in _bundle_lines("train-en.tsv")
    ]
    small = load_task_data(get_target("pawsx"), DataOptions(data_dir=BUNDLE, dev_size=50))
    assert small.dev == data.dev[:50] and small.train == data.train  # the head of dev-en selects
    for name in ("snli", "socialiqa"):  # the intermediate tasks: held-out files standing in for train
        inter = load_task_data(get_intermediate(name), DataOptions(data_dir=BUNDLE, dev_size=200))
        assert inter.stand_in and len(inter.train) > 1000 and len(inter.dev) == 200


def test_pawsx_rows_are_the_shared_dev_rows(xtreme_dir: Path) -> None:
    """Each bundle row is the XTREME dev row rows.tsv names, in every language (ids stay parallel),
    and no translation of a training or selection row shares a sentence with a test row in that
    language, nor do training and selection rows share one."""
    mapping = _rows_map()
    for lang in PAWSX_LANGS:
        with open_text(resolve_gz(xtreme_dir / "pawsx" / f"dev-{lang}.tsv")) as fh:
            shared = [line.rstrip("\n") for line in fh]
        names = {"test": f"test-{lang}.tsv", **(SPLITS if lang == "en" else {})}
        for split, name in names.items():
            assert _bundle_lines(name) == [shared[row] for row, _ in mapping[split]], (lang, split)
        sentences = {
            split: {s for row, _ in pairs for s in shared[row].split("\t")[:2]} - {"NS"}
            for split, pairs in mapping.items()
        }
        for a, b in (("train", "test"), ("validation", "test"), ("train", "validation")):
            assert sentences[a].isdisjoint(sentences[b]), (
                lang,
                a,
                b,
                sorted(sentences[a] & sentences[b])[:3],
            )


# ---- PAN-X ----------------------------------------------------------------------------------------


def _panx_rows() -> dict[tuple[str, str], list[int]]:
    """panx/rows.tsv: (split, lang) -> the source sentence of each bundle sentence, in bundle order."""
    out: dict[tuple[str, str], list[int]] = {}
    with open_text(resolve_gz(BUNDLE / "panx" / "rows.tsv")) as fh:
        assert next(fh).rstrip("\n").split("\t") == ["split", "lang", "row", "source_sentence"]
        for line in fh:
            split, lang, row, source = line.rstrip("\n").split("\t")
            chosen = out.setdefault((split, lang), [])
            assert int(row) == len(chosen)
            chosen.append(int(source))
    return out


def _panx_split(lang: str, split: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(tokens, tags) of a bundle file, read with the tagging task's CoNLL reader (the evaluator has
    no train split, so train-en.tsv is read directly)."""
    name = SPLITS.get(split, f"test-{lang}.tsv") if lang == "en" else f"test-{lang}.tsv"
    return [(tuple(t), tuple(g)) for _, _, t, g in iter_conll(resolve_gz(BUNDLE / "panx" / name))]


def test_panx_has_xtremes_layout_in_14_languages() -> None:
    assert languages("panx") == PANX_LANGS
    files = {name.removesuffix(".gz") for name in manifest()["files"] if name.startswith("panx/")}
    tables = {name for name in files if name.endswith(".tsv") and name != "panx/rows.tsv"}
    assert tables == {"panx/train-en.tsv", "panx/dev-en.tsv"} | {f"panx/test-{x}.tsv" for x in PANX_LANGS}
    assert {"panx/ATTRIBUTION.md", "panx/LICENCE-ODC-By-1.0.txt", "panx/rows.tsv"} <= files
    x = DATASETS["panx"]
    assert (x["train_sentences"], x["validation_sentences"], x["test_sentences_per_language"]) == (
        PANX_SIZES["train"],
        PANX_SIZES["validation"],
        PANX_SIZES["test"],
    )
    mapping = _panx_rows()
    assert {key: len(v) for key, v in mapping.items()} == {
        ("train", "en"): 1000,
        ("validation", "en"): 200,
        **{("test", lang): 250 for lang in PANX_LANGS},
    }
    for name, record in manifest()["files"].items():
        if name.startswith("panx/"):
            assert record["licence"].startswith("ODC-By 1.0"), name
        if name.startswith("panx/test-"):
            assert record["rows"] == 250 and record["sources"][0]["path"].startswith("data/panx/dev-")


@pytest.mark.parametrize("lang", PANX_LANGS)
def test_panx_test_sentences_load_with_the_default_split(lang: str) -> None:
    task = get_task("panx")
    rows = load_examples(task, SOURCE, lang, DEFAULT_SPLIT).examples
    assert [e.id for e in rows] == [f"panx/test/{i:06d}" for i in range(PANX_SIZES["test"])]
    assert all(e.lang == lang and 3 <= len(e.fields["tokens"]) <= 40 for e in rows)
    assert {tag for e in rows for tag in e.label} <= set(NER_TAGS)
    assert sum(tag.startswith("B-") for e in rows for tag in e.label) > 100  # names to find in every language
    assert len({e.fields["tokens"] for e in rows}) == len(rows)  # no sentence twice
    assert [(e.fields["tokens"], e.label) for e in rows] == _panx_split(lang, "test")


def test_panx_training_reads_train_en_and_selects_on_dev_en() -> None:
    data = load_task_data(get_target("panx"), DataOptions(data_dir=BUNDLE))
    assert not data.stand_in  # panx/train-en.tsv is XTREME's training file name
    roles = [(f["role"], f["path"], f["part"]) for f in data.source["files"]]
    assert roles == [("train", "panx/train-en.tsv", "all"), ("dev", "panx/dev-en.tsv", "head")]
    assert len(data.train) == PANX_SIZES["train"] and len(data.dev) == PANX_SIZES["validation"]
    assert all(isinstance(i, TagItem) for i in data.train + data.dev)
    assert data.labels == NER_TAGS
    tagged = [(i.tokens, i.tags) for i in data.train if isinstance(i, TagItem)]
    assert tagged == _panx_split("en", "train")  # the trainer and the evaluator read the same sentences
    assert {t for _, tags in tagged for t in tags} == set(NER_TAGS)
    validation = load_examples(get_task("panx"), SOURCE, "en", "validation").examples
    assert [e.id for e in validation] == [f"panx/validation/{i:06d}" for i in range(PANX_SIZES["validation"])]
    assert [(i.tokens, i.tags) for i in data.dev if isinstance(i, TagItem)] == [
        (e.fields["tokens"], e.label) for e in validation
    ]


def test_panx_english_train_dev_and_test_share_no_sentence() -> None:
    words = {split: {tokens for tokens, _ in _panx_split("en", split)} for split in PANX_SIZES}
    assert {split: len(w) for split, w in words.items()} == PANX_SIZES  # no repeats inside a split
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        assert words[a].isdisjoint(words[b]), (a, b)
    mapping = _panx_rows()
    sources = [set(mapping[(split, "en")]) for split in PANX_SIZES]
    assert sum(map(len, sources)) == len(set().union(*sources))  # distinct sentences of the source file


def test_panx_sentences_are_the_shared_dev_sentences(xtreme_dir: Path) -> None:
    """Every bundle sentence is, token for token and tag for tag, the XTREME dev sentence rows.tsv
    names (loaded from the shared data as the validation split), in every language."""
    shared = DataSource("dir", path=str(xtreme_dir))
    for (split, lang), sources in _panx_rows().items():
        source = load_examples(get_task("panx"), shared, lang, "validation").examples
        expected = [(tuple(source[i].fields["tokens"]), tuple(source[i].label)) for i in sources]
        assert _panx_split(lang, split) == expected, (split, lang)
        if split != "train":  # selection is in file order: test follows validation follows train
            assert sources == sorted(sources)


# ---- Tatoeba and the dictionaries ----------------------------------------------------------------


@pytest.mark.parametrize("lang", languages("tatoeba"))
def test_tatoeba_loads_in_every_bundled_language(lang: str) -> None:
    rows = load_examples(get_task("tatoeba"), SOURCE, lang, "test").examples
    pairs = DATASETS["tatoeba"]["pairs_per_language"]
    assert len(rows) == pairs and [e.label for e in rows] == list(range(pairs))
    assert len(rows[0].meta["pool"].texts) == pairs and all(e.fields["text"] for e in rows)


@pytest.fixture
def only_bundle_dictionaries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No $ROBUSTX_DICTS, no cached packs, no $ROBUSTX_DATA: only the bundle's muse/ can serve."""
    for name in ("ROBUSTX_DICTS", "ROBUSTX_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROBUSTX_CACHE", str(tmp_path / "cache"))


@pytest.mark.usefixtures("only_bundle_dictionaries")
def test_codeswitch_finds_the_cldr_dictionaries_for_every_bundled_language() -> None:
    langs = sorted({*languages("pawsx"), *languages("panx"), *languages("tatoeba")})
    attack = build_attack("codeswitch:rate=1.0").for_data([str(BUNDLE)])
    attack.check(langs)  # every language's embedded languages: direct, inverted or composed via English
    resources = attack.resources(langs)
    assert resources is not None
    files = {f["path"] for pair in resources.values() for f in pair["files"]}
    assert files and all(Path(f).parent == BUNDLE / "muse" for f in files)
    assert all(f["origin"]["sources"] for pair in resources.values() for f in pair["files"])
    switched = attack.perturb("The dog and the cat ate an apple and a banana.", "en", random.Random(0))
    assert switched.units_changed >= 3, switched


@pytest.mark.usefixtures("only_bundle_dictionaries")
@pytest.mark.parametrize("lang", languages("muse"))
def test_every_dictionary_serves_english_and_back(lang: str) -> None:
    attack = build_attack(f"codeswitch:langs={lang}").for_data([str(BUNDLE)])
    attack.check(["en"])
    resources = attack.resources(["en"])
    assert resources is not None
    assert resources[f"en-{lang}"]["entries"] == DATASETS["muse"]["entries"][lang] >= 100
    back = build_attack("codeswitch:langs=en").for_data([str(BUNDLE)])
    back.check([lang])


# ---- reproducibility -----------------------------------------------------------------------------


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_bundle", REPO / "tools" / "build_bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_bundle", module)
    spec.loader.exec_module(module)
    return module


def test_build_is_deterministic(xtreme_dir: Path, tmp_path: Path) -> None:
    builder = _builder()
    try:
        cldr = builder.find_cldr(None)
    except builder.BuildError as err:
        pytest.skip(f"CLDR package unavailable: {err}")
    built = builder.build(xtreme_dir, cldr)
    builder.write(built.files, tmp_path / "bundle")
    assert builder.differences(tmp_path / "bundle", BUNDLE) == []
