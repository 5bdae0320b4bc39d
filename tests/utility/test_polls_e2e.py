"""Button polls end to end: the real discord.py client against the local Discord stand-in."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from PIL import Image
from sqlalchemy import delete, func, select, update
from utility_helpers import answer

from botfleet.config.schema import Settings
from botfleet.core.persistent import LARGEST_ID, MALFORMED_ANSWER
from botfleet.database.models.polls import Poll as PollRow
from botfleet.database.models.timer import Timer
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionResponse,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
    SandboxScriptError,
)
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until

SettingsFactory = Callable[..., Settings]
ENDED = "has ended."
MANAGE_MESSAGES = 8192
COUNT = re.compile(r"` \*\*(\d+)\*\* \(")


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    def build(**options: Any) -> Settings:
        quick = {"poll_refresh_seconds": 0.05, "min_poll_seconds": 1, **options}
        return fleet_test_settings("utility", tmp_path, options=quick)

    return build


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


async def poll_command(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    subcommand: str,
    options: dict[str, Any],
) -> InteractionResponse:
    return await answer(member, channel, app, "poll", options, subcommand=subcommand)


async def create_poll(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    answers: str = "Pizza | Pasta | Salad",
    **options: Any,
) -> Message:
    response = await poll_command(
        member,
        channel,
        app,
        "create",
        {"question": "What's for lunch?", "answers": answers, **options},
    )
    assert response.message is not None and not response.ephemeral, response.content
    return response.message


def poll_id_of(message: Message) -> int:
    return int(message.custom_ids[0].split(":")[1])


async def press(member: SandboxMember, message: Message, answer: int) -> str:
    """Press the button of answer ``answer`` (0-based); the private receipt's text."""
    handle = await member.click(message, f"poll:{poll_id_of(message)}:{answer}")
    response = await handle.wait_for_response()
    assert response.ephemeral
    return response.content


def description(message: Message) -> str:
    return str(message.embeds[0]["description"])


def counts_shown(message: Message) -> list[int]:
    """The vote counts the poll message shows, in the order of its answers."""
    return [int(count) for count in COUNT.findall(description(message))]


async def wait_for_counts(sandbox: DiscordSandbox, message: Message, *counts: int) -> None:
    """Wait until the poll message shows these counts (redraws are debounced)."""
    await wait_until(
        sandbox,
        lambda: True if counts_shown(message) == list(counts) else None,
        timeout=10,
        describe_failure=lambda: f"waiting for counts {counts}, shown: {counts_shown(message)}",
    )


async def results_message(channel: SandboxChannel, app: Application) -> Message:
    return await channel.wait_for_message(
        author=app, check=lambda message: ENDED in message.content, timeout=10
    )


def ended_count(channel: SandboxChannel) -> int:
    return len([message for message in channel.messages() if ENDED in message.content])


def chart_of(message: Message) -> Image.Image:
    [attachment] = message.attachments
    assert attachment.filename.endswith(".png")
    image = Image.open(io.BytesIO(attachment.data))
    assert image.format == "PNG"
    return image


