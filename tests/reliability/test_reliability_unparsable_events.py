"""A gateway event discord.py cannot parse never ends a bot of the fleet.

Each bot runs against the stand-in, which sends it payloads another Discord server
implementation (or a Discord change) may send: a partial MESSAGE_UPDATE without author or
content, a ``d`` of the wrong type, a member whose user is not an object. The bot must log each
event type once, skip the event and handle the next message.
"""

from __future__ import annotations

import asyncio
import logging

import discord
import pytest

from botfleet import bot_names
from botfleet.core.gateway_guard import log as guard_log
from botfleet.sandbox import payloads
from botfleet.sandbox.pytest_plugin import FleetBotFactory

NEXT_MESSAGE_TIMEOUT = 10.0


@pytest.mark.parametrize("bot_name", bot_names())
async def test_an_unparsable_event_is_logged_once_and_the_bot_goes_on(
    fleet_bot: FleetBotFactory, bot_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    stage = fleet_bot(bot_name)
    general = stage.guild.channel("general")
    alice = stage.guild.add_member("alice")
    guild_id = payloads.snowflake(stage.guild.id)
    channel_id = payloads.snowflake(general.id)
    partial_update = {"id": "1284", "channel_id": channel_id, "guild_id": guild_id, "embeds": []}
    malformed = [
        ("MESSAGE_UPDATE", partial_update),
        ("MESSAGE_UPDATE", ["not", "an", "object"]),
        ("MESSAGE_UPDATE", {**partial_update, "id": "not a snowflake"}),
        ("GUILD_MEMBER_UPDATE", {"guild_id": guild_id, "user": "alice", "roles": []}),
    ]
    caplog.set_level(logging.ERROR, logger=guard_log.name)
    async with stage.running() as bot:
        heard = asyncio.create_task(
            bot.wait_for("message", check=lambda message: message.content == "still there?")
        )
        for event_type, data in malformed:
            assert stage.sandbox.send_raw_event(stage.app, event_type, data) == 1
        await alice.send(general, "still there?")
        message: discord.Message = await asyncio.wait_for(heard, NEXT_MESSAGE_TIMEOUT)

        assert message.author.id == alice.user.id
        assert not bot.is_closed()
        assert bot.gateway_guard.failures == {"MESSAGE_UPDATE": 3, "GUILD_MEMBER_UPDATE": 1}
    logged = [record.getMessage() for record in caplog.records if record.name == guard_log.name]
    assert len(logged) == 2
    assert "MESSAGE_UPDATE" in logged[0]
    assert "GUILD_MEMBER_UPDATE" in logged[1]
