"""Redis gone mid-run under two bots of the fleet: answers go on, XP is neither lost nor doubled.

The Utility and Hangman Bots share one database and a Redis, as two bot processes of a deployment
do. Members chat before, during and after a Redis outage (a private server killed, then restarted
empty; or the machine's Redis cut off by a proxy, then reachable again); both bots hear every
message, and each member's XP must count each message (and alice's slash command, run during the
outage) once and respect the cooldown across the outage. Each bot logs the outage once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from reliability_helpers import COMMAND_XP, MESSAGE_XP, xp_rates
from sqlalchemy.engine import make_url

from botfleet import get_definition
from botfleet.cache.resilience import log as resilience_log
from botfleet.config.schema import BotSection, CacheSection, DatabaseSection, Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import DiscordSandbox, InteractionResponse, SandboxChannel, SandboxMember
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.redis_process import ThrowawayRedis
from botfleet.sandbox.tcp_proxy import CuttableProxy

RATES = xp_rates(flush_interval=0.05)
BOTS = ("utility", "hangman")
WAIT = 10.0
RETRY_SECONDS = 0.2
CUT_SECONDS = 10 * RETRY_SECONDS


def settings_for(bot_name: str, directory: Path, redis_url: str, prefix: str) -> Settings:
    """One bot on the test's shared SQLite file and Redis, retrying Redis every 0.2 s."""
    return fleet_test_settings(
        bot_name,
        directory,
        database=DatabaseSection(url=SecretStr(f"sqlite+aiosqlite:///{directory}/fleet.db")),
        bot=BotSection(guild_ready_timeout=0.05, data_dir=str(directory / bot_name)),
        cache=CacheSection(
            redis_url=SecretStr(redis_url), key_prefix=prefix, redis_retry_interval=RETRY_SECONDS
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


@dataclass(frozen=True)
class Outage:
    """How a test takes Redis away from the bots and gives it back."""

    url: str
    prefix: str
    begin: Callable[[], Awaitable[None]]
    end: Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Outcome:
    answer: InteractionResponse
    totals: dict[str, int]
    warnings: list[str]


async def members_chat_through(
    outage: Outage,
    discord_sandbox: DiscordSandbox,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> Outcome:
    """alice chats, Redis goes, bob chats twice and alice runs a command, Redis comes back,
    then all three chat; what the command answered, each member's XP, the outage warnings."""
    apps = [discord_sandbox.add_application(get_definition(name).display_name) for name in BOTS]
    guild = discord_sandbox.create_guild("Outage Club", bots=apps)
    alice, bob, carol = (guild.add_member(name) for name in ("alice", "bob", "carol"))
    general = guild.channel("general")
    caplog.set_level(logging.INFO, logger=resilience_log.name)
    bots = [
        FleetBot(get_definition(name), settings_for(name, tmp_path, outage.url, outage.prefix))
        for name in BOTS
    ]
    async with (
        discord_sandbox.run_client(bots[0], apps[0]),
        discord_sandbox.run_client(bots[1], apps[1]),
    ):
        await chat(bots, alice, general, "before the outage")
        await outage.begin()
        await chat(bots, bob, general, "while Redis is down")
        await chat(bots, bob, general, "again, inside the cooldown")
        answer = await (await alice.run_command(general, apps[0], "serverinfo")).wait_for_response(
            timeout=WAIT
        )
        await outage.end()
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
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == resilience_log.name and r.levelno >= logging.WARNING
    ]
    return Outcome(answer, totals, warnings)


EXPECTED_XP = {"alice": MESSAGE_XP + COMMAND_XP, "bob": MESSAGE_XP, "carol": MESSAGE_XP}


async def test_a_redis_outage_loses_no_xp_doubles_none_and_warns_once_per_bot(
    discord_sandbox: DiscordSandbox,
    redis_server: ThrowawayRedis,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = Outage(redis_server.url, "outage:", redis_server.stop, redis_server.start)

    outcome = await members_chat_through(outage, discord_sandbox, tmp_path, caplog)

    assert outcome.totals == EXPECTED_XP
    assert len(outcome.warnings) == len(BOTS), outcome.warnings


@pytest.mark.redis
async def test_connections_to_redis_cut_and_restored_lose_no_xp_and_warn_once_per_bot(
    discord_sandbox: DiscordSandbox,
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The machine's Redis, shared with other tests, is never stopped: a proxy between it and
    the bots breaks their connections and refuses new ones for CUT_SECONDS, ten of the bots'
    retry intervals, so each bot's cache listener fails and retries about ten times. The issue's
    30 s cut would only repeat the same retry more often (and slow the suite by half a minute);
    the warnings counted are the same, one per bot."""
    target = make_url(redis_url)
    proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 6379)
    await proxy.start()

    async def cut() -> None:
        proxy.cut()
        await asyncio.sleep(0)

    async def restore() -> None:
        await asyncio.sleep(CUT_SECONDS)  # the bots retry while it lasts
        proxy.restore()

    proxied = make_url(redis_url).set(host="127.0.0.1", port=proxy.port)
    outage = Outage(proxied.render_as_string(False), redis_prefix, cut, restore)
    try:
        outcome = await members_chat_through(outage, discord_sandbox, tmp_path, caplog)
    finally:
        await proxy.close()

    assert proxy.dropped + proxy.refused > 0
    assert outcome.totals == EXPECTED_XP
    assert len(outcome.warnings) == len(BOTS), outcome.warnings
