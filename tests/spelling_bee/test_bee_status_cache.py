"""``/bee status`` reads a server's finds of the day through the cache: no query per command,
and a new find, in this process or (with Redis) another, refreshes them everywhere."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete

from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.bots.spelling_bee.services.puzzle import WordList
from botfleet.cache import CacheHierarchy
from botfleet.database import Database
from botfleet.database.models.spelling_bee import SpellingBeeFind
from botfleet.services.privacy import forget_cached_member, registry
from botfleet.utils.tasks import Preload

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)
WORDS = ("bractlet", "table", "tablet", "able", "cable", "battle")
GUILD, ALICE, BOB = 1, 10, 11


def service(database: Database, cache: CacheHierarchy) -> BeeService:
    return BeeService(database, Preload.loaded(WordList(WORDS)), clock=lambda: NOON, cache=cache)


@pytest.mark.parametrize("with_redis", [False, True], ids=["memory", "redis"])
async def test_status_reads_the_finds_from_the_cache_and_a_find_refreshes_them_everywhere(
    database: Database,
    make_cache: Callable[[bool], Awaitable[CacheHierarchy]],
    with_redis: bool,
) -> None:
    finding = service(database, await make_cache(with_redis))
    asking = service(database, await make_cache(True)) if with_redis else finding
    await finding.submit(GUILD, ALICE, "cable")
    assert (await asking.progress(GUILD)).words == ["cable"]
    async with database.session() as session:
        await session.execute(delete(SpellingBeeFind))  # behind the cache's back
        await session.commit()
    assert (await asking.progress(GUILD)).words == ["cable"], "answered from the cache"

    await finding.submit(GUILD, BOB, "table")
    async with asyncio.timeout(5):
        for delay in itertools.repeat(0.01):  # another process hears of it over Redis
            if (await asking.progress(GUILD)).words == ["table"]:
                break
            await asyncio.sleep(delay)
    assert (await asking.progress(GUILD)).words == ["table"], "read again after the find"


async def test_a_deleted_member_is_not_named_by_the_cached_finds(
    database: Database, make_cache: Callable[[bool], Awaitable[CacheHierarchy]]
) -> None:
    cache = await make_cache(False)
    bee = service(database, cache)
    await bee.submit(GUILD, BOB, "bractlet")
    assert [find.user_id for find in (await bee.progress(GUILD)).finds] == [BOB]

    await registry.delete_user(database, BOB)
    await forget_cached_member(cache, BOB)  # what the bot does after a deletion
    assert [find.user_id for find in (await bee.progress(GUILD)).finds] == [None]
