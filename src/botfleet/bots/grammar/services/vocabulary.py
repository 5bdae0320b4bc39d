"""Words of chat that are not misspellings, shared by the engines that judge spelling."""

from __future__ import annotations

from typing import Final

CHAT_WORDS: Final = frozenset(
    {
        "afk",
        "brb",
        "btw",
        "dm",
        "dms",
        "emoji",
        "emojis",
        "faq",
        "fyi",
        "gg",
        "idk",
        "imo",
        "irl",
        "lmao",
        "lol",
        "np",
        "omg",
        "pls",
        "tbh",
        "thx",
        "ty",
    }
)
"""Chat abbreviations: a spelling note on "lol" in a Discord channel helps nobody."""
