"""The compiled path's Unicode tables and the guards that keep it off where it could differ.

tables.h is generated from the installed ``regex`` (tools/gen_fast_tables.py); robustx._fast runs only with
that ``regex`` version and only while the Python code it emulates is the code the differential tests
verified (robustx/_fast/sources.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import regex

from robustx import _fast
from robustx._fast import sources

_charnoise = pytest.importorskip("robustx._fast._charnoise", reason="compiled path not built")
REPO = Path(__file__).resolve().parent.parent
P_START, P_CONT = 1 << 7, 1 << 8


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_fast_tables", REPO / "tools" / "gen_fast_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tables_are_what_the_installed_regex_matches() -> None:
    if _charnoise.REGEX_VERSION != regex.__version__:
        assert not _fast.status()[0]  # the compiled path stays off; the tables need regenerating
        pytest.skip(f"tables.h is for regex {_charnoise.REGEX_VERSION}, {regex.__version__} is installed")
    props = _generator().scan()
    compiled = _charnoise.props()
    got = [compiled[2 * cp] | compiled[2 * cp + 1] << 8 for cp in range(0x110000)]
    differing = [hex(cp) for cp in range(0x110000) if got[cp] != props[cp]]
    assert not differing, (
        f"{len(differing)} code points differ, e.g. {differing[:5]}: rerun tools/gen_fast_tables.py"
    )


def test_word_starts_are_word_continuations() -> None:
    """text.c relies on _START being a subset of _CONT (a word's end is where _CONT stops)."""
    compiled = _charnoise.props()
    for cp in range(0x110000):
        v = compiled[2 * cp] | compiled[2 * cp + 1] << 8
        assert not (v & P_START) or v & P_CONT, hex(cp)


def test_emulated_python_code_is_the_verified_code() -> None:
    assert sources.verified(), (
        "the Python code robustx._fast emulates changed, so the compiled path is off: run "
        "tests/test_fastpath.py and tests/test_fastpath_rng.py, then `python -m robustx._fast.sources --update`"
    )


def test_status_says_the_compiled_path_runs() -> None:
    _fast.status.cache_clear()
    if _charnoise.REGEX_VERSION == regex.__version__ and sources.verified():
        assert _fast.status() == (True, f"compiled (regex {regex.__version__} tables)")


def test_the_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTX_FAST", "0")
    _fast.status.cache_clear()
    try:
        assert _fast.status() == (False, "disabled by ROBUSTX_FAST=0")
        from robustx.attacks.base import build_attack

        assert _fast.perturb_many(build_attack("charswap"), 0, [("hello world", "en", "1", "text")]) is None
    finally:
        monkeypatch.delenv("ROBUSTX_FAST")
        _fast.status.cache_clear()
