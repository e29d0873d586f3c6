"""Golden tests of the adversarial search on deterministic fake victims whose optimal flip is known.

The transformation is a fixed word list (each word's candidates known in advance), the victim a plain
Python function of the text, so every query, the word order and the final text can be written down.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from robustx.attacks.search.constraints import Admit, max_words_changed, protected
from robustx.attacks.search.engine import BudgetExceededError, Job, Oracle, input_key, run_searches
from robustx.attacks.search.goal import UntargetedFlip
from robustx.attacks.search.methods import Found, beam, greedy
from robustx.attacks.search.problem import Inputs, Problem, build_problem
from robustx.text.segment import Token, tokenize


@dataclass(frozen=True)
class Lexicon:
    """A searchable transformation with fixed candidates per word (candidate order is the given order)."""

    table: dict[str, tuple[str, ...]]

    def eligible_words(self, text: str, lang: str) -> tuple[list[Token], list[int]]:
        tokens = tokenize(text, lang)
        return tokens, [i for i, t in enumerate(tokens) if t.is_word]

    def candidates(
        self,
        tokens: Sequence[Token],
        indices: Sequence[int],
        lang: str,
        rngs: Sequence[random.Random],
        limit: int,
    ) -> list[tuple[str, ...]]:
        return [self.table.get(tokens[i].text, ())[:limit] for i in indices]


WEIGHTS = {"great": 2.0, "good": 1.0, "nice": 1.0, "fine": 0.5, "poor": -1.0, "awful": -2.0}
LEXICON = Lexicon({"great": ("nice", "awful"), "good": ("fine", "poor")})


def additive(bias: float) -> Callable[[Inputs], np.ndarray]:
    """Two classes; gold (0) wins while bias + the words' weights is positive."""

    def probs(x: Inputs) -> np.ndarray:
        z = bias + sum(WEIGHTS.get(w, 0.0) for w in " ".join(x).split())
        p = 1.0 / (1.0 + math.exp(-z))
        return np.array([p, 1.0 - p])

    return probs


def problem_for(text: str, table: Lexicon = LEXICON, max_changed: float = 1.0) -> Problem:
    return build_problem(
        {"text": text},
        ["text"],
        "en",
        table,
        lambda toks, i: False,
        4,
        max_changed,
        lambda f, i: random.Random(0),
    )


def run_one(
    method: Callable[..., object],
    problem: Problem,
    victim: Callable[[Inputs], np.ndarray],
    budget: int,
    width: int = 2,
) -> tuple[Found, Oracle, list[list[Inputs]]]:
    cache = {input_key(problem.original): victim(problem.original)}
    oracle = Oracle(budget, cache)
    calls: list[list[Inputs]] = []

    def predict(inputs: list[Inputs]) -> np.ndarray:
        calls.append(inputs)
        return np.stack([victim(x) for x in inputs])

    job = Job(method(problem, UntargetedFlip(0), oracle, Admit(), None, width), oracle)  # type: ignore[arg-type]
    run_searches([job], predict, cache)
    assert isinstance(job.result, Found)
    return job.result, oracle, calls


def test_greedy_flips_with_the_most_important_word_first() -> None:
    problem = problem_for("great film and good acting")
    found, oracle, calls = run_one(greedy, problem, additive(0.0), budget=50)
    assert found.success
    assert problem.inputs(found.state) == ("awful film and good acting",)
    # clean input (1) + deleting each of the 2 changeable words (2) + both candidates of 'great' (2)
    assert oracle.queries == 5
    assert calls[0] == [("film and good acting",), ("great film and acting",)]  # importance in one call
    assert calls[1] == [("nice film and good acting",), ("awful film and good acting",)]


def test_greedy_keeps_improving_until_the_label_flips() -> None:
    problem = problem_for("great film and good acting")
    found, oracle, _ = run_one(greedy, problem, additive(2.5), budget=50)
    assert found.success and oracle.queries == 7
    assert problem.inputs(found.state) == ("awful film and poor acting",)
    spans = problem.perturbed(found.state)["text"]
    assert spans.changed == ((0, 5), (15, 19)) and spans.units_changed == 2 and spans.units == 5


def test_budget_stops_the_search_and_is_never_exceeded() -> None:
    problem = problem_for("great film and good acting")
    for budget in range(1, 8):
        found, oracle, _ = run_one(greedy, problem, additive(2.5), budget=budget)
        assert oracle.queries <= budget
        assert found.success == (budget >= 7)
    found, oracle, _ = run_one(greedy, problem, additive(2.5), budget=4)
    # clean + 2 deletions + the first candidate of 'great' (it helps, so it is kept), then out of budget
    assert oracle.queries == 4 and problem.inputs(found.state) == ("nice film and good acting",)


def test_max_changed_fraction_is_a_constraint() -> None:
    problem = problem_for("great film and good acting", max_changed=0.2)  # 1 word of 5
    assert problem.max_changes == 1
    found, _, _ = run_one(greedy, problem, additive(2.5), budget=50)
    assert not found.success and len(found.state) == 1


def interaction_victim(x: Inputs) -> np.ndarray:
    """'awful' looks best alone, but only 'fine' + 'poor' together flip the label."""
    words = set(x[0].split())
    table = {
        frozenset(): 0.9, frozenset({"awful"}): 0.6, frozenset({"fine"}): 0.85, frozenset({"poor"}): 0.8,
        frozenset({"awful", "poor"}): 0.55, frozenset({"fine", "poor"}): 0.1,
    }  # fmt: skip
    key = frozenset(words & {"awful", "fine", "poor"})
    p = table.get(key, 0.9)
    if "great" not in words and not key:
        p = 0.7  # deleting 'great' matters more than deleting 'good': 'great' is searched first
    elif "good" not in words and not key:
        p = 0.8
    return np.array([p, 1.0 - p])


