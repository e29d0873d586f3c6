"""Attack registry, binding of specs, and the per-example RNG.

An attack factory is a plain function with typed keyword parameters that returns a perturbation
``(text, lang, rng) -> Perturbed``. The spec ``charnoise:rate=0.2`` binds to those parameters;
the canonical spec (every parameter, sorted) names the run directory and seeds every example.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from robustx.registry import Registry
from robustx.specs import Param, bind, canonical, factory_params, parse_spec
from robustx.types import Perturbed


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

    @property
    def params(self) -> list[Param]:
        return factory_params(self.factory)


ATTACKS: Registry[AttackInfo] = Registry("attack")


def register_attack(name: str, kind: str = "perturbation") -> Callable[[Factory], Factory]:
    """Decorator: register ``factory`` under ``name``; its docstring's first line describes it."""

    def decorator(factory: Factory) -> Factory:
        doc = inspect.getdoc(factory) or ""
        ATTACKS.add(name, AttackInfo(name, factory, doc.splitlines()[0] if doc else "", kind))
        return factory

    return decorator


@dataclass(frozen=True)
class BoundAttack:
    """An attack with its parameters bound: ``canonical`` is its stable identity."""

    name: str
    params: dict[str, Any]
    canonical: str
    perturb: Perturbation

    def check(self, langs: list[str]) -> None:
        """Raise early if the attack lacks a resource for one of ``langs`` (before any model work)."""
        check = getattr(self.perturb, "check", None)
        if check is not None:
            for lang in langs:
                check(lang)

    def for_data(self, data_dirs: list[str]) -> BoundAttack:
        """The attack also finding its resources under the run's data dirs (e.g. ``muse/`` dictionaries)."""
        rebind = getattr(self.perturb, "with_data_dirs", None)
        if rebind is None or not data_dirs:
            return self
        return BoundAttack(self.name, self.params, self.canonical, rebind(data_dirs))

    def resources(self, langs: list[str]) -> dict[str, Any] | None:
        """Files (with sha256) the attack reads for ``langs``, for the run's config; None if it reads none."""
        manifest = getattr(self.perturb, "manifest", None)
        return dict(manifest(langs)) if manifest is not None else None

    def coverage(self, texts: list[str], lang: str) -> dict[str, float] | None:
        """For resource-bound attacks: the fraction of words their resources cover, per resource."""
        measure = getattr(self.perturb, "coverage", None)
        return dict(measure(texts, lang)) if measure is not None else None

    def rng(self, seed: int, example_id: str, lang: str, field: str) -> random.Random:
        """One RNG per example and field: output never depends on batch, order or workers."""
        return random.Random(f"{seed}:{self.canonical}:{example_id}:{lang}:{field}")


def build_attack(spec_text: str) -> BoundAttack:
    """Resolve ``name:key=value,...`` through the registry (unknown names: did-you-mean)."""
    _load_builtin_attacks()
    spec = parse_spec(spec_text)
    info = ATTACKS.get(spec.name)
    kwargs = bind("attack", info.factory, spec)
    return BoundAttack(info.name, kwargs, canonical(info.name, kwargs), info.factory(**kwargs))


def list_attacks() -> list[AttackInfo]:
    _load_builtin_attacks()
    return [ATTACKS.get(name) for name in ATTACKS.names()]


def _load_builtin_attacks() -> None:
    """Import the modules whose decorators fill the registry (cheap; no I/O at import)."""
    from robustx.attacks import charnoise, codeswitch, identity  # noqa: F401
