"""Fixtures of the cache tests: a fake clock and a dead Redis port.

The Redis server the outage tests stop and restart is the suite's ``redis_server``.
"""

from __future__ import annotations

import pytest
from fake_clock import FakeClock

from botfleet.sandbox.redis_process import free_port


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"
