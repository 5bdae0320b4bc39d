"""Dashboard sessions: in Redis (the TTL is their lifetime), in memory without Redis."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from botfleet.auth.sessions import (
    MemorySessionBackend,
    PendingLogin,
    SessionStore,
    new_session,
)
from botfleet.cache import ResilientRedis


@pytest.fixture
async def redis(redis_url: str, redis_prefix: str) -> AsyncIterator[ResilientRedis]:
    client = ResilientRedis.from_url(redis_url, retry_interval=5)
    yield client
    await client.close()


async def test_a_session_round_trips_through_redis_with_its_lifetime(
    redis: ResilientRedis, redis_prefix: str
) -> None:
    store = SessionStore.for_cache(redis, lifetime=60, key_prefix=redis_prefix)
    session = new_session()
    session.pending_login = PendingLogin("state", "verifier", "/profile")
    await store.save(session)
    assert await store.load(session.id) == session
    ttl = await redis.client.pttl(f"{redis_prefix}session:{session.id}")
    assert 0 < ttl <= 60_000

    renewed = await store.renew(session)
    renewed.user_id = 41
    await store.save(renewed)
    assert renewed.id != session.id and renewed.csrf_token != session.csrf_token
    assert await store.load(session.id) is None
    loaded = await store.load(renewed.id)
    assert loaded is not None and loaded.user_id == 41

    await store.end(renewed)
    assert await store.load(renewed.id) is None


async def test_unknown_malformed_or_oversized_ids_open_nothing(
    redis: ResilientRedis, redis_prefix: str
) -> None:
    store = SessionStore.for_cache(redis, lifetime=60, key_prefix=redis_prefix)
    await redis.client.set(f"{redis_prefix}session:broken", "{not json")
    assert await store.load("broken") is None
    assert await store.load("never-issued") is None
    assert await store.load("x" * 500) is None


async def test_memory_sessions_expire_after_their_lifetime() -> None:
    now = [1000.0]
    store = SessionStore(MemorySessionBackend(clock=lambda: now[0]), lifetime=30, key_prefix="")
    session = new_session()
    await store.save(session)
    now[0] += 29
    assert await store.load(session.id) is not None
    now[0] += 2
    assert await store.load(session.id) is None


async def test_memory_sessions_are_capped_and_the_oldest_written_goes_first() -> None:
    backend = MemorySessionBackend(max_entries=3)
    store = SessionStore(backend, lifetime=60, key_prefix="")
    sessions = [new_session() for _ in range(5)]
    for session in sessions[:3]:
        await store.save(session)
    await store.save(sessions[0])  # used again: now the newest
    for session in sessions[3:]:
        await store.save(session)

    assert len(backend) == 3
    kept = [await store.load(session.id) is not None for session in sessions]
    assert kept == [True, False, False, True, True]


async def test_the_store_without_redis_is_capped() -> None:
    store = SessionStore.for_cache(None, lifetime=60, key_prefix="")
    assert isinstance(store.backend, MemorySessionBackend)
    store.backend.max_entries = 2
    for _ in range(10):
        await store.save(new_session())
    assert len(store.backend) == 2


async def test_sessions_keep_working_in_memory_while_redis_is_away() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    redis = ResilientRedis.from_url(
        f"redis://127.0.0.1:{dead_port}/0", retry_interval=60, socket_timeout=0.5
    )
    try:
        store = SessionStore.for_cache(redis, lifetime=60, key_prefix="test:")
        session = new_session()
        await store.save(session)
        assert redis.in_outage
        assert await store.load(session.id) == session
    finally:
        await redis.close()
