"""PostgreSQL connections dropped while a bot runs: it keeps answering once the database is back,
and the XP and the reminder it acknowledged are saved once.

The shared PostgreSQL server is not restarted: the bot reaches its own test database through a
TCP proxy on 127.0.0.1, which the test cuts (every pooled connection broken, new ones refused)
and restores.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr
from reliability_helpers import WAIT, chat
from sqlalchemy.exc import SQLAlchemyError

from botfleet import get_definition
from botfleet.config.schema import BotSection, DatabaseSection
from botfleet.core.bot import FleetBot
from botfleet.sandbox import DiscordSandbox
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.tcp_proxy import CuttableProxy

MESSAGE_XP = 100
COMMAND_XP = 5
RATES = {
    "command_xp": COMMAND_XP,
    "message_xp_min": MESSAGE_XP,
    "message_xp_max": MESSAGE_XP,
    "message_cooldown_seconds": 600,
    "flush_interval": 60,
}
DELIVERED = "you asked me to remind you"


async def wait_for_buffered(bot: FleetBot, awards: int) -> None:
    """Wait until the bot holds ``awards`` XP awards not saved yet."""

    async def poll() -> None:
        while bot.gamification.xp.pending_awards < awards:  # noqa: ASYNC110  (no event to await)
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), WAIT)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_dropped_database_connections_recover_and_lose_nothing_acknowledged(
    discord_sandbox: DiscordSandbox,
    proxied_url: tuple[str, CuttableProxy],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, proxy = proxied_url
    app = discord_sandbox.add_application(get_definition("utility").display_name)
    guild = discord_sandbox.create_guild("Dropped Club", bots=[app])
    alice, bob, carol = (guild.add_member(name) for name in ("alice", "bob", "carol"))
    general = guild.channel("general")
    settings = fleet_test_settings(
        "utility",
        tmp_path,
        database=DatabaseSection(url=SecretStr(url)),
        bot=BotSection(guild_ready_timeout=0.05, data_dir=str(tmp_path)),
        gamification=RATES,
    )
    bot = FleetBot(get_definition("utility"), settings)
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

    unhandled = [r for r in caplog.records if r.name == "discord.client"]
    assert unhandled == [], [record.getMessage() for record in unhandled]
    assert proxy.dropped >= 1
    assert unsaved_during_the_drop > 0
    assert "Reminder #1" in answer.content
    assert "tea" in delivered.content
    assert [m for m in general.messages() if DELIVERED in m.content] == [delivered]
    assert totals == {"alice": MESSAGE_XP + COMMAND_XP, "bob": MESSAGE_XP, "carol": MESSAGE_XP}
