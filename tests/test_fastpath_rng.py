"""The compiled path's emulation of CPython's random.Random(str), answer for answer.

Every draw the character attacks make goes through these: seeding from a str (SHA-512 of the UTF-8, the
integer as 32-bit words into init_by_array), random(), _randbelow() (rejection on bit_length), shuffle(),
and sample() in both its branches (a pool when n <= setsize, a set of drawn indices otherwise).
"""

from __future__ import annotations

import hashlib
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

_charnoise = pytest.importorskip("robustx._fast._charnoise", reason="compiled path not built")

KEYS = st.text(st.characters(codec="utf-8"), max_size=300)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=600))
def test_sha512_matches_hashlib(data: bytes) -> None:
    assert _charnoise.sha512(data) == hashlib.sha512(data).digest()


@pytest.mark.parametrize("size", [0, 1, 55, 111, 112, 127, 128, 129, 239, 240, 256, 1000])
def test_sha512_block_edges(size: int) -> None:
    data = bytes(range(256)) * 4
    assert _charnoise.sha512(data[:size]) == hashlib.sha512(data[:size]).digest()


@settings(max_examples=150, deadline=None)
@given(key=KEYS)
def test_seeding_from_a_str_gives_cpythons_state(key: str) -> None:
    assert _charnoise.rng_state(key) == random.Random(key).getstate()[1]


@pytest.mark.parametrize("key", ["", "\x00", "\x00\x00\x00\x01", "0:charswap:rate=0.3:1:en:text", "x" * 5000])
def test_seeding_edge_keys(key: str) -> None:
    """Empty and NUL keys (leading zero bytes of the integer), a key longer than the 624-word state."""
    assert _charnoise.rng_state(key) == random.Random(key).getstate()[1]


def test_a_surrogate_in_the_key_raises_like_cpython() -> None:
    with pytest.raises(UnicodeEncodeError):
        random.Random("a\ud800")
    with pytest.raises(UnicodeEncodeError):
        _charnoise.rng_state("a\ud800")


def _expected(key: str, script: list[tuple[int | str, ...]]) -> list[object]:
    r = random.Random(key)
    out: list[object] = []
    for step in script:
        if step[0] == "random":
            out.append(r.random())
        elif step[0] == "below":
            out.append(r._randbelow(int(step[1])))
        elif step[0] == "shuffle":
            pool = list(range(int(step[1])))
            r.shuffle(pool)
            out.append(pool)
        else:
            out.append(r.sample(range(int(step[1])), int(step[2])))
    return out


STEP = st.one_of(
    st.tuples(st.just("random")),
    st.tuples(st.just("below"), st.one_of(st.integers(1, 40), st.integers(1, 2**32 - 1))),
    st.tuples(st.just("shuffle"), st.integers(0, 40)),
    st.integers(0, 400).flatmap(
        lambda n: st.tuples(st.just("sample"), st.just(n), st.integers(0, min(n, 60)))
    ),
)


@settings(max_examples=200, deadline=None)
@given(key=KEYS, script=st.lists(STEP, max_size=12))
def test_draw_sequences_match_cpython(key: str, script: list[tuple[int | str, ...]]) -> None:
    assert _charnoise.draws(key, script) == _expected(key, script)


def _setsize(k: int) -> int:
    return 21 + (4 ** math.ceil(math.log(k * 3, 4)) if k > 5 else 0)


@pytest.mark.parametrize("n", [*range(0, 30), 84, 85, 86, 87, 200, 340, 341, 342, 1000, 1366, 1367, 5000])
def test_sample_every_k_both_branches(n: int) -> None:
    """All k for small n; around the setsize thresholds (k <= 5: 21; k = 6..21: 85; 22..85: 277, ...)."""
    ks = (
        range(n + 1)
        if n <= 30
        else sorted({0, 1, 5, 6, 7, 21, 22, 85, 86, n // 3, n // 2, n} & set(range(n + 1)))
    )
    for k in ks:
        key = f"sample:{n}:{k}"
        script: list[tuple[int | str, ...]] = [("sample", n, k), ("random",)]
        assert _charnoise.draws(key, script) == _expected(key, script), (n, k)
    branches = {n <= _setsize(k) for k in ks if k}
    if n in (86, 1000, 5000):
        assert branches == {True, False}  # both branches were exercised for this n


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(KEYS, min_size=1, max_size=8))
def test_keys_seeded_side_by_side_give_cpythons_states(keys: list[str]) -> None:
    """The batch path seeds up to 8 generators in SIMD lanes (robustx/_fast/rng.c, init_lanes)."""
    assert _charnoise.rng_states(keys) == [random.Random(k).getstate()[1] for k in keys]


def test_a_key_longer_than_the_state_is_seeded_beside_short_ones() -> None:
    keys = ["x" * 3000, "y", "z" * 2400, ""]
    assert _charnoise.rng_states(keys) == [random.Random(k).getstate()[1] for k in keys]


def test_state_between_draws_over_several_rounds() -> None:
    """The twist is made lazily, word by word; the state CPython would hold is the same at every point."""
    r = random.Random("abc")
    script: list[tuple[int | str, ...]] = []
    expected: list[object] = []
    for i in range(1500):
        if i % 97 == 0:
            script.append(("state",))
            expected.append(r.getstate()[1])
        else:
            script.append(("below", 1000))
            expected.append(r._randbelow(1000))
    assert _charnoise.draws("abc", script) == expected


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 1000, 2**31 + 5])
def test_choice_is_randbelow_of_the_length(n: int) -> None:
    """Random.choice(seq) is seq[_randbelow(len(seq))]: what the ops' choice() calls compile to."""
    key = f"choice:{n}"
    r = random.Random(key)
    expected = [r.choice(range(n)) for _ in range(50)]
    assert _charnoise.draws(key, [("below", n)] * 50) == expected
