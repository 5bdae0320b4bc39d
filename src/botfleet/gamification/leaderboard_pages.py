"""Pages of leaderboards (cached) and members' live ranks.

``leaderboard_entries`` is the durable record: the XP store adds to it in the transaction that
saves the XP. Reading a board:

* **Pages** (``/leaderboard``) go through the cache hierarchy under the architecture's
  ``leaderboard:{guild_id}:{category}:{period}`` key (plus the period start, page size and page),
  kept ``cache.ttl.leaderboard`` seconds (5 minutes): a popular board is computed once per
  five minutes, not once per viewer. Pages are cut from windows of ``SNAPSHOT_PAGES`` pages
  ranked together; a page turned (the ◀️ ▶️ buttons) reads on from the ranking the page before
  it came from while that is cached, and past it (another window, or the ranking expired or
  was dropped) from a window anchored to that page: the entries ranked strictly after its last
  (value, member), or before its first. A member who stays put is listed once, however the
  board changes between presses. Links that carry such an anchor (the dashboard's Previous
  and Next, the JSON API's cursors) read one page beside it live, not cached: a link may name
  any anchor, and a few indexed queries answer it.
* **A member's own rank** is always live: from a Redis sorted set when Redis is configured
  (:mod:`botfleet.gamification.redis_rankings`, ``ZREVRANK``, logarithmic at a million
  members), otherwise from the database (:mod:`botfleet.gamification.database_rankings`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import select

from botfleet.cache import CacheHierarchy, CacheKeys
from botfleet.database.base import Database
from botfleet.database.models import User
from botfleet.gamification.boards import Board, RankedEntry
from botfleet.gamification.database_rankings import DatabaseRankings
from botfleet.gamification.periods import Period
from botfleet.gamification.redis_rankings import RankingUnavailableError, RedisRankings

GLOBAL_SCOPE: Final = 0
"""Stands for "fleet-wide" in cache keys, which take a guild id (Discord ids are never 0)."""

MAX_PER_PAGE: Final = 25
SNAPSHOT_PAGES: Final = 10
"""Pages of a board ranked and cached together, so turning between them shows one ranking
even while the board changes (page 1 cached, page 2 ranked later, listed a member twice)."""


class PageSource(NamedTuple):
    """Where a page was cut from, so the next turn can read on from the same ranking."""

    window: str
    """The cache key of the window."""
    ranking: str
    """The id the window was given when ranked (a window ranked again is another ranking)."""
    first: int
    """The position of the page's first entry in the window."""


@dataclass(frozen=True, slots=True)
class LeaderboardPage:
    """One page of a board; ``pages`` is at least 1, even for an empty board, and ``page``
    at most one past it (an empty page read on from the last entry of a board that shrank)."""

    board: Board
    entries: tuple[RankedEntry, ...]
    page: int
    pages: int
    total: int
    per_page: int
    names: Mapping[int, str] = field(default_factory=dict)
    """The stored username of each member on the page who has one, for viewers in whose
    server a mention of them would not render (they are not a member there)."""
    source: PageSource | None = None

    @property
    def has_previous(self) -> bool:
        """Whether anyone is ranked ahead of this page (or, for a page left empty by a board
        that shrank, whether it is past the first)."""
        return self.entries[0].rank > 1 if self.entries else self.page > 1

    @property
    def has_next(self) -> bool:
        return bool(self.entries) and self.entries[-1].rank < self.total


