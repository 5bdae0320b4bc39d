"""All-time puzzle records on real databases: counters, streaks, rank days, races, privacy."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.bots.spelling_bee.services.puzzle import WordList, word_score
from botfleet.bots.spelling_bee.services.rewards import GamificationRewards, RewardReporter
from botfleet.bots.spelling_bee.services.store import STATS_PRIVACY_NAME, PuzzleStats
from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database import Database
from botfleet.gamification import Gamification, LevelUp
from botfleet.services.privacy import registry

WORDS = ("bractlet", "table", "tablet", "able", "cable", "battle")
"""Every word answers every day: 38 points, Genius at 27, one pangram (15 points)."""
GENIUS_SCORE = 27
ALICE, BOB, CAROL = 10, 11, 12


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@dataclass
class RecordingRewards:
    """Keeps what the service reports, as the gamification framework would receive it."""

    reports: list[tuple[int, int, bool, int | None]] = field(default_factory=list)

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
        self.reports.append((user_id, points, pangram, streak))
        return ()


def service(
    database: Database, moment: datetime, rewards: RewardReporter | None = None
) -> BeeService:
    return BeeService(database, lambda: WordList(WORDS), clock=lambda: moment, rewards=rewards)


async def test_a_record_adds_up_words_points_pangrams_and_days(database: Database) -> None:
    bee = service(database, at(25))
    assert await bee.stats(1, ALICE) == PuzzleStats(), "no record yet"
    await bee.submit(1, ALICE, "able")
    await bee.submit(1, ALICE, "bractlet")
    await bee.submit(1, ALICE, "able")  # already found: no change
    await bee.submit(1, BOB, "table")
    await bee.submit(2, ALICE, "cable")

    alice = await bee.stats(1, ALICE)
    assert (alice.days_played, alice.words_found, alice.pangrams, alice.points) == (1, 2, 1, 16)
    assert alice.best_day == 16 and alice.day_points == 16 and alice.last_day == "2026-11-25"
    assert (await bee.stats(1, BOB)).points == word_score("table")
    assert (await bee.stats(2, ALICE)).words_found == 1, "each server keeps its own record"

    tomorrow = service(database, at(26))
    await tomorrow.submit(1, ALICE, "table")
    alice = await tomorrow.stats(1, ALICE)
    assert (alice.days_played, alice.words_found, alice.points) == (2, 3, 21)
    assert alice.best_day == 16 and alice.day_points == 5, "the best day stays the best"


async def test_streaks_count_consecutive_days_and_a_missed_day_breaks_them(
    database: Database,
) -> None:
    rewards = RecordingRewards()
    for day, word in ((25, "able"), (25, "table"), (26, "able"), (27, "bractlet")):
        await service(database, at(day), rewards).submit(1, ALICE, word)
    stats = await service(database, at(27)).stats(1, ALICE)
    assert (stats.current_streak, stats.best_streak, stats.days_played) == (3, 3, 3)
    assert stats.best_day == 15

    await service(database, at(29), rewards).submit(1, ALICE, "able")
    stats = await service(database, at(29)).stats(1, ALICE)
    assert (stats.current_streak, stats.best_streak, stats.days_played) == (1, 3, 4)
    assert stats.streak_on("2026-11-29") == 1 and stats.streak_on("2026-11-30") == 1
    assert stats.streak_on("2026-12-01") == 0, "a whole day unplayed: the streak is over"

    assert [streak for *_, streak in rewards.reports] == [1, None, 2, 3, 1], (
        "the streak is reported with each day's first word only"
    )


async def test_a_late_find_of_an_older_day_adds_to_the_totals_only(database: Database) -> None:
    await service(database, at(25)).submit(1, ALICE, "able")
    await service(database, at(26)).submit(1, ALICE, "able")
    late = await service(database, at(25)).submit(1, ALICE, "table")
    assert late.points == 5
    stats = await service(database, at(26)).stats(1, ALICE)
    assert (stats.words_found, stats.points, stats.days_played) == (3, 7, 2)
    assert (stats.last_day, stats.current_streak, stats.day_points) == ("2026-11-26", 2, 1)


async def test_genius_and_queen_bee_days_go_to_everyone_who_played_that_day(
    database: Database,
) -> None:
    bee = service(database, at(25))
    await bee.submit(1, ALICE, "able")
    await bee.submit(1, ALICE, "table")
    await bee.submit(1, BOB, "bractlet")
    reached = await bee.submit(1, ALICE, "tablet")
    assert reached.progress.score == GENIUS_SCORE and reached.progress.rank.name == "Genius"
    await bee.submit(1, CAROL, "cable")  # joins after Genius: her day counts too
    await bee.submit(1, BOB, "battle")
    records = [await bee.stats(1, member) for member in (ALICE, BOB, CAROL)]
    assert [(stats.genius_days, stats.queen_bee_days) for stats in records] == [(1, 1)] * 3

    other = service(database, at(25))
    for word in ("able", "table", "tablet"):
        await other.submit(2, ALICE, word)
    await other.submit(2, BOB, "bractlet")  # Bob's first word of the day reaches Genius
    assert [(await other.stats(2, member)).genius_days for member in (ALICE, BOB)] == [1, 1]
    assert (await other.stats(2, ALICE)).queen_bee_days == 0


async def test_words_sent_at_once_are_counted_exactly_once(database: Database) -> None:
    members = (ALICE, BOB, CAROL)
    bees = [service(database, at(25)) for _ in members]
    await asyncio.gather(
        *(
            bee.submit(1, member, word)
            for word in WORDS
            for bee, member in zip(bees, members, strict=True)
        )
    )
    records = [await bees[0].stats(1, member) for member in members]
    players = [stats for stats in records if stats.words_found]
    assert sum(stats.words_found for stats in records) == len(WORDS)
    assert sum(stats.points for stats in records) == 38
    assert all(stats.days_played == 1 for stats in players)
    assert all((stats.genius_days, stats.queen_bee_days) == (1, 1) for stats in players)
    assert (await bees[0].progress(1)).score == 38


async def test_a_members_many_words_at_once_make_one_day_played(database: Database) -> None:
    bee = service(database, at(25))
    await asyncio.gather(*(bee.submit(1, ALICE, word) for word in WORDS))
    stats = await bee.stats(1, ALICE)
    assert (stats.days_played, stats.words_found, stats.points, stats.best_day) == (1, 6, 38, 38)
    assert (stats.current_streak, stats.genius_days, stats.queen_bee_days) == (1, 1, 1)


async def test_the_all_time_board_ranks_by_points_then_words(database: Database) -> None:
    await service(database, at(25)).submit(1, ALICE, "able")
    await service(database, at(25)).submit(1, BOB, "tablet")
    await service(database, at(26)).submit(1, ALICE, "table")
    await service(database, at(26)).submit(1, CAROL, "bractlet")
    await service(database, at(26)).submit(2, BOB, "battle")
    board = await service(database, at(26)).all_time_leaderboard(1, 10)
    assert [(user, stats.points, stats.words_found) for user, stats in board] == [
        (CAROL, 15, 1),
        (ALICE, 6, 2),
        (BOB, 6, 1),
    ]
    assert len(await service(database, at(26)).all_time_leaderboard(1, 2)) == 2


async def test_data_deletion_removes_the_members_records(database: Database) -> None:
    bee = service(database, at(25))
    await bee.submit(1, ALICE, "able")
    await bee.submit(2, ALICE, "table")
    await bee.submit(1, BOB, "cable")
    report = await registry.delete_user(database, ALICE)
    assert report[STATS_PRIVACY_NAME] == 2
    assert await bee.stats(1, ALICE) == PuzzleStats()
    assert (await bee.stats(1, BOB)).words_found == 1
    assert (await bee.progress(1)).score == 6, "the server keeps its words"


async def test_five_days_in_a_row_unlock_the_fleets_streak_achievement(
    database: Database,
) -> None:
    gamification = Gamification(
        database, CacheHierarchy(MemoryCache(1000)), bot_name="spelling_bee"
    )
    try:
        rewards = GamificationRewards(gamification)
        for day in range(25, 30):
            await service(database, at(day), rewards).submit(1, ALICE, "able")
        names = {item.definition.name for item in await gamification.achievements.unlocked(ALICE)}
        assert "On a Roll" in names
    finally:
        await gamification.stop()