async def test_members_vote_change_their_vote_and_see_live_counts(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        poll = await create_poll(alice, general, app, ends="in 2h")
        assert "What's for lunch?" in description(poll) and "Ends <t:" in description(poll)
        buttons = [component for row in poll.components for component in row["components"]]
        assert [button["label"] for button in buttons] == ["Pizza", "Pasta", "Salad"]
        assert counts_shown(poll) == [0, 0, 0]

        assert "You voted for “Pizza”" in await press(alice, poll, 0)
        assert "You voted for “Pizza”" in await press(bob, poll, 0)
        await wait_for_counts(discord_sandbox, poll, 2, 0, 0)
        assert "You voted for “Salad”" in await press(alice, poll, 2)
        await wait_for_counts(discord_sandbox, poll, 1, 0, 1)
        assert "took back your vote" in await press(bob, poll, 0)
        await wait_for_counts(discord_sandbox, poll, 0, 0, 1)
        assert "1 voter ·" in poll.embeds[0]["footer"]["text"]


async def test_final_votes_cannot_be_changed(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        poll = await create_poll(alice, general, app, "Yes | No", change_votes=False)
        assert "votes are final" in poll.embeds[0]["footer"]["text"]
        await press(alice, poll, 0)
        refused = await press(alice, poll, 1)
        assert "You already voted for “Yes”; votes in this poll can't be changed" in refused
        await wait_for_counts(discord_sandbox, poll, 1, 0)


async def test_an_anonymous_multiple_choice_poll_hides_its_voters(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        poll = await create_poll(
            alice, general, app, "Mon | Tue | Wed", anonymous=True, multiple_choice=True
        )
        await press(alice, poll, 0)
        receipt = await press(alice, poll, 2)
        assert "Your answers: “Mon”, “Wed”" in receipt and "anonymous" in receipt
        await press(bob, poll, 2)
        await wait_for_counts(discord_sandbox, poll, 1, 0, 2)
        await poll_command(alice, general, app, "end", {"poll": poll_id_of(poll)})
        results = await results_message(general, app)
        embed = results.embeds[0]
        assert "**Wed** won with 2 votes from 2 voters" in embed["description"]
        assert "<@" not in str(embed.get("fields", []))
        assert chart_of(results).width > 0


async def test_the_creator_or_a_moderator_ends_a_poll_and_the_results_are_posted(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
) -> None:
    moderators = guild.add_role("Moderators", permissions=MANAGE_MESSAGES)
    carol = guild.add_member("carol", roles=[moderators])
    async with stage.running(settings):
        poll = await create_poll(alice, general, app)
        poll_id = poll_id_of(poll)
        await press(alice, poll, 1)
        await press(bob, poll, 1)

        handle = await bob.autocomplete(
            general, app, "poll", {"poll": "lunch"}, focused="poll", subcommand="end"
        )
        assert [choice["value"] for choice in await handle.wait_for_choices()] == [poll_id]
        refused = await poll_command(bob, general, app, "end", {"poll": poll_id})
        assert refused.ephemeral and "Only the member who started" in refused.content
        unknown = await poll_command(carol, general, app, "end", {"poll": 999})
        assert unknown.ephemeral and "no poll #999" in unknown.content

        ended = await poll_command(carol, general, app, "end", {"poll": poll_id})
        assert ended.ephemeral and f"Poll #{poll_id} has ended" in ended.content
        results = await results_message(general, app)
        assert results.referenced_message_id == poll.id
        embed = results.embeds[0]
        assert "**Pasta** won with 2 votes" in embed["description"]
        assert f"<@{alice.id}>" in str(embed["fields"]) and f"<@{bob.id}>" in str(embed["fields"])
        assert results.mention_user_ids == []  # listed, not pinged
        chart = chart_of(results)
        assert chart.width == 900 and chart.height > 200
        await wait_until(
            discord_sandbox,
            lambda: True if not poll.components and "Ended" in description(poll) else None,
            timeout=10,
            describe_failure=lambda: "waiting for the poll's buttons to go",
        )
        again = await poll_command(alice, general, app, "end", {"poll": poll_id})
        assert again.ephemeral and "already ended" in again.content

        handle = await bob.run_command(
            general, app, "poll", {"poll": poll_id}, subcommand="results"
        )
        private = await handle.wait_for_message()
        assert private.ephemeral and "Results: What's for lunch?" in private.embeds[0]["title"]
        assert chart_of(private).format == "PNG"
    assert ended_count(general) == 1


@pytest.mark.parametrize(
    ("answers", "ends", "message"),
    [
        ("Pizza", None, "at least 2 answers"),
        (" | ".join(f"a{n}" for n in range(11)), None, "at most 10 answers; you gave 11"),
        ("Pizza | pizza", None, "Answers 1 and 2 are both “pizza”"),
        ("Pizza || Pasta", None, "Answer 2 is empty"),
        ("Pizza | " + "x" * 81, None, "Answer 2 has 81 characters"),
        ("Pizza | Pasta", "yesterday", "couldn't read “yesterday”"),
        ("Pizza | Pasta", "in 90d", "at most 32 days"),
    ],
)
async def test_bad_polls_get_an_ephemeral_answer_and_store_nothing(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
    answers: str,
    ends: str | None,
    message: str,
) -> None:
    options = {"question": "Lunch?", "answers": answers} | ({"ends": ends} if ends else {})
    async with stage.running(settings) as bot:
        response = await poll_command(alice, general, app, "create", options)
        assert response.ephemeral and message in response.content
        async with bot.database.session() as session:
            assert await session.scalar(select(func.count()).select_from(PollRow)) == 0
    assert general.messages() == []


async def test_a_poll_closes_by_itself_when_its_time_is_up(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        poll = await create_poll(alice, general, app, "Yes | No", ends="in 1s")
        await press(alice, poll, 0)
        results = await results_message(general, app)
        assert "**Yes** won with 1 vote from 1 voter" in results.embeds[0]["description"]
        assert not poll.components  # the buttons are gone
        await asyncio.sleep(0.3)
    assert ended_count(general) == 1


async def test_polls_survive_a_restart_and_close_once(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        closing = await create_poll(alice, general, app, "Yes | No", ends="in 2s")
        lasting = await create_poll(alice, general, app, "Tea | Coffee", ends="in 1h")
        await press(alice, closing, 1)
    # The bot was stopped cleanly: the first poll's in-memory alarm was written to the database.
    await asyncio.sleep(2.2)
    assert ended_count(general) == 0
    async with stage.running(settings) as bot:
        results = await results_message(general, app)
        assert results.referenced_message_id == closing.id
        assert "**No** won" in results.embeds[0]["description"]
        # Buttons posted before the restart still count votes.
        assert "You voted for “Coffee”" in await press(bob, lasting, 1)
        await wait_for_counts(discord_sandbox, lasting, 0, 1)
        async with bot.database.session() as session:
            await session.execute(
                update(PollRow)
                .where(PollRow.id == poll_id_of(lasting))
                .values(ends_at=PollRow.created_at)
            )
            await session.execute(delete(Timer))  # as if a crash ate its claimed alarm
            await session.commit()
        await asyncio.sleep(0.3)
    assert ended_count(general) == 1
    async with stage.running(settings):
        late = await results_message(general, app)
        assert late.referenced_message_id == lasting.id
        await asyncio.sleep(0.3)
    assert ended_count(general) == 2


async def test_native_poll_is_one_of_discords_own_polls(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        response = await poll_command(
            alice,
            general,
            app,
            "native",
            {"question": " Best pizza? ", "answers": "Margherita | Funghi | Diavola", "hours": 2},
        )
        message = response.message
        assert message is not None and message.poll is not None and not response.ephemeral
        poll = message.poll
        assert (poll.question, poll.allow_multiselect) == ("Best pizza?", False)
        assert [answer.text for answer in poll.answers] == ["Margherita", "Funghi", "Diavola"]
        assert poll.expiry - message.created_at == timedelta(hours=2)
        await alice.vote(message, [3])
        await bob.vote(message, [3])
        result = await discord_sandbox.end_poll(message)

    fields = {field["name"]: field["value"] for field in result.embeds[0].get("fields", [])}
    assert (fields["victor_answer_text"], fields["total_votes"]) == ("Diavola", "2")


async def test_native_poll_runs_a_day_unless_told_and_may_take_several_answers(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        response = await poll_command(
            alice,
            general,
            app,
            "native",
            {"question": "Which days?", "answers": "Mon | Tue | Wed", "multiple_choice": True},
        )
        message = response.message
        assert message is not None and message.poll is not None
        assert message.poll.expiry - message.created_at == timedelta(hours=24)
        assert message.poll.allow_multiselect
        await alice.vote(message, [1, 3])
        assert message.poll.votes_of(alice.id) == [1, 3]


@pytest.mark.parametrize(
    ("question", "answers", "refusal"),
    [
        ("Lunch?", "Pizza", "at least 2 answers"),
        ("Lunch?", " | ".join(f"Dish {n}" for n in range(11)), "at most 10 answers"),
        ("Lunch?", f"Pizza | {'x' * 56}", "at most 55"),
        ("Lunch?", "Pizza || Pasta", "Answer 2 is empty"),
        ("Lunch?", "Pizza | pizza", "each answer must be different"),
        ("   ", "Pizza | Pasta", "write the poll's question"),
    ],
    ids=["one-answer", "eleven-answers", "long-answer", "empty-answer", "twice", "no-question"],
)
async def test_native_poll_explains_what_to_fix_before_sending(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
    question: str,
    answers: str,
    refusal: str,
) -> None:
    async with stage.running(settings):
        response = await poll_command(
            alice, general, app, "native", {"question": question, "answers": answers}
        )

    assert response.ephemeral and refusal in response.content
    assert discord_sandbox.http_errors == [], "nothing Discord would refuse was sent"
    assert all(message.poll is None for message in general.messages(include_ephemeral=True))


async def test_native_poll_options_carry_discords_limits(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        for options in (
            {"question": "Q" * 301, "answers": "A | B"},
            {"question": "Lunch?", "answers": "A | B", "hours": 769},
            {"question": "Lunch?", "answers": "A | B", "hours": 0},
        ):
            with pytest.raises(SandboxScriptError):
                await alice.run_command(general, app, "poll", options, subcommand="native")


async def test_the_question_option_declares_the_configured_limit(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    make_settings: SettingsFactory,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    """Discord's form refuses what the service would refuse: no 1,000-character question."""
    async with stage.running(make_settings(max_poll_question_length=40)):
        with pytest.raises(SandboxScriptError, match=r"1\.\.40 characters, got 41"):
            await alice.run_command(
                general,
                app,
                "poll",
                {"question": "Q" * 41, "answers": "A | B"},
                subcommand="create",
            )
        with pytest.raises(SandboxScriptError, match=r"1\.\.60 characters"):
            await alice.run_command(
                general,
                app,
                "poll",
                {"question": "Lunch?", "answers": "A | B", "ends": "x" * 61},
                subcommand="create",
            )
        await create_poll(alice, general, app, question="Q" * 40)


async def test_a_tie_so_far_reads_as_english(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        poll = await create_poll(alice, general, app, "Apple | Banana | Cherry")
        await press(alice, poll, 0)
        await press(bob, poll, 1)
        await wait_for_counts(discord_sandbox, poll, 1, 1, 0)
        handle = await bob.run_command(
            general, app, "poll", {"poll": poll_id_of(poll)}, subcommand="results"
        )
        results = await handle.wait_for_message()
        assert results.embeds[0]["description"] == (
            "**Apple** and **Banana** lead (a tie) with 1 vote from 2 voters."
        )


async def test_a_vote_button_naming_a_poll_beyond_any_id_is_answered_not_failed(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    forged_id = f"poll:{LARGEST_ID + 1}:0"
    async with stage.running(settings) as bot:
        channel = bot.get_channel(general.id)
        assert isinstance(channel, discord.TextChannel)
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="Vote", custom_id=forged_id))
        await channel.send("A poll from elsewhere", view=view)
        forged = await general.wait_for_message(author=app, timeout=10)
        handle = await alice.click(forged, forged_id)
        response = await handle.wait_for_response()
    assert response.ephemeral and response.content == MALFORMED_ANSWER
