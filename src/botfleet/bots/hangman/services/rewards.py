"""XP and achievements for finished games, through the fleet's gamification framework.

Each player's win or loss is reported with their current win streak, so the fleet's streak
achievements and Hangman's own (migration 0004) follow; a flawless win and a win in a bundled
category are reported as feats (``hangman:flawless``, ``hangman:win_animals``...). The results
are saved at once, in one call, so the level-ups they cause can be announced with the game's
result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Protocol

from botfleet.bots.hangman.services.store import Game, GameSource, RecordedResult
from botfleet.gamification import (
    CategoryWin,
    Feat,
    GameEnding,
    GameResult,
    Gamification,
    LevelUp,
    Outcome,
)

BOT_NAME: Final = "hangman"


class HangmanFeat(Feat):
    """A win without a wrong guess (``hangman:flawless``)."""

    FLAWLESS = "flawless"


class RewardReporter(Protocol):
    """Where a finished game's results go besides the players' records."""

    async def report(self, game: Game, results: Sequence[RecordedResult]) -> tuple[LevelUp, ...]:
        """Report the results; return the level-ups they caused in the game's guild."""
        ...


RoleLookup = Callable[[int, int], Sequence[int] | None]
"""(guild id, user id) → the member's role ids, or None when the member is not known."""


class GamificationRewards:
    """Reports results to the gamification framework of this bot process.

    ``role_ids_of`` lets a guild's no-XP roles apply to game results as they do to chat.
    """

    def __init__(self, gamification: Gamification, role_ids_of: RoleLookup | None = None) -> None:
        self.gamification = gamification
        self.role_ids_of = role_ids_of

    async def report(self, game: Game, results: Sequence[RecordedResult]) -> tuple[LevelUp, ...]:
        reported: list[GameResult] = []
        for recorded in results:
            result = recorded.result
            known = self.role_ids_of(game.guild_id, result.user_id) if self.role_ids_of else None
            outcomes: list[Outcome] = [GameEnding.WIN if result.won else GameEnding.LOSS]
            if result.flawless:
                outcomes.append(HangmanFeat.FLAWLESS)
            if result.won and game.source is GameSource.WORDS:
                outcomes.append(CategoryWin(game.category))
            reported.extend(
                GameResult(
                    result.user_id,
                    outcome,
                    streak=recorded.stats.current_streak,
                    role_ids=tuple(known or ()),
                )
                for outcome in outcomes
            )
        level_ups = await self.gamification.xp.report_game(
            reported, guild_id=game.guild_id, channel_id=game.channel_id, bot_name=BOT_NAME
        )
        return tuple(level_ups)
