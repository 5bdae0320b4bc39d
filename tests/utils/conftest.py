"""Fixtures for the logging tests: whatever a test sets up is torn down (levels are put back
by the root conftest's ``restored_logger_levels``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from botfleet.utils.logger import shutdown_logging


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Undo configure_logging/setup_logger's handlers after the test."""
    yield
    shutdown_logging()
