"""XP and achievements for found words, through the fleet's gamification framework.

A found word earns its puzzle points as XP; a pangram is also reported as the ``pangram``
feat, which the fleet's Spelling Bee achievements (migration 0003) count. The XP is saved at
once so a level-up can be told with the verdict.
"""

from __future__ import annotations

from typing import Final, Protocol

from botfleet.gamification import Gamification, LevelUp

BOT_NAME: Final = "spelling_bee"


class RewardReporter(Protocol):
    """Where a found word's rewards go."""

    async def report(
        self, user_id: int, points: int, *, pangram: bool, guild_id: int, channel_id: int | None
    ) -> tuple[LevelUp, ...]:
        """Reward the finder; return the level-ups it caused in the guild."""
        ...


class GamificationRewards:
    """Reports found words to the gamification framework of this bot process."""

    def __init__(self, gamification: Gamification) -> None:
        self.gamification = gamification

    async def report(
        self, user_id: int, points: int, *, pangram: bool, guild_id: int, channel_id: int | None
    ) -> tuple[LevelUp, ...]:
        await self.gamification.award_xp(
            user_id,
            points,
            "spelling_bee:word",
            guild_id=guild_id,
            channel_id=channel_id,
            bot_name=BOT_NAME,
        )
        if pangram:
            await self.gamification.xp.report_game_result(
                user_id, "pangram", guild_id=guild_id, channel_id=channel_id, bot_name=BOT_NAME
            )
        level_ups = await self.gamification.check_level_up(user_id, guild_id=guild_id)
        return tuple(level_up for level_up in level_ups if level_up.guild_id == guild_id)
