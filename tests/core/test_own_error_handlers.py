"""Which slash commands answer their own errors, read without discord.py's private methods."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.core.bot import answers_its_own_errors


async def _reply(interaction: discord.Interaction[Any]) -> None:
    """A command body; never run here."""


async def _on_error(
    interaction: discord.Interaction[Any], error: app_commands.AppCommandError
) -> None:
    """An error handler; never run here."""


def plain_command() -> app_commands.Command[Any, ..., None]:
    return app_commands.Command(name="plain", description="No handler", callback=_reply)


def test_a_command_without_a_handler_leaves_its_errors_to_the_tree() -> None:
    assert not answers_its_own_errors(plain_command())


def test_a_command_with_its_own_handler_answers_them() -> None:
    command = plain_command()
    command.error(_on_error)
    assert answers_its_own_errors(command)


def test_a_group_that_overrides_on_error_answers_for_its_commands() -> None:
    class Answering(app_commands.Group):
        async def on_error(
            self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
        ) -> None:
            """Answers for every command of the group."""

    quiet = app_commands.Group(name="quiet", description="No handler")
    quiet_command = plain_command()
    quiet.add_command(quiet_command)
    assert not answers_its_own_errors(quiet_command)

    answering = Answering(name="answering", description="A handler")
    answering_command = plain_command()
    answering.add_command(answering_command)
    assert answers_its_own_errors(answering_command)


def test_a_cog_that_overrides_its_error_hook_answers_for_its_commands() -> None:
    class Quiet(commands.Cog):
        @app_commands.command(description="In a cog without a handler")
        async def hush(self, interaction: discord.Interaction[Any]) -> None:
            """Never run here."""

    class Answering(commands.Cog):
        @app_commands.command(description="In a cog with a handler")
        async def shout(self, interaction: discord.Interaction[Any]) -> None:
            """Never run here."""

        async def cog_app_command_error(
            self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
        ) -> None:
            """Answers for every command of the cog."""

    [hush] = Quiet().get_app_commands()
    [shout] = Answering().get_app_commands()
    assert isinstance(hush, app_commands.Command) and isinstance(shout, app_commands.Command)
    assert not answers_its_own_errors(hush)
    assert answers_its_own_errors(shout)
