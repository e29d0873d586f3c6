"""Sequence classification (XNLI, PAWS-X, local pair/single-text tasks): accuracy per example."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from robustx.attacks.base import BoundAttack
from robustx.families import FAMILIES, OnPhase, VictimOptions
from robustx.tasks.spec import TaskSpec
from robustx.types import Example


class ClassificationFamily:
    adversarial = True  # runs search=greedy|beam attacks with the victim in the loop

    def load_victim(self, task: TaskSpec, options: VictimOptions) -> Any:
        from robustx.models.classifier import load_classifier

        return load_classifier(
            options.model,
            task.labels,
            dict(task.label_aliases),
            options.device,
            options.batch_size,
            options.max_length,
            options.bf16,
        )

    def shard_columns(
        self,
        task: TaskSpec,
        examples: Sequence[Example],
        attack: BoundAttack,
        seed: int,
        victim: Any,
        on_phase: OnPhase,
    ) -> dict[str, list[Any]]:
        from robustx.records import classification_rows, perturb_examples

        if attack.search is not None:  # adversarial: the victim is in the loop (robustx.attacks.search)
            from robustx.attacks.search.classify import adversarial_columns

            return adversarial_columns(
                task.labels, task.text_fields, examples, attack, seed, victim, on_phase
            )
        perturbed = perturb_examples(examples, task.text_fields, attack, seed)
        on_phase("perturbing", len(examples))
        return classification_rows(
            examples, task.labels, task.text_fields, perturbed, victim.predict, on_phase
        )

    def metrics(self, task: TaskSpec, table: Any, seed: int) -> dict[str, Any]:
        from robustx.metrics import classification_metrics

        return classification_metrics(table, parallel=task.parallel, seed=seed)


FAMILIES.add("classification", ClassificationFamily())
