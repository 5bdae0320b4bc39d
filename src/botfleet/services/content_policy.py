"""The content policy of the word lists games draw from: stricter than the chat filter, by design.

The chat filter (:mod:`botfleet.services.profanity`) must never flag an innocent word that a
member types ("Scunthorpe", "assess"), so it lists swearing and slurs only. A word a game picks
by itself and shows to a whole server is held to more: nothing sexual, violent, drug-related or
slur-adjacent, even when the word is harmless in conversation. A bundled list is ``safe`` when no
judge flags any of its words, and three independent judges look at each word:

* the fleet's chat filter;
* the word list of the ``better-profanity`` package (a blocklist written independently of ours,
  a dependency of every install: the Hangman Bot judges its servers' family-safe lists with it);
* :data:`REVIEWED_UNSUITABLE`, our own list of words that both others pass, found by reading the
  bundled lists by eye.

The last two also flag a listed word with a plain ending ("killing", "tortured"): their lists
hold base forms, and a game list holds every form.

The build scripts drop every flagged word, and the tests fail on any flagged word in a shipped
list, so a rebuild cannot bring one back. Words that members type themselves (a Hangman
secret) are theirs: only the chat filter checks those. A server's own Hangman list is held to
this policy unless the admin who made it opted out.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Final

from botfleet.services.profanity import is_profane_word

__all__ = [
    "REVIEWED_UNSUITABLE",
    "Judge",
    "base_forms",
    "blocklist",
    "flagged_words",
    "is_family_safe",
    "judges_flagging",
]


class Judge(StrEnum):
    """Who flagged a word: each judge has its own word list, so one misses what another sees."""

    CHAT_FILTER = "chat filter"
    BLOCKLIST = "better-profanity"
    REVIEWED = "reviewed list"


REVIEWED_UNSUITABLE: Final[frozenset[str]] = frozenset(
    {
        "abort",
        "abortion",
        "abuse",
        "addict",
        "addiction",
        "addictive",
        "alcoholic",
        "alcoholism",
        "assassin",
        "assassinate",
        "assassination",
        "babe",
        "beheaded",
        "belladonna",
        "bloodbath",
        "bloodshed",
        "bombed",
        "bombing",
        "bong",
        "booby",
        "booty",
        "booze",
        "bosom",
        "breast",
        "breasted",
        "brothel",
        "butt",
        "buttocks",
        "cannabis",
        "carnage",
        "carnal",
        "cervix",
        "cleavage",
        "cocaine",
        "codeine",
        "coke",
        "concubine",
        "condom",
        "contraception",
        "contraceptive",
        "crappy",
        "cripple",
        "cuckold",
        "decapitated",
        "dope",
        "dork",
        "drug",
        "drunken",
        "dumb",
        "enema",
        "erectile",
        "excrement",
        "fecal",
        "feces",
        "fentanyl",
        "genitals",
        "genocide",
        "ghetto",
        "gunman",
        "gunmen",
        "gunpoint",
        "gypsy",
        "handgun",
        "hangover",
        "harem",
        "hickey",
        "holocaust",
        "homicide",
        "hookup",
        "idiocy",
        "idiot",
        "idiotic",
        "imbecile",
        "intoxicated",
        "intoxication",
        "jihad",
        "kidnap",
        "kidnapped",
        "kidnapping",
        "lactation",
        "lesbian",
        "lingerie",
        "lunatic",
        "lynch",
        "machete",
        "maimed",
        "manslaughter",
        "marijuana",
        "massacre",
        "menstrual",
        "midget",
        "morphine",
        "murderous",
        "narcotic",
        "nudity",
        "opioid",
        "orifice",
        "ovarian",
        "overdose",
        "peeing",
        "phallus",
        "pornographic",
        "prostate",
        "puke",
        "redneck",
        "seductive",
        "sensual",
        "shootout",
        "slain",
        "slaughter",
        "slay",
        "sphincter",
        "stabbing",
        "stoner",
        "strangle",
        "stripping",
        "suicidal",
        "suicide",
        "terrorism",
        "terrorist",
        "thong",
        "topless",
        "torture",
        "twink",
        "urinary",
        "urinate",
        "uterine",
        "vaginal",
        "vape",
        "vibrator",
        "wiener",
    }
)
"""Sexual, violent, drug and slur-adjacent words neither other judge flags, read by eye."""

BLOCKLIST_FILE: Final = "profanity_wordlist.txt"
"""The word list inside the ``better-profanity`` package."""
ENDINGS: Final = ("s", "es", "ed", "er", "ers", "ing", "ings")
"""Plain endings that leave a listed word as unfit as it was."""
AFTER_E: Final = ("s", "d", "r", "rs")
"""Endings of a listed word ending in e ("abused", "puker")."""
MIN_ROOT_LENGTH: Final = 4
"""Shorter roots end too many innocent words ("lend" is not "len" with a d)."""
NOT_FORMS: Final[frozenset[str]] = frozenset(
    {
        "butter",
        "luster",
        "spaced",
        "spaces",
        "spacing",
        "spiced",
        "spices",
        "spiked",
        "spikes",
        "spiking",
        "striped",
        "stripes",
        "tested",
        "tester",
        "testers",
        "testing",
    }
)
"""Words that look like a listed word with an ending but are another word, read by eye."""


def base_forms(word: str) -> set[str]:
    """``word`` and the words it may be with an ending: "making" is make or mak.

    A double s is no ending ("assess" is not "asses" with an s); :data:`NOT_FORMS` stand alone.
    """
    word = word.casefold()
    forms = {word}
    if word in NOT_FORMS:
        return forms
    for ending in ENDINGS:
        root = word.removesuffix(ending)
        double_s = ending == "s" and root.endswith("s")
        if root != word and len(root) >= MIN_ROOT_LENGTH and not double_s:
            forms.update({root, root + "e"} if ending[0] in "ei" else {root})
    for ending in AFTER_E:
        root = word.removesuffix(ending)
        if root != word and root.endswith("e") and len(root) >= MIN_ROOT_LENGTH:
            forms.add(root)
    return forms


@cache
def blocklist() -> frozenset[str]:
    """The words of ``better-profanity``'s own list, lowercased.

    The package matches whole words, so for a plain a–z word its verdict is whether the word is
    on this list (its look-alike spellings, "@" for "a", only matter in typed text); reading
    the list once is what keeps judging a list of 10,000 words fast.
    """
    text = resources.files("better_profanity").joinpath(BLOCKLIST_FILE).read_text("utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())


def judges_flagging(word: str) -> tuple[Judge, ...]:
    """The judges that find ``word`` unfit for a game's list, in :class:`Judge` order."""
    forms = base_forms(word)
    verdicts = {
        Judge.CHAT_FILTER: is_profane_word(word),
        Judge.BLOCKLIST: not forms.isdisjoint(blocklist()),
        Judge.REVIEWED: not forms.isdisjoint(REVIEWED_UNSUITABLE),
    }
    return tuple(judge for judge, flagged in verdicts.items() if flagged)


def is_family_safe(word: str) -> bool:
    """Whether ``word`` may be in a list a game draws from: no judge flags it."""
    return not judges_flagging(word)


def flagged_words(words: Iterable[str]) -> dict[str, tuple[Judge, ...]]:
    """Each flagged word of ``words`` with the judges that flag it, alphabetically."""
    verdicts = {word: judges_flagging(word) for word in sorted(set(words))}
    return {word: judges for word, judges in verdicts.items() if judges}
