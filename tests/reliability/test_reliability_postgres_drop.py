"""PostgreSQL connections dropped while a bot runs: it keeps answering once the database is back,
and the XP and the reminder it acknowledged are saved once.

The shared PostgreSQL server is not restarted: the bot reaches its own test database through a
TCP proxy on 127.0.0.1, which the test cuts (every pooled connection broken, new ones refused)
and restores.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from reliability_helpers import (
    COMMAND_XP,
    MESSAGE_XP,
    ON_POSTGRESQL,
    WAIT,
    ProxiedUtility,
    chat,
    xp_rates,
)
from sqlalchemy.exc import SQLAlchemyError

from botfleet.core.bot import FleetBot
from botfleet.sandbox import DiscordSandbox

pytestmark = ON_POSTGRESQL
DELIVERED = "you asked me to remind you"


async def wait_for_buffered(bot: FleetBot, awards: int) -> None:
    """Wait until the bot holds ``awards`` XP awards not saved yet."""

    async def poll() -> None:
        while bot.gamification.xp.pending_awards < awards:  # noqa: ASYNC110  (no event to await)
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), WAIT)


async def test_dropped_database_connections_recover_and_lose_nothing_acknowledged(
    discord_sandbox: DiscordSandbox,
    proxied_utility: ProxiedUtility,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, guild, general, proxy = (
        proxied_utility.app,
        proxied_utility.guild,
        proxied_utility.general,
        proxied_utility.proxy,
    )
    alice, bob, carol = (guild.add_member(name) for name in ("alice", "bob", "carol"))
    bot = proxied_utility.bot(gamification=xp_rates(flush_interval=60))
    async with discord_sandbox.run_client(bot, app):
        await chat(bot, alice, general, "before the drop")
        await bot.gamification.xp.flush()
        await chat(bot, bob, general, "bob, just before the drop")
        await wait_for_buffered(bot, 1)
        proxy.cut()
        with pytest.raises((OSError, SQLAlchemyError)):
            await bot.gamification.xp.flush()
        await chat(bot, carol, general, "while the database is away")
        unsaved_during_the_drop = bot.gamification.xp.pending_awards
        proxy.restore()
        await chat(bot, carol, general, "carol, after the database is back")
        answer = await (
            await alice.run_command(general, app, "remind", {"when": "in 1s", "what": "tea"})
        ).wait_for_response(timeout=WAIT)
        delivered = await general.wait_for_message(
            author=app, check=lambda message: DELIVERED in message.content, timeout=WAIT
        )
        await bot.gamification.xp.flush()
        totals = {
            member.user.username: (
                await bot.gamification.xp.profile(member.id, guild.id)
            ).progress.total_xp
            for member in (alice, bob, carol)
        }

    unhandled = [
        r for r in caplog.records if r.name == "discord.client" and r.levelno >= logging.ERROR
    ]
    assert unhandled == [], [record.getMessage() for record in unhandled]
    assert proxy.dropped >= 1
    assert unsaved_during_the_drop > 0
    assert "Reminder #1" in answer.content
    assert "tea" in delivered.content
    assert [m for m in general.messages() if DELIVERED in m.content] == [delivered]
    assert totals == {"alice": MESSAGE_XP + COMMAND_XP, "bob": MESSAGE_XP, "carol": MESSAGE_XP}
