"""Adversarial-search parameters shared by every searchable attack, and how they join an attack spec.

``charnoise:rate=0.3`` stays the model-free perturbation it always was; ``charnoise:search=greedy,
budget=200`` turns the same transformation into a model-in-the-loop attack. The search parameters
below are split off the spec before the attack's own factory binds the rest, so a factory never
sees them and an existing run's canonical spec (its run directory and every example's RNG key)
does not change: with ``search=none`` (the default) nothing is added. With a search, ``search`` and
every search parameter that differs from its default join the canonical spec, sorted with the
attack's own; ``BoundAttack.params`` (and so the run's config.json) holds all of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from robustx.errors import SpecError
from robustx.registry import did_you_mean
from robustx.specs import Param, Spec, bind, factory_params

SearchMethod = Literal["none", "greedy", "beam"]
WordImportance = Literal["delete", "mask"]
PROTECTABLE = ("numbers", "entities", "stopwords")


@dataclass(frozen=True)
class SearchOptions:
    """How an adversarial attack searches (see :func:`search_params` for each knob)."""

    search: SearchMethod
    budget: int
    beam: int
    per_word: int
    wir: WordImportance
    max_changed: float
    protect: tuple[str, ...]
    min_similarity: float
    encoder: str

    def params(self) -> dict[str, Any]:
        return asdict(self)

    def named(self) -> dict[str, Any]:
        """The parameters the canonical spec names: ``search`` and those that differ from their defaults
        (all of them would push run-directory names past 255 bytes; config.json keeps every one)."""
        defaults = {p.name: p.default for p in SEARCH_PARAMS}
        return {k: v for k, v in self.params().items() if k == "search" or v != defaults[k]}


def search_params(
    search: SearchMethod = "none",
    budget: int = 200,
    beam: int = 4,
    per_word: int = 4,
    wir: WordImportance = "delete",
    max_changed: float = 0.4,
    protect: tuple[str, ...] = ("numbers",),
    min_similarity: float = 0.0,
    encoder: str = "embedded",
) -> SearchOptions:
    """Adversarial search: greedy by word importance or beam search, under a per-example query budget.

    ``budget``: victim queries per example, the clean input included (cache hits are free);
    ``beam``: beam width; ``per_word``: candidates tried per word; ``wir``: word importance by
    deleting or masking each word; ``max_changed``: fraction of the input's words that may change
    (at least one); ``protect``: numbers+entities+stopwords never changed; ``min_similarity``:
    cosine floor between clean and attacked input under ``encoder`` (0 = off).
    """
    options = SearchOptions(
        search, budget, beam, per_word, wir, max_changed, tuple(protect), min_similarity, encoder
    )
    _validate(options)
    return options


def _validate(o: SearchOptions) -> None:
    if o.budget < 1 or o.beam < 1 or o.per_word < 1:
        raise SpecError(f"search: budget={o.budget}, beam={o.beam} and per_word={o.per_word} must be >= 1")
    if not 0.0 < o.max_changed <= 1.0:
        raise SpecError(f"search: max_changed={o.max_changed} must be in (0, 1]")
    if not 0.0 <= o.min_similarity <= 1.0:
        raise SpecError(f"search: min_similarity={o.min_similarity} must be in [0, 1]")
    for name in o.protect:
        if name not in PROTECTABLE:
            raise SpecError(
                f"search: cannot protect '{name}'{did_you_mean(name, list(PROTECTABLE))}; "
                f"choices: {'+'.join(PROTECTABLE)}"
            )


SEARCH_PARAMS: tuple[Param, ...] = tuple(factory_params(search_params))
SEARCH_NAMES = frozenset(p.name for p in SEARCH_PARAMS)


def split_search(spec: Spec, own: list[str]) -> tuple[Spec, Spec]:
    """Split a searchable attack's spec into its own parameters and the search parameters.

    A key that is neither gets one error line listing both sets, with a did-you-mean."""
    mine, search = [], []
    for key, value in spec.params:
        if key in SEARCH_NAMES:
            search.append((key, value))
        elif key in own:
            mine.append((key, value))
        else:
            known = own + sorted(SEARCH_NAMES)
            raise SpecError(
                f"attack '{spec.name}' has no parameter '{key}'{did_you_mean(key, known)}; "
                f"parameters: {', '.join(own)}; search parameters: {', '.join(sorted(SEARCH_NAMES))}"
            )
    return Spec(spec.name, tuple(mine)), Spec(spec.name, tuple(search))


def bind_search(spec: Spec) -> SearchOptions | None:
    """Typed search options, or None for ``search=none`` (other search keys then are an error)."""
    kwargs = bind("attack", search_params, spec)
    if kwargs["search"] == "none":
        extra = [key for key, _ in spec.params if key != "search"]
        if extra:
            raise SpecError(
                f"{spec.name}: search parameters ({', '.join(extra)}) need search=greedy or search=beam"
            )
        return None
    return search_params(**kwargs)
