"""Live rankings in Redis sorted sets, one per board, mirroring ``leaderboard_entries``.

Every write carries the member's ranking version
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
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from sqlalchemy import func, select

from botfleet.cache import RedisUnavailableError, ResilientRedis
from botfleet.database.base import Database
from botfleet.database.models import LeaderboardEntry
from botfleet.database.models.gamification import RankingVersion
from botfleet.gamification.boards import Board, RankedEntry, board_of
from botfleet.gamification.database_rankings import board_filter
from botfleet.gamification.events import RankingUpdate

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

HYDRATION_CHUNK: Final = 5000
HYDRATION_LOCK_SECONDS: Final = 300
MAX_MISSED_WRITES: Final = 50_000

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


BESIDE_READ_SCRIPT: Final = """
if redis.call('EXISTS', KEYS[2]) == 0 then
  return false
end
local value, member, count = ARGV[1], ARGV[2], tonumber(ARGV[3])
local low = redis.call('ZCOUNT', KEYS[1], '(' .. value, '+inf')
local high = low + redis.call('ZCOUNT', KEYS[1], value, value)
while low < high do
  local middle = math.floor((low + high) / 2)
  if redis.call('ZREVRANGE', KEYS[1], middle, middle)[1] > member then
    low = middle + 1
  else
    high = middle
  end
end
local first = low
if ARGV[4] == '1' then
  local at = redis.call('ZREVRANGE', KEYS[1], low, low, 'WITHSCORES')
  if at[1] == member and tonumber(at[2]) == tonumber(value) then
    first = low + 1
  end
else
  first = math.max(0, low - count)
  count = low - first
end
local rows = {}
if count > 0 then
  rows = redis.call('ZREVRANGE', KEYS[1], first, first + count - 1, 'WITHSCORES')
end
return {first, redis.call('ZCARD', KEYS[1]), rows}
"""
"""Reads beside an anchor: KEYS = the sorted set and its ready marker; ARGV = the anchor's
value and member, a count, and "1" for the members ranked after it (else before). Finds how
many rank ahead of the anchor (a binary search among its ties, ordered by member), then returns
that window's first position, the set's size and its members with scores; false when the set
is not ready."""


class RankingUnavailableError(Exception):
    """A Redis ranking cannot answer (Redis away, or the set is being rebuilt): use the database."""


def _member(user_id: int) -> str:
    return f"{user_id:020d}"


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

    async def read_beside(
        self, board: Board, anchor: RankedEntry, count: int, *, after: bool
    ) -> tuple[list[RankedEntry], int] | None:
        """Up to ``count`` members ranked strictly after ``anchor``'s value and member (or
        before), and the board's size; None when the set is not ready (or Redis away)."""
        key = self.key(board)
        arguments: list[str | int] = [
            anchor.value,
            _member(anchor.user_id),
            count,
            "1" if after else "0",
        ]

        async def operation(client: Redis) -> Any:
            script = self.redis.script(BESIDE_READ_SCRIPT)
            return await script(keys=[key, self.ready_key(board)], args=arguments)

        try:
            found = await self.redis.call(operation)
        except RedisUnavailableError:
            return None
        if not found:
            self.hydrate_in_background(board)
            return None
        first, size, rows = found
        pairs = zip(rows[::2], rows[1::2], strict=True)
        entries = [
            RankedEntry(int(first) + index + 1, int(member), int(score))
            for index, (member, score) in enumerate(pairs)
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
                .where(*board_filter(board))
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
        script = self.redis.script(ORDERED_WRITE_SCRIPT)
        async with client.pipeline(transaction=False) as pipe:
            for key, batch in by_key.items():
                expires = _epoch(batch[-1].expires)
                arguments: list[str | int] = ["1" if exact else "0", expires or ""]
                for write in batch:
                    arguments.extend((write.member, write.value, write.version))
                await script(keys=[key, self.cut_key(key)], args=arguments, client=pipe)
            await pipe.execute()

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
