"""Leaderboards per guild and fleet-wide, by category and period, with ranks and pages.

``leaderboard_entries`` is the durable record: the XP store adds to it in the transaction that
saves the XP. Reading a board:

* **Pages** (``/leaderboard``) go through the cache hierarchy under the architecture's
  ``leaderboard:{guild_id}:{category}:{period}`` key (plus the period start, page size and page),
  kept ``cache.ttl.leaderboard`` seconds (5 minutes): a popular board is computed once per
  five minutes, not once per viewer.
* **A member's own rank** is always live: from a Redis sorted set when Redis is configured
  (``ZREVRANK``, logarithmic at a million members), otherwise a count over the ranking index.

The sorted sets mirror the database. After each save the store's new values are written with
``ZADD GT``, so two processes publishing out of order can never lower a score; an administrator's
change is written as is. A board whose set is not complete (Redis restarted, or the board is
new) carries no ``ready`` marker: it is read from the database while one process rebuilds the
set in the background. Writes that miss Redis during an outage are replayed when it comes back,
or, if there were too many, every set is marked for rebuilding.

Ranks order by value, highest first; equal values by the higher user id first, in the database
as in Redis (members are zero-padded ids, so Redis's order among equal scores is the same).
Entries with a value of 0 or less are not ranked.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from redis.asyncio import Redis
from sqlalchemy import ColumnElement, func, select, tuple_

from botfleet.cache import CacheHierarchy, CacheKeys, RedisUnavailableError, ResilientRedis
from botfleet.database.base import Database
from botfleet.database.models import LeaderboardEntry
from botfleet.errors import UserError
from botfleet.gamification.events import RankingUpdate
from botfleet.gamification.periods import Period, period_end, period_start

log = logging.getLogger(__name__)

GLOBAL_SCOPE: Final = 0
"""Stands for "fleet-wide" in cache keys, which take a guild id (Discord ids are never 0)."""

MAX_PER_PAGE: Final = 25
HYDRATION_CHUNK: Final = 5000
HYDRATION_LOCK_SECONDS: Final = 300
RANKING_GRACE: Final = timedelta(hours=6)
"""A finished period's sorted set lives this long after the period ends, for late saves."""
MAX_MISSED_WRITES: Final = 50_000

CATEGORY_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,31}(:[a-z][a-z0-9_]{0,31})?")


class LeaderboardCategory(StrEnum):
    """The categories every bot feeds; bots add their own as ``"<bot>:<outcome>"``."""

    XP = "xp"
    MESSAGES = "messages"
    """Messages that earned XP (at most one per member per cooldown)."""
    COMMANDS = "commands"
    GAMES = "games"
    WINS = "wins"


class UnknownCategoryError(UserError):
    def __init__(self, category: str) -> None:
        known = ", ".join(f"`{item.value}`" for item in LeaderboardCategory)
        super().__init__(
            f"“{category}” is not a leaderboard category. Try one of {known}, "
            "or a game's own, like `hangman:win`."
        )
        self.category = category


class RankingUnavailableError(Exception):
    """A Redis ranking cannot answer (Redis away, or the set is being rebuilt): use the database."""


@dataclass(frozen=True, slots=True)
class Board:
    """One ranking: a category over one period, in one guild or fleet-wide (``guild_id`` None)."""

    category: str
    period: Period
    guild_id: int | None
    start: date

    @classmethod
    def current(
        cls,
        category: str,
        period: Period | str,
        guild_id: int | None = None,
        now: datetime | None = None,
    ) -> Board:
        """The board of the period running at ``now`` (the present by default)."""
        if CATEGORY_PATTERN.fullmatch(category) is None:
            raise UnknownCategoryError(category)
        resolved = Period(period)
        return cls(category, resolved, guild_id, period_start(resolved, now or datetime.now(UTC)))

    @property
    def scope(self) -> str:
        return "global" if self.guild_id is None else str(self.guild_id)

    def expires_at(self) -> datetime | None:
        """When this board's sorted set may go (None: never, for all time)."""
        end = period_end(self.period, self.start)
        return None if end is None else end + RANKING_GRACE


@dataclass(frozen=True, slots=True)
class RankedEntry:
    rank: int
    user_id: int
    value: int


@dataclass(frozen=True, slots=True)
class LeaderboardPage:
    """One page of a board; ``pages`` is at least 1, even for an empty board."""

    board: Board
    entries: tuple[RankedEntry, ...]
    page: int
    pages: int
    total: int
    per_page: int


