"""The premium outbox on SQLite and PostgreSQL: delivered once, retried, given up with a reason."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from botfleet.database import Database
from botfleet.database.models.premium import PremiumOutbox
from botfleet.services.premium.outbox import MAX_ATTEMPTS, Delivery, OutboxMessage, deliver

ADA, BOB, CY = 1, 2, 3


async def queue(database: Database, *user_ids: int) -> None:
    async with database.session() as session:
        session.add_all(
            PremiumOutbox(user_id=user_id, kind="confirmation", body="Thank you!")
            for user_id in user_ids
        )
        await session.commit()


async def rows(database: Database) -> dict[int, tuple[bool, str | None, int]]:
    """Each recipient's message: handled, why not delivered, attempts."""
    async with database.session() as session:
        found = (await session.scalars(select(PremiumOutbox))).all()
    return {
        row.user_id: (row.sent_at is not None, row.undeliverable, row.attempts) for row in found
    }


async def test_each_outcome_settles_its_message(database: Database) -> None:
    await queue(database, ADA, BOB, CY)
    outcomes = {ADA: Delivery.SENT, BOB: Delivery.DMS_CLOSED, CY: Delivery.FAILED}

    async def send(message: OutboxMessage) -> Delivery:
        return outcomes[message.user_id]

    assert await deliver(database, send) == 2
    assert await rows(database) == {
        ADA: (True, None, 1),
        BOB: (True, "dms_closed", 1),
        CY: (False, None, 1),  # a passing failure: tried again on the next pass
    }


async def test_a_message_that_keeps_failing_is_given_up(database: Database) -> None:
    await queue(database, ADA)

    async def broken(_message: OutboxMessage) -> Delivery:
        raise RuntimeError("Discord is having a bad day")

    for _ in range(MAX_ATTEMPTS):
        await deliver(database, broken)
    assert await rows(database) == {ADA: (True, "failed", MAX_ATTEMPTS)}
    assert await deliver(database, broken) == 0


async def test_two_processes_passing_at_once_send_each_message_once(database: Database) -> None:
    await queue(database, ADA, BOB, CY)
    sent: Counter[int] = Counter()

    async def send(message: OutboxMessage) -> Delivery:
        await asyncio.sleep(0)
        sent[message.user_id] += 1
        return Delivery.SENT

    engines = [Database(database.url) for _ in range(2)]
    try:
        await asyncio.gather(*(deliver(engine, send) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sent == Counter({ADA: 1, BOB: 1, CY: 1})
