"""Leaderboards per guild and fleet-wide, by category and period, with ranks and pages.

``leaderboard_entries`` is the durable record: the XP store adds to it in the transaction that
saves the XP. Reading a board:

* **Pages** (``/leaderboard``) go through the cache hierarchy under the architecture's
  ``leaderboard:{guild_id}:{category}:{period}`` key (plus the period start, page size and page),
  kept ``cache.ttl.leaderboard`` seconds (5 minutes): a popular board is computed once per
  five minutes, not once per viewer.
* **A member's own rank** is always live: from a Redis sorted set when Redis is configured
  (``ZREVRANK``, logarithmic at a million members), otherwise from the database's member counts
  per value bucket (:mod:`botfleet.gamification.rank_buckets`) plus a short range of the
  ranking index; a board's size is a sum of those counts.

The sorted sets mirror the database, and every write carries the member's ranking version
(:class:`~botfleet.database.models.gamification.RankingVersion`), which orders the transactions
that changed them. A save's new values only ever rise, so they are written with ``ZADD GT``: two
saves published out of order cannot lower a score. An administrator's change (give, take, reset)
is written as is, and its version is remembered in the board's "cut" hash; a save whose version
is older than the cut (it committed before the change but is published after it) is refused, so
it cannot put back XP the administrator took away. One Lua script applies a batch of writes per
set, atomically. A board whose set is not complete (Redis restarted, or the board is new)
carries no ``ready`` marker: it is read from the database while one process rebuilds the set in
the background, with the versions of the database's snapshot. Writes that miss Redis during an
outage are replayed when it comes back, or, if there were too many, every set is marked for
rebuilding.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from sqlalchemy import ColumnElement, ScalarSelect, func, select

from botfleet.cache import CacheHierarchy, CacheKeys, RedisUnavailableError, ResilientRedis
from botfleet.database.base import Database
from botfleet.database.models import LeaderboardEntry, User
from botfleet.database.models.gamification import RankBucket, RankingVersion
from botfleet.errors import UserError
from botfleet.gamification.events import RankingUpdate
from botfleet.gamification.periods import Period, period_end, period_start
from botfleet.gamification.rank_buckets import board_buckets, rank_bucket

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

log = logging.getLogger(__name__)

GLOBAL_SCOPE: Final = 0
"""Stands for "fleet-wide" in cache keys, which take a guild id (Discord ids are never 0)."""

MAX_PER_PAGE: Final = 25
SNAPSHOT_PAGES: Final = 10
"""Pages of a board ranked and cached together, so turning between them shows one ranking
even while the board changes (page 1 cached, page 2 ranked later, listed a member twice)."""
HYDRATION_CHUNK: Final = 5000
HYDRATION_LOCK_SECONDS: Final = 300
RANKING_GRACE: Final = timedelta(hours=6)
"""A finished period's sorted set lives this long after the period ends, for late saves."""
MAX_MISSED_WRITES: Final = 50_000

CATEGORY_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,31}(:[a-z][a-z0-9_]{0,31})?")

ORDERED_WRITE_SCRIPT: Final = """
local exact = ARGV[1] == '1'
local has_cuts = redis.call('EXISTS', KEYS[2]) == 1
for i = 3, #ARGV, 3 do
  local member = ARGV[i]
  local value = tonumber(ARGV[i + 1])
  local version = tonumber(ARGV[i + 2])
  local cut = nil
  if has_cuts then
    cut = tonumber(redis.call('HGET', KEYS[2], member) or '')
  end
  if exact then
    if cut == nil or version > cut then
      if value > 0 then
        redis.call('ZADD', KEYS[1], value, member)
      else
        redis.call('ZREM', KEYS[1], member)
      end
      redis.call('HSET', KEYS[2], member, version)
      has_cuts = true
    end
  elseif value > 0 and (cut == nil or version >= cut) then
    redis.call('ZADD', KEYS[1], 'GT', value, member)
  end
end
if ARGV[2] ~= '' then
  redis.call('EXPIREAT', KEYS[1], ARGV[2])
  if has_cuts then
    redis.call('EXPIREAT', KEYS[2], ARGV[2])
  end
end
"""
"""Applies one set's writes: KEYS = the sorted set and its cut hash; ARGV = "1" for exact
writes (else raises), the expiry (epoch seconds or ""), then member, value, version triples.
An exact write applies if newer than the member's cut and becomes it; a raise applies (as
``ZADD GT``) unless older than the cut."""


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
    names: Mapping[int, str] = field(default_factory=dict)
    """The stored username of each member on the page who has one, for viewers in whose
    server a mention of them would not render (they are not a member there)."""


def _member(user_id: int) -> str:
    return f"{user_id:020d}"


