"""Records of a bot read through the cache: a member's (a Hangman record, Grammar counts) and
a server's boards of who did what (the Spelling Bee's finds of a day).

A stats or status command reads one record each time it runs; from the cache it costs no
query. The store that writes a record calls ``forget`` once its transaction has committed,
which drops the record in every process (see :mod:`botfleet.cache.invalidation`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from botfleet.cache.hierarchy import CacheHierarchy
from botfleet.cache.keys import CacheKeys
from botfleet.config.schema import CacheTTLSection

T = TypeVar("T")


class _CachedRecords:
    """Records of one kind (``name``), read through the cache when there is one."""

    def __init__(self, cache: CacheHierarchy | None, name: str) -> None:
        """Without a cache every read is the loader's (stores used outside a bot)."""
        self.cache = cache
        self.name = name

    async def _read(
        self,
        key: str,
        load: Callable[[], Awaitable[T]],
        ttl: Callable[[CacheTTLSection], float],
    ) -> T:
        """The cached value of ``key``, else ``await load()`` cached for ``ttl`` of the
        settings (JSON data: a cached tuple comes back as a list)."""
        if self.cache is None:
            return await load()
        return await self.cache.get_or_load(key, load, ttl(self.cache.ttl))

    async def _forget(self, key: str) -> None:
        """Drop ``key`` everywhere: call it after the write that changed it committed."""
        if self.cache is not None:
            await self.cache.invalidate(key)


class MemberRecords(_CachedRecords):
    """One kind of member record (``name``, e.g. "hangman") of every guild, in the cache."""

    async def read(self, user_id: int, guild_id: int, load: Callable[[], Awaitable[T]]) -> T:
        """The record, cached for ``cache.ttl.user``, else ``await load()``."""
        key = CacheKeys.member_record(user_id, self.name, guild_id)
        return await self._read(key, load, lambda ttl: ttl.user)

    async def forget(self, user_id: int, guild_id: int) -> None:
        """Drop the record everywhere: call it after the write that changed it committed."""
        await self._forget(CacheKeys.member_record(user_id, self.name, guild_id))


class GuildBoards(_CachedRecords):
    """One kind of server board that names members (``name``, e.g. "spelling_bee_finds"), one
    per server and period, in the cache.

    Kept under the leaderboard keys (TTL ``cache.ttl.leaderboard``): a member's data deletion
    drops every board with them, so no cached board names a deleted member.
    """

    async def read(self, guild_id: int, period: str, load: Callable[[], Awaitable[T]]) -> T:
        """The board, cached for ``cache.ttl.leaderboard``, else ``await load()``."""
        key = CacheKeys.leaderboard(guild_id, self.name, period)
        return await self._read(key, load, lambda ttl: ttl.leaderboard)

    async def forget(self, guild_id: int, period: str) -> None:
        """Drop the board everywhere: call it after the write that changed it committed."""
        await self._forget(CacheKeys.leaderboard(guild_id, self.name, period))
