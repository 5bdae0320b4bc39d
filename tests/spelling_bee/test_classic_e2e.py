"""The classic spelling bee end to end: the real discord.py client against the Discord stand-in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from botfleet.bots.spelling_bee.commands.classic import PUZZLE_PAUSED
from botfleet.bots.spelling_bee.services.classic import ClassicService, Round
from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionCallbackType,
    Message,
    SandboxChannel,
    SandboxGuild,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage

SettingsFactory = Callable[..., Settings]
ROUND_TITLES = ("🐝 Spelling Bee — word", "🐝 Elimination — round")


def service_of(bot: FleetBot) -> ClassicService:
    """The bot's classic service (the cog's class is imported anew with each bot's extension)."""
    service = getattr(bot.get_cog("Spelling Bee classic"), "service", None)
    assert isinstance(service, ClassicService)
    return service


def round_in(bot: FleetBot, channel: SandboxChannel) -> Round:
    current = service_of(bot).round_in(channel.id)
    assert current is not None
    return current


def is_round(message: Message) -> bool:
    return bool(message.embeds) and str(message.embeds[0].get("title", "")).startswith(ROUND_TITLES)


def button(message: Message, action: str) -> str:
    return next(custom_id for custom_id in message.custom_ids if custom_id.endswith(f":{action}"))


def field(message: Message, name: str) -> str:
    [embed] = message.embeds
    return next(str(item["value"]) for item in embed.get("fields", []) if item["name"] == name)


def input_id(modal: dict[str, Any]) -> str:
    for row in modal["components"]:
        for child in row.get("components", [row.get("component", {})]):
            if child.get("type") == 4:
                return str(child["custom_id"])
    raise AssertionError(f"no text input in {modal}")


def is_reply(message: Message) -> bool:
    return message.referenced_message_id is not None