def _member(user_id: int) -> str:
    return f"{user_id:020d}"


def _board_filter(board: Board) -> list[ColumnElement[bool]]:
    scope = (
        LeaderboardEntry.guild_id.is_(None)
        if board.guild_id is None
        else LeaderboardEntry.guild_id == board.guild_id
    )
    return [
        scope,
        LeaderboardEntry.category == board.category,
        LeaderboardEntry.period == board.period.value,
        LeaderboardEntry.period_start == board.start,
        LeaderboardEntry.value > 0,
    ]


class DatabaseRankings:
    """Ranks read from ``leaderboard_entries`` through the ranking index."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def top(self, board: Board, offset: int, count: int) -> list[RankedEntry]:
        statement = (
            select(LeaderboardEntry.user_id, LeaderboardEntry.value)
            .where(*_board_filter(board))
            .order_by(LeaderboardEntry.value.desc(), LeaderboardEntry.user_id.desc())
            .offset(offset)
            .limit(count)
        )
        async with self._database.session() as session:
            rows = (await session.execute(statement)).all()
        return [
            RankedEntry(offset + index + 1, user_id, value)
            for index, (user_id, value) in enumerate(rows)
        ]

    async def size(self, board: Board) -> int:
        statement = select(func.count()).select_from(LeaderboardEntry).where(*_board_filter(board))
        async with self._database.session() as session:
            return int(await session.scalar(statement) or 0)

    async def rank(self, board: Board, user_id: int) -> RankedEntry | None:
        filters = _board_filter(board)
        async with self._database.session() as session:
            value = await session.scalar(
                select(LeaderboardEntry.value).where(*filters, LeaderboardEntry.user_id == user_id)
            )
            if value is None:
                return None
            ahead = await session.scalar(
                select(func.count())
                .select_from(LeaderboardEntry)
                .where(
                    *filters,
                    # One range of the ranking index: (value, user_id) after the member's.
                    tuple_(LeaderboardEntry.value, LeaderboardEntry.user_id)
                    > tuple_(value, user_id),
                )
            )
        return RankedEntry(int(ahead or 0) + 1, user_id, value)


class RedisRankings:
    """Live rankings in Redis sorted sets, one per board, mirroring the database."""

    def __init__(self, redis: ResilientRedis, key_prefix: str, database: Database) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self._database = database
        self._hydrations: dict[str, asyncio.Task[bool]] = {}
        self._missed: dict[tuple[str, str], tuple[int, bool, datetime | None]] = {}
        self._missed_overflowed = False
        redis.add_recovery_hook(self._replay_missed)

    def key(self, board: Board) -> str:
        return (
            f"{self.key_prefix}lb:{board.scope}:{board.category}:{board.period.value}:"
            f"{board.start.isoformat()}"
        )

    def ready_key(self, board: Board) -> str:
        return f"{self.key_prefix}lb-ready:{self.key(board)[len(self.key_prefix) :]}"

    async def publish(self, updates: Iterable[RankingUpdate], *, only_raise: bool = True) -> None:
        """Write the database's values; ``only_raise`` keeps a higher score already there."""
        writes: list[tuple[str, str, int, datetime | None]] = []
        for update in updates:
            board = board_of(update)
            writes.append(
                (self.key(board), _member(update.user_id), update.value, board.expires_at())
            )
        if not writes:
            return

        async def operation(client: Redis) -> None:
            await self._write(client, writes, only_raise)

        try:
            await self.redis.call(operation)
        except RedisUnavailableError:
            for key, member, value, expires in writes:
                self._remember(key, member, value, only_raise, expires)

    async def remove(self, boards: Iterable[Board], user_id: int) -> None:
        """Take a member off boards (an administrator reset their XP)."""
        keys = [self.key(board) for board in boards]
        if not keys:
            return
        member = _member(user_id)

        async def operation(client: Redis) -> None:
            async with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.zrem(key, member)
                await pipe.execute()

        try:
            await self.redis.call(operation)
        except RedisUnavailableError:
            for key in keys:
                self._remember(key, member, 0, False, None)

    async def forget_user(self, user_id: int) -> None:
        """Remove a member from every board (a data-deletion request); raises if Redis is away."""
        member = _member(user_id)

        async def operation(client: Redis) -> None:
            pattern = f"{self.key_prefix}lb:*"
            async for key in client.scan_iter(match=pattern, count=500, _type="zset"):
                await client.zrem(key, member)

        await self.redis.call(operation)

    async def read(
        self, board: Board, offset: int, count: int
    ) -> tuple[list[RankedEntry], int] | None:
        """One page and the board's size, or None when the set is not ready (or Redis away)."""
        key = self.key(board)

        async def operation(client: Redis) -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                pipe.exists(self.ready_key(board))
                pipe.zcard(key)
                pipe.zrevrange(key, offset, offset + count - 1, withscores=True)
                result: list[Any] = await pipe.execute()
            return result

        try:
            ready, size, rows = await self.redis.call(operation)
        except RedisUnavailableError:
            return None
        if not ready:
            self.hydrate_in_background(board)
            return None
        entries = [
            RankedEntry(offset + index + 1, int(member), int(score))
            for index, (member, score) in enumerate(rows)
        ]
        return entries, int(size)

    async def rank(self, board: Board, user_id: int) -> RankedEntry | None:
        """The member's rank, None if unranked; RankingUnavailableError when the set cannot tell."""
        key, member = self.key(board), _member(user_id)

        async def operation(client: Redis) -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                pipe.exists(self.ready_key(board))
                pipe.zrevrank(key, member)
                pipe.zscore(key, member)
                result: list[Any] = await pipe.execute()
            return result

        try:
            ready, position, score = await self.redis.call(operation)
        except RedisUnavailableError as exc:
            raise RankingUnavailableError(key) from exc
        if not ready:
            self.hydrate_in_background(board)
            raise RankingUnavailableError(key)
        if position is None:
            return None
        return RankedEntry(int(position) + 1, user_id, int(score))

    def hydrate_in_background(self, board: Board) -> None:
        """Start rebuilding a board's set unless this process already is."""
        key = self.key(board)
        if key in self._hydrations:
            return
        task = asyncio.create_task(self._hydrate(board), name=f"botfleet-hydrate-{key}")
        self._hydrations[key] = task
        task.add_done_callback(lambda finished: self._hydration_done(key, finished))

    def _hydration_done(self, key: str, task: asyncio.Task[bool]) -> None:
        self._hydrations.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("Rebuilding the ranking %s failed", key, exc_info=task.exception())

    async def hydrate(self, board: Board) -> bool:
        """Load a board from the database into its set and mark it ready.

        One process at a time per board (a Redis lock); False when another process holds it or
        Redis is away. Values are added with ``GT``, so saves published meanwhile are kept.
        """
        running = self._hydrations.get(self.key(board))
        if running is not None:
            return await asyncio.shield(running)
        return await self._hydrate(board)

    async def _hydrate(self, board: Board) -> bool:
        key, lock = self.key(board), f"{self.key(board)}:hydrating"
        expires = board.expires_at()

        async def take_lock(client: Redis) -> bool:
            return bool(await client.set(lock, "1", nx=True, ex=HYDRATION_LOCK_SECONDS))

        try:
            if not await self.redis.call(take_lock):
                return False
            statement = select(LeaderboardEntry.user_id, LeaderboardEntry.value).where(
                *_board_filter(board)
            )
            loaded = 0
            async with self._database.session() as session:
                result = await session.stream(statement)
                async for partition in result.partitions(HYDRATION_CHUNK):
                    writes = [
                        (key, _member(user_id), value, expires) for user_id, value in partition
                    ]
                    loaded += len(writes)

                    async def add(client: Redis, batch: list[Any] = writes) -> None:
                        await self._write(client, batch, only_raise=True)

                    await self.redis.call(add)

            async def mark_ready(client: Redis) -> None:
                async with client.pipeline(transaction=False) as pipe:
                    pipe.set(self.ready_key(board), "1", exat=_epoch(expires))
                    pipe.delete(lock)
                    await pipe.execute()

            await self.redis.call(mark_ready)
        except RedisUnavailableError:
            return False
        log.info("Ranking %s rebuilt from the database: %d members", key, loaded)
        return True

    async def close(self) -> None:
        """Stop rebuilds in progress (their lock expires on its own)."""
        tasks = list(self._hydrations.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _write(
        self,
        client: Redis,
        writes: Iterable[tuple[str, str, int, datetime | None]],
        only_raise: bool,
    ) -> None:
        """One ZADD (and one ZREM) per sorted set, whatever the number of members."""
        scores: dict[str, dict[str, int]] = defaultdict(dict)
        removals: dict[str, list[str]] = defaultdict(list)
        expiries: dict[str, datetime | None] = {}
        for key, member, value, expires in writes:
            if value > 0:
                scores[key][member] = value
            else:
                removals[key].append(member)
            expiries[key] = expires
        async with client.pipeline(transaction=False) as pipe:
            for key, mapping in scores.items():
                pipe.zadd(key, mapping, gt=only_raise)
            for key, members in removals.items():
                pipe.zrem(key, *members)
            for key, expires in expiries.items():
                if expires is not None:
                    pipe.expireat(key, _epoch(expires) or 0)
            await pipe.execute()

    def _remember(
        self, key: str, member: str, value: int, only_raise: bool, expires: datetime | None
    ) -> None:
        previous = self._missed.get((key, member))
        if previous is not None and only_raise and previous[1]:
            value = max(value, previous[0])
        self._missed[key, member] = (value, only_raise, expires)
        if len(self._missed) > MAX_MISSED_WRITES:
            self._missed.clear()
            if not self._missed_overflowed:
                log.warning(
                    "more than %d ranking updates missed Redis; every ranking will be rebuilt "
                    "from the database when Redis is back",
                    MAX_MISSED_WRITES,
                )
            self._missed_overflowed = True

    async def _replay_missed(self, client: Redis) -> None:
        """Run by :class:`ResilientRedis` when an outage ends, before any other command."""
        if self._missed_overflowed:
            async for ready in client.scan_iter(match=f"{self.key_prefix}lb-ready:*", count=500):
                await client.delete(ready)
            self._missed_overflowed = False
        missed, self._missed = self._missed, {}
        raised = [
            (key, member, value, exp) for (key, member), (value, up, exp) in missed.items() if up
        ]
        exact = [
            (key, member, value, exp)
            for (key, member), (value, up, exp) in missed.items()
            if not up
        ]
        if raised:
            await self._write(client, raised, only_raise=True)
        if exact:
            await self._write(client, exact, only_raise=False)


def _epoch(when: datetime | None) -> int | None:
    return None if when is None else math.ceil(when.timestamp())


class LeaderboardService:
    """Pages of boards (cached for five minutes) and members' live ranks."""

    def __init__(
        self, database: Database, cache: CacheHierarchy, rankings: RedisRankings | None
    ) -> None:
        self._cache = cache
        self._rankings = rankings
        self.database_rankings = DatabaseRankings(database)

    @staticmethod
    def cache_key(board: Board, page: int, per_page: int) -> str:
        scope = GLOBAL_SCOPE if board.guild_id is None else board.guild_id
        base = CacheKeys.leaderboard(scope, board.category, board.period.value)
        return f"{base}:{board.start.isoformat()}:{per_page}:{page}"

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
        """One page of the current period's board; pages outside the board are clamped to it."""
        board = Board.current(category, period, guild_id, now)
        per_page = max(1, min(MAX_PER_PAGE, per_page))
        requested = max(1, page)

        async def load() -> dict[str, Any]:
            return await self._load_page(board, requested, per_page)

        data = await self._cache.get_or_load(
            self.cache_key(board, requested, per_page), load, self._cache.ttl.leaderboard
        )
        return LeaderboardPage(
            board=board,
            entries=tuple(RankedEntry(*entry) for entry in data["entries"]),
            page=data["page"],
            pages=data["pages"],
            total=data["total"],
            per_page=per_page,
        )

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

    async def _load_page(self, board: Board, page: int, per_page: int) -> dict[str, Any]:
        offset = (page - 1) * per_page
        from_redis = await self._read_redis(board, offset, per_page)
        if from_redis is not None:
            entries, total = from_redis
        else:
            total = await self.database_rankings.size(board)
        pages = max(1, math.ceil(total / per_page))
        if from_redis is None or page > pages:
            page = min(page, pages)
            entries = await self._top(board, (page - 1) * per_page, per_page)
        return {
            "entries": [[entry.rank, entry.user_id, entry.value] for entry in entries],
            "page": page,
            "pages": pages,
            "total": total,
        }

    async def _read_redis(
        self, board: Board, offset: int, count: int
    ) -> tuple[list[RankedEntry], int] | None:
        if self._rankings is None:
            return None
        return await self._rankings.read(board, offset, count)

    async def _top(self, board: Board, offset: int, count: int) -> list[RankedEntry]:
        found = await self._read_redis(board, offset, count)
        if found is not None:
            return found[0]
        return await self.database_rankings.top(board, offset, count)


def board_of(update: RankingUpdate) -> Board:
    """The board a ranking update belongs to."""
    return Board(
        update.category,
        Period(update.period),
        update.guild_id,
        date.fromisoformat(update.period_start_iso),
    )
