"""Sending the premium DMs the outbox holds: confirmations, failed payments, revocations.

The web process writes them with the change that owes them; this loop sends them after commit.
A member who closed their DMs (Discord's 50007) keeps their premium: the row is marked
undeliverable with that reason, and the dashboard shows the premium all the same.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

import discord
from discord.ext import commands

from botfleet.events_bus import PremiumChanged, PremiumGranted, PremiumRevoked
from botfleet.services.premium.outbox import Delivery, OutboxMessage, deliver
from botfleet.utils.tasks import cancel_and_wait, wait_at_most

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

CANNOT_SEND_TO_USER: Final = 50007


class PremiumOutboxEvents(commands.Cog, name="Premium DMs"):
    """Every ``interval`` seconds, and at once when the event bus says premium was granted or
    revoked, sends what the premium outbox holds."""

    def __init__(self, bot: FleetBot[Any], interval: float) -> None:
        self.bot = bot
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._owed = asyncio.Event()

    async def cog_load(self) -> None:
        for changed in (PremiumGranted, PremiumRevoked):
            self.bot.bus.subscribe(
                changed, self._on_premium_changed, consumer=self.bot.name, name="premium-dms"
            )
        self._task = asyncio.create_task(self._run(), name="premium-outbox")

    async def _on_premium_changed(self, event: PremiumChanged) -> None:
        """A grant or revocation committed its DM to the outbox: send it now, not on the next
        pass."""
        change = "granted" if isinstance(event, PremiumGranted) else "revoked"
        log.info("premium %s (%s): sending the premium DMs now", change, event.event_id)
        self._owed.set()

    async def cog_unload(self) -> None:
        self.bot.bus.unsubscribe(self._on_premium_changed)
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                await deliver(self.bot.database, self.send)
            except Exception:  # the database away for a moment: the next pass tries again
                log.exception("premium outbox pass failed")
            await wait_at_most(self._owed, self.interval)
            self._owed.clear()

    async def send(self, message: OutboxMessage) -> Delivery:
        """DM one message; what became of it."""
        try:
            user = self.bot.get_user(message.user_id) or await self.bot.fetch_user(message.user_id)
            await user.send(message.body, allowed_mentions=discord.AllowedMentions.none())
        except discord.NotFound:
            return Delivery.UNKNOWN_USER
        except discord.Forbidden as exc:
            if exc.code == CANNOT_SEND_TO_USER:
                return Delivery.DMS_CLOSED
            log.warning("premium DM %s refused: %s", message.id, exc)
            return Delivery.FAILED
        except discord.HTTPException as exc:
            log.warning("premium DM %s not sent yet: %s", message.id, exc)
            return Delivery.FAILED
        return Delivery.SENT
