"""The RabbitMQ event bus: bots in several processes or machines, through one topic exchange.

Work: each consumer (a bot) has a durable queue, ``<exchange>.<consumer>``, bound to the routing
keys of its work subscriptions, which all its processes (shards) share, so each event goes to
one of them; events are persistent and published with confirms, so one published while the bot
is down waits in its queue. A message is acknowledged only after its handlers returned: one in
flight when the process dies is delivered again, and the consumer's record of handled ids
(:class:`ProcessedEvents`) keeps a repeat from acting twice. A handler that fails is retried
once on redelivery, then dropped with an error in the log rather than retried forever.

Broadcasts: each process of a consumer also has an exclusive, auto-deleted queue,
``<exchange>.<consumer>.process-<id>-<generation>``, bound to the keys of its broadcast
subscriptions, so every running process gets each event; it goes with the process's connection.
After a reconnect the process declares a queue of a new name (the next connection generation):
the broker may not have seen the old connection die yet, and would refuse the old exclusive name
(RESOURCE_LOCKED). The broadcasts published in between are lost, so the bus then calls its
reconnect hooks (:meth:`EventBus.on_reconnect`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable

import aio_pika
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)

from botfleet.events_bus.base import (
    BusUnavailableError,
    Delivery,
    EventBus,
    Subscription,
    UndeliverableEventError,
)
from botfleet.events_bus.events import FleetEvent, UnknownEventError, decode_event
from botfleet.events_bus.idempotency import ProcessedEvents

log = logging.getLogger(__name__)

PREFETCH = 32
"""Unacknowledged events a consumer holds at once."""


class RabbitMQBus(EventBus):
    """Publishes to and consumes from a RabbitMQ topic exchange."""

    def __init__(self, url: str, exchange: str, processed: ProcessedEvents) -> None:
        super().__init__(processed)
        self.url = url
        self.exchange_name = exchange
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: dict[str, list[tuple[AbstractQueue, str]]] = {}
        """Each consumer consuming, by name: its queues and their consumer tags."""
        self.process_id = uuid.uuid4().hex[:12]
        """Names this process's broadcast queues."""
        self.generation = 0
        """This process's connections to the broker so far, less one: names its broadcast
        queues of the current connection."""

    def queue_name(self, consumer: str) -> str:
        """The consumer's durable queue of work, shared by its processes."""
        return f"{self.exchange_name}.{consumer}"

    def process_queue_name(self, consumer: str) -> str:
        """This process's queue of the consumer's broadcasts."""
        return f"{self.exchange_name}.{consumer}.process-{self.process_id}-{self.generation}"

    def delivers_to(self, consumer: str) -> bool:
        """The broker keeps an event for a consumer whose queue exists (publish says if not)."""
        return True

    async def start(self) -> None:
        try:
            self._connection = await aio_pika.connect_robust(self.url)
            self._connection.reconnect_callbacks.add(self._reconnected)
            self._channel = await self._connection.channel(on_return_raises=True)
            await self._channel.set_qos(prefetch_count=PREFETCH)
            self._exchange = await self._channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
            consumers = dict.fromkeys(s.consumer for s in self.subscriptions)
            for consumer in consumers:
                await self._consume(consumer)
        except (OSError, aio_pika.exceptions.AMQPError) as exc:
            await self.close()
            raise BusUnavailableError(f"RabbitMQ is not reachable: {exc}") from exc
        log.info(
            "event bus on RabbitMQ exchange %s (%d consumer(s))",
            self.exchange_name,
            len(self._consumers),
        )

    async def consume(self, consumer: str) -> None:
        if self._channel is None or self._exchange is None:
            raise BusUnavailableError("the event bus is not started")
        if consumer in self._consumers:
            return
        try:
            await self._consume(consumer)
        except (OSError, aio_pika.exceptions.AMQPError) as exc:
            raise BusUnavailableError(f"RabbitMQ did not take the consumer: {exc}") from exc

    async def _consume(self, consumer: str) -> None:
        assert self._channel is not None and self._exchange is not None
        mine = [s for s in self.subscriptions if s.consumer == consumer]
        work = dict.fromkeys(s.key for s in mine if s.delivery is Delivery.WORK)
        broadcast = dict.fromkeys(s.key for s in mine if s.delivery is Delivery.BROADCAST)
        shared = await self._channel.declare_queue(self.queue_name(consumer), durable=True)
        for key in work:
            await shared.bind(self._exchange, routing_key=key)
        for key in broadcast.keys() - work.keys():
            # A release that delivered this key as work bound it here; one process would get it.
            await shared.unbind(self._exchange, routing_key=key)
        self._consumers[consumer] = [
            (shared, await shared.consume(self._receiver(consumer, Delivery.WORK)))
        ]
        if broadcast:
            self._consumers[consumer].append(await self._consume_broadcasts(consumer, broadcast))

    async def _consume_broadcasts(
        self, consumer: str, keys: Iterable[str]
    ) -> tuple[AbstractQueue, str]:
        """Declare, bind and consume this connection's queue of ``consumer``'s broadcasts.

        Not robust: aio-pika would declare it again under its old name after a reconnect,
        which :meth:`_reconnected` does under a new one."""
        assert self._channel is not None and self._exchange is not None
        own = await self._channel.declare_queue(
            self.process_queue_name(consumer), exclusive=True, auto_delete=True, robust=False
        )
        for key in keys:
            await own.bind(self._exchange, routing_key=key)
        return own, await own.consume(self._receiver(consumer, Delivery.BROADCAST))

    async def _reconnected(self, connection: object) -> None:
        """After aio-pika restored the connection (and the work queues): new broadcast queues,
        then the hooks for the broadcasts missed meanwhile."""
        self.generation += 1
        try:
            for consumer, queues in self._consumers.items():
                keys = dict.fromkeys(
                    s.key
                    for s in self.subscriptions
                    if s.consumer == consumer and s.delivery is Delivery.BROADCAST
                )
                if keys:
                    queues[1:] = [await self._consume_broadcasts(consumer, keys)]
        except (OSError, aio_pika.exceptions.AMQPError):
            log.exception("the broadcast queues could not be declared again after a reconnect")
        log.warning(
            "event bus reconnected to RabbitMQ; broadcasts published meanwhile are lost, "
            "so what they keep fresh is dropped"
        )
        await self._missed_broadcasts()

    def _receiver(
        self, consumer: str, delivery: Delivery
    ) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        """What receives the messages of ``consumer``'s queue of ``delivery``."""

        async def receive(message: AbstractIncomingMessage) -> None:
            matching = [
                s
                for s in self.subscriptions
                if s.consumer == consumer
                and s.delivery is delivery
                and s.key == message.routing_key
            ]
            await self._receive(consumer, matching, message)

        return receive

    async def publish(self, event: FleetEvent) -> None:
        if self._exchange is None:
            raise BusUnavailableError("the event bus is not started")
        message = aio_pika.Message(
            event.model_dump_json().encode(),
            message_id=event.event_id,
            type=event.topic,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            await self._exchange.publish(message, routing_key=event.routing_key, mandatory=True)
        except aio_pika.exceptions.PublishError as exc:
            raise UndeliverableEventError(
                f"no queue receives {event.routing_key} events on {self.exchange_name}"
            ) from exc
        except (OSError, aio_pika.exceptions.AMQPError) as exc:
            raise BusUnavailableError(f"RabbitMQ did not take the event: {exc}") from exc

    async def _receive(
        self, consumer: str, matching: list[Subscription], message: AbstractIncomingMessage
    ) -> None:
        try:
            event = decode_event(message.type or "", message.body)
        except (UnknownEventError, ValueError) as exc:
            log.error("%s got an event it cannot read (dropped): %s", consumer, exc)
            await message.reject(requeue=False)
            return
        try:
            for subscription in matching:
                await self.handle_once(subscription, event)
        except Exception:
            await self._failed(consumer, event, message)
            return
        await message.ack()

    async def _failed(
        self, consumer: str, event: FleetEvent, message: AbstractIncomingMessage
    ) -> None:
        if message.redelivered:
            log.exception(
                "%s failed again to handle %s event %s; dropping it",
                consumer,
                event.topic,
                event.event_id,
            )
            await message.reject(requeue=False)
            return
        log.exception(
            "%s failed to handle %s event %s; it will be delivered once more",
            consumer,
            event.topic,
            event.event_id,
        )
        await message.nack(requeue=True)

    async def close(self) -> None:
        for queue, tag in (each for queues in self._consumers.values() for each in queues):
            try:
                await queue.cancel(tag)
            except Exception:  # the connection may be gone already
                log.debug("could not cancel the consumer of %s", queue.name)
        self._consumers.clear()
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._channel = self._exchange = None
