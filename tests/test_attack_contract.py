"""Contract of every registered model-free attack, on arbitrary Unicode (hypothesis).

No exception; same seed, same output; text outside the changed spans is byte-identical to the
input; the changed spans are consistent with the reported counts.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robustx.attacks import build_attack, list_attacks
from robustx.attacks.base import BoundAttack
from robustx.attacks.resources import ResourceMissingError
from robustx.errors import DataError
from robustx.types import Perturbed
from tests.conftest import shared_data_root

LANGS = ("en", "de", "hi", "th", "zh", "ar", "ru", "ja", "ko", "ta", "he", "my")
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80) | st.lists(
    st.sampled_from(
        ["Straße", "हिन्दी", "ภาษา", "中文", "кот", " ", ", ", "\u200d", "\u0301", "👩‍👩‍👧", "3.14"]
    ),
    max_size=12,
).map("".join)


def perturbation_specs() -> list[str]:
    """Every model-free attack at a high rate; resource-bound ones pointed at the shared resources."""
    data = shared_data_root()
    specs = []
    for info in list_attacks():
        if info.kind == "perturbation":
            names = {p.name for p in info.params}
            params = ["rate=0.6"] if "rate" in names else []
            if "dicts" in names and data is not None:
                params.append(f"dicts={data / 'muse'}")
            specs.append(info.name + (":" + ",".join(params) if params else ""))
    return specs


@functools.cache
def built(spec: str) -> BoundAttack:
    """One bound attack per spec (dictionaries compose once, not once per generated example)."""
    return build_attack(spec)


def _usable(spec: str, lang: str) -> bool:
    try:
        built(spec).check([lang])
    except (ResourceMissingError, DataError):
        return False
    return True


def assert_untouched_outside_spans(original: str, out: Perturbed) -> None:
    """The pieces between changed spans occur in the input, in order, as prefix ... suffix."""
    pieces, pos = [], 0
    for start, end in out.changed:
        assert pos <= start < end <= len(out.text)
        pieces.append(out.text[pos:start])
        pos = end
    pieces.append(out.text[pos:])
    if len(pieces) == 1:
        assert pieces[0] == original
        return
    assert original.startswith(pieces[0]) and original.endswith(pieces[-1])
    cursor = len(pieces[0])
    for piece in pieces[1:-1]:
        found = original.find(piece, cursor)
        assert found >= cursor, (piece, original)
        cursor = found + len(piece)
    assert cursor <= len(original) - len(pieces[-1])


@pytest.mark.parametrize("spec", perturbation_specs())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, lang=st.sampled_from(LANGS), seed=st.integers(0, 2**32))
def test_contract_on_arbitrary_unicode(spec: str, text: str, lang: str, seed: int) -> None:
    if not _usable(spec, lang):
        return
    attack = built(spec)
    a = attack.perturb(text, lang, random.Random(seed))
    b = attack.perturb(text, lang, random.Random(seed))
    assert a == b
    assert_untouched_outside_spans(text, a)
    assert len(a.changed) == a.units_changed <= a.units
    assert (a.text != text) == bool(a.changed)


def test_every_perturbation_is_listed_with_described_parameters() -> None:
    infos = {info.name: info for info in list_attacks()}
    assert {"none", "charnoise", "keyboard", "charswap", "diacritics", "homoglyph", "invisible"} <= set(infos)
    for info in infos.values():
        assert info.description, info.name
        for param in info.params:
            assert param.type_name


@pytest.mark.parametrize("spec", perturbation_specs())
def test_fresh_builds_give_identical_output(spec: str) -> None:
    """Determinism across processes: a newly built attack reproduces the output for the same seed."""
    text = "The quick brown fox, ही हिन्दी, ภาษาไทย 中文句子 и кот."
    for lang in ("en", "hi", "ru"):
        if _usable(spec, lang):
            assert build_attack(spec).perturb(text, lang, random.Random(7)) == built(spec).perturb(
                text, lang, random.Random(7)
            )


def rate_specs() -> list[str]:
    """Every perturbation whose ``rate`` is a fraction of eligible words (codeswitch's is a fraction of the
    *translatable* ones: tests/test_codeswitch.py checks it)."""
    return [
        f"{info.name}:rate=0.3"
        for info in list_attacks()
        if info.kind == "perturbation"
        and info.name != "codeswitch"
        and any(p.name == "rate" for p in info.params)
    ]


@pytest.mark.parametrize("spec", rate_specs())
@pytest.mark.parametrize("lang", ["en", "ru", "ar", "hi", "th"])
def test_rate_is_respected_on_real_sentences(spec: str, lang: str, xtreme_dir: Path) -> None:
    from robustx.tasks.readers import resolve_gz
    from tests.conftest import read_tsv_column

    if not _usable(spec, lang):
        pytest.skip(f"{spec} has no resource for {lang}")
    attack = built(spec)
    sentences = read_tsv_column(resolve_gz(xtreme_dir / "xnli" / f"test-{lang}.tsv"), 0, 300)
    units = changed = 0
    for i, sentence in enumerate(sentences):
        out = attack.perturb(sentence, lang, attack.rng(0, str(i), lang, "premise"))
        units += out.units
        changed += out.units_changed
    if units == 0:
        pytest.skip(f"{spec} finds no eligible words in {lang}")
    # stochastic rounding per sentence makes the count unbiased: within 4 binomial sd of 0.3 * units
    assert abs(changed - 0.3 * units) <= 4 * (units * 0.3 * 0.7) ** 0.5 + 1, (changed, units)
