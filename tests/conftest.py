"""Shared fixtures: real PostgreSQL databases and Redis key prefixes that each test owns.

Backend tests talk to the real servers of the machine. Each test gets a database or key prefix
of its own and removes it afterwards; nothing created by others is touched. With
``BOTFLEET_REQUIRE_SERVICES=1`` (set by CI) an unreachable server fails the test instead of
skipping it, so CI can never pass by silently skipping the backend tests.

A task whose exception nobody retrieved fails the suite: asyncio reports it only in a log line
when the task is garbage-collected, which is how shutdown tracebacks went unnoticed.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from botfleet.database import Database
from botfleet.database.migrate import upgrade

pytest_plugins = ["botfleet.sandbox.pytest_plugin"]

POSTGRES_ADMIN_URL = os.environ.get(
    "BOTFLEET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
"""A maintenance connection: tests create and drop databases of their own through it."""
REDIS_URL = os.environ.get("BOTFLEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("BOTFLEET_REQUIRE_SERVICES") == "1"


def _import_backend(module: str) -> Any:
    """Import a backend client library; in CI a missing one fails instead of skipping."""
    if REQUIRE_SERVICES:
        return importlib.import_module(module)
    return pytest.importorskip(module)


def _missing(message: str) -> NoReturn:
    """Skip a test whose prerequisite is missing on a laptop; fail it in CI, never skip there."""
    if REQUIRE_SERVICES:
        pytest.fail(message + " (BOTFLEET_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def _unavailable(what: str, error: BaseException) -> NoReturn:
    _missing(f"{what} is not reachable: {error!r}")


class UnretrievedTaskErrors(logging.Handler):
    """Keeps asyncio's "Task exception was never retrieved" reports, from any event loop."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reports: list[str] = []
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if "exception was never retrieved" in record.getMessage():
            self.reports.append(self.format(record))


unretrieved_task_errors = UnretrievedTaskErrors()


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger("asyncio").addHandler(unretrieved_task_errors)


@pytest.fixture(autouse=True)
def no_unretrieved_task_exception() -> Iterator[None]:
    """Fail the test during which asyncio reported a task's exception that nobody retrieved.

    asyncio reports it when the task is garbage-collected: usually in the test that made it,
    sometimes a little later (a reference cycle waits for the collector), so the report names
    the task's coroutine. Collecting after every test would pin it down, at a tenth of a second
    a test; the end of the session collects once instead, see ``pytest_sessionfinish``.
    """
    already = len(unretrieved_task_errors.reports)
    yield
    reports = unretrieved_task_errors.reports[already:]
    if reports:
        pytest.fail(
            "a task's exception was never retrieved (reported while this test ran):\n\n"
            + "\n\n".join(reports),
            pytrace=False,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Collect the last unreachable tasks; one that failed unseen fails the session."""
    already = len(unretrieved_task_errors.reports)
    gc.collect()
    reports = unretrieved_task_errors.reports[already:]
    if reports:
        sys.stderr.write(
            "\na task's exception was never retrieved (found after the last test):\n\n"
            + "\n\n".join(reports)
            + "\n"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def program() -> Callable[[str, str], str]:
    """Finds a program on PATH for a test: ``program("espeak-ng", "speaking words")``.

    Missing, the test is skipped, or fails when BOTFLEET_REQUIRE_SERVICES=1 (CI installs it).
    """

    def find(name: str, needed_for: str) -> str:
        path = shutil.which(name)
        if path is None:
            _missing(f"{name} is not on PATH; it is needed for {needed_for}")
        return path

    return find


@pytest.fixture
def system_data() -> Callable[[str, str], Path]:
    """Finds data a Debian package installs: ``system_data("/usr/share/wordnet", "wordnet-base")``.

    Missing, the test is skipped, or fails when BOTFLEET_REQUIRE_SERVICES=1 (CI installs it).
    """

    def find(location: str, package: str) -> Path:
        path = Path(location)
        if not path.exists():
            _missing(f"{path} is missing: apt-get install {package}")
        return path

    return find


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Keep the developer's own .env and BOTFLEET_ variables out of every test."""
    for name in list(os.environ):
        if name.startswith("BOTFLEET_") and not name.startswith("BOTFLEET_TEST_"):
            monkeypatch.delenv(name, raising=False)
    for name in (
        "DISCORD_TOKEN",
        "DATABASE_URL",
        "REDIS_URL",
        "SENTRY_DSN",
        "OPENAI_API_KEY",
        "DISCORD_CLIENT_ID",
        "DISCORD_CLIENT_SECRET",
        "TOKEN_ENCRYPTION_KEYS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOTFLEET_ENV_FILE", str(tmp_path / "absent.env"))
    yield


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database (SQLAlchemy asyncpg URL), dropped after the test."""
    asyncpg = _import_backend("asyncpg")
    name = f"botfleet_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        _unavailable("PostgreSQL", exc)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    try:
        yield base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of the test's own: a SQLite file, or one on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'botfleet.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """``database_url`` migrated to the newest schema."""
    await upgrade(database_url)
    return database_url


@pytest.fixture
async def database(migrated_url: str) -> AsyncIterator[Database]:
    """The migrated database, opened; closed after the test."""
    opened = Database(migrated_url)
    try:
        yield opened
    finally:
        await opened.dispose()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own on the real Redis; its keys are deleted afterwards."""
    redis_asyncio = _import_backend("redis.asyncio")
    client = redis_asyncio.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis_asyncio.RedisError) as exc:
        await client.aclose()
        _unavailable("Redis", exc)
    prefix = f"botfleet-test:{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
def redis_url() -> str:
    """The URL of the machine's Redis server, for tests that pair it with ``redis_prefix``."""
    return REDIS_URL
