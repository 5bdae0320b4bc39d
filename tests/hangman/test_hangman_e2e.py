"""The Hangman Bot end to end: the real discord.py client against the local Discord stand-in."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from botfleet.bots.hangman.commands.game import BUNDLED_UNAVAILABLE
from botfleet.bots.hangman.config import HangmanOptions
from botfleet.bots.hangman.services.game import ALPHABET
from botfleet.bots.hangman.services.games import (
    NEW_LIST_NEEDS_BUNDLED,
    WORDS_UNAVAILABLE,
    HangmanService,
)
from botfleet.bots.hangman.services.store import Game
from botfleet.bots.hangman.services.words import ListPolicy, WordBank
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
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
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until

SettingsFactory = Callable[..., Settings]


def service_of(bot: FleetBot) -> HangmanService:
    """The bot's game service (the cog's class is imported anew with each bot's extension)."""
    service = getattr(bot.get_cog("Hangman"), "service", None)
    assert isinstance(service, HangmanService)
    return service


class Table:
    """A game on screen: its two messages and the stored game (for the secret word)."""

    def __init__(self, bot: FleetBot, board: Message, controls: Message, game: Game) -> None:
        self.bot = bot
        self.board = board
        self.controls = controls
        self.game = game

    @property
    def secret(self) -> str:
        return self.game.board.secret

    def letter_id(self, letter: str) -> str:
        return f"hangman:{self.game.id}:letter:{letter}"

    def message_of(self, letter: str) -> Message:
        return self.controls if letter == "z" else self.board

    async def press(self, member: SandboxMember, letter: str) -> InteractionHandle:
        return await member.click(self.message_of(letter), self.letter_id(letter))

    async def action(self, member: SandboxMember, action: str) -> InteractionHandle:
        return await member.click(self.controls, f"hangman:{self.game.id}:{action}")

    def wrong_letters(self, count: int) -> list[str]:
        """Letters not in the word, from the board message first (Y, X, ... then Z)."""
        order = [*reversed(ALPHABET[:25]), "z"]
        return [letter for letter in order if letter not in self.secret][:count]


async def start(
    bot: FleetBot,
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    **options: Any,
) -> Table:
    handle = await member.run_command(channel, app, "hangman", options, subcommand="start")
    response = await handle.wait_for_response()
    assert response.message is not None and not response.ephemeral, response.content
    controls = await handle.wait_for_followup()
    service = service_of(bot)
    async with asyncio.timeout(5):
        while True:
            game = await service.game_in_channel(channel.id)
            if game is not None and game.controls_message_id == controls.id:
                return Table(bot, response.message, controls, game)
            await asyncio.sleep(0.02)


async def until(sandbox: DiscordSandbox, check: Callable[[], bool], what: str) -> None:
    """Wait for the bot's follow-up edits (a second message is edited after the answer)."""
    await wait_until(
        sandbox, lambda: True if check() else None, timeout=5, describe_failure=lambda: what
    )


def disabled(message: Message, custom_id: str) -> bool:
    component = message.find_component(custom_id)
    assert component is not None, custom_id
    return bool(component.get("disabled"))


def embed_field(message: Message, name: str) -> str:
    """A field of the message's embed ("" while it has none of that name)."""
    [embed] = message.embeds
    values = [str(field["value"]) for field in embed.get("fields", []) if field["name"] == name]
    return values[0] if values else ""


def input_id(modal: dict[str, Any]) -> str:
    for row in modal["components"]:
        for child in row.get("components", [row.get("component", {})]):
            if child.get("type") == 4:
                return str(child["custom_id"])
    raise AssertionError(f"no text input in {modal}")


