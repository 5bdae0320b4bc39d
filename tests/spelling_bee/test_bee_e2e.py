"""The Spelling Bee Bot end to end: the real discord.py client against the Discord stand-in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import discord

from botfleet.bots.spelling_bee.events.messages import SpellingBeeMessages
from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.bots.spelling_bee.services.puzzle import Puzzle, word_score
from botfleet.bots.spelling_bee.services.store import CHANNEL_STATE
from botfleet.cache.keys import CacheKeys
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import Application, DiscordSandbox, Message, SandboxGuild
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until
from botfleet.utils.wording import plural
from dispatching import tasks_dispatching

SettingsFactory = Callable[..., Settings]


async def todays_puzzle(bot: FleetBot) -> Puzzle:
    service = getattr(bot.get_cog("Spelling Bee"), "service", None)
    assert isinstance(service, BeeService)
    return await service.puzzle(service.today())


def field(message: Message, name: str) -> str:
    [embed] = message.embeds
    return next(str(item["value"]) for item in embed.get("fields", []) if item["name"] == name)


def is_reply(message: Message) -> bool:
    return message.referenced_message_id is not None


def short_non_pangram(puzzle: Puzzle) -> str:
    return min(puzzle.answers - puzzle.pangrams, key=lambda word: (len(word), word))


async def test_today_guess_status_and_hints(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general = guild.channel("general")
    async with stage.running(make_settings()) as bot:
        puzzle = await todays_puzzle(bot)
        asked = await alice.run_command(general, app, "bee", subcommand="today")
        message = await asked.wait_for_message()  # acknowledged first on a busy machine
        assert asked.response is not None and not asked.response.ephemeral
        [hive] = message.attachments
        assert hive.filename == "hive.png" and hive.data.startswith(b"\x89PNG")
        assert f"[{puzzle.centre.upper()}]" in message.embeds[0]["description"]
        assert field(message, "Score") == f"0 of {puzzle.max_score}"

        word = short_non_pangram(puzzle)
        accepted = await (
            await bob.run_command(general, app, "bee", {"word": word}, subcommand="guess")
        ).wait_for_response()
        assert not accepted.ephemeral
        assert accepted.content.startswith(f"✅ **{word.upper()}**")

        again = await (
            await alice.run_command(general, app, "bee", {"word": word}, subcommand="guess")
        ).wait_for_response()
        assert again.ephemeral and "already found" in again.content

        [pangram, *_] = sorted(puzzle.pangrams)
        found = await (
            await alice.run_command(general, app, "bee", {"word": pangram}, subcommand="guess")
        ).wait_for_response()
        assert "PANGRAM" in found.content

        missing = puzzle.outer[0]
        short = await (
            await alice.run_command(general, app, "bee", {"word": missing * 4}, subcommand="guess")
        ).wait_for_response()
        assert short.ephemeral and "centre letter" in short.content

        status = await (
            await bob.run_command(general, app, "bee", subcommand="status")
        ).wait_for_response()
        assert status.message is not None
        assert word.upper() in field(status.message, "Found (2)")
        assert pangram.upper() in field(status.message, "Found (2)")

        hints = await (
            await bob.run_command(general, app, "bee", subcommand="hints")
        ).wait_for_response()
        assert hints.ephemeral
        assert hints.message is not None
        expected = " ".join(
            f"{pair.upper()}-{count}"
            for pair, count in puzzle.two_letter_starts([word, pangram]).items()
        )
        assert field(hints.message, "Two-letter starts") == expected
        assert f"{len(puzzle.answers) - 2} words left" in hints.embeds[0]["description"]

        board = await (
            await alice.run_command(general, app, "bee", subcommand="leaderboard")
        ).wait_for_response()
        [ranking] = board.embeds
        assert ranking["description"].startswith(f"**1.** <@{alice.id}>")
        assert (
            f"**2.** <@{bob.id}> — {plural(word_score(word), 'point')}, 1 word"
            in ranking["description"]
        )

        shuffled = await (
            await bob.run_command(general, app, "bee", subcommand="shuffle")
        ).wait_for_response()
        assert shuffled.ephemeral and shuffled.message is not None
        assert len(shuffled.message.attachments) == 1


async def test_plain_messages_in_the_puzzle_channel_are_guesses(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general, other = guild.channel("general"), guild.add_text_channel("chat")
    async with stage.running(make_settings()) as bot:
        puzzle = await todays_puzzle(bot)
        await (await alice.run_command(general, app, "bee", subcommand="today")).wait_for_response()
        word = short_non_pangram(puzzle)

        await alice.send(other, word)
        await alice.send(general, "hello everyone, nice puzzle today")
        await alice.send(general, word)
        verdict = await general.wait_for_message(author=app, check=is_reply)
        assert verdict.content.startswith(f"✅ **{word.upper()}**")
        await alice.send(general, "qq")
        verdict = await general.wait_for_message(author=app, check=is_reply)
        assert "**QQ**" in verdict.content
        assert [
            message.content for message in other.messages() if message.author.id != alice.id
        ] == []


async def test_chat_costs_the_bee_no_task_per_message(
    stage: FleetBotStage,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    """discord.py runs each ``on_message`` listener in a task of its own: the puzzle's and the
    classic game's are message hooks, so chat that is no guess costs the bot no task."""
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with stage.running(make_settings()) as bot:
        await (await alice.run_command(general, app, "bee", subcommand="today")).wait_for_response()
        sent = await alice.send(general, "hello everyone, nice puzzle today")
        channel = bot.get_channel(general.id)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.fetch_message(sent.id)
        with_cogs = tasks_dispatching(bot, "message", message)
        for name in ("Spelling Bee messages", "Spelling Bee classic events"):
            assert await bot.remove_cog(name) is not None
        without_cogs = tasks_dispatching(bot, "message", message)
    assert with_cogs == without_cogs


