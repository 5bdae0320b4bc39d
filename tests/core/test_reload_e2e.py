"""Hot reload against the stand-in: a changed extension serves its new code on the same
connection, and one that no longer compiles leaves the previous code serving."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from pathlib import Path

import pytest

from botfleet.bots.hangman.bot import DEFINITION as HANGMAN
from botfleet.config.schema import BotSection
from botfleet.core.reload import ExtensionReload
from botfleet.sandbox import DiscordSandbox
from botfleet.sandbox.fleet import TEST_READY_TIMEOUT, fleet_test_settings, run_fleet_bot

GREETER = """
import discord
from discord import app_commands
from discord.ext import commands


class Greeter(commands.Cog):
    @app_commands.command(name="greet", description="Says hello.")
    async def greet(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message({answer!r})


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Greeter())
"""


async def test_a_changed_extension_is_reloaded_in_place(
    discord_sandbox: DiscordSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    package = f"reload_probe_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "src" / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    source = folder / "greeter.py"
    source.write_text(GREETER.format(answer="hello"), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    definition = dataclasses.replace(HANGMAN, extensions=(f"{package}.greeter",))
    settings = fleet_test_settings(
        "hangman",
        tmp_path,
        bot=BotSection(
            prefix="h!", guild_ready_timeout=TEST_READY_TIMEOUT, data_dir=str(tmp_path), reload=True
        ),
    )
    app = discord_sandbox.add_application("Hangman Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[app])
    alice = guild.add_member("alice")
    general = guild.channel("general")

    async def greeting() -> str:
        return (await (await alice.run_command(general, app, "greet")).wait_for_response()).content

    with caplog.at_level(logging.INFO, logger="botfleet.core.reload"):
        async with run_fleet_bot(discord_sandbox, app, definition, settings) as bot:
            assert bot.reloader is not None
            reloads: asyncio.Queue[ExtensionReload] = asyncio.Queue()
            bot.reloader.listeners.append(reloads.put_nowait)
            assert await greeting() == "hello"
            connection = bot.ws

            await asyncio.to_thread(
                source.write_text, GREETER.format(answer="hello again"), encoding="utf-8"
            )
            reloaded = await asyncio.wait_for(reloads.get(), 30)
            assert reloaded == ExtensionReload(f"{package}.greeter")
            assert await greeting() == "hello again"
            assert bot.ws is connection, "the connection is kept"

            broken = GREETER.format(answer="bye").replace("async def greet", "async def greet(")
            await asyncio.to_thread(source.write_text, broken, encoding="utf-8")
            failed = await asyncio.wait_for(reloads.get(), 30)
            assert failed.extension == f"{package}.greeter" and failed.error is not None
            assert await greeting() == "hello again", "the previous code keeps serving"
    messages = [record.getMessage() for record in caplog.records]
    assert f"reloaded {package}.greeter" in messages
    assert f"reloading {package}.greeter failed; its previous code keeps running" in messages
    [failure] = [record for record in caplog.records if "failed" in record.getMessage()]
    assert failure.exc_info is not None and isinstance(failure.exc_info[1], SyntaxError)