async def test_start_press_letters_and_win_together(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general = guild.channel("general")
    async with stage.running(make_settings()) as bot:
        table = await start(bot, alice, general, app, category="animals", difficulty="easy")
        [embed] = table.board.embeds
        assert embed["title"] == "🪢 Hangman — Animals · easy"
        assert "_ " * (len(table.secret) - 1) + "_" in embed["description"]
        assert embed_field(table.board, "Lives").endswith("6 left")
        assert embed_field(table.board, "Players") == "Everyone may guess"
        assert [c["label"] for c in table.board.iter_components() if c["type"] == 2] == list(
            "ABCDEFGHIJKLMNOPQRSTUVWXY"
        )
        assert table.controls.custom_ids == [
            table.letter_id("z"),
            f"hangman:{table.game.id}:word",
            f"hangman:{table.game.id}:hint",
            f"hangman:{table.game.id}:quit",
        ]

        [miss] = table.wrong_letters(1)
        answer = await (await table.press(alice, miss)).wait_for_response()
        assert answer.type is InteractionCallbackType.UPDATE_MESSAGE
        assert embed_field(table.board, "Wrong letters") == miss.upper()
        pressed = table.board.find_component(table.letter_id(miss))
        assert pressed is not None and pressed["disabled"] and pressed["style"] == 4

        letters = sorted(set(table.secret))
        for letter in letters[:-1]:
            await (await table.press(bob, letter)).wait_for_response()
        last = await table.press(bob, letters[-1])
        await last.wait_for_response()
        result = await last.wait_for_followup()
        assert result.content.startswith("🎉 Solved!")
        assert f"<@{bob.id}> solved it" in result.content
        unlocked = await general.wait_for_message(
            author=app, check=lambda message: f"<@{bob.id}> unlocked" in message.content
        )
        assert "**First Victory**" in unlocked.content, "XP and achievements via gamification"
        assert table.secret.upper() in result.content
        await until(
            discord_sandbox,
            lambda: all(
                component["disabled"]
                for message in (table.board, table.controls)
                for component in message.iter_components()
                if component["type"] == 2
            ),
            "every button is disabled once the game is over",
        )

        stats = await (
            await bob.run_command(general, app, "hangman", subcommand="stats")
        ).wait_for_response()
        assert stats.message is not None
        assert embed_field(stats.message, "Won") == "1 (100%)"
        board = await (
            await alice.run_command(general, app, "hangman", subcommand="leaderboard")
        ).wait_for_response()
        [ranking] = board.embeds
        assert f"<@{bob.id}>" in ranking["description"]
        assert f"<@{alice.id}>" in ranking["description"]


async def test_solo_game_is_lost_after_six_misses_and_others_may_not_press(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general = guild.channel("general")
    async with stage.running(make_settings()) as bot:
        table = await start(bot, alice, general, app, solo=True)
        assert embed_field(table.board, "Players") == f"Solo game of <@{alice.id}>"

        refused = await (await table.press(bob, table.secret[0])).wait_for_response()
        assert refused.ephemeral
        assert "This is not your game" in refused.content

        misses = table.wrong_letters(6)
        for letter in misses[:-1]:
            await (await table.press(alice, letter)).wait_for_response()
        assert embed_field(table.board, "Lives").endswith("1 left")
        await until(
            discord_sandbox,
            lambda: disabled(table.controls, f"hangman:{table.game.id}:hint"),
            "no hint on the last life",
        )
        last = await table.press(alice, misses[-1])
        await last.wait_for_response()
        result = await last.wait_for_followup()
        assert result.content.startswith("💀 Out of lives")
        assert f"**{table.secret.upper()}**" in result.content
        [embed] = table.board.embeds
        assert table.secret.upper() in embed["description"].replace(" ", "")


async def test_hint_and_guessing_the_word_in_a_form(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with stage.running(make_settings()) as bot:
        table = await start(bot, alice, general, app)
        hint = await table.action(alice, "hint")
        assert (await hint.wait_for_response()).type is InteractionCallbackType.UPDATE_MESSAGE
        await until(
            discord_sandbox,
            lambda: embed_field(table.board, "Lives").endswith("5 left"),
            "a hint costs a life",
        )
        revealed = [
            letter
            for letter in set(table.secret)
            if disabled(table.message_of(letter), table.letter_id(letter))
        ]
        assert len(revealed) == 1, "a hint reveals one letter"

        opener = await table.action(alice, "word")
        modal = await opener.wait_for_modal()
        assert modal["title"] == "Guess the word"
        wrong = await alice.submit_modal(opener, {input_id(modal): "zzzzzq"})
        await wrong.wait_for_response()
        await until(
            discord_sandbox,
            lambda: embed_field(table.board, "Wrong words") == "ZZZZZQ",
            "the wrong word is shown",
        )
        assert embed_field(table.board, "Lives").endswith("4 left")

        opener = await table.action(alice, "word")
        modal = await opener.wait_for_modal()
        right = await alice.submit_modal(opener, {input_id(modal): table.secret.upper()})
        await right.wait_for_response()
        result = await right.wait_for_followup()
        assert result.content.startswith("🎉 Solved!")


async def test_a_members_own_word_challenges_another_member(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice, bob, carol = (guild.add_member(name) for name in ("alice", "bob", "carol"))
    general = guild.channel("general")
    async with stage.running(make_settings()) as bot:
        opener = await alice.run_command(
            general, app, "hangman", {"player": carol}, subcommand="custom"
        )
        modal = await opener.wait_for_modal()
        rude = await alice.submit_modal(opener, {input_id(modal): "Bitch"})
        refused = await rude.wait_for_response()
        assert refused.ephemeral and "without profanity" in refused.content

        opener = await alice.run_command(
            general, app, "hangman", {"player": carol}, subcommand="custom"
        )
        modal = await opener.wait_for_modal()
        submitted = await alice.submit_modal(opener, {input_id(modal): "Sea Lion"})
        board = (await submitted.wait_for_response()).message
        assert board is not None and not board.ephemeral
        controls = await submitted.wait_for_followup()
        assert "SEA" not in str(board.embeds), "the word is not shown"
        assert embed_field(board, "Players") == f"<@{alice.id}> challenges <@{carol.id}>"
        game = await service_of(bot).game_in_channel(general.id)
        assert game is not None
        table = Table(bot, board, controls, game)

        for member, expected in ((alice, "You chose this word"), (bob, "a challenge for")):
            answer = await (await table.press(member, "s")).wait_for_response()
            assert answer.ephemeral and expected in answer.content
        for letter in "sealio":
            await (await table.press(carol, letter)).wait_for_response()
        last = await table.press(carol, "n")
        await last.wait_for_response()
        result = await last.wait_for_followup()
        assert result.content.startswith("🎉 Solved!")
        stats = await service_of(bot).stats(guild.id, carol.id)
        assert stats.played == 0, "a member's word is just for fun"


async def test_a_game_survives_a_restart_of_the_bot(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    settings = make_settings()
    async with stage.running(settings) as bot:
        table = await start(bot, alice, general, app, solo=True)
        first = table.secret[0]
        await (await table.press(alice, first)).wait_for_response()

    async with stage.running(settings) as restarted:
        remaining = sorted(set(table.secret) - {first})
        for letter in remaining[:-1]:
            answer = await (await table.press(alice, letter)).wait_for_response()
            assert answer.type is InteractionCallbackType.UPDATE_MESSAGE, answer.content
        last = await table.press(alice, remaining[-1])
        await last.wait_for_response()
        assert (await last.wait_for_followup()).content.startswith("🎉 Solved!")
        assert (await service_of(restarted).stats(guild.id, alice.id)).won == 1


async def test_an_idle_game_times_out_and_says_the_word(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    async with stage.running(make_settings(inactivity_timeout=0.5)) as bot:
        table = await start(bot, alice, general, app, solo=True)
        told = await general.wait_for_message(
            author=app, check=lambda message: message.content.startswith("⌛"), timeout=10
        )
        assert told.content.startswith("⌛ Timed out")
        assert f"**{table.secret.upper()}**" in told.content
        await until(
            discord_sandbox,
            lambda: all(
                component["disabled"]
                for message in (table.board, table.controls)
                for component in message.iter_components()
                if component["type"] == 2
            ),
            "every button is disabled once the game timed out",
        )
        assert (await service_of(bot).stats(guild.id, alice.id)).played == 1


async def test_server_lists_for_admins_one_game_per_channel_and_stop(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
) -> None:
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general = guild.channel("general")
    owner = guild.owner
    async with stage.running(make_settings()) as bot:
        denied = await (
            await alice.run_command(
                general, app, "hangman", {"list": "bugs", "words": "beetle"}, subcommand="words add"
            )
        ).wait_for_response()
        assert denied.content == "🔒 This command is for admins and above."
        added = await (
            await owner.run_command(
                general,
                app,
                "hangman",
                {"list": "Bugs", "words": "beetle, ladybird, beetle"},
                subcommand="words add",
            )
        ).wait_for_response()
        assert added.ephemeral
        assert added.content.startswith("Added 2 words to “bugs” (family-safe), which has 2")

        unknown = await (
            await alice.run_command(
                general, app, "hangman", {"category": "dragons"}, subcommand="start"
            )
        ).wait_for_response()
        assert unknown.ephemeral and "no category called “dragons”" in unknown.content
        choices = await (
            await alice.autocomplete(
                general, app, "hangman", {"category": "bu"}, focused="category", subcommand="start"
            )
        ).wait_for_choices()
        assert {"name": "bugs", "value": "bugs"} in choices

        table = await start(bot, alice, general, app, category="bugs")
        assert table.secret in {"beetle", "ladybird"}
        assert "(server list)" in table.board.embeds[0]["title"]
        busy = await (
            await bob.run_command(general, app, "hangman", subcommand="start")
        ).wait_for_response()
        assert busy.ephemeral and "already running in this channel" in busy.content

        not_yours = await (
            await bob.run_command(general, app, "hangman", subcommand="stop")
        ).wait_for_response()
        assert not_yours.ephemeral and "or a moderator can end" in not_yours.content
        stopper = await alice.run_command(general, app, "hangman", subcommand="stop")
        assert (await stopper.wait_for_response()).ephemeral
        ended = await stopper.wait_for_followup()
        assert ended.content.startswith("🏳️ Game ended")
        assert await service_of(bot).game_in_channel(general.id) is None

        listing = await (
            await alice.run_command(general, app, "hangman", subcommand="categories")
        ).wait_for_response()
        [embed] = listing.embeds
        fields = {field["name"]: field["value"] for field in embed["fields"]}
        assert "animals" in fields
        assert fields["This server's lists"] == "bugs (2)"
        shown = await (
            await owner.run_command(
                general, app, "hangman", {"list": "bugs"}, subcommand="words show"
            )
        ).wait_for_response()
        assert shown.content == "**2 words** · family-safe:\nbeetle, ladybird"
        deleted = await (
            await owner.run_command(
                general, app, "hangman", {"list": "bugs"}, subcommand="words delete"
            )
        ).wait_for_response()
        assert deleted.content == "Deleted “bugs” and its 2 words."


async def test_an_admin_makes_a_server_list_that_opts_out_of_the_family_safe_policy(
    stage: FleetBotStage, app: Application, guild: SandboxGuild, make_settings: SettingsFactory
) -> None:
    general = guild.channel("general")
    owner = guild.owner
    async with stage.running(make_settings()) as bot:

        async def words(subcommand: str, **options: str) -> str:
            command = await owner.run_command(
                general, app, "hangman", options, subcommand=f"words {subcommand}"
            )
            response = await command.wait_for_response()
            assert response.ephemeral
            return response.content

        refused = await words("add", list="mystery", words="candle, murder")
        assert refused.startswith("“murder”: this list is family-safe")
        assert "policy: open" in refused
        added = await words("add", list="mystery", words="candle, murder", policy="open")
        assert added == "Added 2 words to “mystery” (open (not family-safe)), which has 2 now."
        more = await words("add", list="mystery", words="dagger")
        assert more.startswith("Added 1 word to “mystery” (open (not family-safe))")
        switched = await words("add", list="mystery", words="lamp", policy="safe")
        assert switched.startswith("“mystery” was made open (not family-safe)")
        shown = await words("show", list="mystery")
        assert shown == "**3 words** · open (not family-safe):\ncandle, dagger, murder"
        assert await service_of(bot).list_policy(guild.id, "mystery") is ListPolicy.OPEN

        listing = await (
            await owner.run_command(general, app, "hangman", subcommand="categories")
        ).wait_for_response()
        fields = {field["name"]: field["value"] for field in listing.embeds[0]["fields"]}
        assert fields["This server's lists"] == "mystery (3, open)"


async def test_the_bot_is_ready_before_its_word_lists_are_read_and_a_game_waits_for_them(
    stage: FleetBotStage,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The word lists are read in the background once ready (not at every login): a game
    asked for while they are still being read starts with a word of them once they are."""
    alice, general = guild.add_member("alice"), guild.channel("general")
    release, read = threading.Event(), threading.Event()
    bundled = WordBank.bundled()

    def held() -> WordBank:
        release.wait(5)
        read.set()
        return bundled

    monkeypatch.setattr(WordBank, "bundled", held)
    try:
        async with stage.running(make_settings()) as bot:
            assert not read.is_set(), "readiness waited for the word lists"
            asked = await alice.run_command(
                general, app, "hangman", {"category": "animals"}, subcommand="start"
            )
            await asyncio.sleep(0.3)
            assert asked.response is None, "a game needs the word lists"
            release.set()
            response = await asked.wait_for_response()
            assert response.message is not None and not response.ephemeral, response.content
            await asked.wait_for_followup()
            game = await service_of(bot).game_in_channel(general.id)
            assert game is not None
            level = HangmanOptions().default_difficulty
            assert game.board.secret in bundled.category("animals").words[level]
    finally:
        release.set()


def corrupt_bundled_words(monkeypatch: pytest.MonkeyPatch, directory: Path) -> Path:
    """Make the bundled word file one cut off halfway (a damaged install); return it."""
    corrupt = directory / "words.json"
    corrupt.write_text('{"categories": {"animals": ', encoding="utf-8")
    monkeypatch.setattr(WordBank, "bundled", lambda: WordBank.from_file(corrupt))
    return corrupt


def assert_logged_once(caplog: pytest.LogCaptureFixture, corrupt: Path) -> None:
    """The one error line of the test names the corrupt file."""
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1, [record.getMessage() for record in errors]
    assert errors[0].exc_info is not None and str(corrupt) in str(errors[0].exc_info[1])


async def test_a_corrupt_word_file_is_logged_once_and_each_game_told_the_lists_are_unavailable(
    stage: FleetBotStage,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice, general = guild.add_member("alice"), guild.channel("general")
    corrupt = corrupt_bundled_words(monkeypatch, tmp_path)
    async with stage.running(make_settings()):
        for _ in range(3):
            asked = await alice.run_command(general, app, "hangman", subcommand="start")
            answer = await asked.wait_for_response()
            assert answer.ephemeral
            assert answer.content == WORDS_UNAVAILABLE
    assert_logged_once(caplog, corrupt)


async def test_a_servers_own_lists_still_play_when_the_bundled_word_file_is_corrupt(
    stage: FleetBotStage,
    app: Application,
    guild: SandboxGuild,
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice, owner, general = guild.add_member("alice"), guild.owner, guild.channel("general")
    settings = make_settings()

    async def answer(member: SandboxMember, options: dict[str, str], subcommand: str) -> str:
        asked = await member.run_command(general, app, "hangman", options, subcommand=subcommand)
        response = await asked.wait_for_response()
        assert response.ephemeral, (options, subcommand)
        return response.content

    async with stage.running(settings):
        added = await answer(owner, {"list": "bugs", "words": "beetle, weevil"}, "words add")
        assert added.startswith("Added 2 words to “bugs”"), added

    corrupt = corrupt_bundled_words(monkeypatch, tmp_path)
    async with stage.running(settings) as bot:
        # A game the bundled lists are needed for is refused, naming the lists that still play.
        for options in ({}, {"category": "animals"}, {"category": "dragons"}):
            content = await answer(alice, options, "start")
            assert "this server's own lists still play: bugs." in content, (options, content)
        # The server's lists stay in its admins' hands; only a new list (which must not take a
        # bundled category's name) waits for the bundled lists.
        shown = await answer(owner, {"list": "bugs"}, "words show")
        assert shown == "**2 words** · family-safe:\nbeetle, weevil"
        removed = await answer(owner, {"list": "bugs", "words": "weevil"}, "words remove")
        assert removed == "Removed 1 word from “bugs”."
        more = await answer(owner, {"list": "bugs", "words": "earwig"}, "words add")
        assert more.startswith("Added 1 word to “bugs”"), more
        assert await answer(owner, {"list": "birds", "words": "robin"}, "words add") == (
            NEW_LIST_NEEDS_BUNDLED
        )
        removed = await answer(owner, {"list": "bugs", "words": "earwig"}, "words remove")
        assert removed == "Removed 1 word from “bugs”."
        listing = await (
            await alice.run_command(general, app, "hangman", subcommand="categories")
        ).wait_for_response()
        [embed] = listing.embeds
        assert embed["description"] == BUNDLED_UNAVAILABLE
        assert [field["name"] for field in embed["fields"]] == ["This server's lists"]
        assert embed["fields"][0]["value"] == "bugs (1)"
        choices = await (
            await alice.autocomplete(
                general, app, "hangman", {"category": "b"}, focused="category", subcommand="start"
            )
        ).wait_for_choices()
        assert choices == [{"name": "bugs", "value": "bugs"}]

        table = await start(bot, alice, general, app, category="bugs")
        assert table.secret == "beetle"
        assert "(server list)" in table.board.embeds[0]["title"]
    assert_logged_once(caplog, corrupt)
