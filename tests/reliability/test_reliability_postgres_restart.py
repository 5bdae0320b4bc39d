"""PostgreSQL restarted under a chatting guild: the pool recovers, the write-behind's batches are
retried, nothing acknowledged is lost and nothing is counted twice.

The server is a private cluster (``throwaway_postgres``), stopped with a fast shutdown, as
``systemctl restart postgresql`` does, while members keep chatting, then started again; the
test in ``test_reliability_postgres_drop.py`` breaks connections through a proxy instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from reliability_helpers import (
    COMMAND_XP,
    MESSAGE_XP,
    REMINDER_DELIVERED,
    chat,
    reminded_of_tea,
    saved_xp,
    wait_for_buffered,
    xp_rates,
)
from throwaway_postgres import ThrowawayPostgres, programs

from botfleet import get_definition
from botfleet.config.schema import BotSection, DatabaseSection
from botfleet.core.bot import FleetBot
from botfleet.sandbox import DiscordSandbox
from botfleet.sandbox.fleet import fleet_test_settings
from required import missing

MEMBERS_PER_STEP = 8


pytestmark = pytest.mark.postgres


@pytest.fixture
async def private_postgres() -> AsyncIterator[ThrowawayPostgres]:
    """A PostgreSQL cluster of the test's own: the machine's shared server, which other tests
    use at the same time, is never restarted."""
    found = programs()
    if found is None:
        missing("needs PostgreSQL's initdb and postgres programs (apt-get install postgresql)")
    server = ThrowawayPostgres(*found)
    try:
        await server.create()
        await server.start()
        yield server
    finally:
        await server.remove()


async def test_a_postgres_restart_under_chat_loses_no_xp_and_doubles_none(
    discord_sandbox: DiscordSandbox,
    private_postgres: ThrowawayPostgres,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Members chat before, during and after a restart; the saves that fail while it is down
    are retried once it is back; a reminder asked for after it fires once."""
    app = discord_sandbox.add_application(get_definition("utility").display_name)
    guild = discord_sandbox.create_guild("Restart Club", bots=[app])
    general = guild.channel("general")
    before, during, after = (
        [guild.add_member(f"{step}{index}") for index in range(MEMBERS_PER_STEP)]
        for step in ("before", "during", "after")
    )
    settings = fleet_test_settings(
        "utility",
        tmp_path,
        database=DatabaseSection(url=SecretStr(private_postgres.url)),
        bot=BotSection(guild_ready_timeout=0.05, data_dir=str(tmp_path)),
        gamification=xp_rates(flush_interval=0.2),
    )
    bot = FleetBot(get_definition("utility"), settings)
    async with discord_sandbox.run_client(bot, app):
        for member in before:
            await chat(bot, member, general, f"{member.user.username} before the restart")
        # Their awards wait for the guild's XP rules, read once (then cached): on a loaded
        # machine, a stop during that read would cost them (no XP rather than wrong XP).
        await wait_for_buffered(bot, MEMBERS_PER_STEP)
        await bot.gamification.xp.flush()
        await private_postgres.stop()
        for member in during:
            await chat(bot, member, general, f"{member.user.username} while it restarts")
            await chat(bot, member, general, f"{member.user.username} again, in the cooldown")
        await asyncio.sleep(0.5)  # the write-behind tries (and fails) to save meanwhile
        unsaved_while_down = bot.gamification.xp.pending_awards
        await private_postgres.start()
        for member in after:
            await chat(bot, member, general, f"{member.user.username} after the restart")
        for member in before:
            await chat(bot, member, general, f"{member.user.username} again, in the cooldown")
        answer, delivered = await reminded_of_tea(before[0], general, app)
        totals = await saved_xp([bot], guild.id, (*before, *during, *after))

    unhandled = [
        r for r in caplog.records if r.name == "discord.client" and r.levelno >= logging.ERROR
    ]
    assert unhandled == [], [record.getMessage() for record in unhandled]
    assert unsaved_while_down >= MEMBERS_PER_STEP
    failed_saves = [r for r in caplog.records if r.getMessage().startswith("Saving XP failed")]
    assert failed_saves, "no save was tried while the server was down"
    assert "Reminder #1" in answer.content
    assert [m for m in general.messages() if REMINDER_DELIVERED in m.content] == [delivered]
    expected = {member.user.username: MESSAGE_XP for member in (*before, *during, *after)}
    expected[before[0].user.username] += COMMAND_XP
    assert totals == expected
