"""The reliability tests' stage: the Utility Bot (a reminder, slash commands, chat XP) in the
stand-in, with the plugin's ``alice`` and ``general`` around it; a PostgreSQL database of the
test's own behind a proxy the test can cut."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage
from botfleet.sandbox.tcp_proxy import CuttableProxy


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("utility")


@pytest.fixture
async def proxied_url(migrated_url: str) -> AsyncIterator[tuple[str, CuttableProxy]]:
    """The test's migrated PostgreSQL database, reached through a proxy the test can cut."""
    url = make_url(migrated_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(False), proxy
    finally:
        await proxy.close()
