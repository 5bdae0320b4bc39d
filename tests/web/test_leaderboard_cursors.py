"""Leaderboard pages read on from an anchor (the JSON API's cursors, the dashboard's Previous and
Next links) while the board changes, past the ten pages ranked together, on SQLite and
PostgreSQL: read live (a made-up anchor leaves the cache as it was), numbered by their ranks,
and the dashboard's public pages rate limited per client."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from web_helpers import limited_web

from botfleet.cache import CacheHierarchy, MemoryCache, ResilientRedis
from botfleet.config.schema import CacheSection, DatabaseSection, Settings, WebSection
from botfleet.database import Database
from botfleet.gamification import Board, Gamification, RankedEntry
from botfleet.web import create_app
from botfleet.web.dashboard import set_leaderboard_public
from botfleet.web.keys import CACHE_KEY

GUILD = 111_111_111_111_111_111
ADMIN = 1_234_567_890_123_456_789
API = f"/api/v1/guilds/{GUILD}/leaderboard"
DASHBOARD = f"/guilds/{GUILD}/leaderboard"
PER_PAGE = 10

ROW = re.compile(r'<tr><td class="number">(\d+)</td><td>Member (\d+)</td><td class="number">')
LINK = re.compile(r'<a href="\?([^"]+)">(Previous|Next)</a>')


@dataclass
class Fleet:
    """The web process and a bot process on one database and one Redis, as deployed."""

    client: TestClient[Any, Any]
    app: web.Application
    bot: Gamification
    database: Database

    async def seed(self, count: int) -> None:
        """``count`` members in the public guild's board: values fall by 5 every second
        member, and of two tied members the higher id (the earlier one) ranks first."""
        for index in range(count):
            await self.bot.xp.award_xp(
                9000 - index, 5000 - 5 * (index // 2), "quest", guild_id=GUILD
            )
        await self.bot.xp.flush()
        await set_leaderboard_public(self.database, GUILD, True, ADMIN)

    async def ranking(self) -> list[RankedEntry]:
        """The board ranked now, from the database."""
        board = Board.current("xp", "all_time", GUILD)
        return await self.bot.leaderboards.database_rankings.top(board, 0, 1000)

    async def api(self, **query: Any) -> dict[str, Any]:
        response = await self.client.get(
            API, params={key: str(value) for key, value in query.items()}
        )
        assert response.status == 200, await response.text()
        found: dict[str, Any] = await response.json()
        return found

    async def dashboard(self, query: str) -> str:
        response = await self.client.get(f"{DASHBOARD}?{query}")
        assert response.status == 200, await response.text()
        return await response.text()


@pytest.fixture
async def fleet(database: Database, redis_url: str, redis_prefix: str) -> AsyncIterator[Fleet]:
    """The bot's administrative changes reach the web's cache through Redis."""
    settings = Settings(
        database=DatabaseSection(url=SecretStr(str(database.url))),
        cache=CacheSection(key_prefix=redis_prefix),
        web=WebSection(api_requests_per_minute=10_000, leaderboard_pages_per_minute=10_000),
    )
    web_redis = ResilientRedis.from_url(redis_url, retry_interval=0.5)
    app = create_app(settings, database=database, redis=web_redis)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    # Listening before the first read: on subscribing, the cache forgets what reads in
    # progress would store (an invalidation may have passed unheard).
    await app[CACHE_KEY].start()
    bot_redis = ResilientRedis.from_url(redis_url, retry_interval=0.5)
    bot_cache = CacheHierarchy(
        MemoryCache(10_000), bot_redis, key_prefix=redis_prefix, owns_redis=True
    )
    bot = Gamification(database, bot_cache, bot_name="utility", key_prefix=redis_prefix)
    try:
        yield Fleet(client, app, bot, database)
    finally:
        await bot.stop()
        await bot_cache.close()
        await client.close()
        await web_redis.close()


def after(ranking: list[RankedEntry], last: RankedEntry, count: int) -> list[RankedEntry]:
    """The ``count`` entries ranked now strictly after ``last`` (by value, then member)."""
    return [e for e in ranking if (e.value, e.user_id) < (last.value, last.user_id)][:count]


def before(ranking: list[RankedEntry], first: RankedEntry, count: int) -> list[RankedEntry]:
    ahead = [e for e in ranking if (e.value, e.user_id) > (first.value, first.user_id)]
    return ahead[-count:]


def entries_of(answer: dict[str, Any]) -> list[RankedEntry]:
    return [RankedEntry(e["rank"], int(e["user_id"]), e["xp"]) for e in answer["entries"]]


async def test_api_cursors_past_the_tenth_page_of_a_changing_board_list_nobody_twice(
    fleet: Fleet,
) -> None:
    """Thirteen pages of ten. Between pages 10 and 11 a member of page 13 climbs to the top;
    between 11 and 12 an administrator takes XP from a member of page 4 (which drops the
    cached pages) and a member of page 13 rises to tie with the last one listed. Each page
    read by the cursor of the one before lists the members ranked now right after it, ranks
    now; page 11 read by number lists page 10's last member again."""
    await fleet.seed(130)
    tenth = await fleet.api(page=10, per_page=PER_PAGE)
    assert entries_of(tenth) == (await fleet.ranking())[90:100]
    assert tenth["next"] == {"page": 11, "after": f"{5000 - 5 * 49}.{9000 - 99}"}

    climber = (await fleet.ranking())[124]
    await fleet.bot.xp.award_xp(climber.user_id, 5000, "quest", guild_id=GUILD)
    await fleet.bot.xp.flush()
    ranking = await fleet.ranking()
    eleventh = await fleet.api(per_page=PER_PAGE, **tenth["next"])
    assert (eleventh["page"], eleventh["pages"], eleventh["total"]) == (11, 13, 130)
    shown = entries_of(eleventh)
    assert shown == after(ranking, entries_of(tenth)[-1], PER_PAGE) and shown[0].rank == 102
    numbered = entries_of(await fleet.api(page=11, per_page=PER_PAGE))
    assert numbered[0].user_id == entries_of(tenth)[-1].user_id

    faller, riser = ranking[34], ranking[127]
    await fleet.bot.xp.take_xp(GUILD, faller.user_id, faller.value - 1, actor_id=ADMIN)
    await fleet.bot.xp.award_xp(
        riser.user_id, shown[-1].value - riser.value, "quest", guild_id=GUILD
    )
    await fleet.bot.xp.flush()
    ranking = await fleet.ranking()
    twelfth = await fleet.api(per_page=PER_PAGE, **eleventh["next"])
    assert twelfth["page"] == 12
    assert entries_of(twelfth) == after(ranking, shown[-1], PER_PAGE)
    assert entries_of(twelfth)[0] == RankedEntry(111, riser.user_id, shown[-1].value)

    moved = {climber.user_id, faller.user_id, riser.user_id}
    listed = [
        entry.user_id
        for page in (tenth, eleventh, twelfth)
        for entry in entries_of(page)
        if entry.user_id not in moved
    ]
    first, last = entries_of(tenth)[0], entries_of(twelfth)[-1]
    assert listed == [
        entry.user_id
        for entry in ranking
        if entry.user_id not in moved
        and (last.value, last.user_id)
        <= (entry.value, entry.user_id)
        <= (first.value, first.user_id)
    ]

    back = await fleet.api(per_page=PER_PAGE, **twelfth["previous"])
    assert back["page"] == 11
    assert entries_of(back) == before(ranking, entries_of(twelfth)[0], PER_PAGE)


