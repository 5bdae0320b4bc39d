"""The premium outbox: DMs written with the change that owes them, delivered by a bot after commit.

A bot claims the oldest pending messages, tries each and marks it handled: delivered, or given up
with a reason (a member whose DMs are closed keeps premium; the row says why they were not told).
A message that failed for a passing reason stays pending and is retried, up to ``MAX_ATTEMPTS``.
Each attempt is claimed first (its attempt count moved on only if no one else moved it), so two
processes passing at once do not both send the same message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, cast

from sqlalchemy import CursorResult, select, update

from botfleet.database.base import Database
from botfleet.database.models.premium import PremiumOutbox
from botfleet.services.premium.service import Clock, utc_now

log = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 5


class Delivery(StrEnum):
    SENT = "sent"
    DMS_CLOSED = "dms_closed"
    """Discord refused: the member does not accept DMs (error 50007)."""
    UNKNOWN_USER = "unknown_user"
    """Discord knows no such user (the account was deleted)."""
    FAILED = "failed"
    """A passing failure (Discord unavailable): tried again on the next pass."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    user_id: int
    kind: str
    body: str
    attempts: int


Sender = Callable[[OutboxMessage], Awaitable[Delivery]]


async def last_undelivered(database: Database, user_id: int) -> Delivery | None:
    """Why the member's latest premium DM was not delivered; None when it was (or is pending)."""
    statement = (
        select(PremiumOutbox.undeliverable)
        .where(PremiumOutbox.user_id == user_id, PremiumOutbox.sent_at.is_not(None))
        .order_by(PremiumOutbox.id.desc())
        .limit(1)
    )
    async with database.session() as session:
        reason = await session.scalar(statement)
    return Delivery(reason) if reason is not None else None


async def pending(database: Database, limit: int = 50) -> list[OutboxMessage]:
    """The oldest messages not yet handled."""
    statement = (
        select(PremiumOutbox)
        .where(PremiumOutbox.sent_at.is_(None))
        .order_by(PremiumOutbox.id)
        .limit(limit)
    )
    async with database.session() as session:
        rows = (await session.scalars(statement)).all()
    return [OutboxMessage(row.id, row.user_id, row.kind, row.body, row.attempts) for row in rows]


async def deliver(database: Database, send: Sender, *, clock: Clock = utc_now) -> int:
    """Try every pending message once; return how many were handled (sent or given up)."""
    handled = 0
    for message in await pending(database):
        if not await _claim(database, message):
            continue
        try:
            delivery = await send(message)
        except Exception:  # one message's unexpected failure must not stop the others
            log.exception("premium DM %s to %s failed", message.id, message.user_id)
            delivery = Delivery.FAILED
        if await _settle(database, message, delivery, clock()):
            handled += 1
    return handled


async def _claim(database: Database, message: OutboxMessage) -> bool:
    async with database.session() as session:
        result = await session.execute(
            update(PremiumOutbox)
            .where(
                PremiumOutbox.id == message.id,
                PremiumOutbox.sent_at.is_(None),
                PremiumOutbox.attempts == message.attempts,
            )
            .values(attempts=message.attempts + 1)
        )
        await session.commit()
    return cast("CursorResult[Any]", result).rowcount == 1


async def _settle(
    database: Database, message: OutboxMessage, delivery: Delivery, now: datetime
) -> bool:
    values: dict[str, object] = {}
    if delivery is Delivery.SENT:
        values["sent_at"] = now
    elif delivery is not Delivery.FAILED or message.attempts + 1 >= MAX_ATTEMPTS:
        values["sent_at"] = now
        values["undeliverable"] = delivery.value
        log.warning(
            "premium DM %s (%s) to %s not delivered: %s",
            message.id,
            message.kind,
            message.user_id,
            delivery.value,
        )
    if not values:
        return False
    async with database.session() as session:
        await session.execute(
            update(PremiumOutbox).where(PremiumOutbox.id == message.id).values(**values)
        )
        await session.commit()
    return True
