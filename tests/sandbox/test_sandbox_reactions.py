"""Reactions: members reacting and taking it back, bots listing, removing and clearing them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import discord
import pytest
from discord.ext import commands

from botfleet.sandbox import Application, DiscordSandbox, Message, Permission, SandboxGuild
from botfleet.sandbox.scripting import DEFAULT_BOT_PERMISSIONS
from waiting import until

BotFactory = Callable[..., commands.Bot]


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, sandbox_app: Application) -> SandboxGuild:
    guild = discord_sandbox.create_guild("Reactions")
    guild.add_bot(sandbox_app, permissions=DEFAULT_BOT_PERMISSIONS | Permission.MANAGE_MESSAGES)
    return guild


@pytest.fixture
async def bot(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    guild: SandboxGuild,
    make_bot: BotFactory,
) -> AsyncIterator[commands.Bot]:
    client = make_bot()
    async with discord_sandbox.run_client(client, sandbox_app):
        yield client


async def posted_by_bot(bot: commands.Bot, guild: SandboxGuild, text: str) -> discord.Message:
    channel = bot.get_channel(guild.channel("general").id)
    assert isinstance(channel, discord.TextChannel)
    return await channel.send(text)


def stored(discord_sandbox: DiscordSandbox, message: discord.Message) -> Message:
    return discord_sandbox.state.messages[message.id]


async def test_members_react_and_take_it_back(
    bot: commands.Bot, discord_sandbox: DiscordSandbox, guild: SandboxGuild
) -> None:
    events: list[tuple[str, str, int, bool]] = []

    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        events.append(("add", str(payload.emoji), payload.user_id, payload.member is not None))

    async def on_raw_reaction_remove(payload: discord.RawReactionActionEvent) -> None:
        events.append(("remove", str(payload.emoji), payload.user_id, payload.member is not None))

    bot.add_listener(on_raw_reaction_add)
    bot.add_listener(on_raw_reaction_remove)
    alice = guild.add_member("alice")
    message = stored(discord_sandbox, await posted_by_bot(bot, guild, "vote"))
    await alice.react(message, "👍")
    await alice.react(message, "party:123")
    await alice.unreact(message, "👍")
    await until(lambda: len(events) == 3)
    assert events == [
        ("add", "👍", alice.id, True),
        ("add", "<:party:123>", alice.id, True),
        ("remove", "👍", alice.id, False),
    ]
    assert [(r.emoji_name, r.emoji_id, r.user_ids) for r in message.reactions] == [
        ("party", 123, [alice.id])
    ]


async def test_bots_list_who_reacted_page_by_page(
    bot: commands.Bot, discord_sandbox: DiscordSandbox, guild: SandboxGuild
) -> None:
    sent = await posted_by_bot(bot, guild, "poll")
    message = stored(discord_sandbox, sent)
    voters = [guild.add_member(f"voter{n}") for n in range(3)]
    for voter in voters:
        await voter.react(message, "✅")
    await sent.add_reaction("✅")
    fetched = await sent.channel.fetch_message(sent.id)
    [reaction] = fetched.reactions
    assert (reaction.count, reaction.me) == (4, True)
    everyone = sorted([*(v.id for v in voters), bot.user.id])  # type: ignore[union-attr]
    assert sorted([user.id async for user in reaction.users()]) == everyone
    after = reaction.users(after=discord.Object(everyone[0]))
    assert sorted([user.id async for user in after]) == everyone[1:]
    first_page = [user.id async for user in reaction.users(limit=2)]
    assert sorted(first_page) == everyone[:2], "Discord pages by user id"


async def test_bots_remove_others_reactions_and_clear_them(
    bot: commands.Bot, discord_sandbox: DiscordSandbox, guild: SandboxGuild
) -> None:
    heard: list[str] = []
    for event in ("on_raw_reaction_remove", "on_raw_reaction_clear_emoji", "on_raw_reaction_clear"):

        async def record(_: object, event: str = event) -> None:
            heard.append(event)

        bot.add_listener(record, event)
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    sent = await posted_by_bot(bot, guild, "react here")
    message = stored(discord_sandbox, sent)
    for member in (alice, bob):
        await member.react(message, "👍")
        await member.react(message, "👎")
    target = sent.guild.get_member(alice.id)  # type: ignore[union-attr]
    assert target is not None
    await sent.remove_reaction("👍", target)
    await until(lambda: heard == ["on_raw_reaction_remove"])
    assert [(r.emoji_name, r.user_ids) for r in message.reactions] == [
        ("👍", [bob.id]),
        ("👎", [alice.id, bob.id]),
    ]
    await sent.clear_reaction("👎")
    await until(lambda: heard[-1] == "on_raw_reaction_clear_emoji")
    assert [r.emoji_name for r in message.reactions] == ["👍"]
    await sent.clear_reactions()
    await until(lambda: heard[-1] == "on_raw_reaction_clear")
    assert message.reactions == []


async def test_touching_others_reactions_needs_manage_messages(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    alice = sandbox_guild.add_member("alice")
    async with discord_sandbox.run_client(make_bot(), sandbox_app) as client:
        assert isinstance(client, commands.Bot)
        sent = await posted_by_bot(client, sandbox_guild, "mine")
        message = stored(discord_sandbox, sent)
        await alice.react(message, "👍")
        target = sent.guild.get_member(alice.id)  # type: ignore[union-attr]
        assert target is not None
        for attempt in (
            sent.remove_reaction("👍", target),
            sent.clear_reaction("👍"),
            sent.clear_reactions(),
        ):
            with pytest.raises(discord.Forbidden) as refused:
                await attempt
            assert refused.value.code == 50013
    assert [(r.emoji_name, r.user_ids) for r in message.reactions] == [("👍", [alice.id])]