async def test_api_cursors_no_page_wrote_are_refused_with_a_json_error(fleet: Fleet) -> None:
    await fleet.seed(4)
    last = await fleet.api(per_page=2, page=2)
    assert last["next"] is None and last["previous"] == {"page": 1, "before": "4995.8998"}
    first = await fleet.api(per_page=2, **last["previous"])
    assert [entry["user_id"] for entry in first["entries"]] == ["9000", "8999"]
    assert first["previous"] is None and first["page"] == 1
    forged = {
        "after=abc": "invalid_cursor",
        "after=4995.8998&before=4995.8998": "invalid_cursor",
        "after=4995.8998&after=5000.9000": "invalid_cursor",
        f"after={2**31}.5": "invalid_cursor",
        "after=0.5": "invalid_cursor",
        "before=5.0": "invalid_cursor",
        "before=-5.9000": "invalid_cursor",
        "after=5.9000&page=0": "invalid_page",
    }
    for query, error in forged.items():
        response = await fleet.client.get(f"{API}?{query}")
        assert response.status == 400, query
        assert (await response.json())["error"] == error, query


async def test_a_repeated_page_or_per_page_is_refused(fleet: Fleet) -> None:
    """Which of two values would count is no client's guess: refused like a repeated cursor."""
    await fleet.seed(4)
    for query in ("page=1&page=zz", "page=2&page=2", "per_page=2&per_page=3"):
        response = await fleet.client.get(f"{API}?{query}&after=5000.9000")
        assert response.status == 400, query
        assert (await response.json())["error"] == "invalid_page", query
        response = await fleet.client.get(f"{API}?{query}")
        assert (await response.json())["error"] == "invalid_page", query


async def test_past_the_boards_end_a_cursor_reads_an_empty_page_after_the_last(
    fleet: Fleet,
) -> None:
    """Read on from the last entry (the board shrank, or a stale link): no entries, numbered
    one past the last page, whatever page the query names, and previous reads the last."""
    await fleet.seed(4)
    for query in ({}, {"page": 3}, {"page": 100_000}):
        past = await fleet.api(per_page=2, after="4995.8997", **query)
        assert (past["page"], past["pages"], past["total"]) == (3, 2, 4), query
        assert past["entries"] == [] and past["next"] is None, query
        assert past["previous"] == {"page": 2}, query
    last = await fleet.api(per_page=2, **past["previous"])
    assert [entry["rank"] for entry in last["entries"]] == [3, 4] and last["page"] == 2


