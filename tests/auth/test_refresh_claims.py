"""One renewal of a member's Discord token at a time, agreed through Redis, and without it."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest

from botfleet.auth.refresh import DiscordUnavailableError, RefreshClaims
from botfleet.cache import ResilientRedis


@pytest.fixture
async def redis(redis_url: str, redis_prefix: str) -> AsyncIterator[ResilientRedis]:
    link = ResilientRedis.from_url(redis_url, retry_interval=5)
    try:
        yield link
    finally:
        await link.close()


async def test_a_second_process_waits_for_the_claim_and_takes_it_once_released(
    redis: ResilientRedis, redis_prefix: str
) -> None:
    first, second = RefreshClaims(redis, redis_prefix), RefreshClaims(redis, redis_prefix)
    order: list[str] = []

    async def renew(claims: RefreshClaims, name: str) -> None:
        async with claims.claim(42):
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    await asyncio.gather(renew(first, "first"), renew(second, "second"))

    assert order in (
        ["first in", "first out", "second in", "second out"],
        ["second in", "second out", "first in", "first out"],
    )
    async with first.claim(42), second.claim(43):
        pass  # another member's renewal never waits


async def test_a_claim_held_too_long_elsewhere_is_answered_as_discord_being_slow(
    redis: ResilientRedis, redis_prefix: str
) -> None:
    stuck = RefreshClaims(redis, redis_prefix)
    waiting = RefreshClaims(redis, redis_prefix, hold=0.3)
    async with stuck.claim(7):
        with pytest.raises(DiscordUnavailableError):
            async with waiting.claim(7):
                pytest.fail("the claim was held by another process")


async def test_without_redis_the_process_lock_still_holds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = ResilientRedis.from_url(f"redis://127.0.0.1:{port}/0", retry_interval=60)
    claims = RefreshClaims(dead, "test:")
    inside: list[int] = []

    async def renew() -> None:
        async with claims.claim(9):
            inside.append(1)
            assert len(inside) == 1, "two renewals at once"
            await asyncio.sleep(0.05)
            inside.pop()

    try:
        with caplog.at_level(logging.WARNING, logger="botfleet.auth.refresh"):
            await asyncio.gather(renew(), renew())
    finally:
        await dead.close()
    assert "renewed under this process's lock only" in caplog.text
