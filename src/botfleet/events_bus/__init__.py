"""Cross-bot events through one interface: in-process for one machine, RabbitMQ for many.

``bus.backend`` chooses (``memory`` by default); :func:`bus_from_settings` builds the bus a bot
process uses. See :mod:`botfleet.events_bus.events` for the events.
"""

from __future__ import annotations

from botfleet.cache.resilience import ResilientRedis
from botfleet.config.schema import Settings
from botfleet.events_bus.base import (
    BusUnavailableError,
    Delivery,
    EventBus,
    Handler,
    HandlerNameTakenError,
    Subscription,
    UndeliverableEventError,
)
from botfleet.events_bus.events import (
    FleetEvent,
    MemberBanned,
    MemberDataDeleted,
    PremiumChanged,
    PremiumGranted,
    PremiumRevoked,
    XPAnnouncement,
    announcement_key,
)
from botfleet.events_bus.idempotency import ProcessedEvents
from botfleet.events_bus.memory import InProcessBus

__all__ = [
    "BusUnavailableError",
    "Delivery",
    "EventBus",
    "FleetEvent",
    "Handler",
    "HandlerNameTakenError",
    "InProcessBus",
    "MemberBanned",
    "MemberDataDeleted",
    "PremiumChanged",
    "PremiumGranted",
    "PremiumRevoked",
    "ProcessedEvents",
    "Subscription",
    "UndeliverableEventError",
    "XPAnnouncement",
    "announcement_key",
    "bus_from_settings",
    "publish_once",
]


def bus_from_settings(settings: Settings, redis: ResilientRedis | None) -> EventBus:
    """The bus ``settings.bus`` asks for; handled ids go to ``redis`` when there is one."""
    processed = ProcessedEvents(redis, key_prefix=settings.cache.key_prefix)
    if settings.bus.backend == "rabbitmq":
        try:
            from botfleet.events_bus.rabbitmq import RabbitMQBus  # noqa: PLC0415
        except ImportError as exc:
            raise BusUnavailableError(
                "bus.backend is rabbitmq, which needs aio-pika: pip install 'botfleet[bus]'"
            ) from exc
        return RabbitMQBus(
            settings.bus.amqp_url.get_secret_value(), settings.bus.exchange, processed
        )
    return InProcessBus(processed)


async def publish_once(settings: Settings, redis: ResilientRedis | None, event: FleetEvent) -> None:
    """Publish one event from a process that runs no bot (the command line): connect to the
    configured bus, publish, disconnect. :class:`BusUnavailableError` when it could not."""
    bus = bus_from_settings(settings, redis)
    try:
        await bus.start()
        await bus.publish(event)
    finally:
        await bus.close()
