"""The clean (identity) attack: evaluates the model on unmodified inputs."""

from __future__ import annotations

import random

from robustx.attacks.base import Perturbation, register_attack
from robustx.types import Perturbed


@register_attack("none")
def identity() -> Perturbation:
    """No perturbation: the attacked pass equals the clean pass (a sanity baseline)."""

    def perturb(text: str, lang: str, rng: random.Random) -> Perturbed:
        return Perturbed(text)

    return perturb
