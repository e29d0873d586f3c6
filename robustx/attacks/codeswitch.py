"""Code-switching (CoSDA-ML style, model-free): replace words with dictionary translations.

Per example, with the example's own RNG: the sentence is switched at all with probability
``sentence_rate``; then a ``rate`` fraction of its *translatable* eligible words (stochastic
rounding, :func:`~robustx.attacks.words.sample_count`) is replaced, each by a translation into one
of the embedded languages that has one, both picked by the RNG among candidates kept in file order.
Choosing only among translatable words makes ``rate`` mean what it says wherever the dictionaries
allow; what they do not allow shows in the result: ``units`` counts every eligible word and
``units_changed`` the replaced ones, so ``units_changed / units`` is ``rate`` times the coverage.

Words come from :func:`~robustx.text.segment.tokenize` (script-aware; segmenter words for Chinese,
Japanese and Thai), lookups lower-case them, and punctuation, spaces and every untouched word stay
byte-identical. A source word in Title case or UPPER case passes its case on to a translation in a
cased script (Latin, Cyrillic, Greek, Armenian). Dictionaries are read on the first example of a
language, not when the attack is built; a missing pair raises DictionaryMissingError naming it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import zip_longest
from pathlib import Path
from typing import Any

from robustx.attacks.base import Perturbation, register_attack
from robustx.attacks.dictionaries import Dictionaries, Lexicon, coverage, default_dictionaries
from robustx.attacks.words import rebuild, sample_count
from robustx.errors import SpecError
from robustx.text.scripts import canonical_lang, char_script
from robustx.text.segment import Token, graphemes, tokenize
from robustx.types import Perturbed

__all__ = ["DEFAULT_EMBEDDED", "CodeSwitch", "codeswitch", "embedded_languages", "match_case"]

# Embedded languages for English text (CoSDA-ML's mix of scripts and families); other languages get
# English plus the first two of these that differ from the example's language.
DEFAULT_EMBEDDED: tuple[str, ...] = ("de", "es", "fr", "hi", "zh")
# Languages robustx has no task data for but that MUSE/FreeDict serve, accepted as embedded languages.
EXTRA_DICT_LANGS = frozenset({"ca", "cs", "cy", "da", "ga", "hr", "la", "lt", "no", "pl", "sr", "sv"})
# Scripts whose words take the case of the word they replace (Georgian has capitals but does not use them).
_CASED_SCRIPTS = frozenset({"Latin", "Cyrillic", "Greek", "Armenian"})
# Scripts written without spaces: one Han or Kana character is a whole word, so min_len does not apply.
_UNSPACED_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana"})


def embedded_languages(lang: str, langs: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The languages an example in ``lang`` is switched into (``langs``, minus ``lang`` itself)."""
    if langs:
        out = tuple(x for x in langs if x != lang)
        if not out:
            raise SpecError(
                f"codeswitch:langs={'+'.join(langs)} leaves no language other than the text's ({lang})"
            )
        return out
    if lang == "en":
        return DEFAULT_EMBEDDED
    return ("en", *[x for x in DEFAULT_EMBEDDED if x != lang][:2])


def match_case(source: str, target: str) -> str:
    """Give ``target`` the Title/UPPER case of ``source`` when ``target`` is in a cased script."""
    first = next((ch for ch in target if ch.isalpha()), "")
    if not first or char_script(first) not in _CASED_SCRIPTS or not any(ch.isupper() for ch in source):
        return target
    letters = [ch for ch in source if ch.isalpha()]
    if len(letters) > 1 and all(ch.isupper() for ch in letters if ch.lower() != ch.upper()):
        return target.upper()
    if source[:1].isupper():
        return target[0].upper() + target[1:]
    return target


