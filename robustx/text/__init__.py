"""Script-aware text handling: languages and scripts, exact-cover tokenization, grapheme clusters."""

from robustx.text.scripts import (
    LANGUAGE_NAMES,
    SPACELESS_LANGUAGES,
    XTREME_LANGUAGES,
    UnknownLanguageError,
    canonical_lang,
    char_script,
    is_spaceless,
    script_of,
)
from robustx.text.segment import Token, graphemes, tokenize, words
from robustx.text.wordseg import segmenter_name

__all__ = [
    "LANGUAGE_NAMES",
    "SPACELESS_LANGUAGES",
    "XTREME_LANGUAGES",
    "Token",
    "UnknownLanguageError",
    "canonical_lang",
    "char_script",
    "graphemes",
    "is_spaceless",
    "script_of",
    "segmenter_name",
    "tokenize",
    "words",
]
