"""Fixtures of the Mod Bot's tests: a hand-moved clock, the bot on the stand-in, its guild."""

from __future__ import annotations

import pytest
from automod_helpers import empower
from mod_commands_helpers import ModGuild, build_mod_guild
from mod_helpers import Clock

from botfleet.sandbox import Application, DiscordSandbox, SandboxGuild, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    """The Mod Bot in the stand-in, in a guild of its own."""
    return fleet_bot("mod", guild="Moderated Club")


@pytest.fixture
def world(discord_sandbox: DiscordSandbox, app: Application) -> ModGuild:
    """The moderated guild of the commands' e2e tests: roles, moderators, members, a modlog."""
    return build_mod_guild(discord_sandbox, app)


@pytest.fixture
def owner(guild: SandboxGuild, app: Application) -> SandboxMember:
    """The guild's owner, with the Mod Bot given the permissions moderation needs."""
    empower(guild, app)
    return guild.owner
