"""Discord's 429 storms and 5xx answers: the bot's requests are delayed and retried, never lost.

The stand-in answers 429 (per route and global, with ``retry_after``) and 500/502/503 on the
routes a test names; the bot must wait, retry and deliver each answer exactly once.
"""

from __future__ import annotations

import discord
import pytest

from botfleet.core.http_retry import RETRIES, backoff, retry_dropped_requests
from botfleet.sandbox import Application, DiscordSandbox, SandboxChannel, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage

MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"
CALLBACK_ROUTE = "POST /interactions/{interaction_id}/{token}/callback"
DELIVERED = "you asked me to remind you"
WAIT = 20.0


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("utility")


@pytest.fixture
def alice(stage: FleetBotStage) -> SandboxMember:
    return stage.guild.add_member("alice")


@pytest.fixture
def general(stage: FleetBotStage) -> SandboxChannel:
    return stage.guild.channel("general")


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


async def test_503s_are_retried_with_backoff_until_discord_answers(
    discord_sandbox: DiscordSandbox, sandbox_channel_app: tuple[Application, SandboxChannel]
) -> None:
    app, channel = sandbox_channel_app
    client = discord.Client(intents=discord.Intents.default())
    sleeps = RecordedSleeps()
    retry_dropped_requests(client.http, sleep=sleeps)
    async with discord_sandbox.run_client(client, app):
        outage = discord_sandbox.force_outage(MESSAGES_ROUTE, status=503, times=2)
        target = client.get_partial_messageable(channel.id)
        sent = await target.send("after the outage")

    assert outage.hits == 2
    assert sleeps.delays == [backoff(0), backoff(1)]
    assert [message.id for message in channel.messages()] == [sent.id]


async def test_a_429_storm_longer_than_discord_py_waits_out_is_retried(
    discord_sandbox: DiscordSandbox, sandbox_channel_app: tuple[Application, SandboxChannel]
) -> None:
    app, channel = sandbox_channel_app
    client = discord.Client(intents=discord.Intents.default())
    sleeps = RecordedSleeps()
    retry_dropped_requests(client.http, sleep=sleeps)
    async with discord_sandbox.run_client(client, app):
        storm = discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.01, times=7)
        sent = await client.get_partial_messageable(channel.id).send("after the storm")

    assert storm.hits == 7
    assert sleeps.delays == [0.0]
    assert [message.id for message in channel.messages()] == [sent.id]


async def test_a_503_that_lasts_gives_up_after_the_last_retry(
    discord_sandbox: DiscordSandbox, sandbox_channel_app: tuple[Application, SandboxChannel]
) -> None:
    app, channel = sandbox_channel_app
    client = discord.Client(intents=discord.Intents.default())
    sleeps = RecordedSleeps()
    retry_dropped_requests(client.http, sleep=sleeps)
    async with discord_sandbox.run_client(client, app):
        outage = discord_sandbox.force_outage(MESSAGES_ROUTE, status=503, times=None)
        with pytest.raises(discord.DiscordServerError) as raised:
            await client.get_partial_messageable(channel.id).send("never")

    assert raised.value.status == 503
    assert outage.hits == RETRIES + 1
    assert sleeps.delays == [backoff(attempt) for attempt in range(RETRIES)]
    assert channel.messages() == []


@pytest.fixture
def sandbox_channel_app(discord_sandbox: DiscordSandbox) -> tuple[Application, SandboxChannel]:
    app = discord_sandbox.add_application("Plain Bot")
    guild = discord_sandbox.create_guild("Outage Server", bots=[app])
    return app, guild.channel("general")
