"""pytest fixtures for tests that run bots against the Discord sandbox.

Enable them for the whole suite with, in the root ``tests/conftest.py``::

    pytest_plugins = ["botfleet.sandbox.pytest_plugin"]

``discord_sandbox`` starts a sandbox, points discord.py at it for the test, and stops it
afterwards; the test errors at teardown if a bot called an endpoint the sandbox lacks, so no
test can pass while its bot silently wandered off the map. Override
``discord_sandbox_options`` (in a module, or with ``pytest.mark.parametrize``) to change the
sandbox's settings, e.g. a shorter interaction deadline, 429s switched on from the start, or
Discord's own, tighter route limits::

    @pytest.mark.parametrize("discord_sandbox_options", [{
        "interaction_deadline": 0.5,
        "forced_rate_limits": [ForcedRateLimit("POST /channels/{channel_id}/messages", 0.2)],
        "route_limits": DISCORD_ROUTE_LIMITS,
    }])

During a test, ``discord_sandbox.force_rate_limit(...)`` switches 429s on and
``discord_sandbox.rate_limit_hits`` lists the ones answered. A bot that joins voice is given
``botfleet.sandbox.SandboxVoiceClient`` as its voice-client class (``channel.connect(cls=...)``
or the bot's own injection point); it plays by reading the audio source and records the frames.

``fleet_bot("hangman")`` sets one bot of the fleet on the stage: its application, a guild it is
in, its test settings and a way to run it. A bot's ``conftest.py`` declares that stage once::

    @pytest.fixture
    def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
        return fleet_bot("hangman", guild="Word Games")

and its tests ask for ``app``, ``guild``, ``settings`` or ``make_settings(**options)``, and run
the bot with ``async with stage.running(settings) as bot``. A module that needs other settings
overrides ``make_settings`` or ``settings``, as pytest lets a closer fixture do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from botfleet.config.schema import Settings
from botfleet.sandbox.fleet import fleet_test_settings, run_fleet_bot
from botfleet.sandbox.server import DiscordSandbox

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot
    from botfleet.core.definition import BotDefinition
    from botfleet.sandbox.models import Application
    from botfleet.sandbox.scripting import SandboxChannel, SandboxGuild, SandboxMember


@pytest.fixture
def discord_sandbox_options() -> dict[str, Any]:
    """Keyword arguments for ``DiscordSandbox.start`` (none: Discord's real limits)."""
    return {}


@pytest.fixture
async def discord_sandbox(discord_sandbox_options: dict[str, Any]) -> AsyncIterator[DiscordSandbox]:
    """A running sandbox that discord.py is pointed at for the duration of the test."""
    sandbox = await DiscordSandbox.start(**discord_sandbox_options)
    try:
        with sandbox.point_discord():
            yield sandbox
    finally:
        await sandbox.stop()
    sandbox.assert_no_unhandled_requests()


class FleetBotStage:
    """One bot of the fleet in the stand-in: its application, a guild it is in, how to run it."""

    def __init__(
        self, sandbox: DiscordSandbox, definition: BotDefinition, directory: Path, guild: str
    ) -> None:
        self.sandbox = sandbox
        self.definition = definition
        self.directory = directory
        self.app: Application = sandbox.add_application(definition.display_name)
        self.guild: SandboxGuild = sandbox.create_guild(guild, bots=[self.app])

    def settings(self, **options: Any) -> Settings:
        """The bot's test settings (a SQLite file in the test's folder) with these options."""
        return fleet_test_settings(self.definition.name, self.directory, options=options)

    def running(self, settings: Settings | None = None) -> AbstractAsyncContextManager[FleetBot]:
        """The bot, started against the stand-in for the ``async with`` block."""
        return run_fleet_bot(self.sandbox, self.app, self.definition, settings or self.settings())


FleetBotFactory = Callable[..., FleetBotStage]


@pytest.fixture
def fleet_bot(discord_sandbox: DiscordSandbox, tmp_path: Path) -> FleetBotFactory:
    """``fleet_bot(name, guild=...)``: the bot ``name`` of the fleet, on the test's stand-in."""

    def stage(name: str, *, guild: str = "Test Server") -> FleetBotStage:
        from botfleet import get_definition  # noqa: PLC0415  (the plugin stays light)

        return FleetBotStage(discord_sandbox, get_definition(name), tmp_path, guild)

    return stage


@pytest.fixture
def app(stage: FleetBotStage) -> Application:
    """The application of the bot on ``stage`` (a fixture each bot's ``conftest.py`` declares)."""
    return stage.app


@pytest.fixture
def guild(stage: FleetBotStage) -> SandboxGuild:
    """The guild the bot on ``stage`` is in."""
    return stage.guild


@pytest.fixture
def make_settings(stage: FleetBotStage) -> Callable[..., Settings]:
    """``make_settings(**options)``: the bot's test settings with these options."""
    return stage.settings


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """The bot's test settings with its default options."""
    return make_settings()


@pytest.fixture
def alice(guild: SandboxGuild) -> SandboxMember:
    """A member of ``guild``."""
    return guild.add_member("alice")


@pytest.fixture
def bob(guild: SandboxGuild) -> SandboxMember:
    """Another member of ``guild``."""
    return guild.add_member("bob")


@pytest.fixture
def general(guild: SandboxGuild) -> SandboxChannel:
    """The ``#general`` channel of ``guild``."""
    return guild.channel("general")
