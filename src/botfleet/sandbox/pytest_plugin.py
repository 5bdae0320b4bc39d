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
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from botfleet.sandbox.server import DiscordSandbox


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
