"""Scale tests run the stand-in with Discord's identify pacing on, and RabbitMQ exchanges of
their own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from scale_processes import AMQP_URL

from botfleet.sandbox.gateway import DISCORD_IDENTIFY_WINDOW
from required import import_backend, unavailable


@pytest.fixture
def discord_sandbox_options() -> dict[str, Any]:
    """Discord's 5 s between two identifies of one bucket, which sharded bots must respect."""
    return {"identify_window": DISCORD_IDENTIFY_WINDOW}


QUEUE_OWNERS = ("utility", "hangman")
"""The consumers whose queues a test may make: ``<exchange>.<bot>``, deleted after it."""


@pytest.fixture
async def exchange() -> AsyncIterator[str]:
    """A uniquely named exchange on the real RabbitMQ; it and its queues go afterwards."""
    aio_pika = import_backend("aio_pika")
    name = f"botfleet-test-{uuid.uuid4().hex[:12]}"
    try:
        connection = await aio_pika.connect(AMQP_URL, timeout=5)
    except (OSError, aio_pika.exceptions.AMQPError) as exc:
        unavailable("RabbitMQ", exc)
    await connection.close()
    try:
        yield name
    finally:
        async with await aio_pika.connect(AMQP_URL) as cleanup:
            channel = await cleanup.channel()
            for consumer in QUEUE_OWNERS:
                await channel.queue_delete(f"{name}.{consumer}")
            await channel.exchange_delete(name)
