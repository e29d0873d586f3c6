"""`robustx check --candidate CHECKPOINT`: the candidate is evaluated on exactly the baseline's examples
and perturbations, then gated: exit 0 for an unchanged checkpoint, 1 for one whose robustness was
damaged (JUnit lists the failing cell), 2 when the inputs cannot be the same.

The robust baseline is a tiny model built and trained here, on real English XNLI rows and on their
perturbed versions, so that within seconds of CPU it is accurate on those rows both clean and
attacked (a random or clean-only model has nothing to lose under attack). The damaged candidate is
that checkpoint with the embedding rows of the sub-word pieces that occur only in perturbed text
overwritten by rows of other pieces, the damage a botched vocabulary resize or a tokenizer/weights
mismatch does to rare pieces. Clean inputs never use those rows, so its clean predictions are
identical to the last bit: only a robustness check can catch it, which is what the gate is for.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pyarrow.parquet as pq
import pytest

from tests.test_check import check, junit_cases, one_line_error
from tests.test_report_evaluate import cli

LIMIT = 160
ATTACK = "charnoise:rate=0.3"
LABELS = ("entailment", "neutral", "contradiction")


def evaluate(model: Path, data: Path, out: Path, langs: str = "en", limit: int = LIMIT) -> Path:
    code, output = cli(
        "evaluate", "--model", str(model), "--task", "xnli", "--data-dir", str(data), "--out", str(out),
        "--langs", langs, "--limit", str(limit), "--attack", ATTACK, "--quiet",
    )  # fmt: skip
    assert code == 0, output
    (records,) = out.rglob("records.parquet")
    return records.parent


def texts(run: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], list[str]]:
    table = pq.read_table(
        run / "records.parquet", columns=["text_clean", "text_attacked", "gold"]
    ).to_pydict()
    clean = [json.loads(t) for t in table["text_clean"]]
    return clean, [json.loads(t) for t in table["text_attacked"]], list(table["gold"])


def train_tiny(out: Path, pairs: list[tuple[str, str, str]], steps: int = 300) -> Path:
    """A tiny XLM-R classifier trained (seeded, one thread) on ``pairs`` of (premise, hypothesis, label)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from robustx.models.tiny import build_tiny_classifier

    corpus = [p for p, _, _ in pairs] + [h for _, h, _ in pairs]
    build_tiny_classifier(out, corpus, LABELS, seed=0, hidden=64, vocab_size=2000, init_range=0.05)
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForSequenceClassification.from_pretrained(out)
    enc = tokenizer([p for p, _, _ in pairs], [h for _, h, _ in pairs], truncation=True, max_length=128,
                    padding=True, return_tensors="pt")  # fmt: skip
    gold = torch.tensor([LABELS.index(label) for _, _, label in pairs])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
        draw = torch.Generator().manual_seed(0)
        model.train()
        for _ in range(steps):
            idx = torch.randint(0, len(pairs), (32,), generator=draw)
            width = int(enc.attention_mask[idx].sum(1).max())
            logits = model(
                input_ids=enc.input_ids[idx, :width], attention_mask=enc.attention_mask[idx, :width]
            ).logits
            loss = torch.nn.functional.cross_entropy(logits, gold[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(out)
    return out


def damage_rare_pieces(
    src: Path, dst: Path, clean: list[dict[str, str]], attacked: list[dict[str, str]]
) -> int:
    """Copy ``src`` with the rows of pieces only the perturbed inputs use overwritten; returns how many."""
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoTokenizer

    shutil.copytree(src, dst)
    tokenizer = AutoTokenizer.from_pretrained(src)

    def ids(fields: list[dict[str, str]]) -> set[int]:
        enc = tokenizer([f["premise"] for f in fields], [f["hypothesis"] for f in fields])
        return {i for row in enc["input_ids"] for i in row}

    used = sorted(ids(clean))
    only = sorted(ids(attacked) - set(used))
    weights = load_file(src / "model.safetensors")
    (name,) = [k for k in weights if k.endswith("word_embeddings.weight")]
    rows = weights[name].clone()
    pick = torch.randint(0, len(used), (len(only),), generator=torch.Generator().manual_seed(0))
    rows[only] = rows[torch.tensor(used)[pick]]
    weights[name] = rows
    save_file(weights, dst / "model.safetensors", metadata={"format": "pt"})
    return len(only)


@pytest.fixture(scope="module")
def baseline(
    tiny_xnli_model: Path, xtreme_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gate-ckpt")
    clean, attacked, gold = texts(evaluate(tiny_xnli_model, xtreme_dir, root / "perturbed"))
    rows = [(c["premise"], c["hypothesis"], g) for c, g in zip(clean + attacked, gold + gold, strict=True)]
    model = train_tiny(root / "robust", rows)
    run = evaluate(model, xtreme_dir, root / "base-runs")
    snap = root / "baselines" / "xnli-charnoise.snapshot"
    code, output = check("--baseline", str(root / "base-runs"), "--snapshot", str(snap))
    assert code == 0, output
    damaged = root / "damaged"
    assert damage_rare_pieces(model, damaged, clean, attacked) > 50
    return {"root": root, "model": model, "run": run, "snapshot": snap, "damaged": damaged}


def metrics(run: Path) -> dict[str, float]:
    return dict(json.loads((run / "metrics.json").read_text())["overall"])


@pytest.mark.slow
def test_unchanged_checkpoint_passes_and_damaged_robustness_fails(
    baseline: dict[str, Path], tmp_path: Path
) -> None:
    base = metrics(baseline["run"])
    assert base["clean"] > 0.8 and base["attacked"] > 0.8  # accurate, and robust on these rows
    same = tmp_path / "same-weights"  # a byte copy at another path: the same content hash
    shutil.copytree(baseline["model"], same)
    snap, out = str(baseline["snapshot"]), str(tmp_path / "check")
    code, output = check(
        "--baseline", snap, "--candidate", str(same), "--out", out, "--junit", str(tmp_path / "same.xml")
    )
    assert code == 0, output
    assert output.splitlines()[-1].startswith("PASS") and not any(junit_cases(tmp_path / "same.xml").values())
    code, output = check(
        "--baseline", snap, "--candidate", str(baseline["damaged"]), "--out", out, "--junit", str(tmp_path / "j.xml"),
        "--json", str(tmp_path / "r.json"), "--quiet",
    )  # fmt: skip
    assert code == 1, output
    assert junit_cases(tmp_path / "j.xml") == {f"xnli.{_canonical()}.seed0/en": True}
    assert ET.parse(tmp_path / "j.xml").getroot().get("failures") == "1"
    (cell,) = json.loads((tmp_path / "r.json").read_text())["cells"]
    assert cell["delta"] > 0.05 and cell["ci_low"] > 0 and cell["p_holm"] < 1e-3
    (run,) = [r.parent for r in (tmp_path / "check").rglob("records.parquet") if "damaged" in r.parts]
    damaged = metrics(run)
    assert damaged["clean"] == base["clean"] and damaged["attacked"] < base["attacked"]  # clean untouched
    assert cell["drop_candidate"] == pytest.approx(damaged["drop"])


def _canonical() -> str:
    from robustx.attacks.base import build_attack

    return build_attack(ATTACK).canonical


@pytest.mark.slow
def test_a_recheck_reuses_the_candidates_finished_runs(baseline: dict[str, Path], tmp_path: Path) -> None:
    snap = tmp_path / "baseline.snapshot"
    shutil.copy(baseline["snapshot"], snap)
    args = (
        "--baseline",
        str(snap),
        "--candidate",
        str(baseline["model"]),
        "--out",
        str(tmp_path / "runs"),
        "--quiet",
    )
    assert check(*args)[0] == 0
    (records,) = (tmp_path / "runs").rglob("records.parquet")
    stamp = records.stat().st_mtime_ns
    code, output = check(*args, "--update-baseline")
    assert code == 0 and "wrote snapshot" in output, output
    assert records.stat().st_mtime_ns == stamp  # not evaluated again


def copy_xnli(src: Path, dst: Path, edit_row: int | None = None) -> Path:
    """``dst/xnli/test-en.tsv`` from the real file; ``edit_row`` gets one word of its premise changed."""
    lines = (src / "xnli" / "test-en.tsv").read_text(encoding="utf-8").splitlines(keepends=True)[: LIMIT + 5]
    if edit_row is not None:
        premise, rest = lines[edit_row].split("\t", 1)
        lines[edit_row] = premise + " indeed\t" + rest
    (dst / "xnli").mkdir(parents=True)
    (dst / "xnli" / "test-en.tsv").write_text("".join(lines), encoding="utf-8")
    return dst


def test_the_baselines_data_must_be_found_and_be_the_same(
    tiny_xnli_model: Path, xtreme_dir: Path, tmp_path: Path
) -> None:
    data = copy_xnli(xtreme_dir, tmp_path / "data")
    evaluate(tiny_xnli_model, data, tmp_path / "base", limit=20)
    snap = tmp_path / "base.snapshot"
    assert check("--baseline", str(tmp_path / "base"), "--snapshot", str(snap))[0] == 0
    data.rename(tmp_path / "moved")
    args = (
        "--baseline",
        str(snap),
        "--candidate",
        str(tiny_xnli_model),
        "--out",
        str(tmp_path / "check"),
        "--quiet",
    )
    one_line_error(*check(*args), "does not exist on this machine; pass --data-dir")
    code, output = check(*args, "--data-dir", str(tmp_path / "moved"))
    assert code == 0, output
    edited = copy_xnli(xtreme_dir, tmp_path / "edited", edit_row=7)
    one_line_error(
        *check(*args, "--data-dir", str(edited)),
        "clean inputs differ for 1 examples (e.g. en:xnli/test/000007)",
    )