@dataclass(frozen=True)
class CodeSwitch:
    """The perturbation ``(text, lang, rng) -> Perturbed``; also says which dictionaries it needs."""

    dictionaries: Dictionaries
    rate: float = 0.3
    sentence_rate: float = 1.0
    langs: tuple[str, ...] = ()
    min_len: int = 2
    keep_digits: bool = True
    dicts: str = ""

    def __call__(self, text: str, lang: str, rng: random.Random) -> Perturbed:
        src = canonical_lang(lang)
        lexicons = [self.dictionaries.get(src, tgt) for tgt in embedded_languages(src, self.langs)]
        tokens = tokenize(text, src)
        eligible = [i for i, tok in enumerate(tokens) if tok.is_word and self._eligible(tok)]
        if rng.random() >= self.sentence_rate:
            return rebuild(tokens, {}, units=len(eligible))
        options = {i: _options(tokens[i].text, lexicons) for i in eligible}
        translatable = [i for i in eligible if options[i]]
        chosen = sorted(rng.sample(translatable, sample_count(len(translatable), self.rate, rng)))
        replacements: dict[int, str] = {}
        for index in chosen:
            lex = rng.choice(options[index])
            word = tokens[index].text
            replacements[index] = match_case(word, rng.choice(lex.translations(word)))
        return rebuild(tokens, replacements, units=len(eligible))

    def eligible_words(self, text: str, lang: str) -> tuple[list[Token], list[int]]:
        """For adversarial search: the text's tokens and the indices of its eligible words."""
        tokens = tokenize(text, canonical_lang(lang))
        return tokens, [i for i, tok in enumerate(tokens) if tok.is_word and self._eligible(tok)]

    def candidates(
        self,
        tokens: Sequence[Token],
        indices: Sequence[int],
        lang: str,
        rngs: Sequence[random.Random],
        limit: int,
    ) -> list[tuple[str, ...]]:
        """Up to ``limit`` translations of each word, taken in turn from every embedded language
        (PolyGloss-style: one sentence may mix several); dictionary order, so ``rngs`` draw nothing."""
        src = canonical_lang(lang)
        lexicons = [self.dictionaries.get(src, tgt) for tgt in embedded_languages(src, self.langs)]
        out = []
        for index in indices:
            word = tokens[index].text
            per_lang = [[match_case(word, t) for t in lex.translations(word)] for lex in lexicons]
            found = dict.fromkeys(t for row in zip_longest(*per_lang) for t in row if t and t != word)
            out.append(tuple(found)[:limit])
        return out

    def _eligible(self, tok: Token) -> bool:
        if self.keep_digits and any(ch.isdigit() for ch in tok.text):
            return False
        if char_script(tok.text[0]) in _UNSPACED_SCRIPTS:
            return True
        return len(graphemes(tok.text)) >= self.min_len

    def check(self, lang: str) -> None:
        """Load the dictionaries ``lang`` needs now: a missing pair fails before any model work."""
        src = canonical_lang(lang)
        for tgt in embedded_languages(src, self.langs):
            self.dictionaries.get(src, tgt)

    def with_data_dirs(self, data_dirs: Sequence[str | Path]) -> CodeSwitch:
        """The same attack also searching ``muse/`` under ``data_dirs`` (the run's --data-dir)."""
        return replace(self, dictionaries=default_dictionaries(self.dicts, data_dirs))

    def coverage(self, texts: Iterable[str], lang: str) -> dict[str, float]:
        """Per embedded language: the fraction of eligible words in ``texts`` that it translates."""
        src = canonical_lang(lang)
        words = [
            tok.text for text in texts for tok in tokenize(text, src) if tok.is_word and self._eligible(tok)
        ]
        return {
            tgt: coverage(words, src, tgt, self.dictionaries) for tgt in embedded_languages(src, self.langs)
        }

    def pairs(self, langs: Iterable[str]) -> list[tuple[str, str]]:
        """The (source, embedded) dictionary pairs examples in ``langs`` need."""
        out: list[tuple[str, str]] = []
        for lang in langs:
            src = canonical_lang(lang)
            out += [(src, tgt) for tgt in embedded_languages(src, self.langs) if (src, tgt) not in out]
        return out

    def manifest(self, langs: Iterable[str]) -> dict[str, Any]:
        """Files and sha256 of every dictionary examples in ``langs`` use (loads them: a missing one
        raises here, before any model is run)."""
        return self.dictionaries.manifest(self.pairs(langs))


def _options(word: str, lexicons: list[Lexicon]) -> list[Lexicon]:
    """The embedded-language tables that translate ``word`` (identity translations were dropped on load)."""
    return [lex for lex in lexicons if lex.translations(word)]


@register_attack("codeswitch", searchable=True)
def codeswitch(
    rate: float = 0.3,
    sentence_rate: float = 1.0,
    langs: tuple[str, ...] = (),
    dicts: str = "",
    min_len: int = 2,
    keep_digits: bool = True,
) -> Perturbation:
    """Replace a `rate` fraction of translatable words with dictionary translations into `langs`."""
    if not 0.0 <= rate <= 1.0 or not 0.0 <= sentence_rate <= 1.0:
        raise SpecError(f"codeswitch: rate={rate} and sentence_rate={sentence_rate} must be in [0, 1]")
    if min_len < 1:
        raise SpecError(f"codeswitch: min_len={min_len} must be >= 1")
    codes = tuple(dict.fromkeys(_embedded_code(x) for x in langs))
    return CodeSwitch(default_dictionaries(dicts), rate, sentence_rate, codes, min_len, keep_digits, dicts)


def _embedded_code(lang: str) -> str:
    low = lang.strip().lower()
    return low if low in EXTRA_DICT_LANGS else canonical_lang(lang)
