"""The reliability tests' stage: the Utility Bot (a reminder, slash commands, chat XP) in the
stand-in, with the plugin's ``alice`` and ``general`` around it."""

from __future__ import annotations

import pytest

from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("utility")
