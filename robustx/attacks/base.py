"""Attack registry, binding of specs, and the per-example RNG.

An attack factory is a plain function with typed keyword parameters that returns a perturbation
``(text, lang, rng) -> Perturbed``. The spec ``charnoise:rate=0.2`` binds to those parameters;
the canonical spec (every parameter, sorted) names the run directory and seeds every example.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from robustx.errors import SpecError
from robustx.registry import Registry
from robustx.specs import Param, bind, canonical, factory_params, parse_spec
from robustx.types import Perturbed

if TYPE_CHECKING:
    from robustx.attacks.search.options import SearchOptions


class Perturbation(Protocol):
    def __call__(self, text: str, lang: str, rng: random.Random) -> Perturbed: ...


Factory = Callable[..., Perturbation]


@dataclass(frozen=True)
class AttackInfo:
    """A registered attack: its factory and a one-line description for ``robustx attacks``."""

    name: str
    factory: Factory
    description: str
    kind: str = "perturbation"  # 'perturbation' (model-free, seeded) or 'adversarial'
    searchable: bool = False  # also an adversarial attack with search=greedy|beam (robustx.attacks.search)

    @property
    def params(self) -> list[Param]:
        return factory_params(self.factory)


ATTACKS: Registry[AttackInfo] = Registry("attack")


def register_attack(
    name: str, kind: str = "perturbation", searchable: bool = False
) -> Callable[[Factory], Factory]:
    """Decorator: register ``factory`` under ``name``; its docstring's first line describes it.

    ``searchable``: the perturbation also offers word candidates (``eligible_words``/``candidates``),
    so ``name:search=greedy|beam,...`` runs it as a model-in-the-loop attack."""

    def decorator(factory: Factory) -> Factory:
        doc = inspect.getdoc(factory) or ""
        if searchable:
            from robustx.attacks.search.options import SEARCH_NAMES

            clash = SEARCH_NAMES & {p.name for p in factory_params(factory)}
            if clash:
                raise ValueError(f"attack '{name}' parameters {sorted(clash)} clash with search parameters")
        ATTACKS.add(name, AttackInfo(name, factory, doc.splitlines()[0] if doc else "", kind, searchable))
        return factory

    return decorator


@dataclass(frozen=True)
class BoundAttack:
    """An attack with its parameters bound: ``canonical`` is its stable identity.

    An adversarial attack (``search`` set) has no model-free output: ``perturb`` then raises, and
    ``source`` holds the transformation the search draws its candidates from."""

    name: str
    params: dict[str, Any]
    canonical: str
    perturb: Perturbation
    search: SearchOptions | None = None
    source: Any = None

    @property
    def _target(self) -> Any:
        return self.source if self.source is not None else self.perturb

    def check(self, langs: list[str]) -> None:
        """Raise early if the attack lacks a resource for one of ``langs`` (before any model work)."""
        check = getattr(self._target, "check", None)
        if check is not None:
            for lang in langs:
                check(lang)

    def for_data(self, data_dirs: list[str]) -> BoundAttack:
        """The attack also finding its resources under the run's data dirs (e.g. ``muse/`` dictionaries)."""
        rebind = getattr(self._target, "with_data_dirs", None)
        if rebind is None or not data_dirs:
            return self
        if self.search is not None:
            return replace(self, source=rebind(data_dirs))
        return replace(self, perturb=rebind(data_dirs))

    def resources(self, langs: list[str]) -> dict[str, Any] | None:
        """Files (with sha256) the attack reads for ``langs``, for the run's config; None if it reads none."""
        manifest = getattr(self._target, "manifest", None)
        return dict(manifest(langs)) if manifest is not None else None

    def coverage(self, texts: list[str], lang: str) -> dict[str, float] | None:
        """For resource-bound attacks: the fraction of words their resources cover, per resource."""
        measure = getattr(self._target, "coverage", None)
        return dict(measure(texts, lang)) if measure is not None else None

    def rng(self, seed: int, example_id: str, lang: str, field: str) -> random.Random:
        """One RNG per example and field: output never depends on batch, order or workers."""
        return random.Random(f"{seed}:{self.canonical}:{example_id}:{lang}:{field}")


def build_attack(spec_text: str) -> BoundAttack:
    """Resolve ``name:key=value,...`` through the registry (unknown names: did-you-mean)."""
    _load_builtin_attacks()
    spec = parse_spec(spec_text)
    info = ATTACKS.get(spec.name)
    if not info.searchable:
        kwargs = bind("attack", info.factory, spec)
        return BoundAttack(info.name, kwargs, canonical(info.name, kwargs), info.factory(**kwargs))
    from robustx.attacks.search.options import bind_search, split_search

    own, search_spec = split_search(spec, [p.name for p in info.params])
    kwargs = bind("attack", info.factory, own)
    options = bind_search(search_spec)
    transform = info.factory(**kwargs)
    if options is None:
        return BoundAttack(info.name, kwargs, canonical(info.name, kwargs), transform)
    name = canonical(info.name, {**kwargs, **options.named()})
    return BoundAttack(
        info.name, {**kwargs, **options.params()}, name, _NeedsVictim(name), options, transform
    )


@dataclass(frozen=True)
class _NeedsVictim:
    """The ``perturb`` of an adversarial attack: there is no output without a model to attack."""

    spec: str

    def __call__(self, text: str, lang: str, rng: random.Random) -> Perturbed:
        raise SpecError(
            f"{self.spec} searches with a model in the loop; use it with robustx evaluate "
            "(classification tasks), or drop search= for the model-free perturbation"
        )


def list_attacks() -> list[AttackInfo]:
    _load_builtin_attacks()
    return [ATTACKS.get(name) for name in ATTACKS.names()]


def _load_builtin_attacks() -> None:
    """Import the modules whose decorators fill the registry (cheap; no I/O at import)."""
    from robustx.attacks import charnoise, codeswitch, identity, wordsub  # noqa: F401
