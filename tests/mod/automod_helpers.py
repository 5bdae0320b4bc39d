"""Driving the Mod Bot's automod in the stand-in: commands, a powered bot role, case waits."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from mod_commands_helpers import answer_of

from botfleet.bots.mod.services.cases import Case, CaseStore
from botfleet.core.bot import FleetBot
from botfleet.sandbox import (
    Application,
    InteractionResponse,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)

MOD_POWERS = discord.Permissions(
    manage_messages=True,
    moderate_members=True,
    kick_members=True,
    ban_members=True,
    view_audit_log=True,
    manage_guild=True,
)


def empower(guild: SandboxGuild, app: Application) -> None:
    """Give the bot a role above every member's with what moderation needs."""
    role = guild.add_role("Mod Bot powers", permissions=MOD_POWERS)
    guild.guild.members[app.bot_user.id].role_ids.append(role.id)


async def answer(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    subcommand: str,
    options: dict[str, Any] | None = None,
    *,
    command: str = "automod",
) -> InteractionResponse:
    """Run ``/automod <subcommand>`` (or another command's) and wait for the answer it reads.

    Edits of the rules answer in time: a slow one fills its acknowledgement, past any note.
    """
    handle = await member.run_command(channel, app, command, options or {}, subcommand=subcommand)
    return await answer_of(handle)


async def cases_of(bot: FleetBot[Any], guild: SandboxGuild, member: SandboxMember) -> list[Case]:
    """The member's cases, oldest first."""
    found = await CaseStore(bot.database).for_member(guild.id, member.id)
    return list(reversed(found))


class CaseFeed:
    """The cases the bot announces (``mod_case_recorded``), in order."""

    def __init__(self, bot: FleetBot[Any]) -> None:
        self._cases: asyncio.Queue[Case] = asyncio.Queue()
        bot.add_listener(self._recorded, "on_mod_case_recorded")

    async def _recorded(self, case: Case) -> None:
        self._cases.put_nowait(case)

    async def next(self) -> Case:
        """The next case announced (5 seconds at most)."""
        async with asyncio.timeout(5):
            return await self._cases.get()

    def empty(self) -> bool:
        return self._cases.empty()
