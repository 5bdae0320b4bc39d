"""Points for a won game, and each member's record: played, won, streaks, flawless wins.

A win is worth its difficulty's base points, more for every life left, and a bonus for a
flawless win (no wrong letter, no wrong word, no hint). A loss is worth nothing and ends the
win streak; the best streak is the longest run of wins ever.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from botfleet.bots.hangman.services.game import Board
from botfleet.bots.hangman.services.words import Difficulty

BASE_POINTS: Final[dict[Difficulty, int]] = {
    Difficulty.EASY: 10,
    Difficulty.MEDIUM: 20,
    Difficulty.HARD: 30,
}
POINTS_PER_LIFE: Final = 5
FLAWLESS_BONUS: Final = 10


def points_for(board: Board, difficulty: Difficulty) -> int:
    """What a game is worth to each of its players: 0 unless it was won."""
    if not board.won:
        return 0
    bonus = FLAWLESS_BONUS if board.flawless else 0
    return BASE_POINTS[difficulty] + POINTS_PER_LIFE * board.lives_left + bonus


def scoring_rules() -> str:
    """How a win is scored, in words, read from the constants that score it."""
    bases = "/".join(str(BASE_POINTS[difficulty]) for difficulty in Difficulty)
    return (
        f"a win is worth {bases} by difficulty, +{POINTS_PER_LIFE} per life left, "
        f"+{FLAWLESS_BONUS} when flawless"
    )


@dataclass(frozen=True, slots=True)
class PlayerStats:
    """One member's Hangman record in one guild."""

    played: int = 0
    won: int = 0
    current_streak: int = 0
    best_streak: int = 0
    flawless: int = 0
    points: int = 0

    @property
    def win_rate(self) -> float:
        """Wins per game played, from 0 to 1 (0 before the first game)."""
        return self.won / self.played if self.played else 0.0

    def record(self, *, won: bool, points: int = 0, flawless: bool = False) -> PlayerStats:
        """The record after one more game."""
        if points < 0:
            raise ValueError(f"points are never negative, got {points}")
        if not won and (points or flawless):
            raise ValueError("a lost game earns no points and is never flawless")
        streak = self.current_streak + 1 if won else 0
        return replace(
            self,
            played=self.played + 1,
            won=self.won + int(won),
            current_streak=streak,
            best_streak=max(self.best_streak, streak),
            flawless=self.flawless + int(flawless),
            points=self.points + points,
        )
