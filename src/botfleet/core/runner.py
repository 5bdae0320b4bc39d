"""Run one bot process until Discord disconnects it or SIGTERM/SIGINT asks it to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from botfleet.config import token_variable
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.core.definition import BotDefinition
from botfleet.errors import BotfleetError

log = logging.getLogger(__name__)


class MissingTokenError(BotfleetError):
    """No Discord token is configured for the bot."""

    def __init__(self, bot_name: str) -> None:
        variable = token_variable(bot_name)
        super().__init__(
            f"no Discord token for the {bot_name} bot: set {variable} (or DISCORD_TOKEN) in the "
            "environment or .env; to try the bots without a token, run `botfleet sandbox`."
        )


async def run_bot(definition: BotDefinition, settings: Settings) -> None:
    """Log in and serve until stopped; a signal closes the bot cleanly before returning."""
    if settings.discord.token is None or not settings.discord.token.get_secret_value():
        raise MissingTokenError(definition.name)
    token = settings.discord.token.get_secret_value()
    bot = FleetBot(definition, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with bot:
            serving = asyncio.create_task(bot.start(token), name=f"{definition.name}-gateway")
            stopping = asyncio.create_task(stop.wait(), name=f"{definition.name}-signals")
            done, _ = await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                log.info("%s received a stop signal", definition.name)
                await bot.close()
            else:
                stopping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
