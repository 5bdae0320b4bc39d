"""Fixtures of the Mod Bot's tests: a hand-moved clock, the bot on the stand-in, its guild."""

from __future__ import annotations

import pytest
from mod_commands_helpers import ModGuild, build_mod_guild
from mod_helpers import Clock

from botfleet.sandbox import Application, DiscordSandbox
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    """The Mod Bot on the stand-in (the e2e tests build their own guild beside its own)."""
    return fleet_bot("mod", guild="Mod Home")


@pytest.fixture
def world(discord_sandbox: DiscordSandbox, app: Application) -> ModGuild:
    """The moderated guild of the e2e tests: roles, moderators, members, a modlog channel."""
    return build_mod_guild(discord_sandbox, app)