def _board_filter(board: Board) -> list[ColumnElement[bool]]:
    """The board's ranked entries."""
    return [*_board_rows(board), LeaderboardEntry.value > 0]


def _board_rows(board: Board) -> list[ColumnElement[bool]]:
    """The board's entries, ranked or not (a range above a ranked value needs no more, and
    SQLite would scan from the lower of two lower bounds)."""
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
        """The board's ranked members: a sum over its bucket counts, not a count of entries."""
        statement = select(func.coalesce(func.sum(RankBucket.members), 0)).where(
            *_bucket_filter(board)
        )
        async with self._database.session() as session:
            return int(await session.scalar(statement) or 0)

    async def rank(self, board: Board, user_id: int) -> RankedEntry | None:
        rows = _board_rows(board)
        async with self._database.session() as session:
            value = await session.scalar(
                select(LeaderboardEntry.value).where(
                    *_board_filter(board), LeaderboardEntry.user_id == user_id
                )
            )
            if value is None:
                return None
            start, end = rank_bucket(value)
            last = end - 1  # the bucket's last value (its end may not fit the column)
            ahead = (
                await session.execute(
                    select(
                        # The members of every higher bucket, from their counts...
                        select(func.coalesce(func.sum(RankBucket.members), 0))
                        .where(*_bucket_filter(board), RankBucket.bucket > start)
                        .scalar_subquery(),
                        # ...those above the member in their bucket, and the ties ranked
                        # ahead: two short ranges of the ranking index (written apart, as
                        # PostgreSQL misjudges a row comparison's range).
                        _count_entries(
                            rows, LeaderboardEntry.value > value, LeaderboardEntry.value <= last
                        ),
                        _count_entries(
                            rows,
                            LeaderboardEntry.value == value,
                            LeaderboardEntry.user_id > user_id,
                        ),
                    )
                )
            ).one()
        return RankedEntry(sum(int(part) for part in ahead) + 1, user_id, value)


def _bucket_filter(board: Board) -> list[ColumnElement[bool]]:
    return board_buckets(board.guild_id, board.category, board.period.value, board.start)


def _count_entries(
    filters: list[ColumnElement[bool]], *conditions: ColumnElement[bool]
) -> ScalarSelect[int]:
    return (
        select(func.count())
        .select_from(LeaderboardEntry)
        .where(*filters, *conditions)
        .scalar_subquery()
    )


class _Write(NamedTuple):
    """One member's value on one sorted set, as of their ranking ``version``."""

    key: str
    member: str
    value: int
    version: int
    expires: datetime | None


