"""Fixtures for the sandbox's own tests (the sandbox's plugin is loaded by the root conftest)."""

from __future__ import annotations

from collections.abc import Callable

import discord
import pytest
from discord.ext import commands

from botfleet.sandbox import Application, DiscordSandbox, SandboxGuild

__all__ = ["make_bot", "sandbox_app", "sandbox_guild"]


@pytest.fixture
def sandbox_app(discord_sandbox: DiscordSandbox) -> Application:
    """One bot application registered in the sandbox."""
    return discord_sandbox.add_application("Test Bot")


@pytest.fixture
def sandbox_guild(discord_sandbox: DiscordSandbox, sandbox_app: Application) -> SandboxGuild:
    """A guild with the default channels and the test bot in it."""
    return discord_sandbox.create_guild("Sandbox Guild", bots=[sandbox_app])


@pytest.fixture
def make_bot() -> Callable[..., commands.Bot]:
    """Build a real ``commands.Bot`` that gets ready quickly (tiny guild_ready_timeout)."""

    def build(*, message_content: bool = True, members: bool = True) -> commands.Bot:
        intents = discord.Intents.default()
        intents.message_content = message_content
        intents.members = members
        return commands.Bot(
            command_prefix=commands.when_mentioned_or("!"),
            intents=intents,
            guild_ready_timeout=0.05,
            help_command=None,
        )

    return build
