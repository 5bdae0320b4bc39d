"""A process cut off from RabbitMQ: its broadcasts come again on a queue of a new name, and it is
told that the broadcasts published meanwhile were lost, so it drops the cached answers they
keep fresh (premium, members' data). On the machine's real broker, reached
through a proxy the test cuts (the broker itself is shared)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from scale_processes import AMQP_URL

from botfleet.cache import CacheHierarchy, CacheKeys, MemoryCache
from botfleet.database.base import Database
from botfleet.events_bus import Delivery, MemberDataDeleted, ProcessedEvents
from botfleet.sandbox.tcp_proxy import CuttableProxy
from botfleet.services.premium.rules import Subject
from botfleet.services.premium.service import PremiumService, cache_key
from botfleet.services.privacy import forget_every_cached_member
from required import import_backend

import_backend("aio_pika")
from botfleet.events_bus.rabbitmq import RabbitMQBus  # noqa: E402  (needs aio_pika, checked above)

WAIT = 15.0


async def test_a_process_cut_off_hears_broadcasts_again_on_a_new_queue_and_learns_of_the_gap(
    exchange: str,
) -> None:
    broker = urlsplit(AMQP_URL)
    proxy = CuttableProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    await proxy.start()
    proxied = broker._replace(
        netloc=f"{broker.username}:{broker.password}@127.0.0.1:{proxy.port}",
        query="reconnect_interval=0.2",
    ).geturl()
    cut_off = RabbitMQBus(proxied, exchange, ProcessedEvents())
    publisher = RabbitMQBus(AMQP_URL, exchange, ProcessedEvents())
    heard: asyncio.Queue[int] = asyncio.Queue()
    reconnects: asyncio.Queue[None] = asyncio.Queue()

    async def forget(event: MemberDataDeleted) -> None:
        await heard.put(event.user_id)

    async def missed() -> None:
        """What FleetBot does after a reconnect, then a note for the test."""
        forget_every_cached_member(cache)
        await reconnects.put(None)

    cache = CacheHierarchy(MemoryCache(100))
    database = Database("sqlite+aiosqlite:///:memory:")
    PremiumService(database, cache, bus=cut_off).follow_changes("hangman")
    cut_off.subscribe(
        MemberDataDeleted, forget, consumer="hangman", name="forget", delivery=Delivery.BROADCAST
    )
    cut_off.on_reconnect(missed)
    kept = CacheKeys.guild_config(5)
    guarded = [
        cache_key(Subject.user(3)),
        cache_key(Subject.guild(5)),
        CacheKeys.user(3),
        CacheKeys.member_record(3, "hangman", 5),
        CacheKeys.leaderboard(5, "xp", "week"),
    ]
    for key in (kept, *guarded):
        await cache.set(key, "cached", ttl=300)
    try:
        await cut_off.start()
        await publisher.start()
        first_queue = cut_off.process_queue_name("hangman")
        await publisher.publish(MemberDataDeleted(source_bot="cli", user_id=1))
        assert await asyncio.wait_for(heard.get(), WAIT) == 1

        proxy.cut()
        await asyncio.sleep(0.5)
        proxy.restore()
        await asyncio.wait_for(reconnects.get(), WAIT)

        assert cut_off.process_queue_name("hangman") != first_queue
        assert [key for key in guarded if cache.memory.get(key) is not None] == []
        assert cache.memory.get(kept) == "cached", "what no broadcast guards stays"
        await publisher.publish(MemberDataDeleted(source_bot="cli", user_id=2))
        assert await asyncio.wait_for(heard.get(), WAIT) == 2
    finally:
        await cut_off.close()
        await publisher.close()
        await proxy.close()
        await database.dispose()
    assert reconnects.empty() and heard.empty()
