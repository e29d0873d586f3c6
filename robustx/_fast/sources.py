"""Which Python code the compiled path emulates, and the digest of it that the differential tests verified.

The C code in this folder re-implements ``robustx.text.segment``, ``robustx.text.wordseg``,
``robustx.attacks.charops``, ``robustx.attacks.words``, ``robustx.attacks.filters`` and the parts of
``robustx.attacks.charnoise`` listed below. If any of them changes, the compiled path may no longer give
the Python path's bytes, so it turns itself off (``robustx._fast.status()`` says why) until someone runs
the differential tests and records the new digest:

    .venv/bin/python -m pytest -q tests/test_fastpath.py tests/test_fastpath_rng.py
    .venv/bin/python -m robustx._fast.sources --update
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import sys
from pathlib import Path

# sha256 of the emulated sources (see digest()), as last verified by tests/test_fastpath*.py.
VERIFIED = "5315a0d5d33a52b6734af225213363e93d9f4c2071645dadd5a6fa46f054c0ea"

_HERE = Path(__file__).resolve()


def _parts() -> list[bytes]:
    from robustx.attacks import charnoise, charops, filters, words
    from robustx.text import segment, wordseg

    files = [Path(m.__file__ or "").read_bytes() for m in (segment, wordseg, charops, words, filters)]
    noise = charnoise.CharNoise
    functions = (noise.__call__, noise._edit, noise._resources, noise._neighbours, charnoise._applicable)
    return files + [inspect.getsource(f).encode() for f in functions]


def digest() -> str:
    """sha256 over the emulated files and functions, in a fixed order."""
    h = hashlib.sha256()
    for part in _parts():
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def verified() -> bool:
    return digest() == VERIFIED


def _update() -> None:
    text = _HERE.read_text(encoding="utf-8")
    old = f'VERIFIED = "{VERIFIED}"'
    if old not in text:
        raise SystemExit(f"cannot find {old!r} in {_HERE}")
    _HERE.write_text(text.replace(old, f'VERIFIED = "{digest()}"'), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="digest of the Python code the compiled path emulates")
    ap.add_argument("--update", action="store_true", help="record the current digest as verified")
    args = ap.parse_args(argv)
    if args.update:
        _update()
        print(f"recorded {digest()}")
        return 0
    now = digest()
    print(f"{now} ({'verified' if now == VERIFIED else 'NOT verified: ' + VERIFIED})")
    return 0 if now == VERIFIED else 1


if __name__ == "__main__":
    sys.exit(main())
