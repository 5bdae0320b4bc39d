"""Native polls: the real discord.py client sends them, members vote, and they end as on Discord."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord
import pytest
from discord.ext import commands

from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    Message,
    Permission,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
    SandboxScriptError,
)
from botfleet.sandbox.flags import MessageType
from botfleet.sandbox.render import ComponentNumbers, TranscriptRenderer, Viewpoint
from botfleet.sandbox.validation import MessageDraft, PollAnswerDraft, PollDraft
from waiting import until

BotFactory = Callable[..., commands.Bot]
VoteEvent = tuple[str, int, int, int | None]


@pytest.fixture
async def bot(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> AsyncIterator[commands.Bot]:
    client = make_bot()
    async with discord_sandbox.run_client(client, sandbox_app):
        yield client


@pytest.fixture
def general(sandbox_guild: SandboxGuild) -> SandboxChannel:
    return sandbox_guild.channel("general")


@pytest.fixture
def alice(sandbox_guild: SandboxGuild) -> SandboxMember:
    return sandbox_guild.add_member("alice")


@pytest.fixture
def bob(sandbox_guild: SandboxGuild) -> SandboxMember:
    return sandbox_guild.add_member("bob")


def lunch_poll(*, hours: float = 2, multiple: bool = False) -> discord.Poll:
    poll = discord.Poll("What's for lunch?", datetime.timedelta(hours=hours), multiple=multiple)
    poll.add_answer(text="Pizza", emoji="🍕")
    poll.add_answer(text="Pasta")
    poll.add_answer(text="Salad")
    return poll


def text_channel(bot: commands.Bot, channel: SandboxChannel) -> discord.TextChannel:
    found = bot.get_channel(channel.id)
    assert isinstance(found, discord.TextChannel)
    return found


async def send_poll(
    bot: commands.Bot, discord_sandbox: DiscordSandbox, channel: SandboxChannel, **options: Any
) -> tuple[discord.Message, Message]:
    sent = await text_channel(bot, channel).send(poll=lunch_poll(**options))
    return sent, discord_sandbox.state.messages[sent.id]


def record_votes(bot: commands.Bot) -> list[VoteEvent]:
    events: list[VoteEvent] = []

    async def on_raw_poll_vote_add(payload: discord.RawPollVoteActionEvent) -> None:
        events.append(("add", payload.user_id, payload.answer_id, payload.guild_id))

    async def on_raw_poll_vote_remove(payload: discord.RawPollVoteActionEvent) -> None:
        events.append(("remove", payload.user_id, payload.answer_id, payload.guild_id))

    bot.add_listener(on_raw_poll_vote_add)
    bot.add_listener(on_raw_poll_vote_remove)
    return events


async def test_a_poll_only_message_is_sent_and_parsed_by_discord_py(
    bot: commands.Bot, discord_sandbox: DiscordSandbox, general: SandboxChannel
) -> None:
    sent, stored = await send_poll(bot, discord_sandbox, general)

    assert sent.content == "" and sent.poll is not None
    assert sent.poll.question == "What's for lunch?"
    assert [(a.id, a.text, str(a.emoji or "")) for a in sent.poll.answers] == [
        (1, "Pizza", "🍕"),
        (2, "Pasta", ""),
        (3, "Salad", ""),
    ]
    assert sent.poll.duration == datetime.timedelta(hours=2)
    assert sent.poll.expires_at == stored.created_at + datetime.timedelta(hours=2)
    assert not sent.poll.multiple and not sent.poll.is_finalised()
    assert stored.poll is not None and not stored.poll.finalized
    assert 'poll "What\'s for lunch?" (open)' in stored.describe()


async def test_a_poll_next_to_content_is_kept(
    bot: commands.Bot, discord_sandbox: DiscordSandbox, general: SandboxChannel
) -> None:
    sent = await text_channel(bot, general).send("Vote below!", poll=lunch_poll(multiple=True))
    fetched = await text_channel(bot, general).fetch_message(sent.id)

    assert fetched.content == "Vote below!"
    assert fetched.poll is not None and fetched.poll.multiple
    assert len(fetched.poll.answers) == 3


def _poll_with(question: str = "Q?", answers: int = 2, answer: str = "A", hours: float = 1) -> Any:
    poll = discord.Poll(question, datetime.timedelta(hours=hours))
    for number in range(answers):
        poll.add_answer(text=f"{answer}{number}" if answer == "A" else answer)
    return poll


@pytest.mark.parametrize(
    ("poll", "field", "message"),
    [
        (_poll_with(question="Q" * 301), "poll.question.text", "300 or fewer"),
        (_poll_with(answers=11), "poll.answers", "between 1 and 10"),
        (_poll_with(answers=0), "poll.answers", "between 1 and 10"),
        (_poll_with(answer="x" * 56), "poll.answers.0.poll_media.text", "55 or fewer"),
        (_poll_with(hours=769), "poll.duration", "less than or equal to 768"),
        (_poll_with(hours=1.5), "poll.duration", "is not int"),
    ],
    ids=["long-question", "eleven-answers", "no-answers", "long-answer", "too-long", "half-hour"],
)
async def test_polls_breaking_discords_limits_are_refused_with_field_errors(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    general: SandboxChannel,
    poll: discord.Poll,
    field: str,
    message: str,
) -> None:
    with pytest.raises(discord.HTTPException) as refused:
        await text_channel(bot, general).send(poll=poll)

    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert f"In {field}: " in refused.value.text and message in refused.value.text
    assert general.messages() == []


async def test_sending_a_poll_needs_send_polls_and_a_poll_is_never_edited(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    sandbox_guild: SandboxGuild,
    general: SandboxChannel,
) -> None:
    sent, _ = await send_poll(bot, discord_sandbox, general)
    route = discord.http.Route(
        "PATCH",
        "/channels/{channel_id}/messages/{message_id}",
        channel_id=general.id,
        message_id=sent.id,
    )
    with pytest.raises(discord.HTTPException) as edit_refused:
        await bot.http.request(route, json={"poll": lunch_poll()._to_dict()})
    edited = await sent.edit(content="Vote now")

    await general.set_permissions(sandbox_guild.guild.everyone_role, deny=Permission.SEND_POLLS)
    with pytest.raises(discord.Forbidden) as forbidden:
        await text_channel(bot, general).send(poll=lunch_poll())
    plain = await text_channel(bot, general).send("no poll, no permission needed")

    assert (edit_refused.value.status, edit_refused.value.code) == (400, 520003)
    assert edited.content == "Vote now" and edited.poll is not None
    assert forbidden.value.code == 50013
    assert plain.content == "no poll, no permission needed"


async def test_polls_in_interaction_answers_and_followups(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    bot = make_bot()

    @bot.tree.command(description="Ask twice")
    async def ask(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(poll=lunch_poll())
        await interaction.followup.send("And dessert?", poll=lunch_poll(hours=1, multiple=True))

    @bot.tree.command(description="Think, then ask")
    async def think(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(poll=lunch_poll(hours=3))

    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        asked = await alice.run_command(general, sandbox_app, "ask")
        answer = await asked.wait_for_message()
        followup = await asked.wait_for_followup()
        thought = await alice.run_command(general, sandbox_app, "think")
        await thought.wait_for_response()
        filled = await thought.wait_for_followup()

    assert answer.content == "" and answer.poll is not None
    assert answer.type is MessageType.CHAT_INPUT_COMMAND
    assert followup.content == "And dessert?"
    assert followup.poll is not None and followup.poll.allow_multiselect
    assert followup.poll.expiry - followup.created_at == datetime.timedelta(hours=1)
    assert filled.poll is not None and not filled.loading
    assert filled.poll.expiry - filled.created_at == datetime.timedelta(hours=3)
    assert [m.id for m in general.messages()] == [answer.id, followup.id, filled.id]


async def test_votes_reach_the_bot_and_change_the_counts(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    sandbox_guild: SandboxGuild,
    general: SandboxChannel,
    alice: SandboxMember,
    bob: SandboxMember,
) -> None:
    events = record_votes(bot)
    answers: list[tuple[str, str, str]] = []

    async def on_poll_vote_add(user: discord.Member, answer: discord.PollAnswer) -> None:
        answers.append(("add", user.name, answer.text))

    bot.add_listener(on_poll_vote_add)
    sent, stored = await send_poll(bot, discord_sandbox, general)
    await alice.vote(stored, [1])
    await bob.vote(stored, [2])
    await until(lambda: len(events) == 2)
    fetched = await text_channel(bot, general).fetch_message(sent.id)
    await alice.unvote(stored)
    await until(lambda: len(events) == 3)
    after_unvote = await text_channel(bot, general).fetch_message(sent.id)

    guild_id = sandbox_guild.id
    assert events == [
        ("add", alice.id, 1, guild_id),
        ("add", bob.id, 2, guild_id),
        ("remove", alice.id, 1, guild_id),
    ]
    assert answers == [("add", "alice", "Pizza"), ("add", "bob", "Pasta")]
    assert fetched.poll is not None and after_unvote.poll is not None
    assert [a.vote_count for a in fetched.poll.answers] == [1, 1, 0]
    assert [a.vote_count for a in after_unvote.poll.answers] == [0, 1, 0]
    assert not any(a.self_voted for a in fetched.poll.answers)
    assert fetched.poll.total_votes == 2 and not fetched.poll.is_finalised()


async def test_vote_events_need_the_polls_intent_and_dm_polls_use_their_own(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
    general: SandboxChannel,
    alice: SandboxMember,
) -> None:
    intents = discord.Intents.default()
    intents.members = intents.message_content = True
    intents.guild_polls = False
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
    events = record_votes(bot)
    seen: list[str] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    bot.add_listener(on_message)
    async with discord_sandbox.run_client(bot, sandbox_app):
        _, guild_poll = await send_poll(bot, discord_sandbox, general)
        member = await bot.fetch_user(alice.id)
        dm_sent = await member.send(poll=lunch_poll())
        await alice.vote(guild_poll, [3])
        await alice.vote(discord_sandbox.state.messages[dm_sent.id], [2])
        await alice.send(general, "after the votes")
        await until(lambda: "after the votes" in seen and len(events) == 1)

    assert events == [("add", alice.id, 2, None)], "only the DM vote: guild polls are off"


async def test_multiselect_rules_are_enforced_like_discords_client(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    general: SandboxChannel,
    alice: SandboxMember,
) -> None:
    events = record_votes(bot)
    _, single = await send_poll(bot, discord_sandbox, general)
    _, several = await send_poll(bot, discord_sandbox, general, multiple=True)

    with pytest.raises(SandboxScriptError, match="one answer only"):
        await alice.vote(single, [1, 2])
    with pytest.raises(SandboxScriptError, match="answers are"):
        await alice.vote(single, [4])
    with pytest.raises(SandboxScriptError, match="different answers"):
        await alice.vote(several, [2, 2])
    with pytest.raises(SandboxScriptError, match="has not voted"):
        await alice.unvote(single)
    await alice.vote(single, [2])
    with pytest.raises(SandboxScriptError, match="already voted"):
        await alice.vote(single, [3])
    await alice.vote(several, [1, 3])
    await alice.unvote(several)
    await until(lambda: len(events) == 5)

    assert [(kind, answer) for kind, _, answer, _ in events] == [
        ("add", 2),
        ("add", 1),
        ("add", 3),
        ("remove", 1),
        ("remove", 3),
    ]
    assert single.poll is not None and single.poll.votes_of(alice.id) == [2]
    assert several.poll is not None and several.poll.votes_of(alice.id) == []


async def test_answer_voters_are_listed_and_paged(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    sandbox_guild: SandboxGuild,
    general: SandboxChannel,
    alice: SandboxMember,
    bob: SandboxMember,
) -> None:
    carol = sandbox_guild.add_member("carol")
    sent, stored = await send_poll(bot, discord_sandbox, general)
    for member in (carol, alice, bob):
        await member.vote(stored, [1])
    fetched = await text_channel(bot, general).fetch_message(sent.id)
    pizza = fetched.poll.get_answer(1) if fetched.poll else None
    assert pizza is not None
    voters = [voter.name async for voter in pizza.voters()]
    first_page = await bot.http.get_poll_answer_voters(general.id, sent.id, 1, limit=2)
    second_page = await bot.http.get_poll_answer_voters(
        general.id, sent.id, 1, after=int(first_page["users"][-1]["id"]), limit=2
    )
    nobody = await bot.http.get_poll_answer_voters(general.id, sent.id, 2)
    with pytest.raises(discord.NotFound):
        await bot.http.get_poll_answer_voters(general.id, sent.id, 9)

    by_id = sorted([carol, alice, bob], key=lambda member: member.id)
    assert sorted(voters) == ["alice", "bob", "carol"]
    assert [user["username"] for user in first_page["users"]] == [m.name for m in by_id[:2]]
    assert [user["username"] for user in second_page["users"]] == [by_id[2].name]
    assert nobody == {"users": []}


async def test_the_author_ends_its_poll_and_discord_posts_the_results(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    general: SandboxChannel,
    alice: SandboxMember,
    bob: SandboxMember,
) -> None:
    results: list[discord.Message] = []

    async def on_message(message: discord.Message) -> None:
        if message.type is discord.MessageType.poll_result:
            results.append(message)

    bot.add_listener(on_message)
    sent, stored = await send_poll(bot, discord_sandbox, general)
    await alice.vote(stored, [2])
    await bob.vote(stored, [2])
    ended = await sent.end_poll()
    await until(lambda: len(results) == 1)
    with pytest.raises(discord.HTTPException) as again:
        await sent.end_poll()
    with pytest.raises(SandboxScriptError, match="has ended"):
        await alice.vote(stored, [1])
    plain = await text_channel(bot, general).send("not a poll")
    with pytest.raises(discord.HTTPException) as not_a_poll:
        await plain.end_poll()

    assert ended.poll is not None and ended.poll.is_finalised()
    assert [a.vote_count for a in ended.poll.answers] == [0, 2, 0]
    result = general.messages()[1]
    assert result.type is MessageType.POLL_RESULT
    assert bot.user is not None and result.author.id == bot.user.id
    assert result.referenced_message_id == sent.id
    seen = results[0]
    assert seen.system_content == "Test Bot's poll What's for lunch? has closed."
    assert seen.reference is not None and seen.reference.message_id == sent.id
    fields = {field.name: field.value for field in seen.embeds[0].fields}
    assert fields == {
        "poll_question_text": "What's for lunch?",
        "victor_answer_votes": "2",
        "total_votes": "2",
        "victor_answer_id": "2",
        "victor_answer_text": "Pasta",
    }
    assert (again.value.status, again.value.code) == (400, 520001)
    assert (not_a_poll.value.status, not_a_poll.value.code) == (400, 520006)


async def test_only_the_author_may_end_a_poll(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    sandbox_guild: SandboxGuild,
    general: SandboxChannel,
) -> None:
    other = discord_sandbox.add_application("Other Bot")
    sandbox_guild.add_bot(other)
    poll = PollDraft(question="Tea?", answers=(PollAnswerDraft("Yes"), PollAnswerDraft("No")))
    theirs = discord_sandbox.state.post_message(
        general.channel, other.bot_user, MessageDraft(given=frozenset({"poll"}), poll=poll)
    )

    with pytest.raises(discord.Forbidden) as refused:
        await bot.http.end_poll(general.id, theirs.id)

    assert refused.value.code == 50005
    assert theirs.poll is not None and not theirs.poll.finalized


@pytest.mark.parametrize("discord_sandbox_options", [{"poll_hour": 0.2}])
async def test_a_poll_ends_on_its_own_when_its_time_runs_out(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    general: SandboxChannel,
    alice: SandboxMember,
) -> None:
    finalized: list[bool] = []

    async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
        poll = payload.data.get("poll")
        if poll is not None:
            finalized.append(poll["results"]["is_finalized"])

    bot.add_listener(on_raw_message_edit)
    sent, stored = await send_poll(bot, discord_sandbox, general, hours=1)
    await alice.vote(stored, [1])
    result = await general.wait_for_message(check=lambda m: m.type is MessageType.POLL_RESULT)
    await until(lambda: finalized == [True])

    assert stored.poll is not None and stored.poll.finalized
    assert result.referenced_message_id == sent.id
    assert stored.poll.expiry == stored.created_at + datetime.timedelta(hours=1)


async def test_a_test_ends_a_poll_now_and_a_tie_has_no_winner(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    general: SandboxChannel,
    alice: SandboxMember,
    bob: SandboxMember,
) -> None:
    sent, stored = await send_poll(bot, discord_sandbox, general)
    await alice.vote(stored, [1])
    await bob.vote(stored, [3])
    result = await discord_sandbox.end_poll(stored)
    with pytest.raises(SandboxScriptError, match="no open poll"):
        await discord_sandbox.end_poll(stored)
    fetched = await text_channel(bot, general).fetch_message(sent.id)

    fields = {field["name"]: field["value"] for field in result.embeds[0].get("fields", [])}
    assert fields == {
        "poll_question_text": "What's for lunch?",
        "victor_answer_votes": "1",
        "total_votes": "2",
    }
    assert fetched.poll is not None and fetched.poll.is_finalised()
    assert fetched.poll.victor_answer_id is None


async def test_the_console_shows_polls_votes_and_results(
    bot: commands.Bot,
    discord_sandbox: DiscordSandbox,
    general: SandboxChannel,
    alice: SandboxMember,
    bob: SandboxMember,
) -> None:
    renderer = TranscriptRenderer(discord_sandbox.state, ComponentNumbers())
    view = Viewpoint(alice.user, general.id)
    _, stored = await send_poll(bot, discord_sandbox, general, hours=5)
    await alice.vote(stored, [1])
    await bob.vote(stored, [1])
    open_lines = renderer.message(stored, view)
    result = await discord_sandbox.end_poll(stored)

    assert open_lines == [
        "  Test Bot:",
        "    📊 What's for lunch? (choose one)",
        "      1) 🍕 Pizza — 2 votes (100%) ✔",
        "      2) Pasta — 0 votes (0%)",
        "      3) Salad — 0 votes (0%)",
        "    2 votes · ends in 5 hours",
    ]
    assert renderer.message(stored, Viewpoint(bob.user, general.id))[1:] == [
        "    📊 What's for lunch? (choose one)",
        "      1) 🍕 Pizza — 2 votes (100%) ✔ 🏆",
        "      2) Pasta — 0 votes (0%)",
        "      3) Salad — 0 votes (0%)",
        "    2 votes · final results",
    ]
    assert renderer.message(result, view) == [
        "  Test Bot:",
        "    📊 The poll “What's for lunch?” has closed: “Pizza” won with 2 of 2 votes.",
    ]
