"""Fixtures of the Utility Bot's end-to-end tests: the bot on the stand-in, and a clock."""

from __future__ import annotations

import pytest
from utility_helpers import Clock

from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("utility", guild="Language Club")
