"""Chat XP decided as each message arrives, at no task per message (issue 17).

discord.py runs every ``on_message`` listener in a task of its own; XP's check of a member's
cooldown is a fraction of that task's cost, so XP is a message hook the bot calls in the
``on_message`` task it has anyway.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import discord
import pytest
from fleet_helpers import fleet, shared_file_settings
from sqlalchemy import select

from botfleet.bots.utility.bot import DEFINITION as UTILITY
from botfleet.core.bot import GAMIFICATION_COMMANDS_EXTENSION, XP_EXTENSION, FleetBot
from botfleet.database import Database
from botfleet.database.models.gamification import MemberXP
from botfleet.gamification.guild_settings import GuildSettingsService, GuildXPConfig
from botfleet.sandbox import Application, DiscordSandbox, SandboxGuild
from dispatching import tasks_dispatching


async def earned(bot: FleetBot, user_id: int, guild_id: int) -> int:
    """The member's saved XP once it is above zero (the message arrives through the gateway)."""
    for _ in range(100):
        await bot.gamification.xp.flush()
        profile = await bot.gamification.xp.profile(user_id, guild_id)
        if profile.progress.total_xp:
            break
        await asyncio.sleep(0.05)
    return profile.progress.total_xp


async def test_chat_xp_costs_no_task_per_message(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    tmp_path: Path,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    settings = shared_file_settings(
        tmp_path, "utility", {"message_xp_min": 20, "message_xp_max": 20}
    )
    async with fleet(discord_sandbox, (UTILITY, utility_app, settings)) as (bot,):
        sent = await alice.send(general, "hello everyone")
        channel = bot.get_channel(general.id)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.fetch_message(sent.id)
        assert await earned(bot, alice.id, guild.id) == 20, "the hook awarded the message"
        with_xp = tasks_dispatching(bot, "message", message)
        await bot.unload_extension(XP_EXTENSION)
        await bot.unload_extension(GAMIFICATION_COMMANDS_EXTENSION)  # reward roles of chatters
        without_xp = tasks_dispatching(bot, "message", message)
        await asyncio.sleep(0.05)
    assert with_xp == without_xp


async def test_chat_whose_rules_are_read_as_the_bot_closes_is_saved(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A guild's first message waits for its XP rules: when the bot closes meanwhile, the
    hooks' work ends before XP's last save, so the message's XP is saved, not dropped."""
    alice = guild.add_member("alice")
    general = guild.channel("general")
    settings = shared_file_settings(
        tmp_path, "utility", {"message_xp_min": 20, "message_xp_max": 20}
    )
    reading, release = asyncio.Event(), asyncio.Event()
    read = GuildSettingsService.get

    async def slow_read(service: GuildSettingsService, guild_id: int) -> GuildXPConfig:
        reading.set()
        await release.wait()
        return await read(service, guild_id)

    monkeypatch.setattr(GuildSettingsService, "get", slow_read)
    async with fleet(discord_sandbox, (UTILITY, utility_app, settings)):
        await alice.send(general, "hello everyone")
        async with asyncio.timeout(10):
            await reading.wait()
        asyncio.get_running_loop().call_later(0.2, release.set)  # while the bot closes
    database = Database(settings.database.url.get_secret_value())
    try:
        async with database.session() as session:
            saved = await session.scalar(
                select(MemberXP.xp).where(
                    MemberXP.guild_id == guild.id, MemberXP.user_id == alice.id
                )
            )
    finally:
        await database.dispose()
    assert saved == 20
