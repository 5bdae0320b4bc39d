"""Two bots of the fleet on one SQLite file in the stand-in, for the gamification e2e tests.

The Utility Bot hosts the commands; the Mod Bot (here without extensions of its own) only earns
XP, as any other bot process of the fleet sharing the database does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from botfleet.config.schema import BotSection, DatabaseSection, SchedulerSection, Settings
from botfleet.core.bot import FleetBot
from botfleet.core.definition import BotDefinition, NoOptions
from botfleet.sandbox import Application, DiscordSandbox

MOD = BotDefinition(name="mod", display_name="Mod Bot", prefix="m!", options_model=NoOptions)
"""A second bot without extensions of its own: it only earns XP, it hosts no commands."""


def shared_file_settings(
    directory: Path, bot_name: str, gamification: dict[str, Any], **sections: Any
) -> Settings:
    """One bot's settings on the test's shared SQLite file; XP saved every 50 ms, and timers of
    another process (announcements handed to the host bot) seen within 50 ms."""
    sections.setdefault("scheduler", SchedulerSection(max_sleep=0.05))
    return Settings(
        bot_name=bot_name,
        database=DatabaseSection(url=SecretStr(f"sqlite+aiosqlite:///{directory}/fleet.db")),
        bot=BotSection(prefix="u!", guild_ready_timeout=0.05, data_dir=str(directory / bot_name)),
        gamification={"flush_interval": 0.05, **gamification},
        **sections,
    )


@asynccontextmanager
async def fleet(
    sandbox: DiscordSandbox, *bots: tuple[BotDefinition, Application, Settings]
) -> AsyncIterator[list[FleetBot]]:
    """Every given bot logged in to the stand-in, closed in reverse order afterwards."""
    async with AsyncExitStack() as stack:
        running = []
        for definition, app, settings in bots:
            bot = FleetBot(definition, settings)
            await stack.enter_async_context(sandbox.run_client(bot, app))
            running.append(bot)
        yield running
