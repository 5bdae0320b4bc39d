"""Regular expressions moderators write, checked before they are kept and run with a time bound.

Patterns are compiled by the ``regex`` package, whose matching takes a ``timeout``: a pattern
that backtracks catastrophically on some message stops after its budget instead of freezing
the bot. A pattern is also tried on a few hostile texts when it is saved, so one that is slow
on long messages is refused with an explanation rather than timing out on every message.
``regex`` (about 1.3 MB of a bot's memory) is imported when the first pattern is compiled: a
Moderation Bot whose servers keep no patterns never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from botfleet.bots.mod.services.text_scan import contains
from botfleet.errors import UserError

if TYPE_CHECKING:
    import regex

logger = logging.getLogger(__name__)

MAX_PATTERN_LENGTH: Final = 300
MAX_PATTERNS: Final = 25
DEFAULT_TIMEOUT: Final = 0.005
"""Seconds one pattern may spend on one message."""
VALIDATION_TIMEOUT: Final = 0.05
"""Seconds one pattern may spend on each probe when it is saved."""

_PROBES: Final = (
    "a" * 2000 + "!",
    "aA1 " * 500 + "!",
    "x" * 1000 + " " + "y" * 999,
    ("ab" * 1000) + "c",
    "1" * 2000 + "x",
    "\n".join(["word"] * 400) + "!",
)
"""Texts on which catastrophic backtracking shows: long runs that fail at the very end."""


class InvalidPatternError(UserError):
    """A pattern the bot will not run; the message says why."""


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    source: str
    compiled: regex.Pattern[str]


def compile_pattern(source: str) -> CompiledPattern:
    """Check and compile one moderator's pattern (case-insensitive)."""
    import regex  # noqa: PLC0415  (see the module's docstring)

    if not source.strip():
        raise InvalidPatternError("The pattern is empty.")
    if len(source) > MAX_PATTERN_LENGTH:
        raise InvalidPatternError(
            f"A pattern can be {MAX_PATTERN_LENGTH} characters at most; this one has {len(source)}."
        )
    try:
        compiled = regex.compile(source, regex.IGNORECASE | regex.V0)
    except regex.error as error:
        raise InvalidPatternError(f"That is not a valid regular expression: {error}.") from None
    if compiled.search("") is not None:
        raise InvalidPatternError(
            "That pattern matches an empty message, so it would match every message."
        )
    for probe in _PROBES:
        try:
            compiled.search(probe, timeout=VALIDATION_TIMEOUT)
        except TimeoutError:
            raise InvalidPatternError(
                "That pattern takes too long on long messages (it backtracks catastrophically, "
                "as nested repeats like `(a+)+` do). Simplify it and try again."
            ) from None
    return CompiledPattern(source, compiled)


def _combined(patterns: Iterable[CompiledPattern]) -> regex.Pattern[str] | None:
    """One pattern matching wherever any of ``patterns`` does, or None if they can't be joined.

    A branch reset group numbers each alternative's groups from 1, so every pattern's own
    backreferences still point at its own groups.
    """
    import regex  # noqa: PLC0415  (compile_pattern imported it already)

    joined = "|".join(f"(?:{pattern.source})" for pattern in patterns)
    try:
        return regex.compile(f"(?|{joined})", regex.IGNORECASE | regex.V0)
    except regex.error:
        return None


_SPECIAL: Final = frozenset("()[]{}|.^$+*?")
_OPTIONAL_AFTER: Final = frozenset("?*{")
_SIMPLE_ESCAPES: Final = frozenset("sSwWdDbBAZzntrfv")
MIN_LITERAL: Final = 3


