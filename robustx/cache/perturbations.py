"""Perturbations cached per shard, shared by every checkpoint that sees the same examples.

A model-free perturbation is a pure function of (attack code and canonical spec, resource files,
text, language, RNG). The store key of a shard holds the first two and the examples (id, language,
fields, label: :func:`examples_digest`) with the seed; inside it each ``perturb`` call is keyed by
its text, language and the *state* of the RNG it is given. ``BoundAttack.rng`` seeds that RNG
from exactly ``seed:spec:example id:language:field``, so the state stands for those (and covers
families that draw several RNGs per example, as QA does for each context stretch). Every caller
draws a fresh RNG per call, so serving a result without advancing the RNG changes nothing.

The compiled batch path (robustx._fast) is bypassed while the cache is on, so every perturbation
goes through it; adversarial attacks (``search=``) depend on the model and are never cached.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from robustx.attacks.base import BoundAttack, Perturbation
from robustx.cache.cas import ContentStore, digest
from robustx.types import Example, Perturbed

NAMESPACE = "perturb"
SUFFIX = ".json.gz"
# Libraries whose behaviour an attack's output depends on (graphemes, word segmentation, stopwords).
_LIBRARIES = ("regex", "pythainlp", "rjieba", "fugashi", "unidic-lite", "nlpo3", "stopwordsiso")


def examples_digest(examples: Sequence[Example]) -> str:
    """Identity of a slice of examples: ids, languages, fields and labels, in order."""
    return digest(*[(ex.id, ex.lang, dict(ex.fields), ex.label) for ex in examples])


@functools.cache
def code_digest() -> str:
    """sha256 of the attack code (robustx/attacks, robustx/text, families/apply.py) and library versions."""
    from importlib.metadata import PackageNotFoundError, version

    root = Path(__file__).resolve().parent.parent
    files = sorted([*(root / "attacks").rglob("*.py"), *(root / "text").rglob("*.py")])
    files.append(root / "families" / "apply.py")
    h = hashlib.sha256()
    for path in files:
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib}=={version(lib)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{lib}: absent\0".encode())
    return h.hexdigest()


def _rng_digest(rng: random.Random) -> str:
    return hashlib.blake2b(repr(rng.getstate()).encode(), digest_size=16).hexdigest()


@dataclass
class PerturbationMemo:
    """One shard's perturbations: read once from the store, written back if any were computed."""

    store: ContentStore
    key: str
    entries: dict[str, list[Any]] = field(default_factory=dict)
    served: int = 0
    computed: int = 0

    def save(self) -> None:
        if self.computed:
            blob = json.dumps({"v": 1, "entries": self.entries}, ensure_ascii=False, sort_keys=True)
            self.store.put(NAMESPACE, self.key, SUFFIX, gzip.compress(blob.encode(), mtime=0))


@dataclass(frozen=True)
class CachingPerturbation:
    """``(text, lang, rng) -> Perturbed`` answered from the memo, else computed and remembered."""

    inner: Perturbation
    memo: PerturbationMemo

    def __call__(self, text: str, lang: str, rng: random.Random) -> Perturbed:
        key = digest(text, lang, _rng_digest(rng))
        hit = self.memo.entries.get(key)
        if hit is not None:
            self.memo.served += 1
            return Perturbed(hit[0], tuple((int(a), int(b)) for a, b in hit[1]), int(hit[2]), int(hit[3]))
        result = self.inner(text, lang, rng)
        self.memo.entries[key] = [
            result.text,
            [list(span) for span in result.changed],
            result.units,
            result.units_changed,
        ]
        self.memo.computed += 1
        return result

    def __getattr__(self, name: str) -> Any:
        # check/manifest/coverage/... of the wrapped attack; not the compiled batch engine.
        if name in ("inner", "memo", "fast_engine") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.inner, name)


def shard_key(attack: BoundAttack, seed: int, family: str, lang: str, examples_key: str) -> str:
    resources = attack.resources([lang])
    return digest("perturb/v1", code_digest(), attack.canonical, resources, seed, family, lang, examples_key)


def cached_attack(
    store: ContentStore, attack: BoundAttack, seed: int, family: str, lang: str, examples_key: str
) -> tuple[BoundAttack, PerturbationMemo | None]:
    """The attack with its perturbations served from / recorded into the store (None: not cacheable)."""
    if attack.search is not None or attack.name == "none":  # model in the loop / nothing to compute
        return attack, None
    memo = PerturbationMemo(store, shard_key(attack, seed, family, lang, examples_key))
    data = store.get(NAMESPACE, memo.key, SUFFIX)
    if data is not None:
        memo.entries = dict(json.loads(gzip.decompress(data))["entries"])
    return replace(attack, perturb=CachingPerturbation(attack.perturb, memo)), memo
