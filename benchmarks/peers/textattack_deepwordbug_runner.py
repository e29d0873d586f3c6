"""TextAttack peer of benchmarks/adversarial_vs_textattack.py: the DeepWordBug recipe on XNLI pairs.

Runs in benchmarks/textattack_venv (benchmarks/setup_peers.sh), started as
``python textattack_deepwordbug_runner.py --input JOB.json --output OUT.json``. JOB.json holds the
checkpoint directory, the query budget, the seed, and per language the examples (premise, hypothesis,
gold label index) and the stopword list robustx uses for that language.

The attack is ``DeepWordBugGao2018``'s composition with one change: ``StopwordModification`` gets the
language's stopword list (the recipe's default is NLTK's English list for every language), so both tools
protect the same words. Transformation (swap, substitution, deletion, insertion, one random candidate
each per word), RepeatModification, LevenshteinEditDistance(30), UntargetedClassification and
GreedyWordSwapWIR("unk") are the recipe's. The model goes through TextAttack's stock
``HuggingFaceModelWrapper`` (it pads every batch to the tokenizer's ``model_max_length``). OUT.json gets,
per example, the result type, TextAttack's query count and the perturbed pair, plus wall times: the
attack loop alone and the whole process.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
import warnings
from importlib import metadata
from typing import Any

START = time.perf_counter()
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)


def build_attack(wrapper: Any, stopwords: set[str], budget: int) -> Any:
    from textattack import Attack
    from textattack.constraints.overlap import LevenshteinEditDistance
    from textattack.constraints.pre_transformation import RepeatModification, StopwordModification
    from textattack.goal_functions import UntargetedClassification
    from textattack.search_methods import GreedyWordSwapWIR
    from textattack.transformations import (
        CompositeTransformation,
        WordSwapNeighboringCharacterSwap,
        WordSwapRandomCharacterDeletion,
        WordSwapRandomCharacterInsertion,
        WordSwapRandomCharacterSubstitution,
    )

    transformation = CompositeTransformation(
        [
            WordSwapNeighboringCharacterSwap(),
            WordSwapRandomCharacterSubstitution(),
            WordSwapRandomCharacterDeletion(),
            WordSwapRandomCharacterInsertion(),
        ]
    )
    constraints = [
        RepeatModification(),
        StopwordModification(stopwords=stopwords),
        LevenshteinEditDistance(30),
    ]
    goal = UntargetedClassification(wrapper, query_budget=budget, model_batch_size=32)
    return Attack(goal, constraints, transformation, GreedyWordSwapWIR(wir_method="unk"))


def load_tokenizer(path: str) -> Any:
    """The checkpoint's tokenizer; one saved by transformers 5 names a class 4.x lacks ("TokenizersBackend"),
    so its tokenizer.json is wrapped directly with the saved special tokens and max length."""
    import transformers

    try:
        return transformers.AutoTokenizer.from_pretrained(path)
    except ValueError:
        with open(os.path.join(path, "tokenizer_config.json"), encoding="utf-8") as fh:
            saved = json.load(fh)
        keys = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
        kwargs = {k: saved[k] for k in keys if isinstance(saved.get(k), str)}
        return transformers.PreTrainedTokenizerFast(
            tokenizer_file=os.path.join(path, "tokenizer.json"),
            model_max_length=int(saved.get("model_max_length", 512)),
            **kwargs,
        )


def dynamic_padding(wrapper: Any) -> Any:
    """The same wrapper, but padding each batch to its longest input instead of ``model_max_length``
    (a variant, to separate TextAttack's padding cost from the rest of its overhead)."""
    import torch
    from textattack.models.wrappers import HuggingFaceModelWrapper

    class Dynamic(HuggingFaceModelWrapper):  # type: ignore[misc]
        def __call__(self, text_input_list: list[Any]) -> Any:
            enc = self.tokenizer(text_input_list, add_special_tokens=True, padding=True, truncation=True,
                                 max_length=self.tokenizer.model_max_length, return_tensors="pt")  # fmt: skip
            with torch.no_grad():
                return self.model(**enc).logits

    return Dynamic(wrapper.model, wrapper.tokenizer)


def run(job: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import torch
    import transformers
    from textattack import AttackArgs, Attacker
    from textattack.datasets import Dataset
    from textattack.models.wrappers import HuggingFaceModelWrapper

    torch.set_num_threads(int(job["threads"]))
    model = transformers.AutoModelForSequenceClassification.from_pretrained(job["model"]).eval()
    tokenizer = load_tokenizer(job["model"])
    wrapper = HuggingFaceModelWrapper(model, tokenizer)
    if job.get("padding") == "dynamic":
        wrapper = dynamic_padding(wrapper)
    out: dict[str, Any] = {"examples": [], "attack_seconds": 0.0, "per_lang_seconds": {}}
    for lang, block in job["langs"].items():
        random.seed(job["seed"])
        np.random.seed(job["seed"])
        torch.manual_seed(job["seed"])
        attack = build_attack(wrapper, set(block["stopwords"]), int(job["budget"]))
        rows = [((ex["premise"], ex["hypothesis"]), ex["label"]) for ex in block["examples"]]
        dataset = Dataset(rows, input_columns=["premise", "hypothesis"])
        args = AttackArgs(num_examples=len(rows), query_budget=int(job["budget"]), silent=True,
                          disable_stdout=True, random_seed=int(job["seed"]))  # fmt: skip
        start = time.perf_counter()
        results = Attacker(attack, dataset, args).attack_dataset()
        seconds = time.perf_counter() - start
        out["attack_seconds"] += seconds
        out["per_lang_seconds"][lang] = seconds
        for ex, result in zip(block["examples"], results, strict=True):
            perturbed = result.perturbed_result.attacked_text
            out["examples"].append(
                {
                    "id": ex["id"], "lang": lang, "type": type(result).__name__,
                    "queries": int(result.perturbed_result.num_queries),
                    "premise": list(perturbed._text_input.values())[0],
                    "hypothesis": list(perturbed._text_input.values())[1],
                }
            )  # fmt: skip
    out["versions"] = {name: metadata.version(name) for name in ("textattack", "transformers", "torch")}
    out["model_max_length"] = int(tokenizer.model_max_length)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    opts = parser.parse_args()
    os.environ.setdefault("TA_CACHE_DIR", os.path.join(sys.prefix, "textattack_cache"))
    with open(opts.input, encoding="utf-8") as fh:
        job = json.load(fh)
    out = run(job)
    out["process_seconds"] = time.perf_counter() - START
    with open(opts.output, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)


if __name__ == "__main__":
    main()
