"""XP and achievements for found and spelled words, through the fleet's gamification framework.

A found word earns its puzzle points as XP; a pangram is also reported as the ``pangram``
feat, which the fleet's Spelling Bee achievements (migration 0003) count. A member's first word
of a day is the ``puzzle_day`` feat, reported with their streak of consecutive days played, so
the fleet's streak achievements follow the puzzle as they follow Hangman's wins. In the classic
mode each word spelled right is the ``correct_spelling`` feat (the Spelling Star achievement),
and a finished game a win or a loss for each player. The XP is saved at once so a level-up can
be told with the verdict. Every report carries the member's roles, so a server's no-XP roles
apply to the games as they do to chat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Protocol

from botfleet.bots.spelling_bee.services.classic_store import GameRecord
from botfleet.gamification import Feat, GameEnding, GameResult, Gamification, LevelUp, PointsEarned
from botfleet.gamification.games import Reported

BOT_NAME: Final = "spelling_bee"
WORD_REASON: Final = "spelling_bee:word"


class SpellingBeeFeat(Feat):
    """A pangram found, a day's first word (with the streak of days), a classic word spelled."""

    PANGRAM = "pangram"
    PUZZLE_DAY = "puzzle_day"
    CORRECT_SPELLING = "correct_spelling"


RoleLookup = Callable[[int, int], Sequence[int] | None]
"""(guild id, user id) → the member's role ids, or None when the member is not known."""


class RewardReporter(Protocol):
    """Where a found word's rewards go."""

    async def report(
        self,
        user_id: int,
        points: int,
        *,
        pangram: bool,
        streak: int | None,
        guild_id: int,
        channel_id: int | None,
    ) -> tuple[LevelUp, ...]:
        """Reward the finder; return the level-ups it caused in the guild.

        ``streak`` is the finder's streak of days played, given with their first word of a day.
        """
        ...


class GamificationRewards:
    """Reports found and spelled words to the gamification framework of this bot process."""

    def __init__(self, gamification: Gamification, role_ids_of: RoleLookup | None = None) -> None:
        self.gamification = gamification
        self.role_ids_of = role_ids_of

    def _role_ids(self, guild_id: int, user_id: int) -> tuple[int, ...]:
        known = self.role_ids_of(guild_id, user_id) if self.role_ids_of is not None else None
        return tuple(known or ())

    async def report(
        self,
        user_id: int,
        points: int,
        *,
        pangram: bool,
        streak: int | None,
        guild_id: int,
        channel_id: int | None,
    ) -> tuple[LevelUp, ...]:
        role_ids = self._role_ids(guild_id, user_id)
        reported: list[Reported] = [PointsEarned(user_id, points, WORD_REASON, role_ids)]
        if pangram:
            reported.append(GameResult(user_id, SpellingBeeFeat.PANGRAM, role_ids=role_ids))
        if streak is not None:
            reported.append(
                GameResult(user_id, SpellingBeeFeat.PUZZLE_DAY, streak=streak, role_ids=role_ids)
            )
        return await self._report(reported, guild_id, channel_id)

    async def report_spelling(
        self, user_id: int, *, guild_id: int, channel_id: int
    ) -> tuple[LevelUp, ...]:
        """A classic-mode word spelled right: ``correct_spelling`` (XP and Spelling Star)."""
        role_ids = self._role_ids(guild_id, user_id)
        return await self._report(
            [GameResult(user_id, SpellingBeeFeat.CORRECT_SPELLING, role_ids=role_ids)],
            guild_id,
            channel_id,
        )

    async def report_classic_game(
        self, records: tuple[GameRecord, ...], *, guild_id: int, channel_id: int
    ) -> tuple[LevelUp, ...]:
        """A finished classic game: a win or a loss for each player."""
        results = [
            GameResult(
                record.user_id,
                GameEnding.WIN if record.won else GameEnding.LOSS,
                role_ids=self._role_ids(guild_id, record.user_id),
            )
            for record in records
        ]
        return await self._report(results, guild_id, channel_id)

    async def _report(
        self, reported: Sequence[Reported], guild_id: int, channel_id: int | None
    ) -> tuple[LevelUp, ...]:
        """Save the results now and return the level-ups they caused in ``guild_id``."""
        level_ups = await self.gamification.xp.report_game(
            reported, guild_id=guild_id, channel_id=channel_id, bot_name=BOT_NAME
        )
        return tuple(level_ups)
