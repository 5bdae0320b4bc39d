"""The shared reply path for slow answers, end to end: a real discord.py bot over the stand-in.

The bot's ``/post`` command posts in the channel (a REST call a forced 429 storm or a 5xx
outage holds back), then answers through :class:`TimelyAnswer` with a grace and a note time
scaled to the stand-in's 0.5 s deadline. A fast answer must make exactly the one callback it
always made; a held-back one is acknowledged in time, noted, then answered in place.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord.ext import commands

from botfleet.core.answers import TimelyAnswer, slow_note
from botfleet.core.errors import handle_interaction_error
from botfleet.core.http_retry import retry_dropped_requests
from botfleet.errors import UserError
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionCallbackType,
    InteractionHandle,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)

MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"
DEADLINE = 0.5
GRACE = 0.2
"""Seconds before acknowledging: well inside the stand-in's 0.5 s deadline."""
NOTE_AFTER = 0.8
WHAT = "post"
ANSWER = "📮 Posted."
REFUSAL = "That channel is closed now."
WAIT = 15.0


@pytest.fixture
def discord_sandbox_options() -> dict[str, Any]:
    """Discord's deadline for a first answer, shortened to 0.5 s as the grace is."""
    return {"interaction_deadline": DEADLINE}


@dataclass
class PostingBot:
    """The bot, its stand-in application and what the test needs around it."""

    app: Application
    alice: SandboxMember
    bob: SandboxMember
    general: SandboxChannel
    refuse_after_post: bool = False
    refuse_after_answer: bool = False
    public: bool = False
    """Whether the answer (and so the acknowledgement) is seen by the whole channel."""
    checks_take: float = 0.0
    """Seconds the command's checks take before its answer begins."""
    mentioned: SandboxMember | None = None
    """Whom the answer mentions after its text."""
    quiet: bool = False
    """Whether the answer's ``allowed_mentions`` lets its mention ping nobody."""

    def answer(self) -> str:
        return ANSWER if self.mentioned is None else f"{ANSWER} {self.mentioned.mention}"

    async def post(self) -> InteractionHandle:
        return await self.alice.run_command(self.general, self.app, "post")

    def original(self, handle: InteractionHandle) -> Message:
        response = handle.response
        assert response is not None and response.message is not None
        return response.message


@pytest.fixture
async def posting(discord_sandbox: DiscordSandbox) -> AsyncIterator[PostingBot]:
    app = discord_sandbox.add_application("Posting Bot")
    guild: SandboxGuild = discord_sandbox.create_guild("Slow Server", bots=[app])
    posting = PostingBot(
        app, guild.add_member("alice"), guild.add_member("bob"), guild.channel("general")
    )
    bot = commands.Bot(
        command_prefix="!",
        intents=discord.Intents.default(),
        guild_ready_timeout=0.05,
        help_command=None,
    )
    retry_dropped_requests(bot.http)

    @bot.tree.command(description="Post in this channel, then say so")
    async def post(interaction: discord.Interaction) -> None:
        channel = interaction.channel
        assert isinstance(channel, discord.TextChannel)
        await asyncio.sleep(posting.checks_take)
        async with TimelyAnswer(
            interaction, WHAT, ephemeral=not posting.public, grace=GRACE, note_after=NOTE_AFTER
        ) as answer:
            await channel.send("a post")
            if posting.refuse_after_post:
                raise UserError(REFUSAL)
            quiet = discord.AllowedMentions.none() if posting.quiet else None
            await answer.send(posting.answer(), allowed_mentions=quiet)
            if posting.refuse_after_answer:
                raise UserError(REFUSAL)

    bot.tree.on_error = handle_interaction_error  # type: ignore[method-assign]
    async with discord_sandbox.run_client(bot, app):
        await bot.tree.sync()
        yield posting


def posts(channel: SandboxChannel) -> list[Message]:
    return [message for message in channel.messages() if message.content == "a post"]


async def contents_until_answered(
    posting: PostingBot, handle: InteractionHandle, answered: Callable[[Message], bool]
) -> list[str]:
    """Each text the member saw in the original answer, in order, until ``answered``."""
    seen: list[str] = []
    async with asyncio.timeout(WAIT):
        while True:
            if handle.response is not None:
                message = posting.original(handle)
                if not seen or seen[-1] != message.content:
                    seen.append(message.content)
                if answered(message):
                    return seen
            await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("refused", "first_answer"),
    [(False, ANSWER), (True, REFUSAL)],
    ids=["answer", "refusal"],
)
async def test_an_answer_within_the_grace_is_the_one_callback_it_always_was(
    discord_sandbox: DiscordSandbox, posting: PostingBot, refused: bool, first_answer: str
) -> None:
    posting.refuse_after_post = refused
    handle = await posting.post()
    response = await handle.wait_for_response()
    await asyncio.sleep(NOTE_AFTER + GRACE)

    assert response.type is InteractionCallbackType.CHANNEL_MESSAGE_WITH_SOURCE
    assert response.content == first_answer and response.ephemeral
    assert posting.original(handle).edit_count == 0
    assert handle.interaction.followup_results == []
    assert discord_sandbox.http_errors == []


