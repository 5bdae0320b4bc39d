"""Numbers typed into forms, URLs and query strings, read strictly.

``str.isdigit`` accepts "²", which ``int`` then refuses: only ASCII digits count here.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from multidict import MultiMapping

from botfleet.core.option_limits import STORED_NUMBER_LIMIT

_DIGITS: Final = re.compile(r"[0-9]+")
SNOWFLAKE_MAX: Final = 2**63 - 1
"""Discord ids are unsigned 64-bit in theory, but always fit a signed BIGINT column."""


def whole_number(raw: str | None, *, max_digits: int = 9) -> int | None:
    """``raw`` as a non-negative integer of at most ``max_digits`` digits, else None."""
    if raw is None or len(raw) > max_digits or _DIGITS.fullmatch(raw) is None:
        return None
    return int(raw)


def snowflake(raw: str | None) -> int | None:
    """``raw`` as a Discord id, else None."""
    value = whole_number(raw, max_digits=19)
    return value if value is not None and 0 < value <= SNOWFLAKE_MAX else None


class LeaderboardAnchor(NamedTuple):
    """The entry a leaderboard page reads on from: its XP and member, and which side of it."""

    value: int
    user_id: int
    forward: bool
    """True for the page after the anchor (``after=``), False for the page before it."""


class ForgedAnchorError(ValueError):
    """An ``after=``/``before=`` no page wrote: malformed, repeated, or both sides at once."""


def leaderboard_anchor(query: MultiMapping[str]) -> LeaderboardAnchor | None:
    """The ``after=`` or ``before=`` anchor of a leaderboard request (``"1250.1234..."``: the
    XP and member of the last or first entry of the page it came from); None without one.

    Raises :class:`ForgedAnchorError` for one the pages could not have written: the XP column
    holds at most 2^31 - 1, a ranked entry has more than 0, and a link has one side."""
    sides = [side for side in ("after", "before") if side in query]
    if not sides:
        return None
    raw = query.getall(sides[0])
    if len(sides) > 1 or len(raw) > 1:
        raise ForgedAnchorError("a page reads on from one anchor, after or before")
    value, _, member = raw[0].partition(".")
    xp, user_id = whole_number(value, max_digits=10), snowflake(member)
    if xp is None or not 0 < xp <= STORED_NUMBER_LIMIT or user_id is None:
        raise ForgedAnchorError(f"{raw[0][:40]!r} is not an XP and a member id")
    return LeaderboardAnchor(xp, user_id, sides[0] == "after")
