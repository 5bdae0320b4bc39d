"""Discord's 429 storms and 5xx answers: the bot's requests are delayed and retried, never lost.

The stand-in answers 429 (per route and global, with ``retry_after``) and 500/502/503 on the
routes a test names; the bot must wait, retry and deliver each answer exactly once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import discord
import pytest

from botfleet.core.http_retry import (
    RETRIES,
    RETRY_BUDGET,
    backoff,
    repeatable,
    retry_dropped_requests,
)
from botfleet.sandbox import (
    DiscordSandbox,
    ForcedOutage,
    ForcedRateLimit,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage

MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"
AUTOMOD_ROUTE = "POST /guilds/{guild_id}/auto-moderation/rules"
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
    """A stand-in for ``asyncio.sleep`` that records the delays and returns at once, with a
    clock that moves by each delay and by ``answer_time`` each time it is read (how long
    Discord takes to answer)."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.now = 0.0
        self.answer_time = 0.0

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay

    def clock(self) -> float:
        read, self.now = self.now, self.now + self.answer_time
        return read


@dataclass
class PlainClient:
    """A bare discord.py client with the retries, logged in; its sleeps recorded, not slept."""

    client: discord.Client
    guild: SandboxGuild
    channel: SandboxChannel
    sleeps: RecordedSleeps

    async def send(self, content: str) -> discord.Message:
        return await self.client.get_partial_messageable(self.channel.id).send(content)

    async def create_rule(self, name: str) -> None:
        await self.client.http.create_auto_moderation_rule(
            self.guild.id,
            reason=None,
            name=name,
            event_type=1,
            trigger_type=1,
            trigger_metadata={"keyword_filter": ["spam"]},
            actions=[{"type": 1}],
        )

    async def rule_names(self) -> list[str]:
        rules = await self.client.http.get_auto_moderation_rules(self.guild.id)
        return [rule["name"] for rule in rules]


@pytest.fixture
async def plain(discord_sandbox: DiscordSandbox) -> AsyncIterator[PlainClient]:
    app = discord_sandbox.add_application("Plain Bot")
    guild = discord_sandbox.create_guild("Outage Server", bots=[app])
    rules_role = guild.add_role("Rules", permissions=discord.Permissions(manage_guild=True))
    guild.guild.members[app.bot_user.id].role_ids.append(rules_role.id)
    client = discord.Client(intents=discord.Intents.default())
    sleeps = RecordedSleeps()
    retry_dropped_requests(client.http, sleep=sleeps, clock=sleeps.clock)
    async with discord_sandbox.run_client(client, app):
        yield PlainClient(client, guild, guild.channel("general"), sleeps)


def two_503s(sandbox: DiscordSandbox) -> ForcedOutage | ForcedRateLimit:
    return sandbox.force_outage(MESSAGES_ROUTE, status=503, times=2)


def seven_429s(sandbox: DiscordSandbox) -> ForcedOutage | ForcedRateLimit:
    """More 429s in a row than the five tries discord.py gives one request."""
    return sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.01, times=7)


def seven_global_429s(sandbox: DiscordSandbox) -> ForcedOutage | ForcedRateLimit:
    """A global storm (``X-RateLimit-Global``): discord.py holds every request back each time."""
    return sandbox.force_rate_limit(is_global=True, retry_after=0.01, times=7)


@pytest.mark.parametrize(
    ("fault", "hits", "delays"),
    [
        (two_503s, 2, [backoff(0), backoff(1)]),
        (seven_429s, 7, [0.0]),
        (seven_global_429s, 7, [0.0]),
    ],
    ids=["503s with backoff", "429 storm, already waited out", "global 429 storm"],
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


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_message_whose_answer_was_lost_is_repeated_without_a_second_copy(
    discord_sandbox: DiscordSandbox, plain: PlainClient, status: int
) -> None:
    outage = discord_sandbox.force_outage(
        MESSAGES_ROUTE, status=status, times=2, after_applying=True
    )
    sent = await plain.send("once")

    assert outage.hits == 2
    assert [message.id for message in plain.channel.messages()] == [sent.id]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_post_discord_may_have_applied_is_not_repeated_after_a_5xx(
    discord_sandbox: DiscordSandbox, plain: PlainClient, status: int
) -> None:
    outage = discord_sandbox.force_outage(
        AUTOMOD_ROUTE, status=status, times=None, after_applying=True
    )
    with pytest.raises(discord.DiscordServerError) as raised:
        await plain.create_rule("no spam")
    discord_sandbox.clear_rate_limits()

    assert raised.value.status == status
    assert outage.hits == 1
    assert plain.sleeps.delays == []
    assert await plain.rule_names() == ["no spam"]


async def test_a_post_is_repeated_through_a_429_storm_since_discord_did_not_apply_it(
    discord_sandbox: DiscordSandbox, plain: PlainClient
) -> None:
    storm = discord_sandbox.force_rate_limit(AUTOMOD_ROUTE, retry_after=0.01, times=7)
    await plain.create_rule("no spam")

    assert storm.hits == 7
    assert await plain.rule_names() == ["no spam"]


async def test_retries_stop_when_the_time_budget_is_spent(
    discord_sandbox: DiscordSandbox, plain: PlainClient
) -> None:
    plain.sleeps.answer_time = RETRY_BUDGET / 3
    outage = discord_sandbox.force_outage(MESSAGES_ROUTE, status=503, times=None)
    with pytest.raises(discord.DiscordServerError):
        await plain.send("too late")

    assert outage.hits == 3 < RETRIES + 1
    assert plain.sleeps.delays == [backoff(0), backoff(1)]
    assert plain.channel.messages() == []


@pytest.mark.parametrize(
    ("method", "path", "payload", "expected"),
    [
        ("GET", "/api/v10/channels/1/messages", None, True),
        ("PUT", "/api/v10/guilds/1/bans/2", None, True),
        ("PATCH", "/api/v10/channels/1/messages/2", None, True),
        ("DELETE", "/api/v10/channels/1/messages/2", None, True),
        ("POST", "/api/v10/interactions/1/token/callback", None, True),
        ("POST", "/api/v10/users/@me/channels", {"recipient_id": "2"}, True),
        ("POST", "/channels/1/messages", {"nonce": "7", "enforce_nonce": True}, True),
        ("POST", "/channels/1/messages", {"nonce": "7"}, False),
        ("POST", "/channels/1/messages", {"content": "hi"}, False),
        ("POST", "/api/v10/webhooks/1/token", {"content": "followup"}, False),
        ("POST", "/api/v10/guilds/1/roles", {"name": "x"}, False),
    ],
)
def test_only_requests_discord_applies_once_are_repeatable(
    method: str, path: str, payload: object, expected: bool
) -> None:
    assert repeatable(method, path, payload) is expected
