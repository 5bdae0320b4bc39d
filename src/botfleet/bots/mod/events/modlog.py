"""The modlog: one embed per case in the server's modlog channel, edited when its reason is.

Whoever records a case dispatches ``mod_case_recorded`` with it (the commands here, automod,
the audit-log listener); this cog posts it and remembers the message, so ``/reason`` can edit
the entry (``mod_case_amended``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from botfleet.bots.mod.services.cases import Case, CaseStore
from botfleet.bots.mod.services.channels import ModChannelStore
from botfleet.bots.mod.views.cases import case_embed

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


class ModlogEvents(commands.Cog, name="Modlog"):
    """Posts cases in the modlog channel and keeps the entries in step with the log."""

    def __init__(self, bot: FleetBot, cases: CaseStore, channels: ModChannelStore) -> None:
        self.bot = bot
        self.cases = cases
        self.channels = channels
        self._posting: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        """Per guild: an amendment waits for the entry being posted, to know its message."""

    async def _modlog(self, guild_id: int) -> discord.TextChannel | None:
        channel_id = (await self.channels.get(guild_id)).modlog_channel_id
        if channel_id is None:
            return None
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.warning("modlog channel %d of guild %d is gone", channel_id, guild_id)
            return None
        return channel

    @commands.Cog.listener()
    async def on_mod_case_recorded(self, case: Case) -> None:
        async with self._posting[case.guild_id]:
            await self._post(case)

    async def _post(self, case: Case) -> None:
        channel = await self._modlog(case.guild_id)
        if channel is None:
            return
        try:
            message = await channel.send(
                embed=case_embed(case), allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as exc:
            log.warning(
                "case #%d of guild %d not posted in modlog %d: %s",
                case.number,
                case.guild_id,
                channel.id,
                exc,
            )
            return
        await self.cases.attach_modlog_message(case.guild_id, case.number, message.id)

    @commands.Cog.listener()
    async def on_mod_case_amended(self, case: Case) -> None:
        async with self._posting[case.guild_id]:
            await self._edit(await self.cases.get(case.guild_id, case.number))

    async def _edit(self, case: Case) -> None:
        if case.modlog_message_id is None:
            return
        channel = await self._modlog(case.guild_id)
        if channel is None:
            return
        try:
            await channel.get_partial_message(case.modlog_message_id).edit(embed=case_embed(case))
        except discord.HTTPException as exc:
            log.warning(
                "modlog entry of case #%d in guild %d not edited: %s",
                case.number,
                case.guild_id,
                exc,
            )
