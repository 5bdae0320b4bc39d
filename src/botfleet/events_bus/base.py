"""The one interface of the event bus, and what both backends share: handlers run once per id.

A subscription is a consumer's (a bot's) named handler for one routing key, with a delivery
kind. Work (an announcement to post, a DM to send) goes to one process of the bot, at least
once, recorded as handled where all its processes see it; a broadcast (forget a cached copy)
goes to every live process of the bot. The in-process backend calls handlers directly; the
RabbitMQ backend gives each consumer a durable queue for its work and each process a queue of
its own for broadcasts. Either way a handler runs at most once per event id in a process.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from botfleet.errors import BotfleetError
from botfleet.events_bus.events import FleetEvent
from botfleet.events_bus.idempotency import ProcessedEvents

log = logging.getLogger(__name__)

E = TypeVar("E", bound=FleetEvent)
Handler = Callable[[E], Awaitable[None]]


class BusUnavailableError(BotfleetError):
    """The broker cannot be reached or refused the event."""


class UndeliverableEventError(BusUnavailableError):
    """No consumer's queue is bound to the event's routing key: nobody would receive it."""


class HandlerNameTakenError(ValueError):
    """A consumer's handler name is already another handler's, or already has this key."""


class Delivery(StrEnum):
    """Which processes of a consumer (a bot run as several shard processes) handle an event."""

    WORK = "work"
    """One of them, at least once: kept for the bot while it is down, and recorded as handled
    where all its processes see it (Redis), so a redelivery has no second effect."""
    BROADCAST = "broadcast"
    """Every process running when it is published (forgetting a cached copy); nothing is kept
    for a process that starts later, whose cache starts empty."""


@dataclass(frozen=True)
class Subscription:
    """One consumer's named handler for the events of one routing key."""

    consumer: str
    name: str
    """Stable across restarts and unique in the consumer: what its handled events are
    recorded under (two handlers of one factory share a ``__qualname__``, not a name)."""
    event_type: type[FleetEvent]
    key: str
    handler: Handler[Any]
    delivery: Delivery

    @property
    def handled_as(self) -> str:
        """The record's name: the consumer and the handler's, so each of a consumer's handlers
        of one event runs once, and one that failed runs again on redelivery even when another
        of them succeeded."""
        return f"{self.consumer}/{self.name}"

    @property
    def recorded_for_every_process(self) -> bool:
        """Whether its handled events are recorded for all of the consumer's processes (work);
        a broadcast is recorded in its process only, since each process must handle it."""
        return self.delivery is Delivery.WORK


class EventBus(ABC):
    """Publish typed cross-bot events; subscribe a bot's handlers to them."""

    def __init__(self, processed: ProcessedEvents) -> None:
        self.processed = processed
        self.subscriptions: list[Subscription] = []
        self._handling: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        """A lock per handler and event id being handled: two copies of one event delivered
        together (a publisher's retry) are handled one after the other, the second a repeat."""
        self._reconnect_hooks: list[Callable[[], Awaitable[None]]] = []

    def on_reconnect(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Call ``hook`` each time the bus reconnects to its broker: the broadcasts published
        while it was cut off are lost, so a subscriber drops what they would have kept fresh."""
        self._reconnect_hooks.append(hook)

    async def _missed_broadcasts(self) -> None:
        """Call the reconnect hooks, each on its own: one failing leaves the others' work."""
        for hook in self._reconnect_hooks:
            try:
                await hook()
            except Exception:
                log.exception("a hook for the broadcasts missed while disconnected failed")

    def subscribe(
        self,
        event_type: type[E],
        handler: Handler[E],
        *,
        consumer: str,
        name: str,
        key: str | None = None,
        delivery: Delivery = Delivery.WORK,
    ) -> None:
        """Call ``handler``, known as ``name`` in ``consumer``, for each ``event_type`` event
        routed by ``key`` (its topic); raises :class:`HandlerNameTakenError` when ``name`` is
        another handler's of the consumer or already subscribed to ``key``."""
        subscription = Subscription(
            consumer, name, event_type, key or event_type.topic, handler, delivery
        )
        for taken in self.subscriptions:
            if taken.consumer != consumer or taken.name != name:
                continue
            if taken.handler != handler or taken.key == subscription.key:
                raise HandlerNameTakenError(
                    f"{consumer} already has a handler named {name!r} (for {taken.key}); "
                    "each handler needs a name of its own"
                )
        self.subscriptions.append(subscription)

    def unsubscribe(self, handler: Handler[Any]) -> None:
        """Stop calling ``handler`` (an extension being unloaded)."""
        self.subscriptions = [s for s in self.subscriptions if s.handler != handler]

    @abstractmethod
    def delivers_to(self, consumer: str) -> bool:
        """Whether an event for ``consumer`` reaches it through this bus."""

    @abstractmethod
    async def start(self) -> None:
        """Connect and start consuming for the subscriptions made so far."""

    @abstractmethod
    async def consume(self, consumer: str) -> None:
        """Deliver to ``consumer``'s subscriptions made since the bus started (a bot of a
        one-process fleet that got ready later); raises :class:`BusUnavailableError`."""

    @abstractmethod
    async def publish(self, event: FleetEvent) -> None:
        """Send ``event`` to every subscription of its routing key."""

    @abstractmethod
    async def close(self) -> None:
        """Stop consuming and disconnect; unfinished events are delivered again later."""

    async def handle_once(self, subscription: Subscription, event: FleetEvent) -> bool:
        """Run the handler unless this consumer already handled the event; True if it ran.

        The event counts as handled only once the handler returned, so a handler that failed
        (or a process that died) leaves it to be handled on redelivery.
        """
        lock = self._handling.setdefault((subscription.handled_as, event.event_id), asyncio.Lock())
        async with lock:
            return await self._handle_unless_seen(subscription, event)

    async def _handle_unless_seen(self, subscription: Subscription, event: FleetEvent) -> bool:
        everywhere = subscription.recorded_for_every_process
        if await self.processed.seen(subscription.handled_as, event.event_id, shared=everywhere):
            log.info(
                "%s already handled %s event %s; ignoring the repeat",
                subscription.consumer,
                event.topic,
                event.event_id,
            )
            return False
        await subscription.handler(event)
        await self.processed.remember(subscription.handled_as, event.event_id, shared=everywhere)
        return True
