"""The entry point shared by ``python -m botfleet.bots.<name>`` and ``botfleet run``.

Start-up failures end in one readable line (logged, so it reaches the log file too) and an
exit status that tells a supervisor whether restarting can help: a refused token or a missing
intent switch cannot be fixed by a restart, an unreachable database might be.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

import aiohttp
import discord

from botfleet.config import ConfigError, load_settings, token_variable
from botfleet.core.definition import BotDefinition
from botfleet.core.runner import MissingTokenError, run_bot, run_together
from botfleet.core.voiceless import voice_libraries_installed, voice_libraries_left_out
from botfleet.database.base import DatabaseConfigError, DatabaseUnavailableError
from botfleet.database.migrate import MigrationError
from botfleet.errors import EXIT_CONFIG_ERROR, BotfleetError
from botfleet.utils.logger import configure_logging

log = logging.getLogger(__name__)

EXIT_FAILURE = 1
"""A failure a restart may cure: the supervisor of `botfleet run` retries it with backoff."""

TRANSIENT_FAILURES: tuple[type[BaseException], ...] = (
    OSError,
    aiohttp.ClientError,
    discord.GatewayNotFound,
    discord.DiscordServerError,
    DatabaseUnavailableError,
    MigrationError,
    BotfleetError,
)
"""Discord or the database unreachable or failing on their side: worth a retry, unlike a
refused token."""

SHARDING_CLOSE_CODES = {
    4010: "a shard id outside the shard count; check --shards against --shard-count",
    4011: "the bot is in too many servers for its shards; raise --shard-count (or leave it "
    "unset, for the count Discord recommends)",
}
"""Gateway close codes for a shard setting a restart cannot fix."""


def run_definition(definition: BotDefinition) -> int:
    """Load the bot's settings, set up logging, and run it; return the process exit status."""
    if voice_libraries_left_out() and voice_libraries_installed():
        # Loaded at a first join: discord.py's "voice will NOT be supported" would be wrong.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    try:
        settings = load_settings(definition.name)
    except ConfigError as exc:
        print(f"botfleet: {exc}", file=sys.stderr)  # noqa: T201  (logging is not set up yet)
        return EXIT_CONFIG_ERROR
    configure_logging(settings, definition.name)
    try:
        asyncio.run(run_bot(definition, settings))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # each known failure has its status and message
        return failure_status(definition.name, exc)
    return 0


def run_definitions_together(definitions: Sequence[BotDefinition]) -> int:
    """``botfleet run --all --one-process``: every bot in this process; the worst status."""
    try:
        fleet = load_settings()
        bots = [(definition, load_settings(definition.name)) for definition in definitions]
    except ConfigError as exc:
        print(f"botfleet: {exc}", file=sys.stderr)  # noqa: T201  (logging is not set up yet)
        return EXIT_CONFIG_ERROR
    configure_logging(fleet, "fleet")
    try:
        ended = asyncio.run(run_together(bots, fleet))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # a shared piece failed: every bot stopped with it
        return failure_status("fleet", exc)
    statuses = [
        0 if error is None else failure_status(name, error) for name, error in ended.items()
    ]
    return max(statuses, default=0)


def failure_status(bot_name: str, exc: BaseException) -> int:
    """Log why ``bot_name`` stopped, in words that say what to do; the exit status it means.

    An unknown failure is raised again, with its traceback.
    """
    if isinstance(exc, MissingTokenError | ConfigError | DatabaseConfigError):
        log.error("%s", exc)
        return EXIT_CONFIG_ERROR
    if isinstance(exc, discord.LoginFailure):
        log.error(
            "Discord refused the %s bot's token: copy it again from the Bot page of the "
            "application in the Discord developer portal into %s.",
            bot_name,
            token_variable(bot_name),
        )
        return EXIT_CONFIG_ERROR
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        log.error(
            "Discord refused the %s bot's intents: switch on the privileged intents it needs "
            "(Message Content; Server Members for the Mod and Utility bots) on the Bot page "
            "of the application in the Discord developer portal.",
            bot_name,
        )
        return EXIT_CONFIG_ERROR
    if isinstance(exc, discord.ConnectionClosed) and exc.code in SHARDING_CLOSE_CODES:
        log.error(
            "Discord refused the %s bot's sharding (close code %d: %s): %s",
            bot_name,
            exc.code,
            exc.reason or "no reason given",
            SHARDING_CLOSE_CODES[exc.code],
        )
        return EXIT_CONFIG_ERROR
    if isinstance(exc, TRANSIENT_FAILURES):
        log.error("the %s bot could not start: %s", bot_name, str(exc) or repr(exc))
        return EXIT_FAILURE
    raise exc
