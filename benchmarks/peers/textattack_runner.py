"""TextAttack peer for benchmarks/perturb_throughput.py; runs in benchmarks/textattack_venv (setup_peers.sh).

One attack, ``charswap`` -> ``textattack.augmentation.CharSwapAugmenter(pct_words_to_swap=RATE,
transformations_per_example=1)``: TextAttack's character-noise recipe, a composite of neighbouring-character
swap, random-letter substitution, deletion and insertion (the four ops of robustx's ``charnoise``), with
its default constraints (RepeatModification, StopwordModification on NLTK's English list).

Offline set-up: ``TA_CACHE_DIR`` must point at ``<venv>/textattack_cache`` holding the post-install marker
(else TextAttack's first import tries six ``nltk.download`` calls), and the English stopword list must be
in ``<venv>/nltk_data``; setup_peers.sh provides both and the driver sets ``TA_CACHE_DIR``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from protocol import Perturb, serve

warnings.filterwarnings("ignore", category=FutureWarning)
logging.getLogger("jieba").setLevel(logging.WARNING)


def build(
    attack: str, params: Mapping[str, Any], langs: list[str]
) -> tuple[dict[str, Perturb], dict[str, Any]]:
    if attack != "charswap":
        raise ValueError(f"textattack runner: unknown attack {attack!r}")
    from textattack.augmentation import CharSwapAugmenter

    rate = float(params["rate"])
    aug = CharSwapAugmenter(pct_words_to_swap=rate, transformations_per_example=1)

    def perturb(text: str) -> str:
        out = aug.augment(text)
        return str(out[0]) if out else text

    note = f"CharSwapAugmenter(pct_words_to_swap={rate}, transformations_per_example=1)"
    return {lang: perturb for lang in langs}, {"class": note}


def _versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in ("textattack", "transformers", "torch", "flair", "nltk")}


if __name__ == "__main__":
    serve("textattack", _versions(), build)
