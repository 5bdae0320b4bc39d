"""Members' records of a bot (a Hangman record, Grammar counts) read through the cache.

A stats command reads one member's record each time it runs; from the cache it costs no query.
The store that writes a record calls :meth:`MemberRecords.forget` once its transaction has
committed, which drops the record in every process (see :mod:`botfleet.cache.invalidation`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from botfleet.cache.hierarchy import CacheHierarchy
from botfleet.cache.keys import CacheKeys

T = TypeVar("T")


class MemberRecords:
    """One kind of member record (``name``, e.g. "hangman") of every guild, in the cache."""

    def __init__(self, cache: CacheHierarchy | None, name: str) -> None:
        """Without a cache every read is the loader's (stores used outside a bot)."""
        self.cache = cache
        self.name = name

    async def read(self, user_id: int, guild_id: int, load: Callable[[], Awaitable[T]]) -> T:
        """The record, cached for ``cache.ttl.user``, else ``await load()`` (JSON data: a
        cached tuple comes back as a list)."""
        if self.cache is None:
            return await load()
        key = CacheKeys.member_record(user_id, self.name, guild_id)
        return await self.cache.get_or_load(key, load, self.cache.ttl.user)

    async def forget(self, user_id: int, guild_id: int) -> None:
        """Drop the record everywhere: call it after the write that changed it committed."""
        if self.cache is not None:
            await self.cache.invalidate(CacheKeys.member_record(user_id, self.name, guild_id))
