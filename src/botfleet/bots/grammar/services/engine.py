"""The interface every checking engine implements, and the failure an engine may report."""

from __future__ import annotations

import re
from typing import Final, Protocol, runtime_checkable

from botfleet.bots.grammar.services.issues import Issue
from botfleet.errors import BotfleetError

LANGUAGE_CODE: Final = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")
"""A language, optionally with its region: ``en``, ``en-US``, ``en-GB``."""
MAX_SUGGESTIONS: Final = 5
"""Replacements kept per issue: more than a member would read on a button row."""


def base_language(code: str) -> str:
    """The language of a code without its region: ``en`` for ``en-GB``."""
    return code.split("-", 1)[0].lower()


def unique_suggestions(candidates: list[str]) -> tuple[str, ...]:
    """Candidates in order without repeats (ignoring surrounding spaces), at most a few."""
    seen: set[str] = set()
    kept: list[str] = []
    for candidate in candidates:
        key = candidate.strip()
        if key in seen:
            continue
        seen.add(key)
        kept.append(candidate)
    return tuple(kept[:MAX_SUGGESTIONS])


class EngineError(BotfleetError):
    """An engine could not check this time (a server down, a timeout); the others still count."""

    def __init__(self, engine: str, reason: str) -> None:
        super().__init__(f"{engine}: {reason}")
        self.engine = engine
        self.reason = reason


class Engine(Protocol):
    """A checker of text in some languages; the grammar checker runs several side by side."""

    @property
    def name(self) -> str:
        """A short id shown in results and logs."""

    def supports(self, language: str) -> bool:
        """Whether the engine checks text in ``language`` (a code such as ``en-US``)."""

    async def start(self) -> None:
        """Load what the engine needs (dictionaries, sessions) once, before the first check."""

    async def check(self, text: str, language: str) -> list[Issue]:
        """The issues in ``text``; :class:`EngineError` when the engine cannot answer now."""

    async def close(self) -> None:
        """Release what :meth:`start` opened."""


@runtime_checkable
class InProcessEngine(Engine, Protocol):
    """An engine that computes in this process (Harper, the rules, the spelling engine).

    The checker runs all of them one after the other in one worker thread: they hold the GIL
    most of the time, so running them side by side in threads of their own only made them wait
    for each other's switch interval (5 ms) and for one more thread to be scheduled.
    """

    def check_in_thread(self, text: str, language: str) -> list[Issue]:
        """The issues in ``text``, computed in the calling thread (never the event loop's)."""
