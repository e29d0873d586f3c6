"""Record columns of an adversarial classification shard (the victim in the loop).

The clean pass scores the whole shard in one call; the searches of all correctly classified examples
then run together (each step of all of them is one victim call). The rows are the usual
classification rows (robustx.records), built from the same cached probabilities, with ``queries``
and ``status`` (success / failed / skipped) filled in; ``units_changed`` is the number of words changed
and ``text_attacked`` / ``changed_spans`` the final adversarial input (for a failed search: the best
state it reached).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from robustx.attacks.base import BoundAttack
from robustx.attacks.search.engine import input_key
from robustx.attacks.search.problem import Inputs
from robustx.attacks.search.run import attack_examples
from robustx.types import Example


def adversarial_columns(
    labels: Sequence[str],
    fields: Sequence[str],
    examples: Sequence[Example],
    attack: BoundAttack,
    seed: int,
    victim: Any,
    on_phase: Any,
) -> dict[str, list[Any]]:
    from robustx.records import classification_rows

    def predict(inputs: list[Inputs]) -> np.ndarray:
        cols = list(zip(*inputs, strict=True)) if inputs else [() for _ in fields]
        return np.asarray(victim.predict(list(cols[0]), list(cols[1]) if len(fields) > 1 else None))

    originals = [tuple(str(ex.fields[f]) for f in fields) for ex in examples]
    cache: dict[str, np.ndarray] = {}
    missing = list({input_key(x): x for x in originals}.values())
    cache.update(zip(map(input_key, missing), predict(missing), strict=True))
    on_phase("clean", len(examples))
    golds = [list(labels).index(ex.label) for ex in examples]
    mask = getattr(getattr(victim, "tokenizer", None), "unk_token", None) or "<unk>"
    outcomes = attack_examples(examples, fields, attack, seed, golds, predict, cache, mask)
    on_phase("perturbing", len(examples))

    def cached(first: list[str], second: list[str] | None) -> np.ndarray:
        rows = zip(first, second, strict=True) if second is not None else ((t,) for t in first)
        return np.stack([cache[input_key(tuple(r))] for r in rows]) if first else np.zeros((0, len(labels)))

    perturbed = [o.perturbed for o in outcomes]
    cols = classification_rows(
        examples,
        labels,
        fields,
        perturbed,
        cached,
        lambda phase, n: on_phase(phase, n) if phase == "attacked" else None,
    )
    cols["queries"] = [o.queries for o in outcomes]
    cols["status"] = [o.status for o in outcomes]
    return cols