class RedisRankings:
    """Live rankings in Redis sorted sets, one per board, mirroring the database."""

    def __init__(self, redis: ResilientRedis, key_prefix: str, database: Database) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self._database = database
        self._hydrations: dict[str, asyncio.Task[bool]] = {}
        self._missed: dict[tuple[str, str, bool], _Write] = {}
        self._missed_overflowed = False
        self._ordered_write: AsyncScript | None = None
        redis.add_recovery_hook(self._replay_missed)

    def key(self, board: Board) -> str:
        return (
            f"{self.key_prefix}lb:{board.scope}:{board.category}:{board.period.value}:"
            f"{board.start.isoformat()}"
        )

    def ready_key(self, board: Board) -> str:
        return f"{self.key_prefix}lb-ready:{self.key(board)[len(self.key_prefix) :]}"

    def cut_key(self, key: str) -> str:
        """The hash of the versions of the latest exact writes to the sorted set ``key``."""
        return f"{self.key_prefix}lb-cut:{key[len(self.key_prefix) :]}"

    async def publish(self, updates: Iterable[RankingUpdate], *, exact: bool = False) -> None:
        """Write the database's values: raises of a save, or ``exact`` values of an
        administrator's change; an older version than what the set holds is refused."""
        writes = []
        for update in updates:
            board = board_of(update)
            writes.append(
                _Write(
                    self.key(board),
                    _member(update.user_id),
                    update.value,
                    update.version,
                    board.expires_at(),
                )
            )
        await self._send(writes, exact=exact)

    async def remove(self, boards: Iterable[Board], user_id: int, version: int) -> None:
        """Take a member off boards (an administrator reset their XP at ``version``)."""
        member = _member(user_id)
        writes = [
            _Write(self.key(board), member, 0, version, board.expires_at()) for board in boards
        ]
        await self._send(writes, exact=True)

    async def _send(self, writes: list[_Write], *, exact: bool) -> None:
        if not writes:
            return

        async def operation(client: Redis) -> None:
            await self._write(client, writes, exact=exact)

        try:
            await self.redis.call(operation)
        except RedisUnavailableError:
            for write in writes:
                self._remember(write, exact=exact)

    async def forget_user(self, user_id: int) -> None:
        """Remove a member from every board (a data-deletion request); raises if Redis is away."""
        member = _member(user_id)

        async def operation(client: Redis) -> None:
            boards = f"{self.key_prefix}lb:*"
            async for key in client.scan_iter(match=boards, count=500, _type="zset"):
                await client.zrem(key, member)
            cuts = f"{self.key_prefix}lb-cut:*"
            async for key in client.scan_iter(match=cuts, count=500, _type="hash"):
                await client.hdel(key, member)

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
        Redis is away. Values are added as raises with the snapshot's versions, so saves
        published meanwhile are kept and an administrator's change published meanwhile wins.
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
            # One statement, so values and versions come from one snapshot.
            statement = (
                select(
                    LeaderboardEntry.user_id,
                    LeaderboardEntry.value,
                    func.coalesce(RankingVersion.version, 0),
                )
                .outerjoin(RankingVersion, RankingVersion.user_id == LeaderboardEntry.user_id)
                .where(*_board_filter(board))
            )
            loaded = 0
            async with self._database.session() as session:
                result = await session.stream(statement)
                async for partition in result.partitions(HYDRATION_CHUNK):
                    writes = [
                        _Write(key, _member(user_id), value, version, expires)
                        for user_id, value, version in partition
                    ]
                    loaded += len(writes)

                    async def add(client: Redis, batch: list[_Write] = writes) -> None:
                        await self._write(client, batch, exact=False)

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

    async def _write(self, client: Redis, writes: Iterable[_Write], *, exact: bool) -> None:
        """One script call per sorted set, whatever the number of members."""
        by_key: dict[str, list[_Write]] = defaultdict(list)
        for write in writes:
            by_key[write.key].append(write)
        script = self._ordered_write_script(client)
        async with client.pipeline(transaction=False) as pipe:
            for key, batch in by_key.items():
                expires = _epoch(batch[-1].expires)
                arguments: list[str | int] = ["1" if exact else "0", expires or ""]
                for write in batch:
                    arguments.extend((write.member, write.value, write.version))
                await script(keys=[key, self.cut_key(key)], args=arguments, client=pipe)
            await pipe.execute()

    def _ordered_write_script(self, client: Redis) -> AsyncScript:
        """The ordered-write script, registered once per client instead of at every write."""
        if self._ordered_write is None or self._ordered_write.registered_client is not client:
            self._ordered_write = client.register_script(ORDERED_WRITE_SCRIPT)
        return self._ordered_write

    def _remember(self, write: _Write, *, exact: bool) -> None:
        """Keep a write that missed Redis for the replay; of one member's, the newest."""
        slot = (write.key, write.member, exact)
        previous = self._missed.get(slot)
        if previous is None or previous.version < write.version:
            self._missed[slot] = write
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
            # Sets, cuts and markers go: a rebuild only raises values, so it cannot repair a
            # set that still holds XP an administrator took away while Redis was away.
            for kind in ("lb-ready", "lb-cut", "lb"):
                async for key in client.scan_iter(match=f"{self.key_prefix}{kind}:*", count=500):
                    await client.unlink(key)
            self._missed_overflowed = False
        missed, self._missed = self._missed, {}
        for exact in (True, False):
            writes = [write for (_, _, kind), write in missed.items() if kind is exact]
            if writes:
                await self._write(client, writes, exact=exact)


def _epoch(when: datetime | None) -> int | None:
    return None if when is None else math.ceil(when.timestamp())


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
    def cache_key(board: Board, window: int, per_page: int) -> str:
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
        requested = max(1, page)
        window = await self._window(board, (requested - 1) // SNAPSHOT_PAGES, per_page)
        pages = max(1, math.ceil(window["total"] / per_page))
        if requested > pages:
            requested = pages
            window = await self._window(board, (requested - 1) // SNAPSHOT_PAGES, per_page)
        start = (requested - 1) % SNAPSHOT_PAGES * per_page
        shown = window["entries"][start : start + per_page]
        return LeaderboardPage(
            board=board,
            entries=tuple(RankedEntry(*entry) for entry in shown),
            page=requested,
            pages=max(1, math.ceil(window["total"] / per_page)),
            total=window["total"],
            per_page=per_page,
            names={int(user_id): name for user_id, name in window.get("names", {}).items()},
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
        return {
            "entries": [[entry.rank, entry.user_id, entry.value] for entry in entries],
            "total": total,
            "names": await self._usernames([entry.user_id for entry in entries]),
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


def board_of(update: RankingUpdate) -> Board:
    """The board a ranking update belongs to."""
    return Board(
        update.category,
        Period(update.period),
        update.guild_id,
        date.fromisoformat(update.period_start_iso),
    )
