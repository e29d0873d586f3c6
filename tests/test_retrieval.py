"""Retrieval (Tatoeba, BUCC): scoring against literal ports of XTREME/LASER, loaders on real data, the
English side never perturbed, encoders used directly (no head), end to end with recomputable records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from robustx.cli import app
from robustx.errors import DataError, SpecError
from robustx.scoring.mining import best_threshold, knn, mine, normalize, search
from robustx.tasks import DataSource, get_task, load_examples
from robustx.tasks.retrieval import limit_set
from tests.family_models import cli_args, only_run, tagging_corpus

runner = CliRunner()


def _laser_mine(x: np.ndarray, y: np.ndarray, k: int) -> dict[int, tuple[int, float]]:
    """LASER / XTREME ``mine_bitext(mode=mine, retrieval=max, margin=ratio)``, transcribed loop by loop."""
    sim = x @ y.T
    x2y = np.sort(sim, axis=1)[:, ::-1][:, :k].mean(axis=1)
    y2x = np.sort(sim.T, axis=1)[:, ::-1][:, :k].mean(axis=1)

    def score(i: int, j: int) -> float:
        return float(sim[i, j] / ((x2y[i] + y2x[j]) / 2))

    fwd = [
        max(((score(i, j), j) for j in np.argsort(-sim[i], kind="stable")[:k]), key=lambda t: t[0])
        for i in range(len(x))
    ]
    bwd = [
        max(((score(i, j), i) for i in np.argsort(-sim[:, j], kind="stable")[:k]), key=lambda t: t[0])
        for j in range(len(y))
    ]
    cands = [(s, i, j) for i, (s, j) in enumerate(fwd)] + [(s, i, j) for j, (s, i) in enumerate(bwd)]
    order = sorted(range(len(cands)), key=lambda c: -cands[c][0])
    seen_s, seen_t, out = set(), set(), {}
    for c in order:
        s, i, j = cands[c]
        if i not in seen_s and j not in seen_t:
            seen_s.add(i)
            seen_t.add(j)
            out[i] = (j, s)
    return out


def _laser_threshold(items: list[tuple[float, bool]], n_gold: int) -> float:
    """LASER's ``bucc_optimize``, verbatim in logic."""
    items = sorted(items, key=lambda t: -t[0])
    nextract = ncorrect = 0
    threshold, best_f1 = 0.0, 0.0
    for i in range(len(items)):
        nextract += 1
        ncorrect += items[i][1]
        if ncorrect > 0:
            p, r = ncorrect / nextract, ncorrect / n_gold
            f1 = 2 * p * r / (p + r)
            if f1 > best_f1:
                best_f1 = f1
                threshold = (items[i][0] + items[i + 1][0]) / 2
    return threshold


def test_mining_matches_the_laser_reference_on_random_embeddings() -> None:
    rng = np.random.default_rng(0)
    for n, m in ((30, 50), (60, 40)):
        x, y = normalize(rng.normal(size=(n, 8))), normalize(rng.normal(size=(m, 8)))
        got, ref = mine(x, y, k=4), _laser_mine(x, y, 4)
        assert {i: int(t) for i, t in enumerate(got.target) if t >= 0} == {i: j for i, (j, _) in ref.items()}
        for i, (_, s) in ref.items():
            assert got.score[i] == pytest.approx(s, rel=1e-5)
    scores = rng.normal(size=40)
    correct = rng.random(40) < 0.4
    assert best_threshold(scores, correct, 25) == pytest.approx(
        _laser_threshold(list(zip(scores, correct, strict=True)), 25)
    )


