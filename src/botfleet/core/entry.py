"""The entry point shared by ``python -m botfleet.bots.<name>`` and ``botfleet run``."""

from __future__ import annotations

import asyncio
import logging
import sys

from botfleet.config import ConfigError, load_settings
from botfleet.core.definition import BotDefinition
from botfleet.core.runner import MissingTokenError, run_bot
from botfleet.errors import EXIT_CONFIG_ERROR
from botfleet.utils.logger import configure_logging


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
    except MissingTokenError as exc:
        logging.getLogger(__name__).error("%s", exc)
        return EXIT_CONFIG_ERROR
    except KeyboardInterrupt:
        return 0
    return 0
