"""Words that are not misspellings in chat, shared by the engines that judge spelling."""

from __future__ import annotations

from pathlib import Path
from typing import Final

TECH_WORDS_FILE: Final = Path(__file__).parent.parent / "data" / "tech_words.txt"

CHAT_WORDS: Final = frozenset(
    {
        "afaik",
        "afk",
        "bc",
        "brb",
        "btw",
        "cuz",
        "dm",
        "dms",
        "emoji",
        "emojis",
        "faq",
        "fwiw",
        "fyi",
        "gg",
        "gtg",
        "hmu",
        "idc",
        "idk",
        "iirc",
        "ikr",
        "imho",
        "imo",
        "irl",
        "jk",
        "lmao",
        "lmk",
        "lol",
        "ngl",
        "np",
        "nvm",
        "ofc",
        "omg",
        "pls",
        "plz",
        "ppl",
        "rofl",
        "rn",
        "smh",
        "tbf",
        "tbh",
        "thx",
        "tldr",
        "ttyl",
        "ty",
        "wdym",
    }
)
"""Chat abbreviations: a spelling note on "lol" in a Discord channel helps nobody."""

SPELLING_VARIANTS: Final = frozenset(
    {"cancelled", "cancelling", "labelled", "labelling", "modelled", "travelled", "traveller"}
)
"""Spellings American dictionaries list beside the shorter one; neither is a mistake."""


def _tech_words() -> frozenset[str]:
    """The vocabulary ``scripts/build_tech_words.py`` writes (languages, tools, jargon)."""
    return frozenset(TECH_WORDS_FILE.read_text(encoding="utf-8").split())


TECH_WORDS: Final = _tech_words()
"""Names of languages, formats, tools and Python modules, and software jargon."""

KNOWN_WORDS: Final = CHAT_WORDS | SPELLING_VARIANTS | TECH_WORDS
"""Every word the spelling engines leave alone whatever their dictionaries say."""