def test_search_top1_rank_and_ties_hand_computed() -> None:
    y = normalize(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
    x = normalize(np.array([[1.0, 0.1], [0.1, 1.0], [1.0, 0.0]]))
    res = search(x, y, np.array([2, 1, 0]))
    assert res.pred.tolist() == [0, 1, 0]  # ties go to the lower index
    assert res.gold_rank.tolist() == [2, 1, 1]  # query 0: target 2 ties target 0, which comes first
    sims, idx = knn(x, y, 2)
    assert idx.tolist() == [[0, 2], [1, 0], [0, 2]]
    # ratio margin on the full matrix: cos / mean of the two k=1 neighbourhood means
    res_m = search(x, y, np.array([0, 1, 2]), "margin", k=1)
    sim = x @ y.T
    margin = sim / ((sim.max(axis=1)[:, None] + sim.max(axis=0)[None, :]) / 2)
    assert res_m.pred.tolist() == margin.argmax(axis=1).tolist()


def test_tatoeba_and_bucc_loaders_on_real_data(xtreme_dir: Path) -> None:
    src = DataSource("dir", path=str(xtreme_dir))
    zh = load_examples(get_task("tatoeba"), src, "zh", "test", 5)  # tatoeba.cmn-eng.*
    pool = zh.examples[0].meta["pool"]
    assert len(pool.texts) == 1000 and [e.label for e in zh.examples] == [0, 1, 2, 3, 4]
    de = load_examples(get_task("tatoeba"), src, "de", "test").examples
    assert de[0].fields["text"].startswith("Maria sagte") and de[0].meta["pool"].texts[0].startswith(
        "Mary said"
    )
    bucc = load_examples(get_task("bucc"), src, "zh", "validation").examples
    mining = bucc[0].meta["set"]
    assert len(bucc) == 8624 and len(mining.pool.ids) == 13589 and sum(len(e.label) for e in bucc) == 257
    assert (
        bucc[56].id == "bucc/validation/zh-000000057" and mining.pool.ids[bucc[56].label[0]] == "en-000008530"
    )
    with pytest.raises(DataError, match=r"de-en\.dev\.de not found .*only de-en\.dev\.gold is there"):
        load_examples(get_task("bucc"), src, "de", "validation")
    with pytest.raises(SpecError, match="only a test split"):
        load_examples(get_task("tatoeba"), src, "de", "validation")


def test_bucc_limit_keeps_gold_partners_and_the_distractor_ratio(xtreme_dir: Path) -> None:
    full = (
        load_examples(get_task("bucc"), DataSource("dir", path=str(xtreme_dir)), "zh", "validation")
        .examples[0]
        .meta["set"]
    )
    small = limit_set(full, 200)
    assert small.ids == full.ids[:200] and sum(map(len, small.gold)) == sum(map(len, full.gold[:200])) > 0
    for old, new in zip(full.gold[:200], small.gold, strict=True):
        assert [full.pool.ids[g] for g in old] == [small.pool.ids[g] for g in new]
    assert len(small.pool.ids) == pytest.approx(200 * 13589 / 8624, abs=len(small.gold) + 1)


def test_hub_mirror_pairs_in_either_direction(tmp_path: Path, xtreme_dir: Path, monkeypatch) -> None:
    import pyarrow as pa

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    de = load_examples(
        get_task("tatoeba"), DataSource("dir", path=str(xtreme_dir)), "de", "test", 20
    ).examples
    pool = de[0].meta["pool"].texts[:20]
    rows = [
        {
            "source_sentence": e.fields["text"],
            "target_sentence": t,
            "source_lang": "deu",
            "target_lang": "eng",
        }
        for e, t in zip(de, pool, strict=True)
    ]
    bucc = [
        {
            "source_sentence": r["target_sentence"],
            "target_sentence": r["source_sentence"],
            "source_lang": "en",
            "target_lang": "de",
        }
        for r in rows
    ]
    mirror = tmp_path / "xtreme"
    for config, split, table in (("tatoeba.deu", "validation", rows), ("bucc18.de", "validation", bucc)):
        (mirror / config).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(table), mirror / config / f"{split}-00000.parquet")
    (mirror / "README.md").write_text(
        "---\nconfigs:\n"
        + "".join(
            f"- config_name: {c}\n  data_files:\n  - split: validation\n    path: {c}/validation-*.parquet\n"
            for c in ("tatoeba.deu", "bucc18.de")
        )
        + "---\n"
    )
    hub = DataSource("hub", path=str(mirror))
    got = load_examples(get_task("tatoeba"), hub, "de", "test").examples
    assert [e.fields["text"] for e in got] == [e.fields["text"] for e in de] and got[0].meta[
        "pool"
    ].texts == pool
    mined = load_examples(get_task("bucc"), hub, "de", "validation")
    assert [e.fields["text"] for e in mined.examples] == [
        e.fields["text"] for e in de
    ] and "no distractors" in mined.source["note"]


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> Path:
    from robustx.models.tiny_heads import build_tiny_encoder

    return build_tiny_encoder(tmp_path_factory.mktemp("enc") / "tiny-encoder", tagging_corpus(xtreme_dir))


