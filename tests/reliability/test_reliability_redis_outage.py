"""Redis stopped mid-run under two bots of the fleet: answers go on, XP is neither lost nor doubled.

The Utility and Hangman Bots share one database and a private ``redis-server``, as two bot
processes of a deployment do. Members chat before, during and after a Redis outage (the server
killed, then restarted empty); both bots hear every message, and each member's XP must count
each message (and alice's slash command, run during the outage) once and respect the cooldown
across the outage. Each bot logs the outage once.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr
from reliability_helpers import COMMAND_XP, MESSAGE_XP, xp_rates

from botfleet import get_definition
from botfleet.cache.resilience import log as resilience_log
from botfleet.config.schema import BotSection, CacheSection, DatabaseSection, Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import DiscordSandbox, SandboxChannel, SandboxMember
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.redis_process import ThrowawayRedis

RATES = xp_rates(flush_interval=0.05)
BOTS = ("utility", "hangman")
WAIT = 10.0


def settings_for(bot_name: str, directory: Path, redis_url: str) -> Settings:
    """One bot on the test's shared SQLite file and private Redis, retrying Redis every 0.2 s."""
    return fleet_test_settings(
        bot_name,
        directory,
        database=DatabaseSection(url=SecretStr(f"sqlite+aiosqlite:///{directory}/fleet.db")),
        bot=BotSection(guild_ready_timeout=0.05, data_dir=str(directory / bot_name)),
        cache=CacheSection(
            redis_url=SecretStr(redis_url), key_prefix="outage:", redis_retry_interval=0.2
        ),
        gamification=RATES,
    )


async def chat(
    bots: list[FleetBot], member: SandboxMember, channel: SandboxChannel, text: str
) -> None:
    """Post as ``member`` and wait until every bot has handled the message."""
    handled = [
        asyncio.create_task(
            bot.wait_for("message", check=lambda message: message.content == text, timeout=WAIT)
        )
        for bot in bots
    ]
    await asyncio.sleep(0)  # the waits listen before the message is posted
    await member.send(channel, text)
    await asyncio.gather(*handled)


async def test_a_redis_outage_loses_no_xp_doubles_none_and_warns_once_per_bot(
    discord_sandbox: DiscordSandbox,
    redis_server: ThrowawayRedis,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    apps = [discord_sandbox.add_application(get_definition(name).display_name) for name in BOTS]
    guild = discord_sandbox.create_guild("Outage Club", bots=apps)
    alice, bob, carol = (guild.add_member(name) for name in ("alice", "bob", "carol"))
    general = guild.channel("general")
    caplog.set_level(logging.INFO, logger=resilience_log.name)
    bots = [
        FleetBot(get_definition(name), settings_for(name, tmp_path, redis_server.url))
        for name in BOTS
    ]
    async with (
        discord_sandbox.run_client(bots[0], apps[0]),
        discord_sandbox.run_client(bots[1], apps[1]),
    ):
        await chat(bots, alice, general, "before the outage")
        await redis_server.stop()
        await chat(bots, bob, general, "while Redis is down")
        await chat(bots, bob, general, "again, inside the cooldown")
        answer = await (await alice.run_command(general, apps[0], "serverinfo")).wait_for_response(
            timeout=WAIT
        )
        await redis_server.start()
        await chat(bots, carol, general, "after Redis is back")
        await chat(bots, alice, general, "alice again, inside the cooldown")
        await chat(bots, bob, general, "bob again, inside the cooldown")
        for bot in bots:
            await bot.gamification.xp.flush()
        totals = {
            member.user.username: (
                await bots[0].gamification.xp.profile(member.id, guild.id)
            ).progress.total_xp
            for member in (alice, bob, carol)
        }

    assert any(guild.name in str(embed) for embed in answer.embeds)
    assert totals == {"alice": MESSAGE_XP + COMMAND_XP, "bob": MESSAGE_XP, "carol": MESSAGE_XP}
    warnings = [
        r for r in caplog.records if r.name == resilience_log.name and r.levelno >= logging.WARNING
    ]
    assert len(warnings) == len(BOTS), [record.getMessage() for record in warnings]
