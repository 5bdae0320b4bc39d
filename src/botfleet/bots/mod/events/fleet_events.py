"""Bans told to the rest of the fleet: a :class:`MemberBanned` event once the case is stored.

Every ban the Mod Bot records (its commands, automod, a ban made in Discord's own menus and
read from the audit log) dispatches ``mod_case_recorded`` after its commit; this cog turns the
bans among them into events on the bus, for the other bots to act on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands

from botfleet.bots.mod.events.appeals import BAN_ACTIONS
from botfleet.bots.mod.services.cases import Case
from botfleet.events_bus import BusUnavailableError, MemberBanned, UndeliverableEventError

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


class BanAnnouncements(commands.Cog, name="Ban announcements"):
    """Publishes each recorded ban on the event bus."""

    def __init__(self, bot: FleetBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_mod_case_recorded(self, case: Case) -> None:
        if case.action not in BAN_ACTIONS:
            return
        event = MemberBanned(
            source_bot=self.bot.name,
            guild_id=case.guild_id,
            user_id=case.target_id,
            moderator_id=case.moderator_id,
            reason=case.reason,
        )
        try:
            await self.bot.bus.publish(event)
        except UndeliverableEventError:
            log.debug("no bot listens for bans; case %d stays the Mod Bot's", case.number)
        except BusUnavailableError as exc:
            log.warning(
                "ban case %d of guild %d not told to the fleet: %s", case.number, case.guild_id, exc
            )
