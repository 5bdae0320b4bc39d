"""``/bee status`` reads a server's finds of the day through the cache: no query per command,
and a new find, in this process or (with Redis) another, refreshes them everywhere; end to end,
the command sends no SQL statement once warm."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete

from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.bots.spelling_bee.services.puzzle import WordList
from botfleet.bots.spelling_bee.services.store import PuzzleChannel
from botfleet.cache import CacheHierarchy
from botfleet.config.schema import Settings
from botfleet.database import Database
from botfleet.database.models.spelling_bee import SpellingBeeChannel, SpellingBeeFind
from botfleet.sandbox import Application, SandboxGuild
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.services.privacy import forget_cached_member, registry
from warm_commands import answer, statements_answering

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)
WORDS = ("bractlet", "table", "tablet", "able", "cable", "battle")
GUILD, ALICE, BOB = 1, 10, 11


def service(database: Database, cache: CacheHierarchy) -> BeeService:
    return BeeService(database, lambda: WordList(WORDS), clock=lambda: NOON, cache=cache)


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


async def test_a_warm_status_command_sends_no_sql_statement(
    stage: FleetBotStage,
    app: Application,
    guild: SandboxGuild,
    backend_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From the member's command to the answer: checks, rate limit, XP, the finds and the
    embed, on SQLite with the memory cache and on PostgreSQL with Redis."""
    alice, general = guild.add_member("alice"), guild.channel("general")
    async with stage.running(backend_settings) as bot:
        service = getattr(bot.get_cog("Spelling Bee"), "service", None)
        assert isinstance(service, BeeService)
        puzzle = await service.puzzle(service.today())
        word = min(puzzle.answers, key=lambda answer: (len(answer), answer))
        await answer(alice, general, app, "bee", "status")
        await answer(alice, general, app, "bee", "guess", {"word": word})
        await answer(alice, general, app, "bee", "status")  # the find dropped the cached board
        with statements_answering(bot.database, monkeypatch) as sent:
            shown = [await answer(alice, general, app, "bee", "status") for _ in range(3)]
        assert sent == []
        assert all(word.upper() in str(status.embeds[0]) for status in shown)


async def test_the_puzzle_channel_is_read_from_memory_and_a_change_reaches_every_process(
    database: Database, make_cache: Callable[[bool], Awaitable[CacheHierarchy]]
) -> None:
    """A one-word message asks for the puzzle channel: from memory, not the database, and
    ``/bee today`` in another channel (another process) moves it everywhere."""
    setting = service(database, await make_cache(True))
    hearing = service(database, await make_cache(True))
    assert hearing.known_channel(GUILD) is None
    assert await hearing.channel_of(GUILD) is None  # a guild without one is cached too
    assert hearing.known_channel(GUILD) == PuzzleChannel(None)

    await setting.open_in(GUILD, 100, ALICE)
    await until_known(hearing, PuzzleChannel(100))
    async with database.session() as session:
        await session.execute(delete(SpellingBeeChannel))  # behind the cache's back
        await session.commit()
    assert await hearing.channel_of(GUILD) == 100, "answered from memory"

    await setting.open_in(GUILD, 200, ALICE)
    await until_known(hearing, PuzzleChannel(200))


@pytest.mark.parametrize("with_redis", [False, True], ids=["memory", "redis"])
async def test_servers_without_a_puzzle_channel_push_nothing_out_of_the_memory_tier(
    database: Database,
    make_cache: Callable[[bool], Awaitable[CacheHierarchy]],
    with_redis: bool,
) -> None:
    """Chat in many servers that never set a puzzle channel: each is remembered to have none,
    answered from memory after its first read, and the shared memory tier (100 entries here)
    keeps what it held."""
    cache = await make_cache(with_redis)
    bee = service(database, cache)
    await bee.open_in(GUILD, 100, ALICE)
    assert await bee.channel_of(GUILD) == 100
    await cache.set("useful", {"kept": True}, 60)
    held = len(cache.memory)
    quiet = range(1000, 1000 + 3 * cache.memory.max_entries)
    for guild_id in quiet:
        assert bee.known_channel(guild_id) is None
        assert await bee.channel_of(guild_id) is None
    assert len(cache.memory) <= held + 1, "one entry for every server without a channel"
    assert cache.in_memory("useful") == {"kept": True}
    assert bee.known_channel(GUILD) == PuzzleChannel(100)

    async with database.session() as session:
        session.add(SpellingBeeChannel(guild_id=quiet[0], channel_id=300, set_by=ALICE))
        await session.commit()  # behind the cache's back
    for guild_id in quiet:
        assert bee.known_channel(guild_id) == PuzzleChannel(None), "a hook without a task"
    assert await bee.channel_of(quiet[0]) is None, "answered from memory"

    await bee.open_in(GUILD, 150, ALICE)  # a server moving its channel had one already
    assert await bee.channel_of(GUILD) == 150
    assert await bee.channel_of(quiet[0]) is None, "the absences noted still count"

    await bee.open_in(quiet[1], 400, ALICE)
    assert await bee.channel_of(quiet[0]) == 300, "a channel set anywhere reads them again"
    assert await bee.channel_of(quiet[1]) == 400


async def until_known(bee: BeeService, channel: PuzzleChannel) -> None:
    """Wait until ``bee`` reads ``channel`` as the puzzle channel and holds it in memory."""
    async with asyncio.timeout(5):
        for delay in itertools.repeat(0.01):  # the other process hears of it over Redis
            if await bee.channel_of(GUILD) == channel.channel_id:
                break
            await asyncio.sleep(delay)
    assert bee.known_channel(GUILD) == channel
