"""Loaders: the XTREME download layout, the hub code path (on a local mirror), and local files."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from robustx.errors import DataError, SpecError
from robustx.tasks import DataSource, get_task, load_examples, resolve_languages

MIRROR_README = """---
configs:
- config_name: XNLI
  data_files:
  - split: test
    path: XNLI/test-*.parquet
- config_name: PAWS-X.de
  data_files:
  - split: test
    path: PAWS-X.de/test-*.parquet
---
"""


def _dir_examples(xtreme_dir: Path, lang: str, n: int = 20) -> list:
    return load_examples(get_task("xnli"), DataSource("dir", path=str(xtreme_dir)), lang, "test", n).examples


def test_xtreme_dir_reads_plain_and_gz_with_parallel_ids(xtreme_dir: Path) -> None:
    de = _dir_examples(xtreme_dir, "de")  # test-de.tsv
    th = _dir_examples(xtreme_dir, "th")  # test-th.tsv.gz
    assert [e.id for e in de] == [e.id for e in th] == [f"xnli/test/{i:06d}" for i in range(20)]
    assert [e.label for e in de] == [e.label for e in th]  # XNLI rows are parallel across languages
    assert de[0].fields["premise"].startswith("Nun, daran dachte ich nicht einmal")
    assert all(e.lang == "th" and e.task == "xnli" for e in th)


def test_gz_is_read_transparently(tmp_path: Path, xtreme_dir: Path) -> None:
    (tmp_path / "xnli").mkdir()
    raw = (xtreme_dir / "xnli" / "test-de.tsv").read_bytes()
    (tmp_path / "xnli" / "test-de.tsv.gz").write_bytes(gzip.compress(raw))
    got = load_examples(get_task("xnli"), DataSource("dir", path=str(tmp_path)), "de", "test", 20).examples
    assert got == _dir_examples(xtreme_dir, "de")


def test_hub_code_path_on_local_mirror_matches_dir(tmp_path: Path, xtreme_dir: Path, monkeypatch) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    mirror = tmp_path / "xtreme-mirror"
    (mirror / "XNLI").mkdir(parents=True)
    (mirror / "README.md").write_text(MIRROR_README)
    rows = []
    for lang in ("de", "hi"):
        for ex in _dir_examples(xtreme_dir, lang):
            rows.append(
                {
                    "language": lang,
                    "sentence1": ex.fields["premise"],
                    "sentence2": ex.fields["hypothesis"],
                    "gold_label": ex.label,
                }
            )
    pq.write_table(pa.Table.from_pylist(rows), mirror / "XNLI" / "test-00000.parquet")
    source = DataSource("hub", path=str(mirror), dataset="google/xtreme")
    for lang in ("de", "hi"):
        got = load_examples(get_task("xnli"), source, lang, "test", None)
        assert got.examples == _dir_examples(xtreme_dir, lang)
        assert got.source["config"] == "XNLI"


def test_hub_pawsx_string_labels_on_mirror(tmp_path: Path, monkeypatch) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    mirror = tmp_path / "m"
    (mirror / "PAWS-X.de").mkdir(parents=True)
    (mirror / "README.md").write_text(MIRROR_README.replace("XNLI", "unused"))
    (mirror / "unused").mkdir()
    pq.write_table(pa.table({"x": [1]}), mirror / "unused" / "test-00000.parquet")
    table = pa.table({"sentence1": ["a b", "c d"], "sentence2": ["b a", "d c"], "label": ["1", "0"]})
    pq.write_table(table, mirror / "PAWS-X.de" / "test-00000.parquet")
    got = load_examples(get_task("pawsx"), DataSource("hub", path=str(mirror)), "de", "test").examples
    assert [e.label for e in got] == ["1", "0"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv", "parquet", "jsonl.gz"])
def test_local_file_with_column_mapping_matches_dir(tmp_path: Path, xtreme_dir: Path, fmt: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    expected = _dir_examples(xtreme_dir, "hi")
    rows = [
        {"p": e.fields["premise"], "h": e.fields["hypothesis"], "y": e.label, "lang": "hi"} for e in expected
    ]
    rows.insert(3, {"p": "other", "h": "language", "y": "neutral", "lang": "de"})
    path = tmp_path / f"data.{fmt}"
    if fmt.startswith("jsonl"):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        path.write_bytes(gzip.compress(text.encode()) if fmt.endswith(".gz") else text.encode())
    elif fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        import csv

        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(
                fh,
                fieldnames=list(rows[0]),
                delimiter="\t" if fmt == "tsv" else ",",
                quoting=csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL,
                escapechar="\\",
            )
            writer.writeheader()
            writer.writerows(rows)
    source = DataSource("file", path=str(path), columns="premise=p,hypothesis=h,label=y")
    got = load_examples(get_task("xnli"), source, "hi", "test").examples
    assert got == expected


def test_pawsx_headered_file_keeps_source_ids(xtreme_dir: Path) -> None:
    path = xtreme_dir / "pawsx" / "hf_labeled" / "test-de.tsv"
    got = load_examples(get_task("pawsx"), DataSource("file", path=str(path)), "de", "test", 5).examples
    assert got[0].id == "pawsx/test/10" and got[0].label == "1"


def test_wrong_column_count_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "xnli").mkdir()
    (tmp_path / "xnli" / "test-de.tsv").write_text("a\tb\tneutral\nonly two\tcolumns\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"test-de.tsv:2: expected 3 tab-separated columns"):
        load_examples(get_task("xnli"), DataSource("dir", path=str(tmp_path)), "de", "test")


def test_unknown_label_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "xnli").mkdir()
    (tmp_path / "xnli" / "test-de.tsv").write_text("a\tb\tneutral\nc\td\tmaybe\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"test-de.tsv:2: unknown label 'maybe'"):
        load_examples(get_task("xnli"), DataSource("dir", path=str(tmp_path)), "de", "test")


def test_missing_file_and_empty_dataset_are_clear(tmp_path: Path, xtreme_dir: Path) -> None:
    with pytest.raises(DataError, match="has no xnli/test-sw.tsv"):
        load_examples(get_task("xnli"), DataSource("dir", path=str(tmp_path)), "sw", "test")
    empty = tmp_path / "e.jsonl"
    empty.write_text(json.dumps({"premise": "a", "hypothesis": "b", "label": "neutral", "lang": "de"}) + "\n")
    with pytest.raises(DataError, match="no xnli examples for language hi"):
        load_examples(get_task("xnli"), DataSource("file", path=str(empty)), "hi", "test")
    shutil.rmtree(tmp_path)
    with pytest.raises(DataError, match="data dir not found"):
        load_examples(get_task("xnli"), DataSource("dir", path=str(tmp_path)), "de", "test")


def test_unknown_task_and_language_suggest() -> None:
    with pytest.raises(SpecError, match="did you mean 'xnli'"):
        get_task("xnlii")
    with pytest.raises(SpecError, match="did you mean 'de'"):
        resolve_languages(get_task("xnli"), ["de", "dd"])
    assert resolve_languages(get_task("pawsx"), None) == ["de", "en", "es", "fr", "ja", "ko", "zh"]
