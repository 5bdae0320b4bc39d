"""PostgreSQL connections dropped while a bot runs: it keeps answering once the database is back,
and the XP and the reminder it acknowledged are saved once.

The shared PostgreSQL server is not restarted: the bot reaches its own test database through a
TCP proxy on 127.0.0.1, which the test cuts (every pooled connection broken, new ones refused)
and restores.
"""

from __future__ import annotations

import logging

import pytest
from reliability_helpers import (
    COMMAND_XP,
    MESSAGE_XP,
    ON_POSTGRESQL,
    REMINDER_DELIVERED,
    ProxiedUtility,
    chat,
    reminded_of_tea,
    saved_xp,
    wait_for_buffered,
    xp_rates,
)
from sqlalchemy.exc import SQLAlchemyError

from botfleet.sandbox import DiscordSandbox

pytestmark = ON_POSTGRESQL


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
        answer, delivered = await reminded_of_tea(alice, general, app)
        totals = await saved_xp([bot], guild.id, (alice, bob, carol))

    unhandled = [
        r for r in caplog.records if r.name == "discord.client" and r.levelno >= logging.ERROR
    ]
    assert unhandled == [], [record.getMessage() for record in unhandled]
    assert proxy.dropped >= 1
    assert unsaved_during_the_drop > 0
    assert "Reminder #1" in answer.content
    assert "tea" in delivered.content
    assert [m for m in general.messages() if REMINDER_DELIVERED in m.content] == [delivered]
    assert totals == {"alice": MESSAGE_XP + COMMAND_XP, "bob": MESSAGE_XP, "carol": MESSAGE_XP}
