"""Extractive QA (XQuAD, MLQA, TyDiQA-GoldP): per-question EM and F1, clean and attacked.

The question is perturbed whole; the context only outside the gold answers (widened to whole
words), with answer offsets remapped (robustx.families.apply.perturb_outside), so the gold answers
still read the same in the attacked context and the same scorer applies to both passes. Questions
whose question and context the attack left unchanged reuse the clean prediction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from robustx.attacks.base import BoundAttack
from robustx.families import FAMILIES, OnPhase, VictimOptions
from robustx.tasks.spec import TaskSpec
from robustx.types import Example, Perturbed


class QAFamily:
    def load_victim(self, task: TaskSpec, options: VictimOptions) -> Any:
        from robustx.models.qa import load_qa_model

        decoding = {k: int(task.options[k]) for k in ("doc_stride", "max_answer_length", "n_best")}
        return load_qa_model(
            options.model,
            options.device,
            options.batch_size,
            options.max_length,
            bf16=options.bf16,
            **decoding,
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
        perturbed = [perturb_question(ex, attack, seed) for ex in examples]
        on_phase("perturbing", len(examples))
        clean = victim.predict(
            [ex.fields["question"] for ex in examples], [ex.fields["context"] for ex in examples]
        )
        on_phase("clean", len(examples))
        changed = [i for i, p in enumerate(perturbed) if p[0].is_changed or p[1].is_changed]
        attacked = list(clean)
        if changed:
            again = victim.predict(
                [perturbed[i][0].text for i in changed], [perturbed[i][1].text for i in changed]
            )
            for j, i in enumerate(changed):
                attacked[i] = again[j]
        on_phase("attacked", len(examples))
        style = str(task.options.get("metric", "squad"))
        return qa_columns(examples, perturbed, clean, attacked, style)

    def metrics(self, task: TaskSpec, table: Any, seed: int) -> dict[str, Any]:
        from robustx.scoring.cells import qa_metrics

        f1, em = qa_metrics(table, parallel=task.parallel, seed=seed)
        f1["em"] = {"languages": em["languages"], "overall": em["overall"]}
        f1["normalisation"] = str(task.options.get("metric", "squad"))
        return f1


def perturb_question(
    ex: Example, attack: BoundAttack, seed: int
) -> tuple[Perturbed, Perturbed, tuple[tuple[str, int], ...]]:
    """(question, context, remapped answers) under the attack, each field with its own RNG."""
    from robustx.families.apply import perturb_outside

    question = attack.perturb(ex.fields["question"], ex.lang, attack.rng(seed, ex.id, ex.lang, "question"))

    def stretch(text: str, k: int) -> Perturbed:
        return attack.perturb(text, ex.lang, attack.rng(seed, ex.id, ex.lang, f"context#{k}"))

    context, answers = perturb_outside(ex.fields["context"], ex.label, ex.lang, stretch)
    return question, context, answers


def qa_columns(
    examples: Sequence[Example],
    perturbed: Sequence[tuple[Perturbed, Perturbed, tuple[tuple[str, int], ...]]],
    clean: Sequence[Any],
    attacked: Sequence[Any],
    style: str,
) -> dict[str, list[Any]]:
    """Record columns: answers, EM/F1 per pass, both texts, changed spans, remapped gold offsets."""
    from robustx.records import text_hash
    from robustx.scoring.squad import Style, qa_scores

    cols: dict[str, list[Any]] = {k: [] for k in _COLUMNS}
    for ex, (q, c, answers), pc, pa in zip(examples, perturbed, clean, attacked, strict=True):
        golds = [text for text, _ in ex.label]
        em_c, f1_c = qa_scores(pc.text, golds, cast(Style, style), ex.lang)
        em_a, f1_a = qa_scores(pa.text, golds, cast(Style, style), ex.lang)
        fields = {"question": ex.fields["question"], "context": ex.fields["context"]}
        att = {"question": q.text, "context": c.text}
        units, units_changed = q.units + c.units, q.units_changed + c.units_changed
        values = {
            "example_id": ex.id, "lang": ex.lang, "gold": golds,
            "gold_start": [s for _, s in ex.label], "gold_start_attacked": [s for _, s in answers],
            "pred_clean": pc.text, "pred_attacked": pa.text,
            "pred_start_clean": pc.start, "pred_start_attacked": pa.start,
            "em_clean": em_c, "em_attacked": em_a, "f1_clean": f1_c, "f1_attacked": f1_a,
            "correct_clean": em_c == 1.0, "correct_attacked": em_a == 1.0,
            "text_clean": json.dumps(fields, ensure_ascii=False), "text_attacked": json.dumps(att, ensure_ascii=False),
            "changed_spans": json.dumps({"question": [list(s) for s in q.changed], "context": [list(s) for s in c.changed]}),
            "units": units, "units_changed": units_changed,
            "changed_fraction": units_changed / units if units else 0.0, "queries": 0,
            "status": "perturbed" if units_changed else "unchanged",
            "text_hash": text_hash(fields), "text_hash_attacked": text_hash(att),
        }  # fmt: skip
        for key, value in values.items():
            cols[key].append(value)
    return cols


_COLUMNS = (
    "example_id", "lang", "gold", "gold_start", "gold_start_attacked", "pred_clean", "pred_attacked",
    "pred_start_clean", "pred_start_attacked", "em_clean", "em_attacked", "f1_clean", "f1_attacked",
    "correct_clean", "correct_attacked", "text_clean", "text_attacked", "changed_spans", "units",
    "units_changed", "changed_fraction", "queries", "status", "text_hash", "text_hash_attacked",
)  # fmt: skip

FAMILIES.add("qa", QAFamily())
