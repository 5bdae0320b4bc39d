"""The Spelling Bee Bot end to end: the real discord.py client against the Discord stand-in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.bots.spelling_bee.services.puzzle import Puzzle, word_score
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import Application, DiscordSandbox, Message, SandboxGuild
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until
from botfleet.utils.wording import plural

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
        posted = await (
            await alice.run_command(general, app, "bee", subcommand="today")
        ).wait_for_response()
        assert posted.message is not None and not posted.ephemeral
        [hive] = posted.message.attachments
        assert hive.filename == "hive.png" and hive.data.startswith(b"\x89PNG")
        assert f"[{puzzle.centre.upper()}]" in posted.embeds[0]["description"]
        assert field(posted.message, "Score") == f"0 of {puzzle.max_score}"

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
