"""Words that are not misspellings in chat, shared by the engines that judge spelling."""

from __future__ import annotations

from pathlib import Path
from typing import Final

TECH_WORDS_FILE: Final = Path(__file__).parent.parent / "data" / "tech_words.txt"

CHAT_WORDS: Final = frozenset(
    {
        "afaict",
        "afaik",
        "afk",
        "ama",
        "bbiab",
        "bbl",
        "bc",
        "brb",
        "btw",
        "ci",
        "cuz",
        "dm",
        "dms",
        "dw",
        "emoji",
        "emojis",
        "eta",
        "ez",
        "faq",
        "fr",
        "frfr",
        "ftw",
        "fwiw",
        "fyi",
        "gb",
        "gg",
        "ggs",
        "ggwp",
        "gj",
        "gl",
        "glhf",
        "gtg",
        "hbu",
        "hf",
        "hmu",
        "hyd",
        "icymi",
        "idc",
        "idk",
        "ig",
        "iirc",
        "ikr",
        "imho",
        "imma",
        "imo",
        "irl",
        "istg",
        "jk",
        "kb",
        "lfg",
        "lmao",
        "lmfao",
        "lmk",
        "lol",
        "mb",
        "nbd",
        "ngl",
        "np",
        "nvm",
        "ofc",
        "omg",
        "omw",
        "oof",
        "op",
        "pls",
        "plz",
        "ppl",
        "pr",
        "prs",
        "qa",
        "rn",
        "rofl",
        "smh",
        "tb",
        "tbf",
        "tbh",
        "tho",
        "thx",
        "tldr",
        "tmi",
        "ttyl",
        "ttys",
        "ty",
        "tysm",
        "tyvm",
        "wbu",
        "wdym",
        "wp",
        "wyd",
        "yk",
        "ykwim",
        "yw",
    }
)
"""Chat and developer-chat abbreviations: a spelling note on "lol" or "pr" helps nobody."""

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
