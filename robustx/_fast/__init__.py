"""Compiled fast path for the model-free character attacks, byte-identical to the Python path.

``robustx perturb`` (robustx.perturb_io) and ``robustx.records.perturb_examples`` hand whole batches to
``perturb_many``; it answers with exactly what ``attack.perturb(text, lang, attack.rng(...))`` gives for
each request, or None, and the caller then runs the Python path. None is answered when:

- the C extension ``robustx._fast._charnoise`` is not built (``make install`` builds it where a C compiler
  is present; the package works without it), or ``ROBUSTX_FAST=0`` is set;
- the installed ``regex`` is not the version ``tables.h`` was generated from (its Unicode data may differ);
- the Python code the C code emulates changed since the differential tests last verified it (sources.py);
- CPython's ``random`` does not answer the startup self-check the way the emulation does;
- the attack is not a ``CharNoise`` with ops the engine covers (diacritics stay in Python), or a
  request is not a str, or anything at all raises: the Python path then reproduces the error in order.

``status()`` says which. What the C code emulates: random.Random seeded from a str (SHA-512 + MT19937,
``random``, ``_randbelow``, ``shuffle``, ``sample`` in both branches), regex's ``\\X``, segment.tokenize
(both paths, segmenters called back in Python for spaceless scripts), the word filter and the ops.
"""

from __future__ import annotations

import functools
import logging
import os
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from robustx.attacks.base import BoundAttack

__all__ = ["Request", "perturb_lines", "perturb_many", "status"]

log = logging.getLogger(__name__)

# (text, lang, example id, field): the arguments of attack.perturb(text, lang, attack.rng(seed, id, lang, field))
Request = tuple[str, str, str, str]
# With spans: (text, changed spans, units, units_changed), the fields of Perturbed; else the text alone.
Result = Any


@functools.cache
def status() -> tuple[bool, str]:
    """(whether the compiled path runs, why not / what it is)."""
    if os.environ.get("ROBUSTX_FAST", "1") == "0":
        return False, "disabled by ROBUSTX_FAST=0"
    try:
        from robustx._fast import _charnoise  # type: ignore[attr-defined]
    except ImportError as err:
        return False, f"not built ({err}); `make install` builds it where a C compiler is present"
    import regex

    if regex.__version__ != _charnoise.REGEX_VERSION:
        return False, (
            f"tables.h is for regex {_charnoise.REGEX_VERSION}, regex {regex.__version__} is installed; "
            "run tools/gen_fast_tables.py and rebuild"
        )
    if not _rng_agrees(_charnoise):
        return False, "CPython's random does not match the emulation in this interpreter"
    from robustx._fast import sources

    if not sources.verified():
        return (
            False,
            "the Python code it emulates changed since it was verified (see robustx/_fast/sources.py)",
        )
    return True, f"compiled (regex {regex.__version__} tables)"


def enabled() -> bool:
    return status()[0]


def _rng_agrees(module: Any) -> bool:
    """A few answers of random.Random(str) against the emulation (both sample branches, shuffle)."""
    script = [("random",), ("below", 1000), ("shuffle", 7), ("sample", 12, 3), ("sample", 400, 7)]
    for key in ("0:charswap:1:en:text", "\u00e9\u0928\u0e01:" * 40):
        r = random.Random(key)
        pool = list(range(7))
        r2 = [r.random(), r._randbelow(1000)]  # type: ignore[attr-defined]
        r.shuffle(pool)
        expected = [*r2, pool, r.sample(range(12), 3), r.sample(range(400), 7)]
        if module.draws(key, script) != expected:
            return False
    return True


def perturb_many(
    attack: BoundAttack, seed: int, requests: Sequence[Request], spans: bool = True
) -> list[Result] | None:
    """Every request perturbed as the Python path perturbs it, in order; None: run the Python path."""
    engine_of = getattr(attack.perturb, "fast_engine", None)
    if engine_of is None or not requests or not enabled():
        return None
    try:
        return _run(attack, seed, requests, spans, engine_of)
    except Exception as err:  # the Python path then raises (or not) exactly as it always does
        log.debug("compiled path declined a batch of %d (%s: %s)", len(requests), type(err).__name__, err)
        return None


def perturb_lines(
    attack: BoundAttack, seed: int, lang: str, lines: Sequence[str], first: int
) -> list[str] | None:
    """``robustx perturb`` on text lines numbered ``first``, ``first + 1``, ... (field "text"): each line
    perturbed without its trailing newline, which is put back; None: run the Python path."""
    engine_of = getattr(attack.perturb, "fast_engine", None)
    if engine_of is None or not lines or not enabled():
        return None
    try:
        engine = engine_of(lang)
        prefix, suffix = f"{seed}:{attack.canonical}:", f":{lang}:text"
        if engine is None or not _same_key(
            attack, seed, str(first), lang, "text", f"{prefix}{first}{suffix}"
        ):
            return None
        from robustx.text import wordseg

        texts: list[str] = engine.run(
            lines, prefix, first, suffix, False, wordseg._backend, wordseg.segment_word, lines=True
        )
        return texts
    except Exception as err:  # the Python path then raises (or not) exactly as it always does
        log.debug("compiled path declined %d lines (%s: %s)", len(lines), type(err).__name__, err)
        return None


def _run(
    attack: BoundAttack, seed: int, requests: Sequence[Request], spans: bool, engine_of: Any
) -> list[Result] | None:
    from robustx.text import wordseg

    groups: dict[tuple[str, str], list[int]] = {}
    for i, (_, lang, _, field) in enumerate(requests):
        groups.setdefault((lang, field), []).append(i)
    out: list[Result] = [None] * len(requests)
    prefix = f"{seed}:{attack.canonical}:"
    for (lang, field), members in groups.items():
        engine = engine_of(lang)
        if engine is None:
            return None
        ids = [requests[i][2] for i in members]
        suffix = f":{lang}:{field}"
        if not _same_key(attack, seed, ids[0], lang, field, prefix + ids[0] + suffix):
            return None
        texts = [requests[i][0] for i in members]
        results = engine.run(texts, prefix, ids, suffix, spans, wordseg._backend, wordseg.segment_word)
        for i, result in zip(members, results, strict=True):
            out[i] = result
    return out


def _same_key(attack: BoundAttack, seed: int, example_id: str, lang: str, field: str, key: str) -> bool:
    """BoundAttack.rng still seeds from the key built here (one draw from each, per batch group)."""
    return attack.rng(seed, example_id, lang, field).random() == random.Random(key).random()
