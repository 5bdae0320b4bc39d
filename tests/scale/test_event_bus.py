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
    EventBus,
    InProcessBus,
    MemberBanned,
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
    bus.subscribe(MemberBanned, handler, consumer=consumer)
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
    bus.subscribe(MemberBanned, forget_premium, consumer="utility")
    event = ban()
    await bus.publish(event)
    await bus.publish(event)
    assert reminders.applied == premium.applied == [event.event_id]


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
