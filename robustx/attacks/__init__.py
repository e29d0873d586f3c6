"""Attacks: registry, model-free perturbations and (later) model-in-the-loop search."""

from robustx.attacks.base import ATTACKS, AttackInfo, BoundAttack, build_attack, list_attacks, register_attack

__all__ = ["ATTACKS", "AttackInfo", "BoundAttack", "build_attack", "list_attacks", "register_attack"]
