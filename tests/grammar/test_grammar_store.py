"""The Grammar Bot's store on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from botfleet.bots.grammar.services.issues import Category, Issue, Strictness
from botfleet.bots.grammar.services.store import GrammarStore, Tally, delete_user_data
from botfleet.cache import CacheHierarchy
from botfleet.database.base import Database
from botfleet.database.models.grammar import GrammarChannel, GrammarDailyStats

GUILD = 1_234_567_890_123_456_789
OTHER_GUILD = 42
ADA = 987_654_321_098_765_432
BOB = 555
ADMIN = 777
DAY = date(2026, 3, 12)


def issue(category: Category, start: int = 0) -> Issue:
    return Issue(start, start + 1, category, "wrong", ("x",), "because", "test", "rule")


@pytest.mark.parametrize("with_redis", [False, True], ids=["memory", "redis"])
async def test_counts_are_read_from_the_cache_and_each_check_refreshes_them_everywhere(
    database: Database,
    make_cache: Callable[[bool], Awaitable[CacheHierarchy]],
    with_redis: bool,
) -> None:
    """``/grammar stats`` costs no query once a member's counts are cached; a check, in this
    process or (with Redis) another, makes every process read the new counts."""
    checking = GrammarStore(database, await make_cache(with_redis))
    asking = GrammarStore(database, await make_cache(True)) if with_redis else checking
    await checking.record_check(ADA, GUILD, [], day=DAY)
    assert (await asking.member_stats(ADA, GUILD, day=DAY)).all_time == Tally(1, 1)
    async with database.session() as session:
        await session.execute(update(GrammarDailyStats).values(clean_checks=0))  # behind its back
        await session.commit()
    assert (await asking.member_stats(ADA, GUILD, day=DAY)).all_time == Tally(1, 1), "cached"
    await checking.record_check(ADA, GUILD, [issue(Category.SPELLING)], day=DAY)
    async with asyncio.timeout(5):
        for delay in itertools.repeat(0.01):  # another process hears of it over Redis
            if (await asking.member_stats(ADA, GUILD, day=DAY)).all_time.checks == 2:
                break
            await asyncio.sleep(delay)
    stats = await asking.member_stats(ADA, GUILD, day=DAY)
    assert stats.all_time == Tally(2, 0, {Category.SPELLING: 1})
    assert stats.first_day == DAY


async def test_enabling_twice_changes_the_strictness_and_listing_is_per_guild(
    database: Database,
) -> None:
    store = GrammarStore(database)
    await store.enable_channel(GUILD, 10, Strictness.NORMAL, ADMIN)
    changed = await store.enable_channel(GUILD, 10, Strictness.STRICT, BOB)
    await store.enable_channel(OTHER_GUILD, 20, Strictness.RELAXED, ADMIN)
    assert changed.strictness is Strictness.STRICT and changed.enabled_by == BOB
    listed = await store.channels(GUILD)
    assert [(c.channel_id, c.strictness) for c in listed] == [(10, Strictness.STRICT)]
    assert not await store.disable_channel(OTHER_GUILD, 10)  # not that guild's channel
    assert await store.disable_channel(GUILD, 10)
    assert not await store.disable_channel(GUILD, 10)
    assert await store.channels(GUILD) == []
    assert [c.channel_id for c in await store.channels(OTHER_GUILD)] == [20]


async def test_checks_are_counted_per_day_and_category(database: Database) -> None:
    store = GrammarStore(database)
    assert await store.record_check(ADA, GUILD, [], day=DAY) == 1
    assert (
        await store.record_check(
            ADA, GUILD, [issue(Category.SPELLING), issue(Category.SPELLING, 3)], day=DAY
        )
        == 1
    )
    assert await store.record_check(ADA, GUILD, [], day=DAY) == 2
    await store.record_check(ADA, GUILD, [issue(Category.GRAMMAR)], day=DAY - timedelta(days=8))
    await store.record_check(ADA, OTHER_GUILD, [issue(Category.STYLE)], day=DAY)
    stats = await store.member_stats(ADA, GUILD, day=DAY)
    assert stats.all_time == Tally(4, 2, {Category.SPELLING: 2, Category.GRAMMAR: 1})
    assert stats.this_week == Tally(3, 2, {Category.SPELLING: 2})
    assert stats.last_week == Tally(1, 0, {Category.GRAMMAR: 1})
    assert stats.first_day == DAY - timedelta(days=8)
    assert stats.this_week.clean_rate == 2 / 3
    assert stats.last_week.issues_per_check == 1.0


async def test_direct_message_checks_are_kept_apart(database: Database) -> None:
    store = GrammarStore(database)
    await store.record_check(ADA, None, [issue(Category.PUNCTUATION)], day=DAY)
    assert (await store.member_stats(ADA, GUILD, day=DAY)).all_time == Tally()
    in_dms = await store.member_stats(ADA, None, day=DAY)
    assert in_dms.all_time.issues == {Category.PUNCTUATION: 1}


async def test_concurrent_checks_lose_no_count(database: Database) -> None:
    store = GrammarStore(database)
    await asyncio.gather(*(store.record_check(ADA, GUILD, [], day=DAY) for _ in range(8)))
    stats = await store.member_stats(ADA, GUILD, day=DAY)
    assert stats.all_time.checks == 8 and stats.all_time.clean_checks == 8


async def test_deleting_a_member_removes_their_counts_and_their_name(database: Database) -> None:
    store = GrammarStore(database)
    await store.enable_channel(GUILD, 10, Strictness.NORMAL, ADA)
    await store.record_check(ADA, GUILD, [], day=DAY)
    await store.record_check(ADA, None, [], day=DAY)
    await store.record_check(BOB, GUILD, [], day=DAY)
    async with database.session() as session:
        assert await delete_user_data(session, ADA) == 3
        await session.commit()
    async with database.session() as session:
        users = (await session.scalars(select(GrammarDailyStats.user_id))).all()
        channel = await session.get(GrammarChannel, 10)
    assert users == [BOB]
    assert channel is not None and channel.enabled_by is None