def test_encoder_layer_pooling_truncation_and_batching(tiny_encoder: Path) -> None:
    import torch

    from robustx.models.encoder import default_layer, load_encoder

    assert (default_layer(12), default_layer(24), default_layer(4)) == (7, 14, 2)
    texts = ["Maria sagte nichts.", "हिन्दी में", "我們試試看！", "Maria sagte nichts."]
    full = load_encoder(str(tiny_encoder), 2, "cpu", truncate=False)
    cut = load_encoder(str(tiny_encoder), 2, "cpu", batch_size=1)
    assert len(cut.model.encoder.layer) == 2 and len(full.model.encoder.layer) == 4
    enc = full.tokenizer(texts[:1], return_tensors="pt")
    with torch.inference_mode():
        hidden = full.model(**enc, output_hidden_states=True).hidden_states[2][0].mean(dim=0).numpy()
    vectors = full.encode(texts)
    assert np.allclose(vectors[0], hidden / np.linalg.norm(hidden), atol=1e-5)
    assert np.allclose(cut.encode(texts), vectors, atol=1e-5) and np.array_equal(vectors[0], vectors[3])
    with pytest.raises(Exception, match="layer 9 does not exist"):
        load_encoder(str(tiny_encoder), 9, "cpu")


def _records(run: Path) -> tuple[list[dict], dict]:
    return pq.read_table(run / "records.parquet").to_pylist(), json.loads((run / "metrics.json").read_text())