async def leaves_work(bot: FleetBot, cog: SpellingBeeMessages, sent: Message) -> bool:
    """Whether the message hook leaves a task's work for ``sent`` (closed unrun here)."""
    channel = bot.get_channel(sent.channel_id)
    assert isinstance(channel, discord.TextChannel)
    work = cog.hear_message(await channel.fetch_message(sent.id))
    if work is None:
        return False
    work.close()
    return True


async def test_a_word_outside_the_puzzle_channel_costs_no_task(
    stage: FleetBotStage,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    """The puzzle channel comes from memory: a one-word message in another channel is no
    guess, and the hook tells so at once, leaving no work for a task (so no query)."""
    alice = guild.add_member("alice")
    general, other = guild.channel("general"), guild.add_text_channel("chat")
    async with stage.running(make_settings()) as bot:
        await (await alice.run_command(general, app, "bee", subcommand="today")).wait_for_response()
        cog = bot.get_cog("Spelling Bee messages")
        assert isinstance(cog, SpellingBeeMessages)
        assert await cog.service.channel_of(guild.id) == general.id  # now known in memory
        assert not await leaves_work(bot, cog, await alice.send(other, "table"))


async def test_a_word_in_a_server_without_a_puzzle_channel_costs_no_task_once_read(
    stage: FleetBotStage,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    """A server that never set a puzzle channel is read once, then remembered to have none
    outside the cache's memory tier: its next one-word messages cost no task (so no query)."""
    alice, general = guild.add_member("alice"), guild.channel("general")
    async with stage.running(make_settings()) as bot:
        cog = bot.get_cog("Spelling Bee messages")
        assert isinstance(cog, SpellingBeeMessages)
        assert bot.cache is not None
        held = len(bot.cache.memory)
        assert await cog.service.channel_of(guild.id) is None  # what the first word's task reads
        assert len(bot.cache.memory) <= held + 1
        assert bot.cache.in_memory(CacheKeys.guild_state(guild.id, CHANNEL_STATE)) is None
        assert not await leaves_work(bot, cog, await alice.send(general, "table"))


async def test_daily_post_for_admins_and_pangram_achievement(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice, owner = guild.add_member("alice"), guild.owner
    general = guild.channel("general")
    async with stage.running(make_settings()) as bot:
        puzzle = await todays_puzzle(bot)
        denied = await (
            await alice.run_command(general, app, "bee", {"at": "08:00"}, subcommand="daily")
        ).wait_for_response()
        assert denied.content == "🔒 This command is for admins and above."

        bad = await (
            await owner.run_command(general, app, "bee", {"at": "25:00"}, subcommand="daily")
        ).wait_for_response()
        assert bad.ephemeral and "HH:MM" in bad.content

        service = getattr(bot.get_cog("Spelling Bee"), "service", None)
        assert isinstance(service, BeeService)
        real_clock = service.clock
        moments = iter([datetime(2020, 1, 1, tzinfo=UTC)])
        service.clock = lambda: next(moments, None) or real_clock()
        armed = await (
            await owner.run_command(general, app, "bee", {"at": "00:01"}, subcommand="daily")
        ).wait_for_response()
        assert armed.ephemeral and "every day at 00:01 UTC" in armed.content
        posted = await general.wait_for_message(
            author=app, check=lambda message: bool(message.attachments)
        )
        assert posted.embeds[0]["title"].startswith("🐝 Spelling Bee")

        [pangram, *_] = sorted(puzzle.pangrams)
        await alice.send(general, pangram)
        verdict = await general.wait_for_message(author=app, check=is_reply)
        assert "PANGRAM" in verdict.content

        def unlocked() -> Message | None:
            return next(
                (
                    message
                    for message in general.messages()
                    if f"<@{alice.id}> unlocked **Pangram Hunter**" in message.content
                ),
                None,
            )

        await wait_until(
            discord_sandbox, unlocked, timeout=5, describe_failure=lambda: "no Pangram Hunter"
        )
