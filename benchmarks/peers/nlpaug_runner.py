"""nlpaug peer for benchmarks/perturb_throughput.py; runs in benchmarks/.venv-nlpaug (see setup_peers.sh).

Attacks, configured as close to robustx's as nlpaug allows (the driver passes the shared knobs):

* ``keyboard`` -> ``nlpaug.augmenter.char.KeyboardAug`` with the language's own layout where nlpaug ships
  one (its res/char/keyboard: en, de, th and eight others here), else its default ``en`` QWERTY layout
  (then it changes only Latin letters: there is nothing else on that keyboard). Letters only
  (``include_special_char=False, include_numeric=False``), like robustx's letter-only neighbours.
* ``charswap`` -> ``RandomCharAug(action="swap", swap_mode="adjacent")``.

Both get one edited character per chosen word (``aug_char_min=aug_char_max=1``), no cap on the words per
sentence (``aug_word_max=None``), ``aug_word_p`` = robustx's rate, ``min_char`` = robustx's min_len, and a
whitespace tokenizer (``str.split`` / ``" ".join``) instead of nlpaug's default regex tokenizer, which
rewrites untouched text (``Don't`` -> ``Don ' t``). ``augment`` strips its input and the whitespace
tokenizer collapses whitespace runs; the integrity check reports what that does to real text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import nlpaug
import nlpaug.augmenter.char as nac
from nlpaug.util import LibraryUtil
from protocol import Perturb, serve


def _layouts() -> set[str]:
    folder = os.path.join(LibraryUtil.get_res_dir(), "char", "keyboard")
    return {name.removesuffix(".json") for name in os.listdir(folder)}


def _common(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "aug_word_p": float(params["rate"]),
        "aug_word_max": None,
        "aug_char_min": 1,
        "aug_char_max": 1,
        "min_char": int(params["min_len"]),
        "tokenizer": str.split,
        "reverse_tokenizer": " ".join,
    }


def _wrap(aug: Any) -> Perturb:
    def perturb(text: str) -> str:
        out = aug.augment(text)
        if isinstance(out, list):  # nlpaug >= 1.1.11 returns a list, empty when it had nothing to do
            return str(out[0]) if out else text
        return str(out)

    return perturb


def build(
    attack: str, params: Mapping[str, Any], langs: list[str]
) -> tuple[dict[str, Perturb], dict[str, Any]]:
    if attack == "keyboard":
        layouts = _layouts()
        chosen = {lang: lang if lang in layouts else "en" for lang in langs}
        fns = {
            lang: _wrap(
                nac.KeyboardAug(
                    lang=chosen[lang], include_special_char=False, include_numeric=False, **_common(params)
                )
            )
            for lang in langs
        }
        return fns, {"class": "KeyboardAug", "layout_per_lang": chosen, "layouts_shipped": sorted(layouts)}
    if attack == "charswap":
        aug = _wrap(nac.RandomCharAug(action="swap", swap_mode="adjacent", **_common(params)))
        return {lang: aug for lang in langs}, {"class": 'RandomCharAug(action="swap", swap_mode="adjacent")'}
    raise ValueError(f"nlpaug runner: unknown attack {attack!r}")


if __name__ == "__main__":
    serve("nlpaug", {"nlpaug": str(nlpaug.__version__)}, build)
