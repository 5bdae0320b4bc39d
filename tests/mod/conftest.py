"""Fixtures of the Mod Bot's tests: a hand-moved clock next to the shared ``database``."""

from __future__ import annotations

import pytest
from mod_helpers import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()
