"""The one interface of the event bus, and what both backends share: handlers run once per id.

A subscription is a consumer's (a bot's) handler for one routing key. The in-process backend
calls it directly; the RabbitMQ backend gives each consumer a durable queue, so events published
while the bot is down wait for it. Either way a handler runs at most once per event id.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Subscription:
    """One consumer's handler for the events of one routing key."""

    consumer: str
    event_type: type[FleetEvent]
    key: str
    handler: Handler[Any]

    @property
    def handled_as(self) -> str:
        """The name its handled events are recorded under: the consumer and the handler, so each
        of a consumer's handlers of one event runs once, and one that failed runs again on
        redelivery even when another of them succeeded."""
        handler = getattr(self.handler, "__qualname__", type(self.handler).__qualname__)
        return f"{self.consumer}/{handler}"


class EventBus(ABC):
    """Publish typed cross-bot events; subscribe a bot's handlers to them."""

    def __init__(self, processed: ProcessedEvents) -> None:
        self.processed = processed
        self.subscriptions: list[Subscription] = []

    def subscribe(
        self,
        event_type: type[E],
        handler: Handler[E],
        *,
        consumer: str,
        key: str | None = None,
    ) -> None:
        """Call ``handler`` for each ``event_type`` event routed by ``key`` (its topic)."""
        self.subscriptions.append(
            Subscription(consumer, event_type, key or event_type.topic, handler)
        )

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
        if await self.processed.seen(subscription.handled_as, event.event_id):
            log.info(
                "%s already handled %s event %s; ignoring the repeat",
                subscription.consumer,
                event.topic,
                event.event_id,
            )
            return False
        await subscription.handler(event)
        await self.processed.remember(subscription.handled_as, event.event_id)
        return True
