"""Names shared by the Hangman tests (kept out of conftest.py, which is not importable)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from botfleet.bots.hangman.services.games import HangmanService
from botfleet.bots.hangman.services.store import Game, RecordedResult
from botfleet.bots.hangman.services.words import Category, Difficulty, WordBank
from botfleet.gamification import LevelUp

GUILD = 111_111_111_111_111_111
CHANNEL = 333_333_333_333_333_333
OTHER_CHANNEL = 444_444_444_444_444_444
THIRD_CHANNEL = 666_666_666_666_666_666
ALICE = 1_234_567_890_123_456_789
BOB = 987_654_321_098_765_432
CAROL = 555_555_555_555_555_555

ServiceFactory = Callable[..., HangmanService]


def one_word_bank(word: str = "otter") -> WordBank:
    """A bank whose every pick is ``word``: tests know the answer."""
    return WordBank(
        [
            Category("animals", "Creatures", {level: (word,) for level in Difficulty}),
        ]
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingRewards:
    """A reward reporter that remembers what it was told."""

    def __init__(self) -> None:
        self.reports: list[tuple[Game, tuple[RecordedResult, ...]]] = []

    async def report(self, game: Game, results: Sequence[RecordedResult]) -> tuple[LevelUp, ...]:
        self.reports.append((game, tuple(results)))
        return ()
