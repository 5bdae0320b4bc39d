"""A bot started again in the same process reuses its extension modules as executed, unless a
file changed; the cogs' timer steps wait for readiness and run before the timers start."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from botfleet.bots.hangman.bot import DEFINITION as HANGMAN
from botfleet.core.bot import FleetBot
from botfleet.core.definition import BotDefinition
from botfleet.sandbox import DiscordSandbox
from botfleet.sandbox.fleet import fleet_test_settings, run_fleet_bot

GREETER = """
import discord
from discord import app_commands
from discord.ext import commands

from {package} import counter

counter.executions += 1


class Greeter(commands.Cog):
    @app_commands.command(name="greet", description="Says hello.")
    async def greet(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message({answer!r})

    async def cog_load(self) -> None:
        await self.bot.before_timers_start(self, "probe", self.note_start)

    async def note_start(self) -> None:
        counter.steps.append((self.bot.is_ready(), self.bot.scheduler.running))


async def setup(bot: commands.Bot) -> None:
    greeter = Greeter()
    greeter.bot = bot
    await bot.add_cog(greeter)
"""


@pytest.fixture
def probe_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A package of the test's own: a counter module and an extension that counts its runs."""
    package = f"extension_probe_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "src" / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "counter.py").write_text("executions = 0\nsteps = []\n", encoding="utf-8")
    source = folder / "greeter.py"
    source.write_text(GREETER.format(package=package, answer="hello"), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    return package, source


async def test_a_bot_started_again_does_not_execute_its_extension_again(
    discord_sandbox: DiscordSandbox, tmp_path: Path, probe_package: tuple[str, Path]
) -> None:
    package, source = probe_package
    definition = dataclasses.replace(HANGMAN, extensions=(f"{package}.greeter",))
    settings = fleet_test_settings("hangman", tmp_path)
    app = discord_sandbox.add_application("Hangman Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[app])
    alice, general = guild.add_member("alice"), guild.channel("general")
    counter: Any = importlib.import_module(f"{package}.counter")

    async def greeting() -> str:
        handle = await alice.run_command(general, app, "greet")
        return (await handle.wait_for_response()).content

    for _ in range(2):
        async with run_fleet_bot(discord_sandbox, app, definition, settings):
            assert await greeting() == "hello"
    assert counter.executions == 1, "the second login executed the extension's module again"

    await asyncio.to_thread(
        source.write_text, GREETER.format(package=package, answer="hello again"), encoding="utf-8"
    )
    async with run_fleet_bot(discord_sandbox, app, definition, settings):
        assert await greeting() == "hello again"
    assert counter.executions == 2, "a changed file is executed anew"


@asynccontextmanager
async def timers_started(
    discord_sandbox: DiscordSandbox, tmp_path: Path, definition: BotDefinition[Any]
) -> AsyncIterator[FleetBot]:
    """The bot logged in, once the task that runs the timer steps and starts the timers ended."""
    app = discord_sandbox.add_application("Hangman Bot")
    discord_sandbox.create_guild("Word Games", bots=[app])
    async with run_fleet_bot(
        discord_sandbox, app, definition, fleet_test_settings("hangman", tmp_path)
    ) as bot:
        assert bot._timers_task is not None
        await asyncio.wait_for(bot._timers_task, 10)
        yield bot


async def test_timer_steps_run_once_ready_before_the_timers_start(
    discord_sandbox: DiscordSandbox, tmp_path: Path, probe_package: tuple[str, Path]
) -> None:
    package, _ = probe_package
    definition = dataclasses.replace(HANGMAN, extensions=(f"{package}.greeter",))
    counter: Any = importlib.import_module(f"{package}.counter")

    async with timers_started(discord_sandbox, tmp_path, definition) as bot:
        assert bot.scheduler.running
        assert counter.steps == [(True, False)], "ready first, the timers after the step"

        await bot.reload_extension(f"{package}.greeter")
        assert counter.steps == [(True, False), (True, True)], "a reload runs its step at once"


SPLIT_GREETER = """
import discord
from discord import app_commands
from discord.ext import commands

from {package}.split_greeter.words import GREETING


class SplitGreeter(commands.Cog):
    @app_commands.command(name="greet", description="Says hello.")
    async def greet(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(GREETING)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(SplitGreeter())
"""


async def test_a_changed_submodule_runs_at_the_next_login(
    discord_sandbox: DiscordSandbox, tmp_path: Path, probe_package: tuple[str, Path]
) -> None:
    package, source = probe_package
    folder = source.parent / "split_greeter"
    folder.mkdir()
    (folder / "__init__.py").write_text(SPLIT_GREETER.format(package=package), encoding="utf-8")
    words = folder / "words.py"
    words.write_text("GREETING = 'hello'\n", encoding="utf-8")
    definition = dataclasses.replace(HANGMAN, extensions=(f"{package}.split_greeter",))
    settings = fleet_test_settings("hangman", tmp_path)
    app = discord_sandbox.add_application("Hangman Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[app])
    alice, general = guild.add_member("alice"), guild.channel("general")

    async def greeting() -> str:
        handle = await alice.run_command(general, app, "greet")
        return (await handle.wait_for_response()).content

    async with run_fleet_bot(discord_sandbox, app, definition, settings):
        assert await greeting() == "hello"
    await asyncio.to_thread(words.write_text, "GREETING = 'hello, new code'\n", encoding="utf-8")
    async with run_fleet_bot(discord_sandbox, app, definition, settings):
        assert await greeting() == "hello, new code", "the package imported its old submodule"


@pytest.mark.parametrize(("action", "steps_left"), [("reload", 1), ("unload", 0)])
async def test_a_cog_removed_before_ready_takes_its_timer_step_with_it(
    discord_sandbox: DiscordSandbox,
    tmp_path: Path,
    probe_package: tuple[str, Path],
    action: str,
    steps_left: int,
) -> None:
    package, source = probe_package
    (source.parent / "rearranger.py").write_text(
        f"async def setup(bot):\n    await bot.{action}_extension('{package}.greeter')\n",
        encoding="utf-8",
    )
    definition = dataclasses.replace(
        HANGMAN, extensions=(f"{package}.greeter", f"{package}.rearranger")
    )
    counter: Any = importlib.import_module(f"{package}.counter")

    async with timers_started(discord_sandbox, tmp_path, definition):
        assert counter.steps == [(True, False)] * steps_left, "a removed cog's step ran"
