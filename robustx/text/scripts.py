"""Languages robustx knows (the 40 XTREME / PAN-X languages) and the writing systems they use.

``script_of(lang)`` is the script a language is normally written in; ``char_script(ch)`` is the Unicode
``Script`` property of one code point (``'Common'`` for punctuation, digits and symbols shared by scripts,
``'Inherited'`` for combining marks that take the script of their base, ``'Unknown'`` for private-use and
unassigned code points). Language codes are ISO 639-1; a region or script subtag is accepted and ignored
(``'zh-CN'``, ``'pt_BR'`` -> ``'zh'``, ``'pt'``).
"""

from __future__ import annotations

import difflib
import functools

import regex

from robustx.errors import SpecError

__all__ = [
    "LANGUAGE_NAMES",
    "SPACELESS_LANGUAGES",
    "XTREME_LANGUAGES",
    "UnknownLanguageError",
    "canonical_lang",
    "char_script",
    "is_spaceless",
    "script_of",
]

# code -> (English name, script). Keys are exactly the PAN-X configs of google/xtreme.
_LANGS: dict[str, tuple[str, str]] = {
    "af": ("Afrikaans", "Latin"),
    "ar": ("Arabic", "Arabic"),
    "bg": ("Bulgarian", "Cyrillic"),
    "bn": ("Bengali", "Bengali"),
    "de": ("German", "Latin"),
    "el": ("Greek", "Greek"),
    "en": ("English", "Latin"),
    "es": ("Spanish", "Latin"),
    "et": ("Estonian", "Latin"),
    "eu": ("Basque", "Latin"),
    "fa": ("Persian", "Arabic"),
    "fi": ("Finnish", "Latin"),
    "fr": ("French", "Latin"),
    "he": ("Hebrew", "Hebrew"),
    "hi": ("Hindi", "Devanagari"),
    "hu": ("Hungarian", "Latin"),
    "id": ("Indonesian", "Latin"),
    "it": ("Italian", "Latin"),
    "ja": ("Japanese", "Japanese"),
    "jv": ("Javanese", "Latin"),
    "ka": ("Georgian", "Georgian"),
    "kk": ("Kazakh", "Cyrillic"),
    "ko": ("Korean", "Hangul"),
    "ml": ("Malayalam", "Malayalam"),
    "mr": ("Marathi", "Devanagari"),
    "ms": ("Malay", "Latin"),
    "my": ("Burmese", "Myanmar"),
    "nl": ("Dutch", "Latin"),
    "pt": ("Portuguese", "Latin"),
    "ru": ("Russian", "Cyrillic"),
    "sw": ("Swahili", "Latin"),
    "ta": ("Tamil", "Tamil"),
    "te": ("Telugu", "Telugu"),
    "th": ("Thai", "Thai"),
    "tl": ("Tagalog", "Latin"),
    "tr": ("Turkish", "Latin"),
    "ur": ("Urdu", "Arabic"),
    "vi": ("Vietnamese", "Latin"),
    "yo": ("Yoruba", "Latin"),
    "zh": ("Chinese", "Han"),
}

XTREME_LANGUAGES: tuple[str, ...] = tuple(sorted(_LANGS))
LANGUAGE_NAMES: dict[str, str] = {code: name for code, (name, _) in sorted(_LANGS.items())}
# Written without spaces between words: tokenize() runs a word segmenter on these scripts.
SPACELESS_LANGUAGES: frozenset[str] = frozenset({"ja", "my", "th", "zh"})


class UnknownLanguageError(SpecError, ValueError):
    """A language code robustx does not know. A ``ValueError`` for library callers, a ``SpecError``
    (exit code 2, one line) for the CLI."""


def canonical_lang(lang: str) -> str:
    """The ISO 639-1 code for ``lang`` (``'DE'``, ``'de-AT'``, ``'de_DE'`` -> ``'de'``).

    Raises UnknownLanguageError naming ``lang`` and the closest known codes or language names.
    """
    if lang in _LANGS:  # the common case, before any string work
        return lang
    if not isinstance(lang, str):
        raise UnknownLanguageError(f"language must be an ISO 639-1 code string, got {lang!r}")
    code = regex.split(r"[-_]", lang.strip(), maxsplit=1)[0].lower()
    if code in _LANGS:
        return code
    raise UnknownLanguageError(_unknown_message(lang))


def _unknown_message(lang: str) -> str:
    by_name = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}
    key = lang.strip().lower()
    if key in by_name:
        return f"unknown language {lang!r}: use the ISO 639-1 code {by_name[key]!r}"
    guesses = difflib.get_close_matches(key, list(_LANGS), n=3, cutoff=0.5)
    guesses += [by_name[n] for n in difflib.get_close_matches(key, list(by_name), n=2, cutoff=0.7)]
    hint = ", ".join(dict.fromkeys(f"{g!r} ({LANGUAGE_NAMES[g]})" for g in guesses))
    known = " ".join(XTREME_LANGUAGES)
    return f"unknown language {lang!r}" + (f"; did you mean {hint}?" if hint else f"; known: {known}")


def script_of(lang: str) -> str:
    """The script ``lang`` is written in: 'Latin', 'Cyrillic', …, 'Han' (zh), 'Japanese' (ja: Kana + Han),
    'Hangul' (ko)."""
    return _LANGS[canonical_lang(lang)][1]


def is_spaceless(lang: str) -> bool:
    """True for languages written without spaces between words (zh, ja, th, my)."""
    return canonical_lang(lang) in SPACELESS_LANGUAGES


# Long names of the Unicode Script property values (PropertyValueAliases.txt, sc), all understood by the
# ``regex`` module. Code points matching none of them are 'Unknown' (Zzzz: private use, unassigned).
_SCRIPT_NAMES = """
Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki
Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee
Chorasmian Common Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra
Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Garay Georgian Glagolitic Gothic Grantha Greek
Gujarati Gunjala_Gondi Gurmukhi Gurung_Khema Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana
Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana
Kawi Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Kirat_Rai Lao Latin Lepcha Limbu
Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi
Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro
Multani Myanmar Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham
Ol_Chiki Ol_Onal Old_Hungarian Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian
Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa
Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham SignWriting Sinhala
Sogdian Sora_Sompeng Soyombo Sundanese Sunuwar Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet
Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Todhri Toto Tulu_Tigalari Ugaritic Vai
Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square
""".split()


@functools.cache
def _script_pattern() -> regex.Pattern[str]:
    # Frequent scripts first: the alternation stops at the first group that matches.
    first = ["Common", "Latin", "Inherited", "Han", "Cyrillic", "Arabic", "Devanagari"]
    names = first + [n for n in _SCRIPT_NAMES if n not in first]
    return regex.compile("|".join(rf"(?P<{n}>\p{{Script={n}}})" for n in names))


@functools.lru_cache(maxsize=8192)
def char_script(ch: str) -> str:
    """Unicode Script property of one code point ('Latin', 'Devanagari', 'Common', 'Inherited', …)."""
    if not isinstance(ch, str) or len(ch) != 1:
        raise ValueError(f"char_script expects exactly one code point, got {ch!r}")
    match = _script_pattern().match(ch)
    return match.lastgroup if match is not None and match.lastgroup else "Unknown"
