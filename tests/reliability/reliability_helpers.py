"""Names shared by the reliability tests (kept out of conftest.py, which is not importable)."""

from __future__ import annotations

import asyncio

from botfleet.core.bot import FleetBot
from botfleet.sandbox import SandboxChannel, SandboxMember

WAIT = 20.0


async def chat(bot: FleetBot, member: SandboxMember, channel: SandboxChannel, text: str) -> None:
    """Post as ``member`` and wait until the bot has handled the message."""
    handled = asyncio.create_task(
        bot.wait_for("message", check=lambda message: message.content == text, timeout=WAIT)
    )
    await asyncio.sleep(0)  # the wait listens before the message is posted
    await member.send(channel, text)
    await handled
