"""Contract of every searchable attack in adversarial mode, on real XNLI rows in several scripts.

The victim is a deterministic fake (a hash of the input decides the probabilities), so any change of
text is a new, reproducible answer. For every attack × search method: ids, languages and gold labels
are preserved in order; the query budget is never exceeded; already-wrong examples are skipped with one
query; success means the recorded attacked prediction is wrong; the records' probabilities are the
victim's for the recorded text; text outside the changed spans is untouched; and the result does not
depend on which examples share a batch, their order, or a rebuilt attack.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from robustx.attacks import build_attack, list_attacks
from robustx.attacks.base import BoundAttack
from robustx.attacks.resources import ResourceMissingError
from robustx.attacks.search.classify import adversarial_columns
from robustx.errors import DataError
from robustx.tasks import DataSource, get_task, load_examples
from robustx.types import Example, Perturbed
from tests.conftest import shared_data_root
from tests.test_attack_contract import assert_untouched_outside_spans

LANGS = ("en", "de", "ru", "hi", "zh")
BUDGET = 30
XNLI = get_task("xnli")


class HashVictim:
    """Probabilities from the sha256 of the input pair; counts what it was asked."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, first: Sequence[str], second: Sequence[str] | None = None) -> np.ndarray:
        self.calls.append(len(first))
        pairs = zip(first, second if second is not None else [""] * len(first), strict=True)
        return np.stack([self.probs(a, b) for a, b in pairs]) if first else np.zeros((0, 3))

    @staticmethod
    def probs(a: str, b: str) -> np.ndarray:
        digest = hashlib.sha256(f"{a}\x00{b}".encode()).digest()
        z = np.frombuffer(digest[:12], dtype=np.uint32).astype(np.float64) / 2**32 * 4.0
        e = np.exp(z - z.max())
        return (e / e.sum()).astype(np.float32)


def adversarial_specs() -> list[str]:
    data = shared_data_root()
    specs = []
    for info in list_attacks():
        if not info.searchable:
            continue
        extra = f",dicts={data / 'muse'}" if info.name == "codeswitch" and data is not None else ""
        specs.append(f"{info.name}:search=greedy,budget={BUDGET}{extra}")
    specs.append("charnoise:search=beam,beam=3,budget=25")
    if data is not None:  # PolyGloss-like: several embedded languages in one sentence
        specs.append(f"codeswitch:search=beam,beam=2,budget=40,langs=de+es+fr+hi,dicts={data / 'muse'}")
    return specs


@functools.cache
def examples(lang: str) -> tuple[Example, ...]:
    root = shared_data_root()
    if root is None:
        pytest.skip("real XTREME data not found")
    return tuple(load_examples(XNLI, DataSource("dir", str(root)), lang, "test", 16).examples)


def usable_langs(attack: BoundAttack) -> list[str]:
    out = []
    for lang in LANGS:
        try:
            attack.check([lang])
        except (ResourceMissingError, DataError):
            continue
        out.append(lang)
    return out


def columns(spec: str, batch: Sequence[Example]) -> dict[str, list[Any]]:
    attack = build_attack(spec)
    if "codeswitch" in spec and shared_data_root() is not None:
        attack = attack.for_data([str(shared_data_root())])
    return adversarial_columns(
        XNLI.labels, XNLI.text_fields, batch, attack, 0, HashVictim(), lambda p, n: None
    )


@pytest.mark.parametrize("spec", adversarial_specs())
def test_adversarial_contract(spec: str) -> None:
    attack = build_attack(spec)
    langs = usable_langs(attack)
    if not langs:
        pytest.skip(f"{spec}: no resources for {LANGS}")
    batch = [ex for lang in langs for ex in examples(lang)]
    cols = columns(spec, batch)
    assert cols["example_id"] == [ex.id for ex in batch]
    assert cols["lang"] == [ex.lang for ex in batch]
    assert cols["gold"] == [ex.label for ex in batch]
    budget = attack.search.budget if attack.search else 0
    for k, ex in enumerate(batch):
        status, queries = cols["status"][k], cols["queries"][k]
        assert 1 <= queries <= budget
        assert (status == "skipped") == (not cols["correct_clean"][k])
        if status == "skipped":
            assert queries == 1 and cols["text_attacked"][k] == cols["text_clean"][k]
        assert (status == "success") == (cols["correct_clean"][k] and not cols["correct_attacked"][k])
        attacked = json.loads(cols["text_attacked"][k])
        expected = HashVictim.probs(attacked["premise"], attacked["hypothesis"])
        assert np.allclose(cols["probs_attacked"][k], expected, atol=1e-6)
        spans = json.loads(cols["changed_spans"][k])
        for field in XNLI.text_fields:
            out = Perturbed(attacked[field], tuple(tuple(s) for s in spans[field]))  # type: ignore[misc]
            assert_untouched_outside_spans(ex.fields[field], out)
        assert cols["units_changed"][k] == sum(len(s) for s in spans.values())
        assert cols["units_changed"][k] <= max(1, int(0.4 * cols["units"][k] + 1e-9))
    assert any(s != "skipped" for s in cols["status"])


@pytest.mark.parametrize("spec", adversarial_specs()[:1] + adversarial_specs()[-2:])
def test_result_does_not_depend_on_batching(spec: str) -> None:
    attack = build_attack(spec)
    langs = usable_langs(attack)
    if not langs:
        pytest.skip(f"{spec}: no resources for {LANGS}")
    batch = [ex for lang in langs for ex in examples(lang)]
    whole = columns(spec, batch)
    half = len(batch) // 2
    parts = [columns(spec, list(reversed(batch[half:]))), columns(spec, batch[:half])]
    rows = {
        (cols["example_id"][k], cols["lang"][k]): {c: cols[c][k] for c in cols}
        for cols in parts
        for k in range(len(cols["lang"]))
    }
    for k in range(len(batch)):
        assert rows[(whole["example_id"][k], whole["lang"][k])] == {c: whole[c][k] for c in whole}


def test_adversarial_records_need_a_model(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from robustx.cli import app

    src = tmp_path / "in.txt"
    src.write_text("The quick brown fox jumps.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["perturb", "-a", "charnoise:search=greedy", "-l", "en", str(src)])
    assert result.exit_code == 2
    assert "model in the loop" in result.output