@pytest.mark.parametrize(
    "hold_back",
    [
        lambda sandbox: sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.5, times=3),
        lambda sandbox: sandbox.force_rate_limit(is_global=True, retry_after=0.5, times=3),
        lambda sandbox: sandbox.force_outage(MESSAGES_ROUTE, status=503, times=1),
    ],
    ids=["429 storm on the route", "global 429 storm", "503 outage"],
)
async def test_a_held_back_answer_is_acknowledged_in_time_noted_then_given_in_place(
    discord_sandbox: DiscordSandbox,
    posting: PostingBot,
    hold_back: Callable[[DiscordSandbox], object],
) -> None:
    hold_back(discord_sandbox)
    handle = await posting.post()
    response = await handle.wait_for_response()

    assert response.deferred and response.ephemeral
    seen = await contents_until_answered(posting, handle, lambda m: m.content == ANSWER)
    assert seen == ["", slow_note(WHAT), ANSWER]
    assert posting.original(handle).ephemeral
    assert handle.interaction.followup_results == []
    assert len(posts(posting.general)) == 1
    assert not [error for error in discord_sandbox.http_errors if error.status < 500]


async def test_an_answer_late_but_before_the_note_just_fills_the_acknowledgement(
    discord_sandbox: DiscordSandbox, posting: PostingBot
) -> None:
    discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.4, times=1)
    handle = await posting.post()
    response = await handle.wait_for_response()

    assert response.deferred
    seen = await contents_until_answered(posting, handle, lambda m: m.content == ANSWER)
    assert seen == ["", ANSWER]
    assert handle.interaction.followup_results == []


async def test_a_command_that_fails_after_the_note_leaves_only_its_error_reply(
    discord_sandbox: DiscordSandbox, posting: PostingBot
) -> None:
    posting.refuse_after_post = True
    discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.5, times=3)
    handle = await posting.post()
    await handle.wait_for_response()
    seen = await contents_until_answered(posting, handle, lambda m: m.deleted)
    refusal = await handle.wait_for_followup(timeout=WAIT)

    assert slow_note(WHAT) in seen
    assert refusal.content == REFUSAL and refusal.ephemeral
    assert posting.original(handle).deleted
    assert len(posts(posting.general)) == 1


async def test_a_public_command_failing_before_the_note_keeps_its_refusal_private(
    discord_sandbox: DiscordSandbox, posting: PostingBot
) -> None:
    """The first followup fills a deferral and takes its visibility (Discord ignores the
    followup's ephemeral flag then): the public "thinking" is filled and taken down first, so
    the refusal is a private message of its own."""
    posting.public = True
    posting.refuse_after_post = True
    discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.4, times=1)
    handle = await posting.post()
    response = await handle.wait_for_response()
    refusal = await handle.wait_for_followup(timeout=WAIT)

    assert response.deferred and not response.ephemeral
    assert refusal.content == REFUSAL and refusal.ephemeral
    assert posting.original(handle).deleted


async def test_the_grace_counts_from_the_members_command_not_from_the_answers_start(
    discord_sandbox: DiscordSandbox, posting: PostingBot
) -> None:
    posting.checks_take = DEADLINE - GRACE
    discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.5, times=2)
    handle = await posting.post()
    response = await handle.wait_for_response()

    assert response.deferred
    seen = await contents_until_answered(posting, handle, lambda m: m.content == ANSWER)
    assert seen[-1] == ANSWER
    assert discord_sandbox.http_errors == []


@pytest.mark.parametrize("storm", [(0.5, 3), (0.4, 1)], ids=["after the note", "before it"])
async def test_a_held_back_public_answer_meant_to_ping_pings(
    discord_sandbox: DiscordSandbox, posting: PostingBot, storm: tuple[float, int]
) -> None:
    """An edit notifies nobody, even the one filling the "thinking": the answer that means to
    ping is a new message, and the wait it replaces (filled with the note) is taken down."""
    posting.public, posting.mentioned = True, posting.bob
    retry_after, times = storm
    discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=retry_after, times=times)
    handle = await posting.post()
    response = await handle.wait_for_response()
    answer = await handle.wait_for_followup(timeout=WAIT)
    await contents_until_answered(posting, handle, lambda m: m.deleted)

    assert response.deferred and not response.ephemeral
    assert answer.content == posting.answer() and not answer.ephemeral
    assert answer.notified_user_ids == [posting.bob.id]
    assert handle.interaction.followup_results == [answer.id]
    assert posting.original(handle).content == slow_note(WHAT)
    assert len(posts(posting.general)) == 1
    assert not [error for error in discord_sandbox.http_errors if error.status < 500]


async def test_a_held_back_answer_that_pings_nobody_is_still_given_in_place(
    discord_sandbox: DiscordSandbox, posting: PostingBot
) -> None:
    posting.public, posting.quiet, posting.mentioned = True, True, posting.bob
    discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.5, times=3)
    handle = await posting.post()
    await handle.wait_for_response()

    seen = await contents_until_answered(posting, handle, lambda m: m.content == posting.answer())
    assert seen == ["", slow_note(WHAT), posting.answer()]
    assert handle.interaction.followup_results == []
    assert posting.original(handle).notified_user_ids == []


async def test_a_command_failing_after_its_answer_went_apart_takes_nothing_down_twice(
    discord_sandbox: DiscordSandbox, posting: PostingBot
) -> None:
    """The pinging answer sent apart took the wait down already: the failure after it must not
    delete the original again (Discord would answer 404)."""
    posting.public, posting.mentioned, posting.refuse_after_answer = True, posting.bob, True
    discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.5, times=3)
    handle = await posting.post()
    await handle.wait_for_response()
    answer = await handle.wait_for_followup(timeout=WAIT)
    refusal = await handle.wait_for_followup(timeout=WAIT)

    assert answer.content == posting.answer() and refusal.content == REFUSAL
    assert posting.original(handle).deleted
    assert not [error for error in discord_sandbox.http_errors if error.status < 500]
