"""A ``CharNoise`` configuration for one language, as the compiled engine takes it.

Everything the Python path derives from Unicode categories (``charops._kind``) or from resources is
derived here, in Python, once per attack and language, so the C code only looks things up: keyboard
neighbours are ``OpContext.substitutes``/``insertable`` (already filtered by kind), and homoglyph options
are filtered to the kind of their key the way ``op_homoglyph``/``can_homoglyph`` filter them on the fly.
Resources are read through ``CharNoise._resources``, so a missing layout raises exactly the error the
Python path raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from robustx.attacks.charops import APPLICABLE, _kind
from robustx.attacks.filters import stopwords
from robustx.text.scripts import canonical_lang

if TYPE_CHECKING:
    from robustx.attacks.charnoise import CharNoise

# charops op name -> the compiled op (fast.h); ops missing here (diacritic: NFD/NFC) keep the Python path.
OP_CODES = {"swap": 0, "delete": 1, "insert": 2, "substitute": 3, "homoglyph": 4, "invisible": 5}
_CACHE = "_fast_engines"  # per CharNoise instance: lang -> Engine


def supports(noise: CharNoise) -> bool:
    """Whether the compiled engine covers this configuration: a plain CharNoise (no subclass overriding
    what the engine emulates), every op compiled, at most 16 of them."""
    from robustx.attacks.charnoise import CharNoise

    return (
        type(noise) is CharNoise and 0 < len(noise.ops) <= 16 and all(name in OP_CODES for name in noise.ops)
    )


def engine_for(noise: CharNoise, lang: str) -> Any:
    """The compiled engine for ``noise`` in ``lang`` (built once per instance and language)."""
    cache: dict[str, Any] = vars(noise).setdefault(_CACHE, {})
    if lang not in cache:
        cache[lang] = _build(noise, lang)
    return cache[lang]


def _build(noise: CharNoise, lang: str) -> Any:
    from robustx._fast import _charnoise  # type: ignore[attr-defined]

    ctx, _ = noise._resources(lang)
    code = canonical_lang(lang)
    stops = stopwords(lang) if noise.skip_stopwords else frozenset()
    return _charnoise.Engine(
        ops=tuple(OP_CODES[name] for name in noise.ops),
        rate=float(noise.rate),
        edits=int(noise.edits),
        min_len=int(noise.min_len),
        keep_digits=bool(noise.keep_digits),
        keep_entities=bool(noise.keep_entities),
        stops=stops or None,
        has_neighbours=bool(ctx.neighbours),
        homoglyph_only=all(name in APPLICABLE for name in noise.ops),
        substitutes=_plain(ctx.substitutes),
        insertable=_plain(ctx.insertable),
        homoglyphs=_same_kind(ctx.homoglyphs),
        invisibles=tuple(ctx.invisibles),
        code=code,
    )


def _plain(table: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(options) for key, options in table.items()}


def _same_kind(table: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Single-character keys and their options of the key's kind (what op_homoglyph keeps), non-empty."""
    out: dict[str, tuple[str, ...]] = {}
    for key, options in table.items():
        if len(key) != 1:
            continue
        kind = _kind(key)
        kept = tuple(o for o in options if _kind(o) == kind)
        if kept:
            out[key] = kept
    return out
