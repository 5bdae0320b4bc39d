"""The in-process cache tier: a bounded LRU map whose entries expire on their own.

It is the first tier every read tries, so it must never grow without bound (a bot runs for weeks)
and every operation must stay O(1): an ``OrderedDict`` keeps recency order, the least recently
used entry is dropped when the map is full, and an expired entry is dropped when it is next read.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Clock = Callable[[], float]
"""A source of monotonic seconds; tests pass a fake one instead of sleeping."""


@dataclass(slots=True)
class _Entry:
    value: Any
    expires_at: float | None


class MemoryCache:
    """An LRU cache of at most ``max_entries`` values, each with an optional time to live.

    ``None`` stands for "absent": the cache layers above never store it.
    """

    def __init__(self, max_entries: int, *, clock: Clock = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        """Entries held, including expired ones not read since they expired."""
        return len(self._entries)

    def get(self, key: str) -> Any | None:
        """Return the live value of ``key`` and mark it recently used, or ``None``."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at is not None and self._clock() >= entry.expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.value

    def set(self, key: str, value: Any, ttl: float | None) -> None:
        """Store ``value`` for ``ttl`` seconds (``None``: until evicted), evicting the LRU entry."""
        expires_at = None if ttl is None else self._clock() + ttl
        self._entries[key] = _Entry(value, expires_at)
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def delete(self, key: str) -> bool:
        """Drop ``key``; say whether it was held."""
        return self._entries.pop(key, None) is not None

    def delete_prefix(self, prefix: str) -> int:
        """Drop every key starting with ``prefix`` (a full scan: fine for rare admin changes)."""
        doomed = [key for key in self._entries if key.startswith(prefix)]
        for key in doomed:
            del self._entries[key]
        return len(doomed)

    def clear(self) -> None:
        """Drop everything, e.g. after missing invalidation messages while disconnected."""
        self._entries.clear()
