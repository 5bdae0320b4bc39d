"""Channel edits (slowmode) and the audit-log reasons the stand-in keeps, as Discord has them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord
import pytest
from discord.ext import commands

from botfleet.sandbox import Application, DiscordSandbox, Permission, SandboxGuild

BotFactory = Callable[..., commands.Bot]
CAN_EDIT = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES | Permission.MANAGE_CHANNELS


@pytest.fixture
def app(discord_sandbox: DiscordSandbox) -> Application:
    return discord_sandbox.add_application("Editor")


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, app: Application) -> SandboxGuild:
    built = discord_sandbox.create_guild("Edited")
    built.add_bot(app, permissions=CAN_EDIT)
    return built


@pytest.fixture
async def running(
    discord_sandbox: DiscordSandbox, app: Application, guild: SandboxGuild, make_bot: BotFactory
) -> AsyncIterator[commands.Bot]:
    bot = make_bot()
    async with discord_sandbox.run_client(bot, app):
        yield bot


async def test_a_slowmode_edit_is_checked_announced_and_its_reason_kept(
    running: commands.Bot, discord_sandbox: DiscordSandbox, guild: SandboxGuild
) -> None:
    general = guild.channel("general")
    channel = running.get_channel(general.id)
    assert isinstance(channel, discord.TextChannel)
    updated = asyncio.Event()

    async def on_guild_channel_update(_: Any, after: discord.abc.GuildChannel) -> None:
        updated.set()

    running.add_listener(on_guild_channel_update)
    await channel.edit(slowmode_delay=120, reason="calm down, please")
    await asyncio.wait_for(updated.wait(), 5)
    assert general.channel.rate_limit_per_user == 120
    assert channel.slowmode_delay == 120
    [audited] = discord_sandbox.audited_requests
    assert (audited.method, audited.path, audited.status) == (
        "PATCH",
        f"/api/v10/channels/{general.id}",
        200,
    )
    assert audited.reason == "calm down, please"

    with pytest.raises(discord.HTTPException) as too_long:
        await channel.edit(slowmode_delay=21601, reason="too slow")
    assert too_long.value.status == 400 and too_long.value.code == 50035
    assert "rate_limit_per_user" in str(too_long.value)
    assert discord_sandbox.audited_requests[-1].status == 400
    assert general.channel.rate_limit_per_user == 120


async def test_a_slowmode_needs_manage_channels(running: commands.Bot, guild: SandboxGuild) -> None:
    locked = guild.channel("general")
    bot_role = next(role for role in guild.guild.roles.values() if role.bot_id is not None)
    await locked.set_permissions(bot_role, deny=Permission.MANAGE_CHANNELS)
    channel = running.get_channel(locked.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.edit(slowmode_delay=10)
    assert refused.value.code == 50013
    assert locked.channel.rate_limit_per_user == 0
