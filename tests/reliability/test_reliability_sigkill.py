"""A Hangman Bot process killed with SIGKILL mid-game and started again: the game goes on from the
last move the member saw acknowledged and is won, and its inactivity timer, due while no process
ran, ends it once after the restart.

The bot runs as a real process against the stand-in (no clean shutdown can save anything for
it); the test reads the stored game from the bot's SQLite file for the secret word.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability_helpers import BotProcess

from botfleet.bots.hangman.services.store import Game, GameStore
from botfleet.database import Database
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionCallbackType,
    InteractionHandle,
    Message,
    SandboxChannel,
    SandboxMember,
)
from botfleet.sandbox.fleet import bot_process_environment

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
WAIT = 60.0


async def stored_game(database: Database, channel_id: int) -> Game:
    """The game the bot stored for the channel, once it has its controls message."""
    async with asyncio.timeout(WAIT):
        while True:
            game = await GameStore(database).in_channel(channel_id)
            if game is not None and game.controls_message_id is not None:
                return game
            await asyncio.sleep(0.05)


@dataclass
class KilledGame:
    """A solo game alice started on a bot process and made one acknowledged move in, after
    which the process was killed with SIGKILL."""

    bot: BotProcess
    app: Application
    alice: SandboxMember
    general: SandboxChannel
    board: Message
    controls: Message
    game: Game
    first: str

    async def press(self, letter: str) -> InteractionHandle:
        message = self.controls if letter == "z" else self.board
        return await self.alice.click(message, f"hangman:{self.game.id}:letter:{letter}")


@pytest.fixture
async def killed_game(
    discord_sandbox: DiscordSandbox, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[KilledGame]:
    app = discord_sandbox.add_application("Hangman Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[app])
    alice = guild.add_member("alice")
    general = guild.channel("general")
    settings = {"HANGMAN_DISCORD_TOKEN": app.token, **getattr(request, "param", {})}
    bot = BotProcess(
        "hangman",
        bot_process_environment(discord_sandbox.url, tmp_path, REPO_CONFIG, settings),
        tmp_path,
    )
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'botfleet.db'}")
    try:
        await bot.start()
        started = await alice.run_command(
            general, app, "hangman", {"solo": True}, subcommand="start"
        )
        board = (await started.wait_for_response()).message
        assert board is not None
        controls = await started.wait_for_followup()
        game = await stored_game(database, general.id)
        killed = KilledGame(
            bot, app, alice, general, board, controls, game, first=game.board.secret[0]
        )
        pressed = await (await killed.press(killed.first)).wait_for_response()
        assert pressed.type is InteractionCallbackType.UPDATE_MESSAGE, pressed.content
        assert await bot.kill() == -signal.SIGKILL
        yield killed
    finally:
        await bot.kill()
        await database.dispose()
    assert "Traceback" not in "".join(bot.output)


async def test_a_game_resumes_after_the_bot_process_is_killed(killed_game: KilledGame) -> None:
    await killed_game.bot.start()
    remaining = sorted(set(killed_game.game.board.secret) - {killed_game.first})
    for letter in remaining[:-1]:
        answer = await (await killed_game.press(letter)).wait_for_response()
        assert answer.type is InteractionCallbackType.UPDATE_MESSAGE, answer.content
    last = await killed_game.press(remaining[-1])
    await last.wait_for_response()
    solved = await last.wait_for_followup()

    assert solved.content.startswith("🎉 Solved!"), solved.content


TIMEOUT_SECONDS = 4


@pytest.mark.parametrize(
    "killed_game", [{"BOTFLEET_OPTIONS__INACTIVITY_TIMEOUT": str(TIMEOUT_SECONDS)}], indirect=True
)
async def test_a_game_whose_timer_fell_due_while_the_bot_was_dead_ends_once_after_restart(
    killed_game: KilledGame,
) -> None:
    await asyncio.sleep(TIMEOUT_SECONDS)  # the timer falls due while no process runs
    await killed_game.bot.start()
    told = await killed_game.general.wait_for_message(
        author=killed_game.app, check=lambda message: message.content.startswith("⌛"), timeout=WAIT
    )
    again = await killed_game.alice.run_command(
        killed_game.general, killed_game.app, "hangman", {"solo": True}, subcommand="start"
    )
    await again.wait_for_followup()

    assert f"**{killed_game.game.board.secret.upper()}**" in told.content
    timed_out = [m for m in killed_game.general.messages() if m.content.startswith("⌛")]
    assert timed_out == [told]
