"""The event bus on both backends; the RabbitMQ one on the machine's real broker.

Each RabbitMQ test has an exchange of its own (and so queues of its own), deleted afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from pydantic import SecretStr
from scale_processes import AMQP_URL

from botfleet.cache.resilience import ResilientRedis
from botfleet.core.bot import FleetBot
from botfleet.events_bus import (
    Delivery,
    EventBus,
    HandlerNameTakenError,
    InProcessBus,
    MemberBanned,
    MemberDataDeleted,
    ProcessedEvents,
    UndeliverableEventError,
)
from botfleet.events_bus.events import decode_event
from botfleet.gamification.events import LevelUp, XPSource
from botfleet.sandbox import DiscordSandbox, SandboxChannel
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage
from required import import_backend

import_backend("aio_pika")
from botfleet.events_bus.rabbitmq import RabbitMQBus  # noqa: E402  (needs aio_pika, checked above)


class Effects:
    """What the handlers did: bans applied, by event id."""

    def __init__(self) -> None:
        self.applied: list[str] = []
        self.changed = asyncio.Condition()

    async def apply(self, event: MemberBanned) -> None:
        async with self.changed:
            self.applied.append(event.event_id)
            self.changed.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self.changed:
            await asyncio.wait_for(
                self.changed.wait_for(lambda: len(self.applied) >= count), timeout=10
            )


def ban(user_id: int = 7) -> MemberBanned:
    return MemberBanned(source_bot="mod", guild_id=1, user_id=user_id, reason="spam")


def rabbit(exchange: str, processed: ProcessedEvents | None = None) -> RabbitMQBus:
    return RabbitMQBus(AMQP_URL, exchange, processed or ProcessedEvents())


async def started(
    bus: EventBus, consumer: str, handler: Callable[[MemberBanned], Awaitable[None]]
) -> EventBus:
    bus.subscribe(MemberBanned, handler, consumer=consumer, name="bans")
    await bus.start()
    return bus


async def test_every_subscribed_bot_sees_a_ban_once(exchange: str) -> None:
    utility, hangman = Effects(), Effects()
    consumers = [
        await started(rabbit(exchange), "utility", utility.apply),
        await started(rabbit(exchange), "hangman", hangman.apply),
    ]
    publisher = rabbit(exchange)
    await publisher.start()
    try:
        event = ban()
        await publisher.publish(event)
        await utility.wait_for(1)
        await hangman.wait_for(1)
    finally:
        for bus in (*consumers, publisher):
            await bus.close()
    assert utility.applied == hangman.applied == [event.event_id]


async def test_events_published_while_a_bot_is_down_reach_it_when_it_restarts(
    exchange: str,
) -> None:
    effects = Effects()
    first_run = await started(rabbit(exchange), "utility", effects.apply)
    await first_run.close()
    publisher = rabbit(exchange)
    await publisher.start()
    events = [ban(user_id) for user_id in (1, 2, 3)]
    try:
        for event in events:
            await publisher.publish(event)
        restarted = await started(rabbit(exchange), "utility", effects.apply)
        try:
            await effects.wait_for(3)
        finally:
            await restarted.close()
    finally:
        await publisher.close()
    assert sorted(effects.applied) == sorted(event.event_id for event in events)


async def test_an_event_in_flight_when_a_bot_stops_is_redelivered_and_acts_once(
    exchange: str, redis_url: str, redis_prefix: str
) -> None:
    redis = ResilientRedis.from_url(redis_url, retry_interval=5)
    processed = ProcessedEvents(redis, key_prefix=redis_prefix)
    effects = Effects()
    received = asyncio.Event()
    never = asyncio.Event()

    async def stuck(event: MemberBanned) -> None:
        received.set()
        await never.wait()  # the process stops before this handler ends

    stopping = await started(rabbit(exchange, processed), "utility", stuck)
    publisher = rabbit(exchange)
    await publisher.start()
    try:
        event = ban()
        await publisher.publish(event)
        await asyncio.wait_for(received.wait(), 10)
        await stopping.close()
        restarted = await started(rabbit(exchange, processed), "utility", effects.apply)
        try:
            await effects.wait_for(1)
            await publisher.publish(event)  # the same event once more: a repeat, no effect
            await publisher.publish(ban(user_id=8))
            await effects.wait_for(2)
        finally:
            await restarted.close()
    finally:
        await publisher.close()
        await redis.close()
    assert effects.applied[0] == event.event_id
    assert effects.applied.count(event.event_id) == 1
    assert len(effects.applied) == 2


async def test_a_handler_that_fails_once_gets_the_event_again(exchange: str) -> None:
    effects = Effects()
    attempts = 0

    async def flaky(event: MemberBanned) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("the database blinked")
        await effects.apply(event)

    consumer = await started(rabbit(exchange), "utility", flaky)
    publisher = rabbit(exchange)
    await publisher.start()
    try:
        await publisher.publish(ban())
        await effects.wait_for(1)
    finally:
        await consumer.close()
        await publisher.close()
    assert attempts == 2


async def test_an_event_nobody_subscribed_to_is_refused_at_publish(exchange: str) -> None:
    publisher = rabbit(exchange)
    await publisher.start()
    try:
        with pytest.raises(UndeliverableEventError):
            await publisher.publish(ban())
    finally:
        await publisher.close()


async def test_the_in_process_bus_delivers_to_its_subscribers_once_per_event() -> None:
    effects = Effects()
    bus = await started(InProcessBus(ProcessedEvents()), "utility", effects.apply)
    event = ban()
    await bus.publish(event)
    await bus.publish(event)
    assert effects.applied == [event.event_id]
    assert bus.delivers_to("utility")
    assert not bus.delivers_to("hangman")


async def test_each_handler_of_one_consumer_runs_once_per_event() -> None:
    """Two cogs of one bot handle the same event (handlers are told apart by name, which
    stays the same across restarts, so the record of handled events does too)."""
    reminders, premium = Effects(), Effects()

    async def drop_reminders(event: MemberBanned) -> None:
        await reminders.apply(event)

    async def forget_premium(event: MemberBanned) -> None:
        await premium.apply(event)

    bus = await started(InProcessBus(ProcessedEvents()), "utility", drop_reminders)
    bus.subscribe(MemberBanned, forget_premium, consumer="utility", name="premium")
    event = ban()
    await bus.publish(event)
    await bus.publish(event)
    assert reminders.applied == premium.applied == [event.event_id]


async def test_two_copies_of_one_event_handled_at_once_act_once() -> None:
    """A publisher's retry can put two copies of an event in flight together (RabbitMQ hands a
    process several messages at once): the second waits for the first, then is a repeat."""
    effects = Effects()
    release = asyncio.Event()

    async def slow(event: MemberBanned) -> None:
        await release.wait()
        await effects.apply(event)

    bus = InProcessBus(ProcessedEvents())
    bus.subscribe(MemberBanned, slow, consumer="utility", name="bans")
    [subscription] = bus.subscriptions
    event = ban()
    copies = [asyncio.create_task(bus.handle_once(subscription, event)) for _ in range(2)]
    for _ in range(5):
        await asyncio.sleep(0)  # both copies are past their check for a record
    release.set()
    assert sorted(await asyncio.gather(*copies)) == [False, True]
    assert effects.applied == [event.event_id]


def counting_handler(effects: Effects) -> Callable[[MemberBanned], Awaitable[None]]:
    """A handler made by a factory: every one it makes has the same ``__qualname__``."""

    async def handle(event: MemberBanned) -> None:
        await effects.apply(event)

    return handle


async def test_two_handlers_made_by_one_factory_each_run_once_per_event(
    exchange: str, redis_url: str, redis_prefix: str
) -> None:
    """Handled events are recorded under the name each handler is given, not its
    ``__qualname__``, which the two share: the second is not taken for the first."""
    redis = ResilientRedis.from_url(redis_url, retry_interval=5)
    reminders, premium = Effects(), Effects()
    first, second = counting_handler(reminders), counting_handler(premium)
    assert first.__qualname__ == second.__qualname__
    bus = rabbit(exchange, ProcessedEvents(redis, key_prefix=redis_prefix))
    bus.subscribe(MemberBanned, first, consumer="utility", name="reminders")
    bus.subscribe(MemberBanned, second, consumer="utility", name="premium")
    await bus.start()
    publisher = rabbit(exchange)
    await publisher.start()
    try:
        event, later = ban(), ban(user_id=8)
        for each in (event, event, later):
            await publisher.publish(each)
        await reminders.wait_for(2)
        await premium.wait_for(2)
    finally:
        for each_bus in (bus, publisher):
            await each_bus.close()
        await redis.close()
    # Deliveries are handled concurrently (the channel's prefetch): once each, in any order.
    expected = sorted([event.event_id, later.event_id])
    assert sorted(reminders.applied) == sorted(premium.applied) == expected


def test_a_handler_name_is_one_handlers_in_its_bot() -> None:
    bus = InProcessBus(ProcessedEvents())
    first, second = counting_handler(Effects()), counting_handler(Effects())
    bus.subscribe(MemberBanned, first, consumer="utility", name="bans")
    bus.subscribe(MemberBanned, first, consumer="utility", name="bans", key="member.banned.1")
    bus.subscribe(MemberBanned, second, consumer="hangman", name="bans")
    with pytest.raises(HandlerNameTakenError, match="utility already has a handler named 'bans'"):
        bus.subscribe(MemberBanned, second, consumer="utility", name="bans")
    with pytest.raises(HandlerNameTakenError):
        bus.subscribe(MemberBanned, first, consumer="utility", name="bans")


class BotProcessBus:
    """One process of the Hangman Bot on RabbitMQ: its work (a ban, into the bot's ``work``)
    and its broadcast (a deleted member's cached data, into its own) handlers."""

    def __init__(self, exchange: str, processed: ProcessedEvents, work: Effects) -> None:
        self.bus = rabbit(exchange, processed)
        self.work, self.broadcast = work, Effects()
        self.bus.subscribe(MemberBanned, self.work.apply, consumer="hangman", name="bans")
        self.bus.subscribe(
            MemberDataDeleted,
            self.forget,
            consumer="hangman",
            name="forget",
            delivery=Delivery.BROADCAST,
        )

    async def forget(self, event: MemberDataDeleted) -> None:
        async with self.broadcast.changed:
            self.broadcast.applied.append(event.event_id)
            self.broadcast.changed.notify_all()


async def test_a_broadcast_reaches_every_process_of_a_bot_and_work_one_of_them(
    exchange: str, redis_url: str, redis_prefix: str
) -> None:
    """Two processes of one bot (shards) share Redis's record of handled events: each ban is
    handled by one of them, each deletion by both."""
    redis = ResilientRedis.from_url(redis_url, retry_interval=5)
    work = Effects()
    shards = [
        BotProcessBus(exchange, ProcessedEvents(redis, key_prefix=redis_prefix), work) for _ in "ab"
    ]
    publisher = rabbit(exchange)
    try:
        for shard in shards:
            await shard.bus.start()
        await publisher.start()
        bans = [ban(user_id) for user_id in range(1, 7)]
        deletions = [MemberDataDeleted(source_bot="cli", user_id=user_id) for user_id in (1, 2)]
        for event in (*bans, *deletions):
            await publisher.publish(event)
        for shard in shards:
            await shard.broadcast.wait_for(len(deletions))
        await work.wait_for(len(bans))
    finally:
        for bus in (*(shard.bus for shard in shards), publisher):
            await bus.close()
        await redis.close()
    for shard in shards:
        assert sorted(shard.broadcast.applied) == sorted(event.event_id for event in deletions)
    assert sorted(work.applied) == sorted(event.event_id for event in bans)


async def test_a_key_an_older_release_delivered_as_work_leaves_the_bots_shared_queue(
    exchange: str,
) -> None:
    """Before broadcasts, the bot's durable queue was bound to the deletions: one process got
    each. Starting with the deletions as a broadcast unbinds them there, so once the bot's
    processes stop, a deletion reaches nobody and says so at publish."""
    aio_pika = import_backend("aio_pika")
    shard = BotProcessBus(exchange, ProcessedEvents(), Effects())
    async with await aio_pika.connect(AMQP_URL) as connection:
        channel = await connection.channel()
        older = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        shared = await channel.declare_queue(shard.bus.queue_name("hangman"), durable=True)
        await shared.bind(older, routing_key=MemberDataDeleted.topic)
    publisher = rabbit(exchange)
    try:
        await shard.bus.start()
        await publisher.start()
        await publisher.publish(MemberDataDeleted(source_bot="cli", user_id=1))
        await shard.broadcast.wait_for(1)
        await shard.bus.close()
        with pytest.raises(UndeliverableEventError):
            await publisher.publish(MemberDataDeleted(source_bot="cli", user_id=2))
    finally:
        await shard.bus.close()
        await publisher.close()


def test_an_event_survives_its_journey_as_json() -> None:
    event = ban()
    assert decode_event(event.topic, event.model_dump_json().encode()) == event


@dataclass
class Handover:
    """The Utility Bot (the host) and the Hangman Bot in one guild, and a level-up that the
    Hangman Bot saved from chat in #general, for the host to announce there."""

    host: FleetBotStage
    saver: FleetBotStage
    general: SandboxChannel
    level_up: LevelUp


def _handover(fleet_bot: FleetBotFactory) -> Handover:
    saver = fleet_bot("hangman", guild="Word Games")
    host = fleet_bot("utility", guild="Elsewhere")
    saver.guild.add_bot(host.app)
    general = saver.guild.channel("general")
    level_up = LevelUp(
        user_id=saver.guild.add_member("alice").user.id,
        guild_id=saver.guild.guild.id,
        old_level=2,
        new_level=3,
        total_xp=900,
        channel_id=general.channel.id,
        bot_name="hangman",
        source=XPSource.MESSAGE,
    )
    return Handover(host, saver, general, level_up)


async def test_a_level_up_another_bot_saved_is_announced_by_the_host_over_rabbitmq(
    fleet_bot: FleetBotFactory, exchange: str
) -> None:
    stage = _handover(fleet_bot)
    settings = [each.settings() for each in (stage.host, stage.saver)]
    for each in settings:
        each.bus.backend = "rabbitmq"
        each.bus.amqp_url = SecretStr(AMQP_URL)
        each.bus.exchange = exchange
    settings[0].scheduler.max_sleep = 600  # the timer table's way would come too late
    async with stage.host.running(settings[0]), stage.saver.running(settings[1]) as saver:
        saver.dispatch("xp_level_up", stage.level_up)
        announcement = await stage.general.wait_for_message(author=stage.host.app, timeout=15)
    assert "level 3" in announcement.content
    saver_id = stage.saver.app.bot_user.id
    assert not [m for m in stage.general.messages() if m.author.id == saver_id]


async def test_in_one_process_a_level_up_reaches_the_host_through_the_in_process_bus(
    fleet_bot: FleetBotFactory, discord_sandbox: DiscordSandbox
) -> None:
    stage = _handover(fleet_bot)
    bus = InProcessBus(ProcessedEvents())
    host_settings = stage.host.settings()
    host_settings.scheduler.max_sleep = 600  # the timer table's way would come too late
    host = FleetBot(stage.host.definition, host_settings, bus=bus)
    saver = FleetBot(stage.saver.definition, stage.saver.settings(), bus=bus)
    async with (
        discord_sandbox.run_client(host, stage.host.app),
        discord_sandbox.run_client(saver, stage.saver.app),
    ):
        assert bus.delivers_to("utility")
        saver.dispatch("xp_level_up", stage.level_up)
        announcement = await stage.general.wait_for_message(author=stage.host.app, timeout=15)
    assert "level 3" in announcement.content
