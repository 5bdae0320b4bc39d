"""Leaderboards on SQLite and real PostgreSQL, and their live rankings in the real Redis:
pages, ranks outside the top 10, ties, periods, scopes, the 5-minute page cache, rebuilding the
sorted sets, administrators' changes and Redis outages."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from gamification_helpers import ADA, BOB, GUILD, OTHER_GUILD, GamificationFactory
from sqlalchemy import func, select

from botfleet.cache import CacheHierarchy, MemoryCache, ResilientRedis
from botfleet.database import Database
from botfleet.database.models.gamification import XPFlushBatch
from botfleet.gamification import Board, GameEnding, GameResult, Gamification, Period, RankedEntry
from botfleet.gamification.boards import UnknownCategoryError
from botfleet.gamification.events import RankingUpdate
from botfleet.gamification.redis_rankings import RankingUnavailableError, RedisRankings

MEMBERS = [1000 + index for index in range(25)]
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday


async def fill(gamification: Gamification, guild_id: int | None = GUILD) -> None:
    """Member 1000 + i earns 10·(i+1) XP: the last member of MEMBERS leads."""
    for index, member in enumerate(MEMBERS):
        await gamification.xp.award_xp(
            member, 10 * (index + 1), "quest", guild_id=guild_id, occurred_at=NOW
        )
    await gamification.xp.flush()


async def test_pages_and_ranks_outside_the_top_ten(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    await fill(gamification)
    boards = gamification.leaderboards

    first = await boards.page("xp", "all_time", guild_id=GUILD)
    third = await boards.page("xp", Period.ALL_TIME, guild_id=GUILD, page=3)
    beyond = await boards.page("xp", "all_time", guild_id=GUILD, page=9)

    assert (first.total, first.pages, first.page) == (25, 3, 1)
    assert first.entries[:2] == (RankedEntry(1, 1024, 250), RankedEntry(2, 1023, 240))
    assert [entry.rank for entry in third.entries] == [21, 22, 23, 24, 25]
    assert (beyond.page, beyond.entries) == (3, third.entries)
    assert await boards.rank_of(1000, "xp", "all_time", guild_id=GUILD) == RankedEntry(25, 1000, 10)
    assert await boards.rank_of(1000, "xp", "all_time") == RankedEntry(25, 1000, 10)
    assert await boards.rank_of(ADA, "xp", "all_time", guild_id=GUILD) is None
    empty = await boards.page("wins", "weekly", guild_id=OTHER_GUILD)
    assert (empty.total, empty.pages, empty.entries) == (0, 1, ())


async def test_ties_rank_the_higher_id_first(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    for member in (ADA, BOB, 5):
        await gamification.xp.award_xp(member, 50, "tie", guild_id=GUILD)
    await gamification.xp.flush()

    page = await gamification.leaderboards.page("xp", "daily", guild_id=GUILD)

    assert [entry.user_id for entry in page.entries] == [ADA, BOB, 5]
    assert await gamification.leaderboards.rank_of(BOB, "xp", "daily", guild_id=GUILD) == (
        RankedEntry(2, BOB, 50)
    )


async def test_periods_start_at_utc_boundaries(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    monday = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    for when, amount in (
        (monday - timedelta(days=1, microseconds=1), 1),  # Saturday 28 February
        (monday - timedelta(microseconds=1), 1000),  # Sunday 1 March: last week, this month
        (monday, 10),
        (NOW, 100),
    ):
        await gamification.xp.award_xp(ADA, amount, "quest", guild_id=GUILD, occurred_at=when)
    await gamification.xp.flush()

    async def value(period: str, now: datetime = NOW) -> int | None:
        ranked = await gamification.leaderboards.rank_of(ADA, "xp", period, guild_id=GUILD, now=now)
        return None if ranked is None else ranked.value

    assert await value("daily") == 100
    assert await value("weekly") == 110
    assert await value("monthly") == 1110
    assert await value("all_time") == 1111
    assert await value("monthly", now=datetime(2026, 2, 14, tzinfo=UTC)) == 1
    assert await value("weekly", now=monday - timedelta(hours=1)) == 1001
    assert await value("daily", now=monday) == 10
    assert Board.current("xp", "weekly", now=NOW).start == date(2026, 3, 2)


async def test_categories_count_separately_and_unknown_ones_are_explained(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database, bot_name="hangman")
    await gamification.xp.report_game(
        [GameResult(ADA, GameEnding.WIN), GameResult(BOB, GameEnding.LOSS)],
        guild_id=GUILD,
        save_now=False,
    )
    await gamification.xp.flush()
    boards = gamification.leaderboards

    assert [e.user_id for e in (await boards.page("games", "daily", guild_id=GUILD)).entries] == [
        ADA,
        BOB,
    ]
    assert [e.user_id for e in (await boards.page("hangman:win", "weekly")).entries] == [ADA]
    with pytest.raises(UnknownCategoryError, match="is not a leaderboard category"):
        await boards.page("Most XP!", "daily")
    with pytest.raises(ValueError, match="yearly"):
        await boards.page("xp", "yearly")


async def test_pages_are_cached_for_five_minutes_and_ranks_are_live(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    await gamification.xp.award_xp(ADA, 10, "quest", guild_id=GUILD)
    await gamification.xp.flush()
    boards = gamification.leaderboards
    before = await boards.page("xp", "all_time", guild_id=GUILD)

    await gamification.xp.award_xp(BOB, 500, "quest", guild_id=GUILD)
    await gamification.xp.flush()

    assert await boards.page("xp", "all_time", guild_id=GUILD) == before
    assert await boards.rank_of(ADA, "xp", "all_time", guild_id=GUILD) == RankedEntry(2, ADA, 10)
    await boards.invalidate_guild(GUILD)
    after = await boards.page("xp", "all_time", guild_id=GUILD)
    assert [entry.user_id for entry in after.entries] == [BOB, ADA]


async def test_redis_rankings_are_rebuilt_from_the_database_and_then_follow_it(
    database: Database,
    make_gamification: GamificationFactory,
    redis_settings: tuple[str, str],
) -> None:
    await fill(make_gamification(database))  # saved before Redis was in use
    gamification = make_gamification(database, redis=redis_settings)
    rankings = gamification.rankings
    assert rankings is not None
    board = Board.current("xp", "all_time", GUILD)

    # Not rebuilt yet: the database answers, and a rebuild starts.
    assert await gamification.leaderboards.rank_of(1003, "xp", "all_time", guild_id=GUILD) == (
        RankedEntry(22, 1003, 40)
    )
    await rankings.hydrate(board)
    assert await rankings.read(board, 0, 3) == (
        [RankedEntry(1, 1024, 250), RankedEntry(2, 1023, 240), RankedEntry(3, 1022, 230)],
        25,
    )

    await gamification.xp.award_xp(1003, 1000, "jump", guild_id=GUILD)
    await gamification.xp.flush()

    assert await rankings.rank(board, 1003) == RankedEntry(1, 1003, 1040)
    for member in MEMBERS:
        in_redis = await rankings.rank(board, member)
        assert in_redis == await gamification.leaderboards.database_rankings.rank(board, member)
    entries, size = await rankings.read(board, 0, 25) or ([], 0)
    assert entries == await gamification.leaderboards.database_rankings.top(board, 0, 25)
    assert size == 25


async def test_administrators_changes_and_deletion_reach_the_redis_rankings(
    database: Database,
    make_gamification: GamificationFactory,
    redis_settings: tuple[str, str],
) -> None:
    gamification = make_gamification(database, redis=redis_settings)
    rankings = gamification.rankings
    assert rankings is not None
    board = Board.current("xp", "all_time", GUILD)
    daily = Board.current("xp", "daily", GUILD)
    await rankings.hydrate(board)
    await rankings.hydrate(daily)
    await gamification.xp.award_xp(ADA, 300, "quest", guild_id=GUILD)
    await gamification.xp.award_xp(BOB, 200, "quest", guild_id=GUILD)
    await gamification.xp.flush()

    await gamification.xp.take_xp(GUILD, ADA, 250, actor_id=BOB)
    assert await rankings.rank(board, ADA) == RankedEntry(2, ADA, 50)
    await gamification.xp.reset_xp(GUILD, BOB, actor_id=ADA)
    assert await rankings.rank(board, BOB) is None
    assert await rankings.rank(daily, BOB) is None
    assert await rankings.rank(daily, ADA) == RankedEntry(1, ADA, 300)  # earned today

    await gamification.forget_user(ADA)
    assert await rankings.rank(board, ADA) is None
    assert await rankings.rank(daily, ADA) is None


async def test_an_unreachable_redis_leaves_the_database_to_answer(
    database: Database, make_gamification: GamificationFactory
) -> None:
    await fill(make_gamification(database))
    dead = ResilientRedis.from_url("redis://127.0.0.1:1/0", retry_interval=60)
    cache = CacheHierarchy(MemoryCache(100), dead, key_prefix="dead:", owns_redis=True)
    gamification = Gamification(database, cache, bot_name="utility", key_prefix="dead:")
    try:
        await gamification.xp.award_xp(ADA, 5000, "quest", guild_id=GUILD)
        await gamification.xp.flush()
        page = await gamification.leaderboards.page("xp", "all_time", guild_id=GUILD)
        rank = await gamification.leaderboards.rank_of(1000, "xp", "all_time", guild_id=GUILD)
    finally:
        await gamification.stop()
        await cache.close()

    assert page.entries[0] == RankedEntry(1, ADA, 5000)
    assert rank == RankedEntry(26, 1000, 10)


async def test_ranking_updates_missed_in_an_outage_are_replayed_when_redis_is_back(
    database: Database, redis_settings: tuple[str, str]
) -> None:
    url, prefix = redis_settings
    redis = ResilientRedis.from_url(url, retry_interval=0.05)
    rankings = RedisRankings(redis, prefix, database)
    board = Board.current("xp", "all_time", GUILD)
    try:
        await rankings.hydrate(board)  # an empty board, ready
        redis.report_failure(OSError("network unreachable"))

        await rankings.publish(
            [RankingUpdate(GUILD, "xp", "all_time", board.start.isoformat(), ADA, 70, 1)]
        )
        with pytest.raises(RankingUnavailableError):
            await rankings.rank(board, ADA)
        await asyncio.sleep(0.1)

        assert await rankings.rank(board, ADA) == RankedEntry(1, ADA, 70)
    finally:
        await rankings.close()
        await redis.close()


async def test_old_periods_and_batch_ids_are_pruned(
    database: Database, make_gamification: GamificationFactory
) -> None:
    gamification = make_gamification(database)
    long_ago = NOW - timedelta(days=800)
    await gamification.xp.award_xp(ADA, 10, "old", guild_id=GUILD, occurred_at=long_ago)
    await gamification.xp.award_xp(ADA, 10, "now", guild_id=GUILD, occurred_at=NOW)
    await gamification.xp.flush()

    removed = await gamification.store.prune(NOW + timedelta(days=8))

    # The old daily, weekly and monthly rows of both scopes go; all time and recent stay.
    assert removed == 6
    boards = gamification.leaderboards.database_rankings
    assert await boards.size(Board.current("xp", "all_time", GUILD, NOW)) == 1
    assert await boards.size(Board.current("xp", "daily", GUILD, NOW)) == 1
    assert await boards.size(Board.current("xp", "monthly", GUILD, long_ago)) == 0
    assert await gamification.store.prune(NOW + timedelta(days=8)) == 0

    # A week after the save, its batch id is forgotten too (it was saved at the real time).
    await gamification.store.prune(datetime.now(UTC) + timedelta(days=8))
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(XPFlushBatch)) == 0
    assert await boards.size(Board.current("xp", "daily", GUILD, NOW)) == 0
    assert await boards.size(Board.current("xp", "all_time", GUILD, NOW)) == 1
