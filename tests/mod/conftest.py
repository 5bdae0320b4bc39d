"""Fixtures of the Mod Bot's tests: a hand-moved clock next to the shared ``database``."""

from __future__ import annotations

import pytest
from mod_helpers import Clock

from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    """The Mod Bot on the stand-in (the e2e tests build their own guild beside its own)."""
    return fleet_bot("mod", guild="Mod Home")