def test_beam_finds_the_flip_greedy_misses() -> None:
    lexicon = Lexicon({"great": ("awful", "fine"), "good": ("poor",)})
    problem = problem_for("great film and good acting", lexicon)
    found, _, _ = run_one(greedy, problem, interaction_victim, budget=50)
    assert not found.success and problem.inputs(found.state) == ("awful film and poor acting",)
    found, oracle, calls = run_one(beam, problem, interaction_victim, budget=50, width=2)
    assert found.success and problem.inputs(found.state) == ("fine film and poor acting",)
    # beam step 2 expands both kept beams ('awful', 'fine') with 'poor' in one call
    assert calls[-1] == [("awful film and poor acting",), ("fine film and poor acting",)]
    assert oracle.queries == 1 + 2 + 2 + 2


def test_width_one_beam_is_greedy() -> None:
    problem = problem_for("great film and good acting")
    g, go, _ = run_one(greedy, problem, additive(2.5), budget=50)
    b, bo, _ = run_one(beam, problem, additive(2.5), budget=50, width=1)
    assert (g, go.queries) == (b, bo.queries)


def test_repeated_inputs_cost_one_query() -> None:
    # 'film' -> 'film' would be the clean input again: never a candidate; two words with the same
    # candidate text produce distinct inputs, but a deletion probe equal to a candidate is free.
    lexicon = Lexicon({"great": ("",)})  # empty replacements are dropped: nothing to search
    assert problem_for("great film", lexicon).slots == ()
    cache: dict[str, np.ndarray] = {input_key(("a",)): np.array([0.9, 0.1])}
    oracle = Oracle(2, cache)
    assert oracle.affordable([("a",), ("b",), ("a",), ("c",), ("d",)]) == [("a",), ("b",), ("a",)]
    oracle.mark([("a",), ("b",), ("a",)])
    assert oracle.queries == 2 and oracle.affordable([("b",), ("c",)]) == [("b",)]
    with pytest.raises(BudgetExceededError):
        oracle.mark([("c",)])


def test_all_examples_of_a_step_share_one_victim_call() -> None:
    texts = ["great film and good acting", "good plot", "great cast and great music", "good good good"]
    problems = [problem_for(t) for t in texts]
    victim = additive(2.5)
    cache = {input_key(p.original): victim(p.original) for p in problems}
    calls: list[int] = []

    def predict(inputs: list[Inputs]) -> np.ndarray:
        calls.append(len(inputs))
        return np.stack([victim(x) for x in inputs])

    oracles = [Oracle(50, cache) for _ in problems]
    jobs = [
        Job(greedy(p, UntargetedFlip(0), o, Admit(), None, 1), o)
        for p, o in zip(problems, oracles, strict=True)
    ]
    rounds = run_searches(jobs, predict, cache)
    solo = [run_one(greedy, p, victim, 50) for p in problems]
    # one call per round, never one per example; same results and query counts as one at a time
    assert rounds == len(calls) <= max(len(s[2]) for s in solo)
    assert sum(calls) <= sum(len(c) for s in solo for c in s[2])  # the shared cache only saves work
    assert [j.result for j in jobs] == [s[0] for s in solo]
    assert [j.oracle.queries for j in jobs] == [s[1].queries for s in solo]


def test_protected_words_are_never_candidates() -> None:
    keep = protected("en", ("numbers", "entities", "stopwords"))
    tokens = tokenize("Yesterday Maria bought 3 cheap books and the food", "en")
    kept = [t.text for i, t in enumerate(tokens) if t.is_word and not keep(tokens, i)]
    assert kept == ["Yesterday", "bought", "cheap", "books", "food"]


def test_max_words_changed_counts_changes() -> None:
    problem = problem_for("great film and good acting", max_changed=0.4)
    assert problem.max_changes == 2
    assert max_words_changed(problem, ((0, "awful"), (1, "poor")))
    assert not max_words_changed(problem, ((0, "awful"), (1, "poor"), (2, "x")))


class WordPresenceEncoder:
    """A fake sentence encoder: texts with 'awful' point elsewhere than all others."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([[0.0, 1.0] if "awful" in t else [1.0, 0.0] for t in texts])


def test_similarity_floor_rejects_candidates_before_they_cost_queries() -> None:
    from robustx.attacks.search.constraints import SimilarityFloor

    admit = Admit((max_words_changed,), (SimilarityFloor("fake", 0.9, _model=WordPresenceEncoder()),))
    problem = problem_for("great film and good acting")
    victim = additive(-0.5)
    cache = {input_key(problem.original): victim(problem.original)}
    oracle = Oracle(50, cache)

    def predict(inputs: list[Inputs]) -> np.ndarray:
        return np.stack([victim(x) for x in inputs])

    job = Job(greedy(problem, UntargetedFlip(0), oracle, admit, None, 1), oracle)
    run_searches([job], predict, cache)
    assert isinstance(job.result, Found) and job.result.success
    assert problem.inputs(job.result.state) == ("nice film and poor acting",)
    assert input_key(("awful film and good acting",)) not in oracle.seen
    assert oracle.queries == 1 + 2 + 1 + 2  # 'awful' was never sent to the victim
