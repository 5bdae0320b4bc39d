"""What a test needs from the machine: skipped on a laptop without it, never skipped in CI.

With ``BOTFLEET_REQUIRE_SERVICES=1`` (set by ``.ci/run``) a missing library or an unreachable
server fails the test instead, so CI can never pass by silently skipping what it must run.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, NoReturn

import pytest

REQUIRE_SERVICES = os.environ.get("BOTFLEET_REQUIRE_SERVICES") == "1"
POSTGRES_ADMIN_URL = os.environ.get(
    "BOTFLEET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
"""A maintenance connection: tests create and drop databases of their own through it."""


def import_backend(module: str) -> Any:
    """Import a backend client library (or an optional extra's); in CI a missing one fails."""
    if REQUIRE_SERVICES:
        return importlib.import_module(module)
    return pytest.importorskip(module)


def missing(message: str) -> NoReturn:
    """Skip a test whose prerequisite is missing on a laptop; fail it in CI, never skip there."""
    if REQUIRE_SERVICES:
        pytest.fail(message + " (BOTFLEET_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def unavailable(what: str, error: BaseException) -> NoReturn:
    """A server the test needs did not answer."""
    missing(f"{what} is not reachable: {error!r}")


async def postgres_admin(statement: str) -> None:
    """Run one statement (a database created or dropped) over the maintenance connection."""
    connection = await import_backend("asyncpg").connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def postgres_database_url(name: str) -> str:
    """The SQLAlchemy (asyncpg) URL of the database ``name`` on the tests' server."""
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
