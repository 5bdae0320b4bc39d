"""Names shared by the reliability tests (kept out of conftest.py, which is not importable)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from botfleet import get_definition
from botfleet.bots.hangman.services.store import Game, GameStore
from botfleet.config.schema import BotSection, DatabaseSection
from botfleet.core.bot import FleetBot
from botfleet.sandbox import (
    Application,
    InteractionResponse,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.tcp_proxy import CuttableProxy

WAIT = 20.0
PROCESS_WAIT = 60.0
"""How long a bot process has to start (a loaded machine imports slowly)."""
READY = "ready as"
MESSAGE_XP = 100
COMMAND_XP = 5
ON_POSTGRESQL = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]
"""Marks of a module whose tests run on a PostgreSQL database of their own."""


def xp_rates(flush_interval: float) -> dict[str, Any]:
    """One fixed XP amount per message, a cooldown longer than any test, commands worth 5."""
    return {
        "command_xp": COMMAND_XP,
        "message_xp_min": MESSAGE_XP,
        "message_xp_max": MESSAGE_XP,
        "message_cooldown_seconds": 600,
        "flush_interval": flush_interval,
    }


@dataclass
class ProxiedUtility:
    """The Utility Bot's application in a guild with ``general``, its database (PostgreSQL,
    the test's own) reached through ``proxy``."""

    app: Application
    guild: SandboxGuild
    general: SandboxChannel
    url: str
    proxy: CuttableProxy
    directory: Path

    def bot(self, *, password: str | None = None, **sections: Any) -> FleetBot:
        """A Utility Bot on the proxied database (``password`` put in its URL)."""
        url = make_url(self.url).set(password=password) if password else make_url(self.url)
        settings = fleet_test_settings(
            "utility",
            self.directory,
            database=DatabaseSection(url=SecretStr(url.render_as_string(False))),
            bot=BotSection(guild_ready_timeout=0.05, data_dir=str(self.directory)),
            **sections,
        )
        return FleetBot(get_definition("utility"), settings)


async def wait_for_buffered(bot: FleetBot, awards: int) -> None:
    """Wait until the bot holds ``awards`` XP awards not saved yet."""

    async def poll() -> None:
        while bot.gamification.xp.pending_awards < awards:  # noqa: ASYNC110  (no event to await)
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), WAIT)


async def chat(bot: FleetBot, member: SandboxMember, channel: SandboxChannel, text: str) -> None:
    """Post as ``member`` and wait until the bot has handled the message."""
    handled = asyncio.create_task(
        bot.wait_for("message", check=lambda message: message.content == text, timeout=WAIT)
    )
    await asyncio.sleep(0)  # the wait listens before the message is posted
    await member.send(channel, text)
    await handled


class BotProcess:
    """``python -m botfleet.bots.<bot>`` in ``directory``, started and killed by the test;
    its output is read as it comes (a full pipe would stall the bot) and kept."""

    def __init__(self, bot: str, environment: dict[str, str], directory: Path) -> None:
        self.bot = bot
        self.environment = environment
        self.directory = directory
        self.process: asyncio.subprocess.Process | None = None
        self.output: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the bot and wait until it says it is ready."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"botfleet.bots.{self.bot}",
            cwd=self.directory,
            env=self.environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        ready = asyncio.Event()
        self._reader = asyncio.create_task(self._read(self.process, ready))
        try:
            await asyncio.wait_for(ready.wait(), PROCESS_WAIT)
        except TimeoutError:
            raise AssertionError("the bot was not ready:\n" + "".join(self.output)) from None

    async def _read(self, process: asyncio.subprocess.Process, ready: asyncio.Event) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self.output.append(line.decode())
            if READY in self.output[-1]:
                ready.set()

    async def kill(self) -> int:
        """SIGKILL: nothing runs after it, as when the machine loses the process."""
        assert self.process is not None and self._reader is not None
        if self.process.returncode is None:
            self.process.kill()
        status = await self.process.wait()
        await self._reader
        return status


async def start_hangman(
    bot: FleetBot, app: Application, member: SandboxMember, channel: SandboxChannel, **options: Any
) -> tuple[Message, Game, GameStore]:
    """``member`` starts a Hangman game in ``channel``: its board (letters A to Y), the game as
    stored, and the store to read it again."""
    started = await member.run_command(channel, app, "hangman", options, subcommand="start")
    board = (await started.wait_for_response(timeout=WAIT)).message
    assert board is not None
    await started.wait_for_followup(timeout=WAIT)
    store = GameStore(bot.database)
    game = await store.in_channel(channel.id)
    assert game is not None
    return board, game, store


async def banned_and_appealed(
    app: Application,
    owner: SandboxMember,
    banned: SandboxMember,
    channel: SandboxChannel,
    staff: SandboxChannel,
    *,
    reason: str,
    appeal: str,
) -> Message:
    """The Mod Bot's owner sends appeals to ``staff`` and bans ``banned`` for ``reason``, who
    appeals with ``appeal`` through the form the DM's button opens; the appeal as posted."""
    for command, options, subcommand in (
        ("appeals", {"channel": staff}, "channel"),
        ("ban", {"user": banned, "reason": reason}, None),
    ):
        ran = await owner.run_command(channel, app, command, options, subcommand=subcommand)
        await ran.wait_for_message(timeout=WAIT)
    [offer] = banned.dm_with(app).messages()
    opened = await banned.click(offer, offer.custom_ids[0])
    await opened.wait_for_modal(timeout=WAIT)
    sent = await banned.submit_modal(opened, {"appeal_text": appeal})
    await sent.wait_for_response(timeout=WAIT)
    return await staff.wait_for_message(author=app, timeout=WAIT)


async def saved_xp(
    bots: Sequence[FleetBot], guild_id: int, members: Iterable[SandboxMember]
) -> dict[str, int]:
    """Each member's total XP, by name, once every bot has saved the awards it holds."""
    for bot in bots:
        await bot.gamification.xp.flush()
    xp = bots[0].gamification.xp
    return {
        member.user.username: (await xp.profile(member.id, guild_id)).progress.total_xp
        for member in members
    }


REMINDER_DELIVERED = "you asked me to remind you"


async def reminded_of_tea(
    member: SandboxMember, channel: SandboxChannel, app: Application
) -> tuple[InteractionResponse, Message]:
    """``member`` asks the Utility Bot to remind them of tea in a second: its answer, and the
    reminder once delivered."""
    answer = await (
        await member.run_command(channel, app, "remind", {"when": "in 1s", "what": "tea"})
    ).wait_for_response(timeout=WAIT)
    delivered = await channel.wait_for_message(
        author=app, check=lambda message: REMINDER_DELIVERED in message.content, timeout=WAIT
    )
    return answer, delivered
