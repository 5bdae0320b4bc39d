"""Counts and names in English sentences: the one place that knows "1 win" from "2 wins".

Every answer that puts a number next to a noun goes through :func:`plural`, and a verb whose
subject is a list or a count through :func:`agree`, so no bot says "1 wins" or "Apple and
Banana leads". No discord.py here: services use it too.
"""

from __future__ import annotations

from collections.abc import Sequence


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``count`` (with thousands separators) and the noun that agrees with it.

    ``plural(1, "win")`` is "1 win", ``plural(1200, "win")`` "1,200 wins"; irregular nouns
    give their plural: ``plural(2, "life", "lives")``.
    """
    return f"{count:,} {noun_for(count, noun, plural_noun)}"


def noun_for(count: int, noun: str, plural_noun: str | None = None) -> str:
    """The noun alone, as it agrees with ``count``: for a count shown elsewhere (in bold)."""
    if count == 1:
        return noun
    return plural_noun if plural_noun is not None else f"{noun}s"


def agree(count: int, singular: str, plural_form: str) -> str:
    """The verb form for ``count`` subjects: ``agree(2, "leads", "lead")`` is "lead"."""
    return singular if count == 1 else plural_form


def and_list(items: Sequence[str]) -> str:
    """Items as a sentence lists them: "A", "A and B", "A, B and C"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def role_label(name: str) -> str:
    """A role's name as members read it without a ping: "@Moderators", and "@everyone" for
    the default role, whose name already holds the "@"."""
    return name if name.startswith("@") else f"@{name}"
