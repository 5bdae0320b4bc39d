"""Discord's 429 storms and 5xx answers: the bot's requests are delayed and retried, never lost.

The stand-in answers 429 (per route and global, with ``retry_after``) and 500/502/503 on the
routes a test names; the bot must wait, retry and deliver each answer exactly once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import discord
import pytest

from botfleet.core.http_retry import RETRIES, backoff, retry_dropped_requests
from botfleet.sandbox import (
    DiscordSandbox,
    ForcedOutage,
    ForcedRateLimit,
    SandboxChannel,
    SandboxMember,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage

MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"
CALLBACK_ROUTE = "POST /interactions/{interaction_id}/{token}/callback"
DELIVERED = "you asked me to remind you"
WAIT = 20.0


async def test_a_reminder_goes_out_once_through_a_429_storm_and_5xx_answers(
    stage: FleetBotStage, alice: SandboxMember, general: SandboxChannel
) -> None:
    sandbox = stage.sandbox
    async with stage.running():
        handle = await alice.run_command(
            general, stage.app, "remind", {"when": "in 1s", "what": "tea"}
        )
        assert "Reminder #1" in (await handle.wait_for_response()).content
        outages = [
            sandbox.force_outage(MESSAGES_ROUTE, status=status, times=1) for status in (502, 503)
        ]
        storms = [
            sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.2, times=3),
            sandbox.force_rate_limit(is_global=True, retry_after=0.3, times=2),
        ]

        delivered = await general.wait_for_message(
            author=stage.app, check=lambda message: DELIVERED in message.content, timeout=WAIT
        )

        assert "tea" in delivered.content
        assert [outage.hits for outage in outages] == [1, 1]
        assert [storm.hits for storm in storms] == [3, 2]
        reminders = [m for m in general.messages() if DELIVERED in m.content]
        assert reminders == [delivered]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_slash_command_is_answered_when_its_first_answer_meets_a_5xx(
    stage: FleetBotStage, alice: SandboxMember, general: SandboxChannel, status: int
) -> None:
    async with stage.running():
        outage = stage.sandbox.force_outage(CALLBACK_ROUTE, status=status, times=1)
        handle = await alice.run_command(general, stage.app, "serverinfo")
        response = await handle.wait_for_response(timeout=WAIT)

    assert outage.hits == 1
    assert any(stage.guild.name in str(embed) for embed in response.embeds)


class RecordedSleeps:
    """A stand-in for ``asyncio.sleep`` that records the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@dataclass
class PlainClient:
    """A bare discord.py client with the retries, logged in; its sleeps recorded, not slept."""

    client: discord.Client
    channel: SandboxChannel
    sleeps: RecordedSleeps

    async def send(self, content: str) -> discord.Message:
        return await self.client.get_partial_messageable(self.channel.id).send(content)


@pytest.fixture
async def plain(discord_sandbox: DiscordSandbox) -> AsyncIterator[PlainClient]:
    app = discord_sandbox.add_application("Plain Bot")
    guild = discord_sandbox.create_guild("Outage Server", bots=[app])
    client = discord.Client(intents=discord.Intents.default())
    sleeps = RecordedSleeps()
    retry_dropped_requests(client.http, sleep=sleeps)
    async with discord_sandbox.run_client(client, app):
        yield PlainClient(client, guild.channel("general"), sleeps)


def two_503s(sandbox: DiscordSandbox) -> ForcedOutage | ForcedRateLimit:
    return sandbox.force_outage(MESSAGES_ROUTE, status=503, times=2)


def seven_429s(sandbox: DiscordSandbox) -> ForcedOutage | ForcedRateLimit:
    """More 429s in a row than the five tries discord.py gives one request."""
    return sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.01, times=7)


@pytest.mark.parametrize(
    ("fault", "hits", "delays"),
    [(two_503s, 2, [backoff(0), backoff(1)]), (seven_429s, 7, [0.0])],
    ids=["503s with backoff", "429 storm, already waited out"],
)
async def test_what_discord_py_drops_is_retried_until_discord_answers(
    discord_sandbox: DiscordSandbox,
    plain: PlainClient,
    fault: Callable[[DiscordSandbox], ForcedOutage | ForcedRateLimit],
    hits: int,
    delays: list[float],
) -> None:
    switch = fault(discord_sandbox)
    sent = await plain.send("after the fault")

    assert switch.hits == hits
    assert plain.sleeps.delays == delays
    assert [message.id for message in plain.channel.messages()] == [sent.id]


async def test_a_503_that_lasts_gives_up_after_the_last_retry(
    discord_sandbox: DiscordSandbox, plain: PlainClient
) -> None:
    outage = discord_sandbox.force_outage(MESSAGES_ROUTE, status=503, times=None)
    with pytest.raises(discord.DiscordServerError) as raised:
        await plain.send("never")

    assert raised.value.status == 503
    assert outage.hits == RETRIES + 1
    assert plain.sleeps.delays == [backoff(attempt) for attempt in range(RETRIES)]
    assert plain.channel.messages() == []
