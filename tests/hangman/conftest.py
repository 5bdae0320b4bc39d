"""Fixtures of the Hangman tests: a clock and services on the shared migrated ``database``."""

from __future__ import annotations

from typing import Any

import pytest
from hangman_helpers import Clock, ServiceFactory, one_word_bank

from botfleet.bots.hangman.config import HangmanOptions
from botfleet.bots.hangman.services.games import HangmanService
from botfleet.database import Database
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage
from botfleet.utils.tasks import Preload


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_service(database: Database, clock: Clock) -> ServiceFactory:
    """A service on the test's database with a one-word bank and the test's clock."""

    def make(**overrides: Any) -> HangmanService:
        options = overrides.pop("options", HangmanOptions(inactivity_timeout=60))
        bank = Preload.loaded(overrides.pop("bank", one_word_bank()))
        overrides.setdefault("clock", clock)
        return HangmanService(overrides.pop("database", database), bank, options, **overrides)

    return make


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("hangman", guild="Word Games")
