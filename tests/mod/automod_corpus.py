"""A seeded corpus of chat, innocent and hostile, and the verdicts automod gave it.

The verdicts file was written by the automod of main before the rules shared one reading of
the text (issue 13); the test judges the same corpus again and requires the same verdicts,
strike for strike. Run ``python tests/mod/automod_corpus.py`` (with ``tests/mod`` on the
path) to write the file again after a deliberate change of what the rules decide.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Final

from botfleet.bots.mod.services.automod import (
    AutomodEngine,
    AutomodSettings,
    CompiledRules,
    MessageFacts,
)

VERDICTS: Final = Path(__file__).with_name("automod_verdicts.json.gz")
TEXTS: Final = 12_000
GUILD: Final = 111_111_111_111_111_111
CHANNEL: Final = 333_333_333_333_333_333
AUTHORS: Final = (1, 2, 3)

RULES: Final = {
    "rules": [
        {"kind": "rate", "max_messages": 6, "per_seconds": 5},
        {"kind": "duplicates", "max_repeats": 2, "per_seconds": 60},
        {"kind": "mentions", "max_mentions": 4},
        {"kind": "caps", "min_letters": 12, "max_ratio": 0.7},
        {"kind": "emoji", "max_emoji": 5},
        {"kind": "invites", "allowed_codes": ["botfleet"]},
        {"kind": "links", "allowed_domains": ["github.com", "www.python.org"]},
        {"kind": "words", "words": ["heck*", "darn", "*frick*", "bollard"], "fleet_list": True},
        {"kind": "patterns", "patterns": [r"free\s+nitro", r"\bsteam\s*gift\b", r"(\w)\1{5}"]},
    ]
}

CHAT: Final = (
    "has",
    "anyone",
    "tried",
    "the",
    "new",
    "patch",
    "notes",
    "yet",
    "the",
    "raid",
    "boss",
    "feels",
    "easier",
    "now",
    "I",
    "think",
    "we",
    "should",
    "meet",
    "on",
    "Saturday",
    "at",
    "eight",
    "after",
    "the",
    "tournament",
    "Scunthorpe",
    "assess",
    "classic",
    "class",
    "passed",
    "cocktail",
    "Penistone",
    "darning",
    "socks",
    "assassin",
    "grass",
    "bass",
    "shitake",
    "cumulus",
    "document",
    "analysis",
    "Dickens",
    "peacock",
    "cockpit",
    "Pakistan",
    "despicable",
    "raccoon",
    "parse",
    "arsenal",
    "titsup",
)
LISTED: Final = ("heck", "darn", "frick", "bollard", "shit", "fuck", "ass", "bitch", "cunt", "dick")
LEET: Final = {
    "a": "4@",
    "e": "3€",
    "i": "1!|",
    "l": "1|",
    "o": "0",
    "s": "5$",
    "t": "7+",
    "b": "8",
}
LOOKALIKE: Final = {"a": "а", "e": "е", "o": "о", "c": "с", "i": "і", "s": "ѕ"}
ENDINGS: Final = ("", "", "s", "ing", "y", "er", "head", "ed")
SPACES: Final = (" ", " ", " ", "  ", "\n", "\t", "\u2003", "\x1c")
EXTRAS: Final = (
    "😀",
    "🔥🔥",
    "<:pog:123456789012345678>",
    "<a:dance:123456789012345679>",
    "discord.gg/botfleet",
    "discord.gg/raiders",
    "https://discord.com/invite/abc-123",
    "dsc.gg/x",
    "https://github.com/botfleet",
    "http://evil.example/x",
    "www.github.com.evil.io",
    "https://docs.python.org/3/",
    "free   nitro",
    "FREE\nNITRO",
    "steam gift",
    "steamgifts",
    "aaaaaaa",
    "\u200b",
    "café",
    "ｆｕｃｋ",
    "WHY IS NOBODY ANSWERING",
)


def _disguised(word: str, rng: random.Random) -> str:
    """A listed word as people write it to slip past a filter, or plainly."""
    letters = []
    for plain in word + rng.choice(ENDINGS):
        letter, roll = plain, rng.random()
        if roll < 0.15 and letter in LEET:
            letter = rng.choice(LEET[letter])
        elif roll < 0.2 and letter in LOOKALIKE:
            letter = LOOKALIKE[letter]
        elif roll < 0.3:
            letter *= rng.randint(2, 4)
        elif roll < 0.35:
            letter = letter.upper()
        letters.append(letter)
        if rng.random() < 0.05:
            letters.append(rng.choice(".-_*'"))
    text = "".join(letters)
    if rng.random() < 0.2:
        text = rng.choice("\"'([*!?.,") + text + rng.choice("\"')]*!?.,")
    return text


def _word(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.06:
        return _disguised(rng.choice(LISTED), rng)
    if roll < 0.1:
        return rng.choice(EXTRAS)
    word = rng.choice(CHAT)
    if rng.random() < 0.1:
        word = word.upper()
    if rng.random() < 0.15:
        word += rng.choice(".,!?;:…")
    return word


Message = tuple[str, int, int, float]
"""Text, members mentioned, author, when."""


def corpus(count: int = TEXTS, seed: int = 13) -> list[Message]:
    """``count`` messages: short and long, clean and hostile, floods and repeats too."""
    rng = random.Random(seed)
    texts: list[Message] = []
    at = 0.0
    for _ in range(count):
        at += rng.choice((0.1, 0.5, 3.0, 10.0, 60.0))
        author = rng.choice(AUTHORS)
        if texts and rng.random() < 0.1:
            text, _, author, _ = texts[-1]  # the same member again, maybe in other case or spaces
            text = f" {text.upper()} " if rng.random() < 0.5 else text
        else:
            length = rng.choice((1, 3, 8, 20, 60, 300))
            parts = [_word(rng) for _ in range(rng.randint(1, length))]
            text = "".join(part + rng.choice(SPACES) for part in parts).rstrip(" ")
            text = text[: rng.choice((80, 500, 2000, 4000))]
        texts.append((text, 5 if rng.random() < 0.03 else rng.randint(0, 2), author, at))
    return texts


def verdicts(texts: list[Message]) -> list[str | None]:
    """Each message's verdict, judged in order by one engine (so spam rules see a history)."""
    rules = CompiledRules.build(1, AutomodSettings.model_validate(RULES))
    engine = AutomodEngine()
    found: list[str | None] = []
    for text, mentions, author, at in texts:
        facts = MessageFacts(GUILD, CHANNEL, author, frozenset(), text, mentions, at)
        verdict = engine.judge(facts, rules)
        found.append(
            None
            if verdict is None
            else f"{verdict.kind}|{verdict.strike}|{verdict.step.action}|{verdict.reason}"
        )
    return found


def stored_verdicts() -> list[str | None]:
    with gzip.open(VERDICTS, "rt", encoding="utf-8") as stored:
        loaded: list[str | None] = json.load(stored)
    return loaded


if __name__ == "__main__":
    with gzip.open(VERDICTS, "wt", encoding="utf-8") as written:
        json.dump(verdicts(corpus()), written, ensure_ascii=False)
