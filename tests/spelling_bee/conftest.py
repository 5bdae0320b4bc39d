"""Fixtures of the Spelling Bee tests: the bot on the stand-in, in a guild of word games."""

from __future__ import annotations

import pytest

from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("spelling_bee", guild="Word Games")
