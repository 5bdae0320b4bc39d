"""Turning the pages of a leaderboard that changes between presses, past the first window of
``SNAPSHOT_PAGES`` pages, on SQLite and PostgreSQL, read from the database or from Redis."""

from __future__ import annotations

from gamification_helpers import ADA, GUILD, GamificationFactory

from botfleet.database import Database
from botfleet.gamification import Board, Gamification, LeaderboardPage, RankedEntry
from botfleet.gamification.leaderboard_pages import SNAPSHOT_PAGES

PER_PAGE = 10
MEMBERS = [9000 - index for index in range(130)]
"""Members ranked in this order: values fall by 5 every second member, and of two tied members
the higher id (the earlier one here) ranks first."""


async def live_ranking(gamification: Gamification) -> list[RankedEntry]:
    board = Board.current("xp", "all_time", GUILD)
    return await gamification.leaderboards.database_rankings.top(board, 0, 1000)


def after(ranking: list[RankedEntry], shown: LeaderboardPage) -> list[RankedEntry]:
    """The entries ranked now strictly after the last one ``shown`` (by value, then id)."""
    last = shown.entries[-1]
    return [e for e in ranking if (e.value, e.user_id) < (last.value, last.user_id)][:PER_PAGE]


def before(ranking: list[RankedEntry], shown: LeaderboardPage) -> list[RankedEntry]:
    first = shown.entries[0]
    ahead = [e for e in ranking if (e.value, e.user_id) > (first.value, first.user_id)]
    return ahead[-PER_PAGE:]


async def test_pages_past_the_tenth_list_nobody_twice_and_pass_nobody_over(
    database: Database, make_gamification: GamificationFactory
) -> None:
    await turn_thirteen_pages(make_gamification(database, bot_name="utility"))


async def test_pages_past_the_tenth_read_from_redis_list_nobody_twice(
    database: Database, make_gamification: GamificationFactory, redis_settings: tuple[str, str]
) -> None:
    gamification = make_gamification(database, bot_name="utility", redis=redis_settings)
    await turn_thirteen_pages(gamification)


async def turn_thirteen_pages(gamification: Gamification) -> None:
    """Thirteen pages. Between pages 10 and 11 a member of page 13 climbs to the top (the
    members below page 10 shift down one); between 11 and 12 an administrator takes XP from
    a member of page 4 (everyone below shifts up one, and the cached pages are dropped) and a
    member of page 13 rises to tie with the last member shown. Each page turned to lists the
    members ranked now right after the page before, with their ranks now; turning back lists
    those right before."""
    for index, member in enumerate(MEMBERS):
        await gamification.xp.award_xp(member, 1000 - 5 * (index // 2), "quest", guild_id=GUILD)
    await gamification.xp.flush()
    if gamification.rankings is not None:
        assert await gamification.rankings.hydrate(Board.current("xp", "all_time", GUILD))
    boards = gamification.leaderboards

    page = await boards.page("xp", "all_time", guild_id=GUILD, per_page=PER_PAGE)
    seen = list(page.entries)
    for _ in range(SNAPSHOT_PAGES - 1):
        page = await boards.turn(page, forward=True)
        seen += page.entries
    assert page.page == SNAPSHOT_PAGES and seen == (await live_ranking(gamification))[:100]

    climber = (await live_ranking(gamification))[124]
    await gamification.xp.award_xp(climber.user_id, 5000, "quest", guild_id=GUILD)
    await gamification.xp.flush()
    ranking = await live_ranking(gamification)
    expected = after(ranking, page)
    page = await boards.turn(page, forward=True)
    assert (page.page, page.pages) == (11, 13)
    assert list(page.entries) == expected and expected[0].rank == 102
    seen += page.entries

    faller, anchor = ranking[34], page.entries[-1]
    riser = ranking[127]
    await gamification.xp.take_xp(GUILD, faller.user_id, faller.value - 1, actor_id=ADA)
    await gamification.xp.award_xp(
        riser.user_id, anchor.value - riser.value, "quest", guild_id=GUILD
    )
    await gamification.xp.flush()
    ranking = await live_ranking(gamification)
    expected = after(ranking, page)
    page = await boards.turn(page, forward=True)
    assert page.page == 12 and list(page.entries) == expected
    assert page.entries[0].user_id == riser.user_id and page.entries[0].rank == 111
    seen += page.entries

    moved = {climber.user_id, faller.user_id, riser.user_id}
    stayed = [entry.user_id for entry in seen if entry.user_id not in moved]
    assert len(stayed) == len(set(stayed))
    assert stayed == [
        entry.user_id for entry in ranking if entry.user_id not in moved and entry.rank <= 120
    ]

    back = await boards.turn(page, forward=False)
    assert back.page == 11 and list(back.entries) == before(ranking, page)
