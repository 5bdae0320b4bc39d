"""What a bot reports when a game ends: typed results, never free strings.

A result's outcome is a :class:`GameEnding` (win, loss, draw), one of the bot's own
:class:`Feat` members, or a :class:`CategoryWin`, so a misspelt outcome is a type error instead
of XP and achievements silently counted under a name nobody reads. The names stay the ones the
achievement rules, the boards (``"<bot>:<outcome>"``) and the XP settings use, so nothing saved
changes. :meth:`XPSystem.report_game <botfleet.gamification.xp_system.XPSystem.report_game>`
takes a game's results in one call; :func:`game_award` turns one into the award it earns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from botfleet.gamification.boards import LeaderboardCategory
from botfleet.gamification.events import XPAward, XPSource
from botfleet.gamification.guild_settings import OUTCOME_PATTERN

STREAK_GAUGE: Final = "streak"


def _check_outcome_name(name: str) -> None:
    if OUTCOME_PATTERN.fullmatch(name) is None:
        raise ValueError(f"{name!r} is not an outcome name (lowercase, like 'win').")


class GameEnding(StrEnum):
    """How a game ended for a player; each counts on the ``games`` board."""

    WIN = "win"
    LOSS = "loss"
    DRAW = "draw"


class Feat(StrEnum):
    """The base of a bot's feats in a game (``class HangmanFeat(Feat): FLAWLESS = "flawless"``).

    A member whose value is not an outcome name (lowercase letters, digits, underscores) fails
    when the bot's class is defined, not when a player first pulls the feat off.
    """

    def __init__(self, *_: object) -> None:
        _check_outcome_name(self.value)


@dataclass(frozen=True, slots=True)
class CategoryWin:
    """A win in a named category of a game (Hangman's word lists): the ``win_<category>`` feat.

    Not a game ending: the player's :attr:`GameEnding.WIN` is reported beside it.
    """

    category: str

    def __post_init__(self) -> None:
        _check_outcome_name(self.value)

    @property
    def value(self) -> str:
        return f"win_{self.category}"


Outcome = GameEnding | Feat | CategoryWin


@dataclass(frozen=True, slots=True)
class GameResult:
    """One player's ending or feat in a game, with their current win streak in that game."""

    user_id: int
    outcome: Outcome
    streak: int | None = None
    role_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PointsEarned:
    """XP a game gives by its own scoring (a found word's points): XP only, on no game board."""

    user_id: int
    amount: int
    reason: str
    role_ids: tuple[int, ...] = ()


Reported = GameResult | PointsEarned
"""What :meth:`XPSystem.report_game` takes for each player."""


def game_award(
    reported: Reported,
    *,
    bot_name: str,
    guild_id: int | None,
    channel_id: int | None,
    occurred_at: datetime,
    xp_for: Callable[[str], int],
) -> XPAward:
    """The award a reported result earns: ``xp_for(outcome)`` XP (points as they are), counted
    on the ``games``/``wins`` boards and the bot's own ``"<bot>:<outcome>"`` board, with the
    streak as a gauge for streak achievements."""
    if isinstance(reported, PointsEarned):
        return XPAward(
            user_id=reported.user_id,
            amount=reported.amount,
            reason=reported.reason,
            source=XPSource.CUSTOM,
            occurred_at=occurred_at,
            guild_id=guild_id,
            bot_name=bot_name,
            channel_id=channel_id,
        )
    outcome = reported.outcome.value
    counters = {f"{bot_name}:{outcome}": 1}
    if isinstance(reported.outcome, GameEnding):
        counters[LeaderboardCategory.GAMES.value] = 1
    if reported.outcome is GameEnding.WIN:
        counters[LeaderboardCategory.WINS.value] = 1
    streak = reported.streak
    gauges = {} if streak is None else {STREAK_GAUGE: streak, f"{bot_name}:{STREAK_GAUGE}": streak}
    return XPAward(
        user_id=reported.user_id,
        amount=xp_for(outcome),
        reason=f"game:{bot_name}:{outcome}",
        source=XPSource.GAME,
        occurred_at=occurred_at,
        guild_id=guild_id,
        bot_name=bot_name,
        channel_id=channel_id,
        counters=counters,
        gauges=gauges,
    )
