"""The entry point shared by ``python -m botfleet.bots.<name>`` and ``botfleet run``.

Start-up failures end in one readable line (logged, so it reaches the log file too) and an
exit status that tells a supervisor whether restarting can help: a refused token or a missing
intent switch cannot be fixed by a restart, an unreachable database might be.
"""

from __future__ import annotations

import asyncio
import logging
import sys

import aiohttp
import discord

from botfleet.config import ConfigError, load_settings, token_variable
from botfleet.core.definition import BotDefinition
from botfleet.core.runner import MissingTokenError, run_bot
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


def run_definition(definition: BotDefinition) -> int:
    """Load the bot's settings, set up logging, and run it; return the process exit status."""
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
    except (MissingTokenError, ConfigError, DatabaseConfigError) as exc:
        log.error("%s", exc)
        return EXIT_CONFIG_ERROR
    except discord.LoginFailure:
        log.error(
            "Discord refused the %s bot's token: copy it again from the Bot page of the "
            "application in the Discord developer portal into %s.",
            definition.name,
            token_variable(definition.name),
        )
        return EXIT_CONFIG_ERROR
    except discord.PrivilegedIntentsRequired:
        log.error(
            "Discord refused the %s bot's intents: switch on the privileged intents it needs "
            "(Message Content; Server Members for the Mod and Utility bots) on the Bot page "
            "of the application in the Discord developer portal.",
            definition.name,
        )
        return EXIT_CONFIG_ERROR
    except TRANSIENT_FAILURES as exc:
        log.error("the %s bot could not start: %s", definition.name, str(exc) or repr(exc))
        return EXIT_FAILURE
    return 0
