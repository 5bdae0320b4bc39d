"""A dropped gateway: the bot resumes (or identifies anew) and handles each event once.

The stand-in keeps a resume buffer per session and replays what the bot missed before RESUMED,
as Discord does; a session that timed out (4009) is forgotten, so the bot has to identify again.
Messages members send while the bot is away are counted by the bot's own ``on_message``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import discord
import pytest

from botfleet import get_definition
from botfleet.core.bot import FleetBot
from botfleet.sandbox import DiscordSandbox
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import SandboxChannel, SandboxMember

BOT = "utility"
WAIT = 10.0
MISSED = ("one", "two", "three")


class HeardMessages:
    """The contents of the messages a bot's ``on_message`` saw, with how often."""

    def __init__(self, bot: FleetBot) -> None:
        self.counts: Counter[str] = Counter()
        self._changed = asyncio.Event()
        bot.add_listener(self.on_message)

    async def on_message(self, message: discord.Message) -> None:
        self.counts[message.content] += 1
        self._changed.set()

    async def all_heard(self, contents: tuple[str, ...]) -> None:
        async with asyncio.timeout(WAIT):
            while not all(self.counts[text] for text in contents):
                self._changed.clear()
                await self._changed.wait()


async def send_all(member: SandboxMember, channel: SandboxChannel, *contents: str) -> None:
    for content in contents:
        await member.send(channel, content)


def resumed(bot: FleetBot) -> asyncio.Task[Any]:
    return asyncio.create_task(bot.wait_for("resumed", timeout=WAIT))


@pytest.mark.parametrize("close_code", [1000, 4000])
async def test_a_dropped_connection_resumes_and_replays_what_was_missed_once(
    stage: FleetBotStage, alice: SandboxMember, general: SandboxChannel, close_code: int
) -> None:
    async with stage.running() as bot:
        heard = HeardMessages(bot)
        session_ids = set(stage.sandbox.gateway.sessions)
        back = resumed(bot)

        assert await stage.sandbox.drop_gateway(stage.app, code=close_code) == 1
        await send_all(alice, general, *MISSED)
        await back
        await send_all(alice, general, "after")
        await heard.all_heard((*MISSED, "after"))

        assert set(stage.sandbox.gateway.sessions) == session_ids
        assert heard.counts == Counter({text: 1 for text in (*MISSED, "after")})


async def test_a_timed_out_session_4009_identifies_again_and_goes_on(
    stage: FleetBotStage, alice: SandboxMember, general: SandboxChannel
) -> None:
    async with stage.running() as bot:
        heard = HeardMessages(bot)
        (old_session,) = stage.sandbox.gateway.sessions
        identified = asyncio.create_task(bot.wait_for("shard_ready", timeout=WAIT))

        assert await stage.sandbox.drop_gateway(stage.app, code=4009) == 1
        await identified
        await send_all(alice, general, "after")
        await heard.all_heard(("after",))

        assert old_session not in stage.sandbox.gateway.sessions
        assert heard.counts == Counter({"after": 1})
        assert not bot.is_closed()


@pytest.mark.parametrize("discord_sandbox_options", [{"heartbeat_interval_ms": 500}])
async def test_a_silent_half_open_socket_is_noticed_and_resumed(
    discord_sandbox: DiscordSandbox,
    stage: FleetBotStage,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    bot = FleetBot(get_definition(BOT), stage.settings(), heartbeat_timeout=2.0)
    async with discord_sandbox.run_client(bot, stage.app):
        heard = HeardMessages(bot)
        session_ids = set(discord_sandbox.gateway.sessions)
        back = resumed(bot)

        assert discord_sandbox.half_open_gateway(stage.app) == 1
        await send_all(alice, general, *MISSED)
        await back
        await send_all(alice, general, "after")
        await heard.all_heard((*MISSED, "after"))

        assert set(discord_sandbox.gateway.sessions) == session_ids
        assert heard.counts == Counter({text: 1 for text in (*MISSED, "after")})
