"""Search methods: greedy by word importance, and beam search along the same word order.

Both first query the clean input (it counts as one query; its answer comes from the clean pass),
then rank the changeable words by how much deleting (or masking) each one lowers the gold label's
probability, all deletions in one request. Greedy then tries every candidate of the most important
word at once and keeps the best if it helps (TextAttack's GreedyWordSwapWIR); beam search keeps the
``width`` best states after each word, a state left unchanged by a word included (PolyGloss-style).
A candidate that reaches the goal ends the search; so does the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

from robustx.attacks.search.constraints import Admit
from robustx.attacks.search.engine import Oracle
from robustx.attacks.search.goal import Goal
from robustx.attacks.search.problem import Inputs, Problem, State, extend

Steps = Generator[list[Inputs], None, "Found"]


@dataclass(frozen=True)
class Found:
    state: State
    success: bool


@dataclass(frozen=True)
class Scored:
    score: float
    state: State
    reached: bool


def importance_order(
    problem: Problem, goal: Goal, oracle: Oracle, mask: str | None
) -> Generator[list[Inputs], None, list[int]]:
    """Slots by decreasing importance (ties and unscored slots: text order)."""
    n = len(problem.slots)
    if n <= 1:
        return list(range(n))
    probes = oracle.affordable([problem.without(i, mask) for i in range(n)])
    if probes:
        yield probes
    scores = [goal.score(oracle.probs(x)) for x in probes] + [float("-inf")] * (n - len(probes))
    return sorted(range(n), key=lambda i: (-scores[i], i))


def _try(
    problem: Problem, goal: Goal, oracle: Oracle, admit: Admit, states: list[State]
) -> Generator[list[Inputs], None, list[Scored]]:
    """Score the admitted, affordable ``states`` in one request (in the given order)."""
    kept = admit(problem, states)
    inputs = oracle.affordable([problem.inputs(s) for s in kept])
    if not inputs:
        return []
    yield inputs
    out = []
    for state, x in zip(kept, inputs, strict=False):
        probs = oracle.probs(x)
        out.append(Scored(goal.score(probs), state, goal.reached(probs)))
    return out


def _best(scored: list[Scored]) -> Scored:
    """Successes first, then the highest score, then the fewest changes, then the earliest."""
    order = sorted(
        range(len(scored)), key=lambda k: (not scored[k].reached, -scored[k].score, len(scored[k].state), k)
    )
    return scored[order[0]]


def greedy(problem: Problem, goal: Goal, oracle: Oracle, admit: Admit, mask: str | None, width: int) -> Steps:
    """Greedy word swap by importance (``width`` is unused; the signature is shared with beam)."""
    yield [problem.original]
    current = Scored(goal.score(oracle.probs(problem.original)), (), False)
    order = yield from importance_order(problem, goal, oracle, mask)
    for slot in order:
        if oracle.remaining <= 0 or len(current.state) >= problem.max_changes:
            break
        states = [extend(current.state, slot, c) for c in problem.slots[slot].candidates]
        scored = yield from _try(problem, goal, oracle, admit, states)
        if not scored:
            continue
        best = _best(scored)
        if best.reached:
            return Found(best.state, True)
        if best.score > current.score:
            current = best
    return Found(current.state, False)


def beam(problem: Problem, goal: Goal, oracle: Oracle, admit: Admit, mask: str | None, width: int) -> Steps:
    """Beam search over the importance order: each word expands every beam with all its candidates."""
    yield [problem.original]
    beams = [Scored(goal.score(oracle.probs(problem.original)), (), False)]
    order = yield from importance_order(problem, goal, oracle, mask)
    for slot in order:
        if oracle.remaining <= 0:
            break
        states = [
            extend(b.state, slot, c)
            for b in beams
            if len(b.state) < problem.max_changes
            for c in problem.slots[slot].candidates
        ]
        scored = yield from _try(problem, goal, oracle, admit, states)
        hits = [s for s in scored if s.reached]
        if hits:
            best = _best(hits)
            return Found(best.state, True)
        pool = beams + scored
        ranked = sorted(range(len(pool)), key=lambda k: (-pool[k].score, len(pool[k].state), k))
        beams = [pool[k] for k in ranked[:width]]
    return Found(beams[0].state, False)


Method = Callable[[Problem, Goal, Oracle, Admit, "str | None", int], Steps]
METHODS: dict[str, Method] = {"greedy": greedy, "beam": beam}
