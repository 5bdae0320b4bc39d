"""What a leaderboard is: a category over a period, in one guild or fleet-wide, and its ranks.

Ranks order by value, highest first; equal values by the higher user id first, in the database
as in Redis (members are zero-padded ids, so Redis's order among equal scores is the same).
Entries with a value of 0 or less are not ranked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final

from botfleet.errors import UserError
from botfleet.gamification.events import RankingUpdate
from botfleet.gamification.periods import Period, period_end, period_start

RANKING_GRACE: Final = timedelta(hours=6)
"""A finished period's sorted set lives this long after the period ends, for late saves."""

CATEGORY_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,31}(:[a-z][a-z0-9_]{0,31})?")


class LeaderboardCategory(StrEnum):
    """The categories every bot feeds; bots add their own as ``"<bot>:<outcome>"``."""

    XP = "xp"
    MESSAGES = "messages"
    """Messages that earned XP (at most one per member per cooldown)."""
    COMMANDS = "commands"
    GAMES = "games"
    WINS = "wins"


class UnknownCategoryError(UserError):
    def __init__(self, category: str) -> None:
        known = ", ".join(f"`{item.value}`" for item in LeaderboardCategory)
        super().__init__(
            f"“{category}” is not a leaderboard category. Try one of {known}, "
            "or a game's own, like `hangman:win`."
        )
        self.category = category


class RankingUnavailableError(Exception):
    """A Redis ranking cannot answer (Redis away, or the set is being rebuilt): use the database."""


@dataclass(frozen=True, slots=True)
class Board:
    """One ranking: a category over one period, in one guild or fleet-wide (``guild_id`` None)."""

    category: str
    period: Period
    guild_id: int | None
    start: date

    @classmethod
    def current(
        cls,
        category: str,
        period: Period | str,
        guild_id: int | None = None,
        now: datetime | None = None,
    ) -> Board:
        """The board of the period running at ``now`` (the present by default)."""
        if CATEGORY_PATTERN.fullmatch(category) is None:
            raise UnknownCategoryError(category)
        resolved = Period(period)
        return cls(category, resolved, guild_id, period_start(resolved, now or datetime.now(UTC)))

    @property
    def scope(self) -> str:
        return "global" if self.guild_id is None else str(self.guild_id)

    def expires_at(self) -> datetime | None:
        """When this board's sorted set may go (None: never, for all time)."""
        end = period_end(self.period, self.start)
        return None if end is None else end + RANKING_GRACE


@dataclass(frozen=True, slots=True)
class RankedEntry:
    rank: int
    user_id: int
    value: int


def board_of(update: RankingUpdate) -> Board:
    """The board a ranking update belongs to."""
    return Board(
        update.category,
        Period(update.period),
        update.guild_id,
        date.fromisoformat(update.period_start_iso),
    )
