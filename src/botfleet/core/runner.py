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
from botfleet.core.discord_target import point_discord_at
from botfleet.errors import BotfleetError

log = logging.getLogger(__name__)


class MissingTokenError(BotfleetError):
    """No Discord token is configured for the bot."""

    def __init__(self, bot_name: str) -> None:
        super().__init__(
            f"no Discord token for the {bot_name} bot: set {token_variable(bot_name)} (or "
            "DISCORD_TOKEN) in the environment or .env; to try the bots without a token, run "
            "`botfleet sandbox`."
        )


async def run_bot(definition: BotDefinition, settings: Settings) -> None:
    """Log in and serve until stopped; a signal closes the bot cleanly before returning.

    With ``discord.api_base`` set, the bot talks to that Discord stand-in instead of Discord.
    """
    secret = settings.discord.token
    if secret is None or not secret.get_secret_value():
        raise MissingTokenError(definition.name)
    api_base = settings.discord.api_base
    target: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if api_base:
        target = point_discord_at(api_base)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        with target:
            await _serve(FleetBot(definition, settings), secret.get_secret_value(), stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _serve(bot: FleetBot, token: str, stop: asyncio.Event) -> None:
    """Run the gateway until it ends or ``stop`` is set, then close the bot."""
    async with bot:
        serving = asyncio.create_task(bot.start(token), name=f"{bot.name}-gateway")
        stopping = asyncio.create_task(stop.wait(), name=f"{bot.name}-signals")
        done, _ = await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping in done:
            log.info("%s received a stop signal", bot.name)
            await bot.close()
        else:
            stopping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