def test_tatoeba_end_to_end_english_untouched(
    tiny_encoder: Path, tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    for model, langs in ((tiny_encoder, "de,th"), (tiny_xnli_model, "de")):  # a classifier's head is ignored
        out = tmp_path / model.name
        attack = "charnoise:rate=0.1"
        result = runner.invoke(
            app,
            cli_args(
                model,
                "tatoeba:layer=-1",
                xtreme_dir,
                out,
                "--langs",
                langs,
                "--limit",
                "30",
                "--attack",
                attack,
            ),
        )
        assert result.exit_code == 0, result.output
        run = only_run(out)
        assert run.parent.parent.name == "tatoeba@layer=-1"
        records, metrics = _records(run)
        config = json.loads((run / "config.json").read_text())
        assert config["model_info"]["layer"] == (4 if model == tiny_encoder else 2)  # -1 = the last layer
        for lang in langs.split(","):
            rows = [r for r in records if r["lang"] == lang]
            pool = (
                load_examples(get_task("tatoeba"), DataSource("dir", path=str(xtreme_dir)), lang, "test", 1)
                .examples[0]
                .meta["pool"]
            )
            assert len(rows) == 30 and {r["pred_attacked"] for r in rows} <= set(
                pool.ids
            )  # full English pool
            assert metrics["languages"][lang]["attacked"] == pytest.approx(
                np.mean([r["pred_attacked"] == r["gold"] for r in rows])
            )
            for r in rows:
                assert (r["gold_rank_clean"] == 1) == r["correct_clean"]
                assert set(json.loads(r["text_attacked"])) == {
                    "text"
                }  # only the query side is ever stored changed
                if r["status"] == "unchanged":
                    assert r["pred_attacked"] == r["pred_clean"] and r["score_attacked"] == r["score_clean"]
        assert any(r["status"] == "perturbed" for r in records) and any(
            r["status"] == "unchanged" for r in records
        )


def _bucc_layout(xtreme_dir: Path, root: Path) -> Path:
    """BUCC de-en dev and test in XTREME's layout from real Tatoeba text: German sources, English
    distractors, and for 20 sources an 'English' line identical to them (gold: found by any encoder)."""
    de = (xtreme_dir / "tatoeba" / "tatoeba.deu-eng.deu").read_text(encoding="utf-8").splitlines()
    en = (xtreme_dir / "tatoeba" / "tatoeba.deu-eng.eng").read_text(encoding="utf-8").splitlines()
    folder = root / "bucc2018"
    folder.mkdir(parents=True)
    for split, offset in (("dev", 0), ("test", 300)):
        src = de[offset : offset + 50]
        trg = en[offset + 500 : offset + 600] + src[:20]
        (folder / f"de-en.{split}.de").write_text(
            "".join(f"de-{i:09d}\t{t}\n" for i, t in enumerate(src)), encoding="utf-8"
        )
        (folder / f"de-en.{split}.en").write_text(
            "".join(f"en-{i:09d}\t{t}\n" for i, t in enumerate(trg)), encoding="utf-8"
        )
        (folder / f"de-en.{split}.gold").write_text(
            "".join(f"de-{i:09d}\ten-{100 + i:09d}\n" for i in range(20))
        )
    return root


def test_bucc_end_to_end_threshold_frozen_from_clean_dev(
    tiny_encoder: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    from robustx.stats import corpus_f1

    data = _bucc_layout(xtreme_dir, tmp_path / "data")
    scores = {}
    for attack in ("none", "charnoise:rate=1.0,min_len=1"):
        out = tmp_path / attack[:4]
        result = runner.invoke(
            app, cli_args(tiny_encoder, "bucc", data, out, "--langs", "de", "--attack", attack)
        )
        assert result.exit_code == 0, result.output
        run = only_run(out)
        records, metrics = _records(run)
        assert any(
            "de-en.dev.gold" in f for f in json.loads((run / "config.json").read_text())["data"]["files"]
        )
        assert len(records) == 50 and len({r["threshold"] for r in records}) == 1
        threshold = records[0]["threshold"]
        for side in ("clean", "attacked"):
            pairs = {(r["example_id"], r[f"pred_{side}"]) for r in records if r[f"pred_{side}"]}
            gold = {(r["example_id"], g) for r in records for g in r["gold"]}
            tp = len(pairs & gold)
            assert metrics["languages"]["de"][side] == pytest.approx(
                corpus_f1(tp, len(pairs) - tp, len(gold) - tp)
            )
            assert all(r[f"score_{side}"] >= threshold for r in records if r[f"pred_{side}"])
        assert metrics["languages"]["de"]["threshold"] == pytest.approx(threshold)
        scores[attack] = metrics["languages"]["de"]
    clean, attacked = scores["none"], scores["charnoise:rate=1.0,min_len=1"]
    # most identical copies are mined, even by a random encoder
    assert clean["clean"] == attacked["clean"] >= 0.7
    assert attacked["attacked"] < attacked["clean"] and clean["threshold"] == attacked["threshold"]


def test_task_variants_name_their_runs_and_reject_unknown_options() -> None:
    variant = get_task("tatoeba:scoring=margin,layer=12")
    assert variant.name == "tatoeba:layer=12,scoring=margin" and variant.options["layer"] == 12
    assert get_task("bucc:k=4").name == "bucc"  # the default: same task, same run directory
    with pytest.raises(SpecError, match="did you mean 'layer'"):
        get_task("tatoeba:layr=3")
    with pytest.raises(SpecError, match="no options to set"):
        get_task("xnli:layer=3")
    with pytest.raises(SpecError, match="expected cosine or margin"):
        get_task("tatoeba:scoring=dot")
