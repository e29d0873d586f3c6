"""Running many examples' searches together: batched victim calls, a shared cache, per-example budgets.

A search is a generator: it yields the inputs it wants scored, and reads their probabilities from its
:class:`Oracle` when resumed. :func:`run_searches` collects the requests of every active search, sends
the ones nobody has scored yet to the victim in **one** call, and resumes every search. An input
counts as a query for an example the first time *that example* asks for it, wherever the answer came
from, so an example's query count and result do not depend on which other examples ran beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import numpy as np

from robustx.attacks.search.problem import Inputs

Predict = Callable[[list[Inputs]], np.ndarray]


def input_key(inputs: Inputs) -> str:
    """Cache key of an input: sha256 of its field texts (first 32 hex digits)."""
    blob = json.dumps(inputs, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class BudgetExceededError(RuntimeError):
    """A search asked for more queries than its budget (a bug in the search, never a user error)."""


@dataclass
class Oracle:
    """One example's view of the victim: what it has queried, and how much budget is left."""

    budget: int
    cache: dict[str, np.ndarray]
    seen: set[str] = field(default_factory=set)

    @property
    def queries(self) -> int:
        return len(self.seen)

    @property
    def remaining(self) -> int:
        return self.budget - len(self.seen)

    def affordable(self, inputs: Sequence[Inputs]) -> list[Inputs]:
        """The longest prefix of ``inputs`` whose not-yet-queried members fit the remaining budget."""
        out: list[Inputs] = []
        new: set[str] = set()
        for x in inputs:
            key = input_key(x)
            if key not in self.seen and key not in new:
                if len(new) >= self.remaining:
                    break
                new.add(key)
            out.append(x)
        return out

    def mark(self, inputs: Sequence[Inputs]) -> None:
        keys = {input_key(x) for x in inputs} - self.seen
        if len(keys) > self.remaining:
            raise BudgetExceededError(f"search asked for {len(keys)} queries with {self.remaining} left")
        self.seen |= keys

    def probs(self, inputs: Inputs) -> np.ndarray:
        key = input_key(inputs)
        if key not in self.seen:
            raise KeyError("probabilities read for an input the search never queried")
        return self.cache[key]


Search = Generator[list[Inputs], None, object]


@dataclass
class Job:
    search: Search
    oracle: Oracle
    request: list[Inputs] = field(default_factory=list)
    result: object = None
    done: bool = False

    def advance(self) -> None:
        try:
            self.request = next(self.search)
        except StopIteration as stop:
            self.result, self.done, self.request = stop.value, True, []


def run_searches(jobs: Sequence[Job], predict: Predict, cache: dict[str, np.ndarray]) -> int:
    """Drive every job to completion; returns the number of victim calls made (one per round)."""
    for job in jobs:
        job.advance()
    active = [job for job in jobs if not job.done]
    calls = 0
    while active:
        missing: dict[str, Inputs] = {}
        for job in active:
            for x in job.request:
                key = input_key(x)
                if key not in cache:
                    missing.setdefault(key, x)
        if missing:
            probs = predict(list(missing.values()))
            cache.update(zip(missing, probs, strict=True))
            calls += 1
        for job in active:
            job.oracle.mark(job.request)
            job.advance()
        active = [job for job in active if not job.done]
    return calls
