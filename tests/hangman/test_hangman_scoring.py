"""Points for a win, and records: played, won, streaks, best streak, flawless wins."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.bots.hangman.services.game import Board
from botfleet.bots.hangman.services.scoring import (
    BASE_POINTS,
    FLAWLESS_BONUS,
    POINTS_PER_LIFE,
    PlayerStats,
    points_for,
    scoring_rules,
)
from botfleet.bots.hangman.services.words import Difficulty


def test_points_by_difficulty_lives_and_flawlessness() -> None:
    flawless = Board("otter", guessed=tuple("oter"))
    assert points_for(flawless, Difficulty.HARD) == 30 + 6 * POINTS_PER_LIFE + FLAWLESS_BONUS
    two_misses = Board("otter", guessed=tuple("xoteyr"))
    assert points_for(two_misses, Difficulty.EASY) == 10 + 4 * POINTS_PER_LIFE
    hinted = Board("otter", guessed=tuple("oter"), hints=1)
    assert points_for(hinted, Difficulty.MEDIUM) == 20 + 5 * POINTS_PER_LIFE
    lost = Board("otter", guessed=tuple("abcdfg"))
    assert points_for(lost, Difficulty.HARD) == 0


def test_record_counts_streaks_and_refuses_impossible_results() -> None:
    stats = PlayerStats()
    for won in (True, True, False, True):
        stats = stats.record(won=won, points=10 if won else 0)
    assert stats == PlayerStats(
        played=4, won=3, current_streak=1, best_streak=2, flawless=0, points=30
    )
    assert stats.win_rate == 0.75
    assert PlayerStats().win_rate == 0.0
    with pytest.raises(ValueError, match="lost game"):
        stats.record(won=False, points=5)
    with pytest.raises(ValueError, match="never negative"):
        stats.record(won=True, points=-1)


@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=100))))
def test_records_follow_the_history_of_results(history: list[tuple[bool, int]]) -> None:
    stats = PlayerStats()
    for won, points in history:
        stats = stats.record(won=won, points=points if won else 0, flawless=won and points > 50)
    outcomes = [won for won, _ in history]
    trailing = len(outcomes) - max(
        (index + 1 for index, won in enumerate(outcomes) if not won), default=0
    )
    runs, best = 0, 0
    for won in outcomes:
        runs = runs + 1 if won else 0
        best = max(best, runs)
    assert stats.played == len(history)
    assert stats.won == sum(outcomes)
    assert stats.current_streak == trailing
    assert stats.best_streak == best >= stats.current_streak
    assert stats.points == sum(points for won, points in history if won)
    assert stats.flawless == sum(1 for won, points in history if won and points > 50)


@given(st.sampled_from(list(Difficulty)), st.integers(min_value=0, max_value=5))
def test_every_win_is_worth_more_than_nothing_and_more_with_fewer_misses(
    difficulty: Difficulty, misses: int
) -> None:
    wrong = tuple("xyzqjk"[:misses])
    board = Board("otter", guessed=(*wrong, "o", "t", "e", "r"))
    fewer = Board("otter", guessed=(*wrong[: max(0, misses - 1)], "o", "t", "e", "r"))
    assert points_for(board, difficulty) >= BASE_POINTS[difficulty] > 0
    assert points_for(fewer, difficulty) >= points_for(board, difficulty)


def test_the_rules_members_read_follow_the_constants_that_score(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert scoring_rules() == (
        "a win is worth 10/20/30 by difficulty, +5 per life left, +10 when flawless"
    )
    monkeypatch.setitem(BASE_POINTS, Difficulty.HARD, 40)
    monkeypatch.setattr("botfleet.bots.hangman.services.scoring.POINTS_PER_LIFE", 7)
    assert scoring_rules().startswith("a win is worth 10/20/40 by difficulty, +7 per life left")
