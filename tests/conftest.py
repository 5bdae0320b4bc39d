"""Shared fixtures: real PostgreSQL databases and Redis key prefixes that each test owns.

Backend tests talk to the real servers of the machine. Each test gets a database or key prefix
of its own and removes it afterwards; nothing created by others is touched. With
``BOTFLEET_REQUIRE_SERVICES=1`` (set by CI) an unreachable server fails the test instead of
skipping it, so CI can never pass by silently skipping the backend tests.

A task whose exception nobody retrieved fails the suite: asyncio reports it only in a log line
when the task is garbage-collected, which is how shutdown tracebacks went unnoticed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import SecretStr

from botfleet.cache import CacheHierarchy, MemoryCache, ResilientRedis
from botfleet.config.schema import CacheSection, DatabaseSection, Settings
from botfleet.database import Database, migrate
from botfleet.database.migrate import sqlite_file_path, upgrade
from botfleet.sandbox.fleet import fleet_test_settings
from required import (
    POSTGRES_ADMIN_URL,
    import_backend,
    missing,
    postgres_admin,
    postgres_database_url,
    unavailable,
)

if TYPE_CHECKING:
    from botfleet.sandbox.pytest_plugin import FleetBotStage

pytest_plugins = ["botfleet.sandbox.pytest_plugin"]

REDIS_URL = os.environ.get("BOTFLEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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


WORKER_REPORTS_KEY = "unretrieved_task_errors"
"""Where a pytest-xdist worker hands its late reports to the controller (``workeroutput``)."""

late_worker_reports: list[str] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Collect the last unreachable tasks; one that failed unseen fails the session.

    Under pytest-xdist each worker collects its own and hands them to the controller, since a
    worker's exit status does not reach the run's; the controller fails the run for all of them.
    """
    already = len(unretrieved_task_errors.reports)
    gc.collect()
    reports = unretrieved_task_errors.reports[already:]
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_REPORTS_KEY] = reports
        return
    reports += late_worker_reports
    if reports:
        sys.stderr.write(
            "\na task's exception was never retrieved (found after the last test):\n\n"
            + "\n\n".join(reports)
            + "\n"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controller keeps what a finished xdist worker found after its last test."""
    late_worker_reports.extend(getattr(node, "workeroutput", {}).get(WORKER_REPORTS_KEY, []))


@pytest.fixture
def program() -> Callable[[str, str], str]:
    """Finds a program on PATH for a test: ``program("espeak-ng", "speaking words")``.

    Missing, the test is skipped, or fails when BOTFLEET_REQUIRE_SERVICES=1 (CI installs it).
    """

    def find(name: str, needed_for: str) -> str:
        path = shutil.which(name)
        if path is None:
            missing(f"{name} is not on PATH; it is needed for {needed_for}")
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
            missing(f"{path} is missing: apt-get install {package}")
        return path

    return find


@pytest.fixture
async def redis_server(program: Callable[[str, str], str]) -> AsyncIterator[Any]:
    """A private ``redis-server`` on a free port that the test may stop, freeze and restart
    (a ``botfleet.sandbox.redis_process.ThrowawayRedis``); the machine's Redis is never touched."""
    redis_process = import_backend("botfleet.sandbox.redis_process")
    server = redis_process.ThrowawayRedis(program("redis-server", "tests that stop Redis"))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


TOUCHED_LOGGERS = ("", "botfleet", "botfleet.tests", "discord", "discord.client", "discord.gateway")
"""Loggers whose level the product's logging set-up (``botfleet run``, the sandbox) changes."""


@pytest.fixture(autouse=True)
def restored_logger_levels() -> Iterator[None]:
    """Put back the loggers' levels a test changed (a command run in-process configures
    logging), so the next test of the worker captures what it expects, not DEBUG lines."""
    levels = {name: logging.getLogger(name).level for name in TOUCHED_LOGGERS}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


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
    asyncpg = import_backend("asyncpg")
    name = f"botfleet_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable("PostgreSQL", exc)
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


def _run_apart(work: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to its end on a loop of its own, whatever loop the test has set up."""
    with ThreadPoolExecutor(max_workers=1) as runner:
        return runner.submit(asyncio.run, work).result()


@pytest.fixture(scope="session")
def sqlite_schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema once per test process.

    Migrating a new file takes one to two seconds; copying this one takes a millisecond. The
    migration tests in tests/database run the real upgrade on empty files.
    """
    path = tmp_path_factory.mktemp("schema") / "template.db"
    _run_apart(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_schema_template() -> Iterator[str]:
    """A PostgreSQL database migrated to the newest schema once per test process, then dropped.

    ``CREATE DATABASE ... TEMPLATE`` copies it in a fraction of the time a migration takes.
    """
    asyncpg = import_backend("asyncpg")
    name = f"botfleet_template_{uuid.uuid4().hex[:12]}"
    try:
        _run_apart(postgres_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable("PostgreSQL", exc)
    try:
        _run_apart(upgrade(postgres_database_url(name)))
        yield name
    finally:
        _run_apart(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def migrated_url(database_url: str, request: pytest.FixtureRequest) -> str:
    """``database_url`` at the newest schema: a copy of the schema template of its engine."""
    sqlite_file = sqlite_file_path(migrate.normalize_database_url(database_url))
    if sqlite_file is not None:
        shutil.copyfile(request.getfixturevalue("sqlite_schema_template"), sqlite_file)
        return database_url
    template: str = request.getfixturevalue("postgres_schema_template")
    name = database_url.rpartition("/")[2]

    async def recreate_from_template() -> None:
        admin = await import_backend("asyncpg").connect(POSTGRES_ADMIN_URL, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE "{name}"')
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await admin.close()

    _run_apart(recreate_from_template())
    return database_url


@pytest.fixture(autouse=True)
def fresh_sqlite_files_from_template(
    monkeypatch: pytest.MonkeyPatch, sqlite_schema_template: Path
) -> None:
    """A bot or sandbox migrating a new SQLite file to the newest schema gets the template's copy.

    Every end-to-end test starts its bots on a new file, and each would run every migration
    (the bots migrate on start). The copy is what that upgrade makes, made once per process by
    the same code; an existing file, a PostgreSQL database or an upgrade to an older revision
    still runs the real migration.
    """
    real_upgrade = migrate.upgrade

    async def upgrade_from_template(url: Any, revision: str = "head") -> None:
        path = sqlite_file_path(migrate.normalize_database_url(url))
        if revision == "head" and path is not None and not path.exists():
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.copyfile, sqlite_schema_template, path)
            return
        await real_upgrade(url, revision)

    monkeypatch.setattr(migrate, "upgrade", upgrade_from_template)


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
    redis_asyncio = import_backend("redis.asyncio")
    client = redis_asyncio.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis_asyncio.RedisError) as exc:
        await client.aclose()
        unavailable("Redis", exc)
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


@pytest.fixture
def backend_settings(
    stage: FleetBotStage, migrated_url: str, request: pytest.FixtureRequest
) -> Settings:
    """The test settings of the bot on ``stage`` (its ``conftest.py`` declares it) on
    ``migrated_url``: SQLite with the memory cache, or PostgreSQL with Redis under the test's
    own prefix, as production pairs them."""
    database = DatabaseSection(url=SecretStr(migrated_url), auto_migrate=False)
    cache = CacheSection()
    if sqlite_file_path(migrate.normalize_database_url(migrated_url)) is None:
        prefix: str = request.getfixturevalue("redis_prefix")  # not from an async test
        cache = CacheSection(redis_url=SecretStr(REDIS_URL), key_prefix=prefix)
    return fleet_test_settings(
        stage.definition.name, stage.directory, database=database, cache=cache
    )


@pytest.fixture
async def make_cache(
    redis_url: str, redis_prefix: str
) -> AsyncIterator[Callable[[bool], Awaitable[CacheHierarchy]]]:
    """``await make_cache(with_redis)``: the cache of one "process", memory only or over the
    real Redis under the test's prefix (processes then share values and invalidations)."""
    made: list[CacheHierarchy] = []

    async def make(with_redis: bool) -> CacheHierarchy:
        redis = ResilientRedis.from_url(redis_url, retry_interval=0.5) if with_redis else None
        cache = CacheHierarchy(MemoryCache(100), redis, key_prefix=redis_prefix, owns_redis=True)
        await cache.start()
        made.append(cache)
        return cache

    yield make
    for cache in made:
        await cache.close()
