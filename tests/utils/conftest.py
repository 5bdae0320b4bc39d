"""Fixtures for the logging tests: whatever a test sets up is torn down and levels restored."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from botfleet.utils.logger import shutdown_logging

TOUCHED_LOGGERS = ("", "botfleet", "botfleet.tests", "discord", "discord.gateway")


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Undo configure_logging/setup_logger after the test, so other tests see stock logging."""
    levels = {name: logging.getLogger(name).level for name in TOUCHED_LOGGERS}
    yield
    shutdown_logging()
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
