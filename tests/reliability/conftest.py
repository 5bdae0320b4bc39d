"""The reliability tests' stage: the Utility Bot (a reminder, slash commands, chat XP) in the
stand-in, with the plugin's ``alice`` and ``general`` around it; a PostgreSQL database of the
test's own behind a proxy the test can cut."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from reliability_helpers import ProxiedUtility
from sqlalchemy.engine import make_url

from botfleet import get_definition
from botfleet.sandbox import DiscordSandbox
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage
from botfleet.sandbox.tcp_proxy import CuttableProxy


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("utility")


@pytest.fixture
async def proxied_utility(
    migrated_url: str, discord_sandbox: DiscordSandbox, tmp_path: Path
) -> AsyncIterator[ProxiedUtility]:
    """The Utility Bot's stage on the test's migrated PostgreSQL database, reached through a
    proxy the test can cut."""
    url = make_url(migrated_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    app = discord_sandbox.add_application(get_definition("utility").display_name)
    guild = discord_sandbox.create_guild("Proxied Club", bots=[app])
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    try:
        yield ProxiedUtility(app, guild, guild.channel("general"), proxied, proxy, tmp_path)
    finally:
        await proxy.close()