async def test_a_cursor_page_is_numbered_by_the_ranks_it_lists(fleet: Fleet) -> None:
    """The query's page is kept only between the numbered pages of the first and last rank
    listed, and never raises the count of pages."""
    await fleet.seed(7)
    for page in (100_000, 1, 2):
        found = await fleet.api(per_page=2, page=page, after="5000.8999")
        assert [entry["rank"] for entry in found["entries"]] == [3, 4], page
        assert (found["page"], found["pages"]) == (2, 4), page
    # Ranks 5 to 7 of seven, three a page: on pages 2 and 3.
    spans = {None: 2, 1: 2, 2: 2, 3: 3, 9: 3}
    for page, number in spans.items():
        query = {} if page is None else {"page": page}
        found = await fleet.api(per_page=3, after="4995.8997", **query)
        assert [entry["rank"] for entry in found["entries"]] == [5, 6, 7], page
        assert (found["page"], found["pages"]) == (number, 3), page


def rows_of(page: str) -> list[tuple[int, int]]:
    """The rank and member of each row of a dashboard leaderboard page."""
    return [(int(rank), int(member)) for rank, member in ROW.findall(page)]


def link(page: str, name: str) -> str:
    found = {label: query for query, label in LINK.findall(page)}
    return html.unescape(found[name])


async def test_the_dashboards_previous_link_past_the_tenth_lists_those_just_before(
    fleet: Fleet,
) -> None:
    """Twelve pages of 25. From page 12 (read on from page 11, read on from page 10), an
    administrator takes XP from a member of page 11 and a member of page 12 climbs to the top:
    Previous lists the 25 members ranked now right before page 12's first, the last member
    of page 10 among them, with their ranks now."""
    await fleet.seed(300)
    tenth = await fleet.dashboard("page=10")
    eleventh = await fleet.dashboard(link(tenth, "Next"))
    twelfth = await fleet.dashboard(link(eleventh, "Next"))
    ranking = await fleet.ranking()
    assert [member for _, member in rows_of(twelfth)] == [e.user_id for e in ranking[275:300]]
    previous = link(twelfth, "Previous")
    assert previous.startswith("page=11&before=")
    assert rows_of(await fleet.dashboard(previous)) == rows_of(eleventh)

    faller, climber = ranking[260], ranking[290]
    await fleet.bot.xp.award_xp(climber.user_id, 5000, "quest", guild_id=GUILD)
    await fleet.bot.xp.flush()
    await fleet.bot.xp.take_xp(GUILD, faller.user_id, faller.value - 1, actor_id=ADMIN)
    ranking = await fleet.ranking()
    shown = rows_of(await fleet.dashboard(previous))
    first_of_twelfth = next(e for e in ranking if e.user_id == rows_of(twelfth)[0][1])
    assert shown == [(e.rank, e.user_id) for e in before(ranking, first_of_twelfth, 25)]
    assert shown[0] == (251, rows_of(tenth)[-1][1])
    assert faller.user_id not in [member for _, member in shown]


async def test_pages_read_by_anchor_leave_the_cache_as_it_was(
    fleet: Fleet, redis_url: str, redis_prefix: str
) -> None:
    """Anyone may send a link with a made-up anchor: 40 of them, to the dashboard and the API,
    add no key to Redis and no entry to the web process's memory."""
    await fleet.seed(30)
    await fleet.dashboard("page=1")
    await fleet.api(per_page=PER_PAGE)
    memory = fleet.app[CACHE_KEY].memory
    before_keys, before_entries = await keys_under(redis_url, redis_prefix), len(memory)
    for index in range(20):
        anchor = f"{4950 + index}.{5_000_000 + index}"
        side = "after" if index % 2 else "before"
        assert rows_of(await fleet.dashboard(f"page=2&{side}={anchor}"))
        assert (await fleet.api(per_page=PER_PAGE, **{side: anchor}))["total"] == 30
    assert await keys_under(redis_url, redis_prefix) == before_keys
    assert len(memory) == before_entries


async def keys_under(redis_url: str, prefix: str) -> set[bytes]:
    """Every key of the test's prefix in Redis now."""
    direct = redis_asyncio.from_url(redis_url)
    try:
        return {key async for key in direct.scan_iter(match=f"{prefix}*")}
    finally:
        await direct.aclose()


async def test_the_dashboards_public_leaderboard_has_a_budget_per_client(
    database: Database, redis_url: str, redis_prefix: str
) -> None:
    """A web process reached without nginx is no unlimited source of board queries: past its
    budget of pages a minute a client is answered 429 with a page, others are not."""
    await set_leaderboard_public(database, GUILD, True, ADMIN)
    first = {"X-Real-IP": "203.0.113.7"}
    limits = WebSection(leaderboard_pages_per_minute=3)
    async with limited_web(database, redis_url, redis_prefix, limits) as client:
        for query in ("", "?page=2", "?after=5000.9000"):
            assert (await client.get(DASHBOARD + query, headers=first)).status == 200
        refused = await client.get(DASHBOARD + "?before=5000.9000", headers=first)
        assert refused.status == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Too many pages at once" in await refused.text()
        assert refused.headers["Content-Type"].startswith("text/html")
        other = {"X-Real-IP": "198.51.100.2"}
        assert (await client.get(DASHBOARD, headers=other)).status == 200
        assert (await client.get(API, headers=first)).status == 200
