"""Language families of the 40 XTREME languages, for the "drop by language family" figure.

Indo-European is split by branch (Germanic, Romance, ...), since it covers half the languages and
its branches differ in script and morphology; other families are named as a whole (Glottolog).
"""

from __future__ import annotations

_FAMILIES: dict[str, tuple[str, ...]] = {
    "IE: Germanic": ("af", "de", "en", "nl"),
    "IE: Romance": ("es", "fr", "it", "pt"),
    "IE: Slavic": ("bg", "ru"),
    "IE: Indo-Aryan": ("bn", "hi", "mr", "ur"),
    "IE: Iranian": ("fa",),
    "IE: Greek": ("el",),
    "Afro-Asiatic": ("ar", "he"),
    "Uralic": ("et", "fi", "hu"),
    "Turkic": ("kk", "tr"),
    "Austronesian": ("id", "jv", "ms", "tl"),
    "Dravidian": ("ml", "ta", "te"),
    "Sino-Tibetan": ("my", "zh"),
    "Niger-Congo": ("sw", "yo"),
    "Austroasiatic": ("vi",),
    "Kra-Dai": ("th",),
    "Japonic": ("ja",),
    "Koreanic": ("ko",),
    "Kartvelian": ("ka",),
    "Basque (isolate)": ("eu",),
}
FAMILY_OF: dict[str, str] = {lang: family for family, langs in _FAMILIES.items() for lang in langs}


def family_of(lang: str) -> str:
    """The family (or Indo-European branch) of a language code; region subtags are ignored."""
    return FAMILY_OF.get(lang.replace("_", "-").split("-")[0].lower(), "Other")
