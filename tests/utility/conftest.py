"""Fixtures of the Utility Bot's end-to-end tests: one guild with the bot and two members."""

from __future__ import annotations

from pathlib import Path

import pytest
from utility_helpers import Clock

from botfleet.config.schema import Settings
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.fleet import fleet_test_settings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fleet_test_settings("utility", tmp_path)


@pytest.fixture
def app(discord_sandbox: DiscordSandbox) -> Application:
    return discord_sandbox.add_application("Utility Bot")


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, app: Application) -> SandboxGuild:
    return discord_sandbox.create_guild("Language Club", bots=[app])


@pytest.fixture
def alice(guild: SandboxGuild) -> SandboxMember:
    return guild.add_member("alice")


@pytest.fixture
def bob(guild: SandboxGuild) -> SandboxMember:
    return guild.add_member("bob")


@pytest.fixture
def general(guild: SandboxGuild) -> SandboxChannel:
    return guild.channel("general")
