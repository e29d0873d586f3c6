"""Attacking a batch of examples: one search per example, all driven together by the engine.

Candidates come from the example's own RNGs (``attack.rng(seed, id, lang, "<field>#<token>")``), so
an example's search space, path and result are the same whatever else is in the batch.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robustx.attacks.base import BoundAttack
from robustx.attacks.search.constraints import admit_for, protected
from robustx.attacks.search.engine import Job, Oracle, Predict, input_key, run_searches
from robustx.attacks.search.goal import UntargetedFlip
from robustx.attacks.search.methods import METHODS, Found
from robustx.attacks.search.problem import Inputs, Problem, build_problem
from robustx.types import Example, Perturbed


@dataclass(frozen=True)
class Outcome:
    status: str  # success | failed | skipped
    queries: int  # distinct inputs the victim scored for this example, the clean one included
    perturbed: dict[str, Perturbed]


def attack_examples(
    examples: Sequence[Example],
    fields: Sequence[str],
    attack: BoundAttack,
    seed: int,
    golds: Sequence[int],
    predict: Predict,
    cache: dict[str, np.ndarray],
    mask: str = "<unk>",
) -> list[Outcome]:
    """Search every example the victim gets right; ``cache`` must already hold the clean inputs."""
    options = attack.search
    if options is None:
        raise ValueError(f"{attack.canonical} is not an adversarial attack")
    method = METHODS[options.search]
    admit = admit_for(options.min_similarity, options.encoder)
    word_mask = mask if options.wir == "mask" else None
    outcomes: list[Outcome | None] = []
    jobs: list[tuple[int, Problem, Job]] = []
    filters: dict[str, Any] = {}
    for k, (ex, gold) in enumerate(zip(examples, golds, strict=True)):
        clean = cache[input_key(_inputs(ex, fields))]
        if int(np.argmax(clean)) != gold:
            outcomes.append(Outcome("skipped", 1, _unchanged(ex, fields)))
            continue
        if ex.lang not in filters:
            filters[ex.lang] = protected(ex.lang, options.protect)
        rng_for = functools.partial(_word_rng, attack, seed, ex)
        problem = build_problem(
            ex.fields,
            fields,
            ex.lang,
            attack.source,
            filters[ex.lang],
            options.per_word,
            options.max_changed,
            rng_for,
        )
        oracle = Oracle(options.budget, cache)
        search = method(problem, UntargetedFlip(gold), oracle, admit, word_mask, options.beam)
        jobs.append((k, problem, Job(search, oracle)))
        outcomes.append(None)
    run_searches([job for _, _, job in jobs], predict, cache)
    for k, problem, job in jobs:
        found = job.result
        assert isinstance(found, Found)
        status = "success" if found.success else "failed"
        outcomes[k] = Outcome(status, job.oracle.queries, problem.perturbed(found.state))
    return [o for o in outcomes if o is not None]


def _word_rng(attack: BoundAttack, seed: int, ex: Example, name: str, index: int) -> random.Random:
    """The RNG of one word's candidates: fixed by (seed, spec, example, language, field, token index)."""
    return attack.rng(seed, ex.id, ex.lang, f"{name}#{index}")


def _inputs(ex: Example, fields: Sequence[str]) -> Inputs:
    return tuple(str(ex.fields[f]) for f in fields)


def _unchanged(ex: Example, fields: Sequence[str]) -> dict[str, Perturbed]:
    from robustx.text.segment import tokenize

    return {
        f: Perturbed(str(ex.fields[f]), units=sum(t.is_word for t in tokenize(ex.fields[f], ex.lang)))
        for f in fields
    }
