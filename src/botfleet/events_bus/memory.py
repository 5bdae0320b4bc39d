"""The in-process event bus: the bots of one process hear each other directly."""

from __future__ import annotations

import logging

from botfleet.events_bus.base import EventBus
from botfleet.events_bus.events import FleetEvent

log = logging.getLogger(__name__)


class InProcessBus(EventBus):
    """Calls the matching handlers of this process when an event is published.

    A failing handler is logged and does not keep the event from the others, as with the
    broker; the event is not retried, since nothing outlives the process here.
    """

    def delivers_to(self, consumer: str) -> bool:
        return any(subscription.consumer == consumer for subscription in self.subscriptions)

    async def start(self) -> None:
        """Nothing to connect to."""

    async def consume(self, consumer: str) -> None:
        """Subscriptions are called as soon as they are made."""

    async def publish(self, event: FleetEvent) -> None:
        for subscription in list(self.subscriptions):
            if subscription.key != event.routing_key:
                continue
            try:
                await self.handle_once(subscription, event)
            except Exception:
                log.exception(
                    "%s failed to handle %s event %s",
                    subscription.consumer,
                    event.topic,
                    event.event_id,
                )

    async def close(self) -> None:
        """Nothing to disconnect."""
