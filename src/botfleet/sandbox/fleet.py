"""Run the fleet's own bots against the stand-in, for end-to-end tests.

Every bot's end-to-end tests need the same two things: settings that put the bot on a SQLite
file of the test's own and make it ready in a fraction of a second, and a ``FleetBot`` logged
in to the sandbox for the duration of a block. Tests and benchmarks that run bots as processes
give them :func:`bot_process_environment`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from botfleet import get_definition
from botfleet.config.schema import BotSection, DatabaseSection, RateLimitsSection, Settings

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot
    from botfleet.core.definition import BotDefinition
    from botfleet.sandbox.models import Application
    from botfleet.sandbox.server import DiscordSandbox

TEST_READY_TIMEOUT = 0.05
"""guild_ready_timeout for tests: the sandbox sends every guild at once."""


def bot_process_environment(
    api_base: str, directory: Path, config_dir: Path, settings: Mapping[str, str]
) -> dict[str, str]:
    """The environment of a bot process on the stand-in at ``api_base``, run in ``directory``.

    The caller's own tokens, ``BOTFLEET_`` settings and ``.env`` are left out, so only
    ``settings`` (tokens, ``BOTFLEET_...`` values) and the configuration in ``config_dir`` apply.
    """
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith("DISCORD_TOKEN") and not name.startswith("BOTFLEET_")
    }
    environment.update(
        {
            "BOTFLEET_DISCORD__API_BASE": api_base,
            "BOTFLEET_BOT__GUILD_READY_TIMEOUT": str(TEST_READY_TIMEOUT),
            "BOTFLEET_CONFIG_DIR": str(config_dir),
            "BOTFLEET_ENV_FILE": str(directory / "absent.env"),
            **settings,
        }
    )
    return environment


def fleet_test_settings(bot_name: str, directory: Path, **sections: Any) -> Settings:
    """Settings for ``bot_name`` on ``directory/<bot>.db``, quick to get ready, roomy budgets."""
    values: dict[str, Any] = {
        "database": DatabaseSection(
            url=SecretStr(f"sqlite+aiosqlite:///{directory}/{bot_name}.db")
        ),
        "bot": BotSection(
            prefix=get_definition(bot_name).prefix,
            guild_ready_timeout=TEST_READY_TIMEOUT,
            data_dir=str(directory),
        ),
        "rate_limits": RateLimitsSection(commands_per_user=50, time_window=10),
    }
    values.update(sections)
    return Settings(bot_name=bot_name, **values)


@asynccontextmanager
async def run_fleet_bot(
    sandbox: DiscordSandbox,
    app: Application,
    definition: BotDefinition,
    settings: Settings,
    ready_timeout: float | None = None,
) -> AsyncIterator[FleetBot]:
    """A FleetBot logged in to the sandbox as ``app``, with every extension loaded, ready
    within ``ready_timeout`` seconds (the sandbox's default when None)."""
    from botfleet.core.bot import FleetBot  # noqa: PLC0415  (the plugin stays light to import)

    bot = FleetBot(definition, settings)
    waiting = {} if ready_timeout is None else {"ready_timeout": ready_timeout}
    async with sandbox.run_client(bot, app, **waiting):
        assert bot.failed_extensions == {}, f"extensions failed: {bot.failed_extensions}"
        yield bot