def required_literal(source: str, flags: int = 0) -> str | None:
    """A run of plain ASCII characters every match of ``source`` contains, lower-cased, or None.

    Read conservatively, outside groups and classes only: a character that a quantifier may
    repeat or leave out ends the run, and anything not understood gives None. A wrong literal
    would hide a match, a missing one only costs the regex search it could have saved. Of
    several runs, the one whose rarest character is rarest in chat (then the longest): that
    character is looked for first, and a long message holds every common letter, so
    ``steam\\s*community\\.\\w+/gift`` is ruled out by a missing "/" rather than by searching
    "community." through the whole text.
    """
    import regex  # noqa: PLC0415  (the flags are a compiled pattern's: regex is loaded)

    if flags & regex.VERBOSE or not source.isascii():
        return None
    runs: list[str] = []
    run: list[str] = []
    depth = index = 0
    while index < len(source):
        char = source[index]
        width, literal = 1, None
        if char == "\\":
            escaped = source[index + 1 : index + 2]
            if not escaped or (escaped.isalnum() and escaped not in _SIMPLE_ESCAPES):
                return None  # \\x41, \\p{L}, \\1...: escapes with more to them
            width, literal = 2, None if escaped.isalnum() else escaped
        elif char == "[":
            first = index + 1 + source.startswith("^", index + 1)
            first += source.startswith("]", first)  # a "]" first in a class is a member
            close = source.find("]", first)
            if close < 0 or "\\" in source[index:close] or "[" in source[index + 1 : close]:
                return None  # escapes, POSIX classes and nested sets: not read here
            width = close - index + 1
        elif char == "{":  # a repeat count, {m,n}: its digits are no text of a match
            close = source.find("}", index)
            if close < 0:
                return None
            width = close - index + 1
        elif char in _SPECIAL:
            if char == "|" and depth == 0:
                return None
            depth += {"(": 1, ")": -1}.get(char, 0)
        else:
            literal = char
        following = source[index + width : index + width + 1]
        if literal is not None and depth == 0 and following not in _OPTIONAL_AFTER:
            run.append(literal.lower())
            if following != "+":
                index += width
                continue
        runs.append("".join(run))
        run = []
        index += width
    runs.append("".join(run))
    usable = [literal for literal in runs if len(literal) >= MIN_LITERAL]
    if not usable:
        return None
    return max(usable, key=lambda literal: (_rarity(_rarest(literal)), len(literal)))


_COMMON: Final = " etaoinsrhldcumfpgwybvk.,'"
"""Characters of English chat, most frequent first; any other character is rarer still."""


def _rarity(char: str) -> int:
    """How rare ``char`` is in chat: its rank in :data:`_COMMON`, past the end if absent."""
    return _COMMON.find(char) % (len(_COMMON) + 1)


def _rarest(literal: str) -> str:
    """The character of ``literal`` least likely in chat: the first to look for."""
    return max(literal, key=_rarity)


class PatternSet:
    """A guild's patterns, each run with a time bound; a pattern that times out is skipped.

    Most messages match none: one search of all the patterns joined says so (each search
    with a timeout has a fixed cost); only a message it matches is searched pattern by
    pattern, to name the one that matched.
    """

    def __init__(self, sources: Iterable[str], timeout: float = DEFAULT_TIMEOUT) -> None:
        patterns = [compile_pattern(source) for source in dict.fromkeys(sources)]
        if len(patterns) > MAX_PATTERNS:
            raise InvalidPatternError(f"A rule holds {MAX_PATTERNS} patterns at most.")
        self._patterns = tuple(patterns)
        self._any = _combined(patterns) if len(patterns) > 1 else None
        literals = [required_literal(p.source, p.compiled.flags) for p in patterns]
        self._literals = (
            tuple((_rarest(literal), literal) for literal in filter(None, literals))
            if all(literals)
            else None
        )
        """Each pattern's required text, after its rarest character: an ASCII message holding
        none of them matches none, and a character absent costs one memchr to say so."""
        self._timeout = timeout
        self._timed_out: set[str] = set()

    def find(self, text: str, lowered: str | None = None) -> str | None:
        """The first pattern matching ``text``, as written, or None.

        ``lowered``: ``text`` lower-cased, when the caller has it and ``text`` is ASCII.
        """
        if self._literals is not None and (lowered is not None or text.isascii()):
            if lowered is None:  # patterns are case-insensitive; in ASCII, lower() is folding
                lowered = text.lower()
            for rare, literal in self._literals:  # a loop: a generator costs more than a miss
                if rare in lowered and contains(lowered, literal):
                    break
            else:
                return None
        if self._any is not None:
            try:
                if self._any.search(text, timeout=self._timeout) is None:
                    return None
            except TimeoutError:
                pass  # one of them is slow on this text: the loop below finds which
        for pattern in self._patterns:
            try:
                if pattern.compiled.search(text, timeout=self._timeout) is not None:
                    return pattern.source
            except TimeoutError:
                if pattern.source not in self._timed_out:
                    self._timed_out.add(pattern.source)
                    logger.warning(
                        "Automod pattern %r ran out of its %.0f ms on a message and was skipped "
                        "(logged once per pattern)",
                        pattern.source,
                        self._timeout * 1000,
                    )
        return None
