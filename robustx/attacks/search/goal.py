"""Search goals: a score to climb and a test of success, from the victim's probabilities.

Scores are rounded to 1e-6 before the search compares them: the same input can get probabilities
that differ in the last float bits depending on which other inputs shared its padded batch, and a
search must not take a different path because of that. Ties are broken by candidate order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

SCORE_DECIMALS = 6


class Goal(Protocol):
    def score(self, probs: np.ndarray) -> float: ...

    def reached(self, probs: np.ndarray) -> bool: ...


@dataclass(frozen=True)
class UntargetedFlip:
    """Untargeted classification: push the gold label's probability down until another label wins."""

    gold: int

    def score(self, probs: np.ndarray) -> float:
        return round(1.0 - float(probs[self.gold]), SCORE_DECIMALS)

    def reached(self, probs: np.ndarray) -> bool:
        return int(np.argmax(probs)) != self.gold