async def test_a_solo_game_in_text_by_message_and_by_form(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general = guild.channel("general")
    async with stage.running(make_settings(speech=False)) as bot:
        started = await (
            await alice.run_command(
                general,
                app,
                "bee",
                {"difficulty": "easy", "rounds": 2, "lives": 1},
                subcommand="classic",
            )
        ).wait_for_response()
        assert "2 words, 1 life, easy" in started.content
        first = await general.wait_for_message(author=app, check=is_round)
        word = round_in(bot, general).word
        assert first.attachments == [], "no speech: the clues alone"
        assert first.embeds[0]["title"] == "🐝 Spelling Bee — word 1 of 2 · easy"
        description = first.embeds[0]["description"]
        assert "**Definition:**" in description and "No audio" in description
        assert field(first, "Letters") == str(len(word.word))
        assert field(first, "Part of speech") == word.part_of_speech
        assert word.word not in str(first.embeds).casefold(), "the clues never show the word"

        busy = await (
            await bob.run_command(general, app, "bee", subcommand="classic")
        ).wait_for_response()
        assert busy.ephemeral and "already running in this channel" in busy.content
        not_yours = await (await bob.click(first, button(first, "spell"))).wait_for_response()
        assert not_yours.ephemeral and f"This is <@{alice.id}>'s spelling bee" in not_yours.content
        no_audio = await (await alice.click(first, button(first, "hear"))).wait_for_response()
        assert no_audio.ephemeral and "no speech" in no_audio.content

        await bob.send(general, word.word)
        await alice.send(general, "not an answer, just chatting")
        await alice.send(general, "g4rden")
        refused = await general.wait_for_message(author=app, check=is_reply)
        assert "letters A to Z only" in refused.content
        await alice.send(general, word.word.upper())
        verdict = await general.wait_for_message(author=app, check=is_reply)
        assert verdict.content == f"✅ <@{alice.id}> spelled **{word.word.upper()}** right!"

        second = await general.wait_for_message(author=app, check=is_round)
        assert second.embeds[0]["title"] == "🐝 Spelling Bee — word 2 of 2 · easy"
        second_word = round_in(bot, general).word.word
        stale = await (await alice.click(first, button(first, "spell"))).wait_for_response()
        assert stale.ephemeral and "round is over" in stale.content

        opener = await alice.click(second, button(second, "spell"))
        modal = await opener.wait_for_modal()
        assert modal["title"] == "Spell the word"
        wrong = await (
            await alice.submit_modal(opener, {input_id(modal): second_word + "zz"})
        ).wait_for_response()
        assert not wrong.ephemeral
        assert wrong.content.startswith(f"❌ **{second_word.upper()}ZZ** is not it")
        assert f"spelled **{second_word.upper()}**" in wrong.content
        ended = await general.wait_for_message(
            author=app, content=None, check=lambda m: "💀" in m.content
        )
        assert f"<@{alice.id}>: 1 spelled, 1 missed, best run 1" in ended.content

        stats = await (
            await alice.run_command(general, app, "bee", subcommand="stats")
        ).wait_for_response()
        assert stats.message is not None
        assert field(stats.message, "Games played") == "1"
        assert field(stats.message, "Words spelled") == "1 (50%)"
        board = await (
            await bob.run_command(general, app, "bee", subcommand="spellers")
        ).wait_for_response()
        assert board.embeds[0]["description"].startswith(f"**1.** <@{alice.id}> — 1 word,")


async def test_a_round_comes_with_the_spoken_word(
    stage: FleetBotStage,
    program: Callable[[str, str], str],
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    program("espeak-ng", "speaking the classic mode's words")
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general = guild.channel("general")
    async with stage.running(make_settings()) as bot:
        await (
            await alice.run_command(general, app, "bee", subcommand="classic")
        ).wait_for_response()
        posted = await general.wait_for_message(author=app, check=is_round)
        [audio] = posted.attachments
        assert audio.filename.startswith("pronunciation.")
        assert audio.data[:4] in {b"OggS", b"RIFF"}
        assert "No audio" not in posted.embeds[0]["description"]

        again = await (await bob.click(posted, button(posted, "hear"))).wait_for_response()
        assert again.ephemeral and again.message is not None
        assert [item.data for item in again.message.attachments] == [audio.data]
        assert list((Path(bot.state_dir) / "spelling_bee" / "speech").iterdir()), "cached"

        refused = await (
            await bob.run_command(general, app, "bee", subcommand="stop")
        ).wait_for_response()
        assert refused.ephemeral and "or a moderator can stop" in refused.content
        word = round_in(bot, general).word.word
        stopped = await (
            await alice.run_command(general, app, "bee", subcommand="stop")
        ).wait_for_response()
        assert stopped.content.startswith("🛑 **Spelling bee stopped.**")
        assert f"The word was **{word.upper()}**" in stopped.content


async def test_an_elimination_round_with_a_lobby_and_turns(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general = guild.channel("general")
    async with stage.running(make_settings(speech=False)) as bot:
        opened = await (
            await alice.run_command(
                general, app, "bee", {"mode": "elimination", "rounds": 3}, subcommand="classic"
            )
        ).wait_for_response()
        lobby = opened.message
        assert lobby is not None and field(lobby, "Players (1)") == f"<@{alice.id}>"
        alone = await (await alice.click(lobby, button(lobby, "begin"))).wait_for_response()
        assert alone.ephemeral and "at least 2 players" in alone.content

        joined = await (await bob.click(lobby, button(lobby, "join"))).wait_for_response()
        assert joined.type is InteractionCallbackType.UPDATE_MESSAGE
        assert field(lobby, "Players (2)") == f"<@{alice.id}> <@{bob.id}>"
        twice = await (await bob.click(lobby, button(lobby, "join"))).wait_for_response()
        assert twice.ephemeral and "in already" in twice.content
        not_starter = await (await bob.click(lobby, button(lobby, "begin"))).wait_for_response()
        assert not_starter.ephemeral and f"Only <@{alice.id}>" in not_starter.content

        await (await alice.click(lobby, button(lobby, "begin"))).wait_for_response()
        assert "begins" in lobby.content and lobby.custom_ids == []
        first = await general.wait_for_message(author=app, check=is_round)
        assert first.content == f"<@{alice.id}>, your turn!"
        assert first.embeds[0]["title"] == "🐝 Elimination — round 1 of 3 · medium"
        word = round_in(bot, general).word.word

        await bob.send(general, word)
        early = await general.wait_for_message(author=app, check=is_reply)
        assert f"It's <@{alice.id}>'s turn" in early.content
        await alice.send(general, word)
        assert "right!" in (await general.wait_for_message(author=app, check=is_reply)).content

        bobs = await general.wait_for_message(author=app, check=is_round)
        assert bobs.content == f"<@{bob.id}>, your turn!"
        bobs_word = round_in(bot, general).word.word
        await bob.send(general, bobs_word + "q")
        out = await general.wait_for_message(author=app, check=is_reply)
        assert f"🚫 <@{bob.id}> is out." in out.content
        winner = await general.wait_for_message(
            author=app, check=lambda m: "Last one standing" in m.content
        )
        assert winner.content.startswith("🏆 **Last one standing!**")
        assert f"Winner: <@{alice.id}>" in winner.content


async def test_timers_end_a_silent_game_and_an_empty_lobby(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general, quiet = guild.channel("general"), guild.add_text_channel("quiet")
    settings = make_settings(speech=False, round_seconds=0.5, lobby_seconds=0.5)
    async with stage.running(settings) as bot:
        await (
            await alice.run_command(general, app, "bee", subcommand="classic")
        ).wait_for_response()
        await general.wait_for_message(author=app, check=is_round)
        word = round_in(bot, general).word.word
        told = await general.wait_for_message(
            author=app, check=lambda m: m.content.startswith("⌛ Time's up,"), timeout=10
        )
        assert f"The word was **{word.upper()}**" in told.content
        over = await general.wait_for_message(author=app, timeout=10)
        assert over.content.startswith("⌛ **Time's up** — the spelling bee is over.")
        assert (await service_of(bot).stats(guild.id, alice.id)).games_played == 1

        await (
            await alice.run_command(
                quiet, app, "bee", {"mode": "elimination"}, subcommand="classic"
            )
        ).wait_for_response()
        empty = await quiet.wait_for_message(
            author=app, check=lambda m: "Not enough players" in m.content, timeout=10
        )
        assert empty.content.startswith("😴")


async def test_a_classic_game_pauses_the_puzzles_typed_guesses_in_its_channel(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    """One message, one answer: the game in play takes the channel's typed words."""
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general = guild.channel("general")
    async with stage.running(make_settings(speech=False)) as bot:
        puzzle_service = getattr(bot.get_cog("Spelling Bee"), "service", None)
        assert isinstance(puzzle_service, BeeService)
        puzzle = await puzzle_service.puzzle(puzzle_service.today())
        guess = min(puzzle.answers, key=lambda word: (len(word), word))
        await (await alice.run_command(general, app, "bee", subcommand="today")).wait_for_response()
        started = await (
            await alice.run_command(
                general, app, "bee", {"rounds": 2, "lives": 2}, subcommand="classic"
            )
        ).wait_for_response()
        assert PUZZLE_PAUSED in started.content
        await general.wait_for_message(author=app, check=is_round)
        word = round_in(bot, general).word.word

        paused = await bob.send(general, guess)
        typed = await alice.send(general, word)
        verdict = await general.wait_for_message(author=app, check=is_reply)
        assert verdict.content == f"✅ <@{alice.id}> spelled **{word.upper()}** right!"
        await general.wait_for_message(author=app, check=is_round)
        stopped = await (
            await alice.run_command(general, app, "bee", subcommand="stop")
        ).wait_for_response()
        assert not stopped.ephemeral

        resumed = await bob.send(general, guess)
        judged = await general.wait_for_message(author=app, check=is_reply)
        assert judged.referenced_message_id == resumed.id
        assert f"**{guess.upper()}**" in judged.content
    replies = [message.referenced_message_id for message in general.messages() if is_reply(message)]
    assert replies.count(typed.id) == 1
    assert paused.id not in replies
