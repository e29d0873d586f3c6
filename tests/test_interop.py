"""Wrapping other tools' augmenters as robustx perturbations: span recovery, seeding, registration, and
the real nlpaug / TextAttack where their venvs exist (benchmarks/setup_peers.sh)."""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from robustx.attacks import build_attack
from robustx.attacks.base import ATTACKS
from robustx.attacks.interop import External, diff, register_perturbation
from tests.test_attack_contract import assert_untouched_outside_spans

REPO = Path(__file__).resolve().parent.parent
TEXT = "Don't stop the quick brown fox, it jumps."


@pytest.mark.parametrize(
    ("new", "spans"),
    [
        ("Don't stop the quack brown fox, it jumps.", ((15, 20),)),  # one word replaced
        ("Don't stop the brown fox, it jumps.", ((15, 20),)),  # 'quick ' deleted: next word marked
        ("Don ' t stop the quick brown fox, it jumps.", ((0, 7),)),  # a tokenizer's rewrite is a change
        ("Don't stop the very quick brown fox, it jumps.", ((14, 19),)),  # an inserted word and its space
        ("Don't stop the quick brown fox, it jumps!", ((40, 41),)),  # punctuation
    ],
)
def test_diff_marks_every_rewritten_run(new: str, spans: tuple[tuple[int, int], ...]) -> None:
    out = diff(TEXT, new, "en")
    assert out.text == new and out.changed == spans and out.units_changed == len(spans)
    assert_untouched_outside_spans(TEXT, out)


def test_diff_on_scripts_without_spaces_and_with_marks() -> None:
    out = diff("राम ने घर खरीदा", "राम ने मकान खरीदा", "hi")
    assert out.changed == ((7, 11),) and out.units == 4
    assert diff("ภาษาไทยง่าย", "ภาษาไทยง่าย", "th").changed == ()


def shuffling_augmenter(text: str) -> str:
    """Stands in for a random augmenter: draws from the global RNG as nlpaug and TextAttack do."""
    words = text.split(" ")
    i = random.randrange(len(words))
    words[i] = words[i][::-1]
    return " ".join(words)


@pytest.fixture
def registered() -> Iterator[str]:
    name = "test-reverse-word"
    register_perturbation(name, External(shuffling_augmenter, "test"))
    yield name
    ATTACKS._items.pop(name)  # the registry has no removal API; keep other tests' view unchanged


def test_registered_augmenter_is_seeded_per_example(registered: str) -> None:
    attack = build_attack(registered)
    outputs = set()
    for seed in range(12):
        a = attack.perturb(TEXT, "en", attack.rng(seed, "x/1", "en", "premise"))
        random.seed(99)  # global state in between must not matter
        b = attack.perturb(TEXT, "en", attack.rng(seed, "x/1", "en", "premise"))
        assert a == b
        assert_untouched_outside_spans(TEXT, a)
        outputs.add(a.text)
    assert len(outputs) > 3


def test_empty_output_keeps_the_input() -> None:
    out = External(lambda text: "", "empty")(TEXT, "en", random.Random(0))
    assert out.text == TEXT and not out.changed


PEER_CHECK = """
import random
from robustx.attacks.interop import {factory}
{setup}
p = {factory}({make})
text = "Don't stop the quick brown fox, it jumps over the lazy dog."
a, b = p(text, "en", random.Random(3)), p(text, "en", random.Random(3))
assert a == b, (a, b)
assert a.text != text and a.changed, a
pieces, pos = [], 0
for s, e in a.changed:
    pieces.append(a.text[pos:s]); pos = e
pieces.append(a.text[pos:])
assert text.startswith(pieces[0]) and text.endswith(pieces[-1]), (text, a)
print("ok", a.text)
"""


@pytest.mark.parametrize(
    ("venv", "factory", "setup", "make"),
    [
        (
            ".venv-nlpaug",
            "from_nlpaug",
            "import nlpaug.augmenter.char as nac",
            "nac.KeyboardAug(aug_word_p=0.5)",
        ),
        (
            "textattack_venv",
            "from_textattack",
            "from textattack.transformations import WordSwapNeighboringCharacterSwap",
            "WordSwapNeighboringCharacterSwap()",
        ),
    ],
)
def test_real_peer_augmenters(venv: str, factory: str, setup: str, make: str) -> None:
    python = REPO / "benchmarks" / venv / "bin" / "python"
    if not python.is_file():
        pytest.skip(f"benchmarks/{venv} not set up (bash benchmarks/setup_peers.sh)")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TA_CACHE_DIR": str(REPO / "benchmarks" / "textattack_venv" / "textattack_cache"),
    }
    code = PEER_CHECK.format(factory=factory, setup=setup, make=make)
    done = subprocess.run([str(python), "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok ")
