"""The memory tier: LRU eviction, per-entry TTL, and agreement with a plain reference model."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fake_clock import FakeClock
from hypothesis import given, settings
from hypothesis import strategies as st

from botfleet.cache import MemoryCache


def test_least_recently_used_entry_is_evicted_first(clock: FakeClock) -> None:
    cache = MemoryCache(3, clock=clock)
    for key in ("a", "b", "c"):
        cache.set(key, key.upper(), ttl=None)
    assert cache.get("a") == "A"  # "a" is now the most recently used; "b" the least
    cache.set("d", "D", ttl=None)
    assert cache.get("b") is None
    assert [cache.get(key) for key in ("a", "c", "d")] == ["A", "C", "D"]
    assert len(cache) == 3


def test_overwriting_refreshes_recency_without_growing(clock: FakeClock) -> None:
    cache = MemoryCache(2, clock=clock)
    cache.set("a", 1, ttl=None)
    cache.set("b", 2, ttl=None)
    cache.set("a", 3, ttl=None)
    cache.set("c", 4, ttl=None)
    assert cache.get("a") == 3
    assert cache.get("b") is None
    assert len(cache) == 2


def test_entries_expire_after_their_ttl(clock: FakeClock) -> None:
    cache = MemoryCache(10, clock=clock)
    cache.set("short", 1, ttl=5)
    cache.set("long", 2, ttl=60)
    clock.advance(4.9)
    assert cache.get("short") == 1
    clock.advance(0.1)
    assert cache.get("short") is None
    assert cache.get("long") == 2
    assert len(cache) == 1


def test_entry_without_ttl_lives_until_evicted(clock: FakeClock) -> None:
    cache = MemoryCache(10, clock=clock)
    cache.set("forever", "x", ttl=None)
    clock.advance(10**9)
    assert cache.get("forever") == "x"


def test_delete_and_delete_prefix_drop_only_their_keys(clock: FakeClock) -> None:
    cache = MemoryCache(10, clock=clock)
    for key in ("leaderboard:1:xp:week", "leaderboard:1:xp:all", "leaderboard:12:xp:all", "user:1"):
        cache.set(key, 1, ttl=None)
    assert cache.delete_prefix("leaderboard:1:") == 2
    assert cache.delete("user:1") is True
    assert cache.delete("user:1") is False
    assert cache.get("leaderboard:12:xp:all") == 1
    assert len(cache) == 1
    cache.clear()
    assert len(cache) == 0


def test_rejects_an_empty_capacity() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MemoryCache(0)


@dataclass
class ModelEntry:
    key: str
    value: int
    expires_at: float | None


class ReferenceCache:
    """The memory tier's contract written the obvious way: a list in recency order."""

    def __init__(self, max_entries: int, clock: FakeClock) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self.entries: list[ModelEntry] = []

    def _find(self, key: str) -> ModelEntry | None:
        return next((entry for entry in self.entries if entry.key == key), None)

    def get(self, key: str) -> int | None:
        entry = self._find(key)
        if entry is None:
            return None
        self.entries.remove(entry)
        if entry.expires_at is not None and self.clock() >= entry.expires_at:
            return None
        self.entries.append(entry)
        return entry.value

    def set(self, key: str, value: int, ttl: float | None) -> None:
        entry = self._find(key)
        if entry is not None:
            self.entries.remove(entry)
        expires_at = None if ttl is None else self.clock() + ttl
        self.entries.append(ModelEntry(key, value, expires_at))
        if len(self.entries) > self.max_entries:
            self.entries.pop(0)

    def delete(self, key: str) -> bool:
        entry = self._find(key)
        if entry is None:
            return False
        self.entries.remove(entry)
        return True


keys = st.sampled_from([f"k{index}" for index in range(8)])
operations = st.one_of(
    st.tuples(st.just("set"), keys, st.integers(0, 99), st.none() | st.integers(1, 20)),
    st.tuples(st.just("get"), keys),
    st.tuples(st.just("delete"), keys),
    st.tuples(st.just("advance"), st.integers(0, 10)),
)


@settings(max_examples=200, deadline=None)
@given(max_entries=st.integers(1, 6), script=st.lists(operations, max_size=60))
def test_matches_the_reference_model(max_entries: int, script: list[tuple[object, ...]]) -> None:
    clock = FakeClock()
    cache = MemoryCache(max_entries, clock=clock)
    model = ReferenceCache(max_entries, clock)
    for operation in script:
        match operation:
            case ("set", str(key), int(value), ttl):
                assert ttl is None or isinstance(ttl, int)
                cache.set(key, value, ttl)
                model.set(key, value, ttl)
            case ("get", str(key)):
                assert cache.get(key) == model.get(key)
            case ("delete", str(key)):
                assert cache.delete(key) == model.delete(key)
            case ("advance", int(seconds)):
                clock.advance(seconds)
        assert len(cache) == len(model.entries) <= max_entries
