"""Word tagging (UD-POS, PAN-X): per-sentence seqeval tp/fp/fn, clean and attacked.

Attacks are applied word for word (robustx.families.apply.perturb_tokens): tags stay aligned
because a change that would split or merge words is not applied. Only sentences with a changed
word go through the attacked pass; the others reuse the clean prediction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from robustx.attacks.base import BoundAttack
from robustx.families import FAMILIES, OnPhase, VictimOptions
from robustx.families.apply import WordsPerturbed, perturb_tokens
from robustx.tasks.spec import TaskSpec
from robustx.types import Example


class TaggingFamily:
    def load_victim(self, task: TaskSpec, options: VictimOptions) -> Any:
        from robustx.models.tagger import load_tagger

        return load_tagger(
            options.model, task.labels, options.device, options.batch_size, options.max_length, options.bf16
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
        perturbed = [
            perturb_tokens(ex.fields["tokens"], ex.lang, attack, attack.rng(seed, ex.id, ex.lang, "tokens"))
            for ex in examples
        ]
        on_phase("perturbing", len(examples))
        clean = victim.predict([ex.fields["tokens"] for ex in examples])
        on_phase("clean", len(examples))
        changed = [i for i, p in enumerate(perturbed) if p.is_changed]
        tags_att, missing_att = list(clean.tags), list(clean.untokenized)
        if changed:
            attacked = victim.predict([perturbed[i].tokens for i in changed])
            for j, i in enumerate(changed):
                tags_att[i], missing_att[i] = attacked.tags[j], attacked.untokenized[j]
        on_phase("attacked", len(examples))
        return tagging_columns(examples, perturbed, clean.tags, tags_att, clean.untokenized, missing_att)

    def metrics(self, task: TaskSpec, table: Any, seed: int) -> dict[str, Any]:
        from robustx.scoring.cells import f1_metrics

        out = f1_metrics(table, seed=seed, metric="seqeval_f1")
        out["note"] = (
            "seqeval (0.0.12) chunk F1; for POS a run of equal tags is one chunk, as XTREME scores it"
        )
        return out


def tagging_columns(
    examples: Sequence[Example],
    perturbed: Sequence[WordsPerturbed],
    pred_clean: Sequence[Sequence[str]],
    pred_att: Sequence[Sequence[str]],
    missing_clean: Sequence[int],
    missing_att: Sequence[int],
) -> dict[str, list[Any]]:
    """Record columns: tags, per-sentence counts, both texts, which words changed or were rejected."""
    from robustx.records import text_hash
    from robustx.scoring.chunks import sentence_counts

    cols: dict[str, list[Any]] = {k: [] for k in _COLUMNS}
    for ex, pert, pc, pa, mc, ma in zip(
        examples, perturbed, pred_clean, pred_att, missing_clean, missing_att, strict=True
    ):
        gold = list(ex.label)
        counts = sentence_counts(gold, pc) + sentence_counts(gold, pa)
        for name, value in zip(
            ("tp_clean", "fp_clean", "fn_clean", "tp_attacked", "fp_attacked", "fn_attacked"),
            counts,
            strict=True,
        ):
            cols[name].append(value)
        clean = {"tokens": list(ex.fields["tokens"])}
        attacked = {"tokens": list(pert.tokens)}
        cols["example_id"].append(ex.id)
        cols["lang"].append(ex.lang)
        cols["gold"].append(gold)
        cols["pred_clean"].append(list(pc))
        cols["pred_attacked"].append(list(pa))
        cols["correct_clean"].append(list(pc) == gold)
        cols["correct_attacked"].append(list(pa) == gold)
        cols["text_clean"].append(json.dumps(clean, ensure_ascii=False))
        cols["text_attacked"].append(json.dumps(attacked, ensure_ascii=False))
        cols["changed_spans"].append(json.dumps({"tokens": [[i, i + 1] for i in pert.changed]}))
        cols["words_rejected"].append(len(pert.rejected))
        cols["words_untokenized_clean"].append(mc)
        cols["words_untokenized_attacked"].append(ma)
        cols["units"].append(pert.units)
        cols["units_changed"].append(len(pert.changed))
        cols["changed_fraction"].append(len(pert.changed) / pert.units if pert.units else 0.0)
        cols["queries"].append(0)
        cols["status"].append("perturbed" if pert.changed else "unchanged")
        cols["text_hash"].append(text_hash({"tokens": SEP.join(clean["tokens"])}))
        cols["text_hash_attacked"].append(text_hash({"tokens": SEP.join(attacked["tokens"])}))
    return cols


SEP = "\u2028"
_COLUMNS = (
    "example_id", "lang", "gold", "pred_clean", "pred_attacked", "correct_clean", "correct_attacked",
    "tp_clean", "fp_clean", "fn_clean", "tp_attacked", "fp_attacked", "fn_attacked",
    "text_clean", "text_attacked", "changed_spans", "words_rejected", "words_untokenized_clean",
    "words_untokenized_attacked", "units", "units_changed", "changed_fraction", "queries", "status",
    "text_hash", "text_hash_attacked",
)  # fmt: skip

FAMILIES.add("tagging", TaggingFamily())
