"""What the shared premium check and an exactly-once webhook cost, beside the reads they replace.

Run::

    .venv/bin/python benchmarks/premium.py

Measured in one run on a fresh migrated SQLite file, per call:

* **check**: the baseline is the read bots made before (``users.is_premium`` by id); then
  ``PremiumService.is_active`` without a cache (a membership read) and with the memory cache.
* **webhook**: the baseline is verifying a ``Stripe-Signature`` alone; then verifying and applying
  a new event (its id claimed, the membership changed, a DM written to the outbox, one
  transaction), and a replay (the id found taken).

Each figure is the best of several rounds, so a busy shared machine slows them alike. Figures are
printed, never asserted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import stripe
from sqlalchemy import select

from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.database.models import User
from botfleet.payments import messages
from botfleet.payments.stripe_events import verify
from botfleet.services.premium import Grant, PaymentEvent, PremiumService, Subject

SECRET = "whsec_bench"
ROUNDS = 5
CALLS = 300


async def best_per_call(call: Callable[[int], Awaitable[object]]) -> float:
    """The best round's mean time per call, in microseconds."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for index in range(CALLS):
            await call(index)
        best = min(best, (time.perf_counter() - started) / CALLS)
    return best * 1e6


def signed_event(event_id: str) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "id": event_id,
            "type": "invoice.paid",
            "created": int(time.time()),
            "data": {"object": {"id": "in_bench"}},
        }
    )
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, SECRET)


async def run(url: str) -> None:
    await upgrade(url)
    database = Database(url)
    try:
        async with database.session() as session:
            session.add_all(User(id=user_id, username="member") for user_id in range(CALLS))
            await session.commit()
        uncached = PremiumService(database)
        cached = PremiumService(database, CacheHierarchy(MemoryCache(10_000)))
        until = datetime.now(UTC) + timedelta(days=30)
        for user_id in range(0, CALLS, 2):
            await uncached.override(Subject.user(user_id), actor="bench", reason="", until=until)

        async def old_read(user_id: int) -> object:
            async with database.session() as session:
                return await session.scalar(select(User.is_premium).where(User.id == user_id))

        print("premium check, µs per call")
        print(f"  users.is_premium read (before)   {await best_per_call(old_read):8.1f}")
        no_cache = await best_per_call(lambda i: uncached.is_active(Subject.user(i)))
        print(f"  is_active, no cache              {no_cache:8.1f}")
        with_cache = await best_per_call(lambda i: cached.is_active(Subject.user(i)))
        print(f"  is_active, memory cache          {with_cache:8.1f}")

        bodies = [signed_event(f"evt_{uuid.uuid4().hex}") for _ in range(CALLS * ROUNDS)]
        replay = signed_event("evt_replayed")
        turn = iter(range(len(bodies)))

        async def verify_only(_index: int) -> object:
            return verify(*bodies[0], SECRET, 300)

        async def apply_new(index: int) -> object:
            event = verify(*bodies[next(turn)], SECRET, 300)
            grant = Grant(at=event.created, period_end=until, provider="stripe", purchaser_id=index)
            return await uncached.apply_event(
                PaymentEvent(
                    "stripe",
                    event.id,
                    event.type,
                    Subject.user(index),
                    grant,
                    messages.confirmation,
                )
            )

        async def apply_replay(index: int) -> object:
            event = verify(*replay, SECRET, 300)
            grant = Grant(at=event.created, period_end=until, provider="stripe")
            return await uncached.apply_event(
                PaymentEvent("stripe", event.id, event.type, Subject.user(index), grant)
            )

        print("webhook, µs per event")
        print(f"  verify the signature (baseline)  {await best_per_call(verify_only):8.1f}")
        print(f"  verify and apply a new event     {await best_per_call(apply_new):8.1f}")
        print(f"  verify and answer a replay       {await best_per_call(apply_replay):8.1f}")
    finally:
        await database.dispose()


def main() -> None:
    logging.getLogger("botfleet").setLevel(logging.ERROR)  # one line per override otherwise
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"))


if __name__ == "__main__":
    main()