class LeaderboardService:
    """Pages of boards (cached for five minutes) and members' live ranks."""

    def __init__(
        self, database: Database, cache: CacheHierarchy, rankings: RedisRankings | None
    ) -> None:
        self._database = database
        self._cache = cache
        self._rankings = rankings
        self.database_rankings = DatabaseRankings(database)

    @staticmethod
    def cache_key(board: Board, window: int | str, per_page: int) -> str:
        """The key of a numbered window, or (``window`` a string) of an anchored one."""
        scope = GLOBAL_SCOPE if board.guild_id is None else board.guild_id
        base = CacheKeys.leaderboard(scope, board.category, board.period.value)
        return f"{base}:{board.start.isoformat()}:{per_page}:w{window}"

    async def page(
        self,
        category: str,
        period: Period | str,
        *,
        guild_id: int | None = None,
        page: int = 1,
        per_page: int = 10,
        now: datetime | None = None,
    ) -> LeaderboardPage:
        """One page of the current period's board; pages outside the board are clamped to it.

        It is cut from the cached ranking of its window of ``SNAPSHOT_PAGES`` pages, so pages
        turned while the board changes come from one ranking: nobody twice, nobody left out.
        """
        board = Board.current(category, period, guild_id, now)
        per_page = max(1, min(MAX_PER_PAGE, per_page))
        return await self._numbered(board, max(1, page), per_page)

    async def turn(self, current: LeaderboardPage, *, forward: bool) -> LeaderboardPage:
        """The page after ``current`` (``forward``) or before it.

        Read on from the ranking ``current`` was cut from while that is cached; past it, from
        a window of the entries ranked strictly after ``current``'s last (value, member), or
        before its first, ranked now. Nobody already shown moves onto the new page, and nobody
        is passed over, because others rose or fell between the two presses.
        """
        board, per_page = current.board, current.per_page
        number = max(1, current.page + (1 if forward else -1))
        source = current.source
        if source is not None:
            window = await self._cache.get(source.window)
            index = source.first + (per_page if forward else -per_page)
            if (
                window is not None
                and window.get("ranking") == source.ranking
                and 0 <= index < len(window["entries"])
            ):
                return self._cut(board, window, index, number, per_page, key=source.window)
        if not current.entries:
            return await self._numbered(board, number, per_page)
        anchor = current.entries[-1] if forward else current.entries[0]
        side = "after" if forward else "before"
        ranked_from = source.ranking if source is not None else ""
        key = self.cache_key(
            board, f"{ranked_from}:{side}:{anchor.value}:{anchor.user_id}", per_page
        )

        async def load() -> dict[str, Any]:
            size = SNAPSHOT_PAGES * per_page
            return await self._load_anchored(board, anchor, forward=forward, size=size)

        anchored = await self._cache.get_or_load(key, load, self._cache.ttl.leaderboard)
        index = 0 if forward else max(0, len(anchored["entries"]) - per_page)
        return self._cut(board, anchored, index, number, per_page, key=key)

    async def beside(
        self,
        category: str,
        period: Period | str,
        anchor: tuple[int, int],
        *,
        forward: bool,
        page: int | None = None,
        guild_id: int | None = None,
        per_page: int = 10,
        now: datetime | None = None,
    ) -> LeaderboardPage:
        """The page ranked now right after ``anchor`` (a value and a member), or right before
        it: for links that carry the last (first) entry of the page they are on. Read live,
        not cached: a link may name any anchor, so caching them would let anyone fill the
        cache. ``page`` is the number the link asks for, kept only where the entries' ranks
        reach into it (see ``_cut``); a page past the board's end is numbered after its last.
        """
        board = Board.current(category, period, guild_id, now)
        per_page = max(1, min(MAX_PER_PAGE, per_page))
        value, user_id = anchor
        found = RankedEntry(0, user_id, value)
        window = await self._load_anchored(board, found, forward=forward, size=per_page)
        if not window["entries"]:  # past the board's end (or ahead of its first)
            page = math.ceil(int(window["total"]) / per_page) + 1 if forward else 1
        return self._cut(board, window, 0, page, per_page)

    async def rank_of(
        self,
        user_id: int,
        category: str,
        period: Period | str,
        *,
        guild_id: int | None = None,
        now: datetime | None = None,
    ) -> RankedEntry | None:
        """A member's live rank on the current period's board; None if they are not on it."""
        board = Board.current(category, period, guild_id, now)
        if self._rankings is not None:
            try:
                return await self._rankings.rank(board, user_id)
            except RankingUnavailableError:
                pass
        return await self.database_rankings.rank(board, user_id)

    async def invalidate_guild(self, guild_id: int | None) -> None:
        """Drop a guild's cached pages (or the fleet-wide ones) after an administrative change."""
        scope = GLOBAL_SCOPE if guild_id is None else guild_id
        await self._cache.invalidate_prefix(CacheKeys.guild_leaderboards(scope))

    async def _numbered(self, board: Board, requested: int, per_page: int) -> LeaderboardPage:
        window_number = (requested - 1) // SNAPSHOT_PAGES
        window = await self._window(board, window_number, per_page)
        pages = max(1, math.ceil(window["total"] / per_page))
        if requested > pages:
            requested = pages
            window_number = (requested - 1) // SNAPSHOT_PAGES
            window = await self._window(board, window_number, per_page)
        index = (requested - 1) % SNAPSHOT_PAGES * per_page
        key = self.cache_key(board, window_number, per_page)
        return self._cut(board, window, index, requested, per_page, key=key)

    @staticmethod
    def _cut(
        board: Board,
        window: dict[str, Any],
        first: int,
        number: int | None,
        per_page: int,
        *,
        key: str | None = None,
    ) -> LeaderboardPage:
        """The page of ``window`` (cached under ``key``) from its entry ``first``, numbered
        by its ranks: ``number`` (the count of presses, or a link's) is kept only between
        the numbered pages its first and last entries fall on, and a page that starts the
        board is the first, any other past it. ``pages`` comes from the board's size (and
        the ranks listed), never from ``number``: a page left empty past the end is
        numbered after the last."""
        shown = window["entries"][first : first + per_page]
        entries = tuple(RankedEntry(*entry) for entry in shown)
        total = int(window["total"])
        pages = max(1, math.ceil(total / per_page))
        if entries:
            low = 1 if entries[0].rank == 1 else max(2, math.ceil(entries[0].rank / per_page))
            high = max(low, math.ceil(entries[-1].rank / per_page))
            number = min(max(low, number or low), high)
            pages = max(pages, high)
        return LeaderboardPage(
            board=board,
            entries=entries,
            page=max(1, number or 1),
            pages=pages,
            total=total,
            per_page=per_page,
            names={int(user_id): name for user_id, name in window.get("names", {}).items()},
            source=None if key is None else PageSource(key, window.get("ranking", ""), first),
        )

    async def _window(self, board: Board, window: int, per_page: int) -> dict[str, Any]:
        """The ranking of pages ``window * SNAPSHOT_PAGES + 1`` onwards, cached as one."""

        async def load() -> dict[str, Any]:
            return await self._load_window(board, window, per_page)

        return await self._cache.get_or_load(
            self.cache_key(board, window, per_page), load, self._cache.ttl.leaderboard
        )

    async def _load_window(self, board: Board, window: int, per_page: int) -> dict[str, Any]:
        size = SNAPSHOT_PAGES * per_page
        offset = window * size
        from_redis = await self._read_redis(board, offset, size)
        if from_redis is not None:
            entries, total = from_redis
        else:
            total = await self.database_rankings.size(board)
            entries = await self.database_rankings.top(board, offset, size)
        return await self._ranking(entries, total)

    async def _load_anchored(
        self, board: Board, anchor: RankedEntry, *, forward: bool, size: int
    ) -> dict[str, Any]:
        """``size`` entries ranked strictly after ``anchor`` (or before)."""
        from_redis = None
        if self._rankings is not None:
            from_redis = await self._rankings.read_beside(board, anchor, size, after=forward)
        if from_redis is not None:
            entries, total = from_redis
        else:
            total = await self.database_rankings.size(board)
            entries = await self.database_rankings.beside(board, anchor, size, after=forward)
        return await self._ranking(entries, total)

    async def _ranking(self, entries: list[RankedEntry], total: int) -> dict[str, Any]:
        """A window as cached: its entries, the board's size, names, and a new ranking id."""
        return {
            "entries": [[entry.rank, entry.user_id, entry.value] for entry in entries],
            "total": total,
            "names": await self._usernames([entry.user_id for entry in entries]),
            "ranking": uuid.uuid4().hex,
        }

    async def _usernames(self, user_ids: list[int]) -> dict[str, str]:
        """Stored usernames by user id (as JSON keys); members without one are left out."""
        if not user_ids:
            return {}
        statement = select(User.id, User.username).where(User.id.in_(user_ids), User.username != "")
        async with self._database.session() as session:
            rows = (await session.execute(statement)).all()
        return {str(user_id): username for user_id, username in rows}

    async def _read_redis(
        self, board: Board, offset: int, count: int
    ) -> tuple[list[RankedEntry], int] | None:
        if self._rankings is None:
            return None
        return await self._rankings.read(board, offset, count)
