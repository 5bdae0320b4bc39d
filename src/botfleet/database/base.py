"""Declarative base, engine and session management shared by every bot.

One :class:`Database` per process wraps an async engine and its session factory. SQLite (the
development default) gets WAL journaling, enforced foreign keys and a busy timeout on every
connection, and the process's writers take turns (:mod:`botfleet.database.write_gate`);
PostgreSQL (production) goes through asyncpg with a tuned connection pool. The module-level
functions keep the architecture's usage pattern working::

    async with get_session() as session:
        user = await session.get(User, user_id)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Index,
    MetaData,
    Table,
    TextClause,
    event,
    text,
)
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlalchemy.types import TypeDecorator, TypeEngine

from botfleet.config.schema import DatabaseSection, Settings
from botfleet.database.heap import share_arenas_among_sqlite_threads, trim_heap_now_and_then
from botfleet.database.write_gate import install_write_gate

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

    Upsert: TypeAlias = postgresql.Insert | sqlite.Insert
    """An INSERT that takes ``on_conflict_do_*`` (:meth:`Database.upsert`)."""

logger = logging.getLogger(__name__)

Backend = Literal["sqlite", "postgresql"]

SQLITE_DRIVER: Final = "sqlite+aiosqlite"
POSTGRES_DRIVER: Final = "postgresql+asyncpg"
SQLITE_BUSY_TIMEOUT_MS: Final = 5000
"""How long a SQLite writer waits for another process's lock before giving up."""
SQLITE_KEPT_CONNECTIONS: Final = 3
"""Connections to a SQLite file kept open between sessions. More are opened when more sessions
run at once and closed when they end: the pool never makes a session wait, since a writer
waiting its turn (:mod:`botfleet.database.write_gate`) holds a connection, and the writer whose
turn it is may need one more (a store it calls opens a session of its own). Each kept
connection holds a thread, a parsed schema, a page cache and prepared statements."""
SQLITE_PAGE_CACHE_KIB: Final = 256
"""Each connection's page cache (SQLite's default is 2 MiB): the operating system caches the
file too, and under WAL a connection's cache is dropped whenever another one commits."""
SQLITE_STATEMENT_CACHE: Final = 16
"""Prepared statements each connection keeps (the sqlite3 module's default is 128): batched
writes of every size are statements of their own, and a complex one takes tens of KiB."""

NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so migrations can drop or alter them on every backend."""

_URL_ALIASES: Final[dict[str, str]] = {
    "postgres": POSTGRES_DRIVER,
    "postgresql": POSTGRES_DRIVER,
    "postgresql+asyncpg": POSTGRES_DRIVER,
    "sqlite": SQLITE_DRIVER,
    "sqlite+aiosqlite": SQLITE_DRIVER,
}


class Base(DeclarativeBase):
    """Declarative base of every botfleet table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class JSONDocument(TypeDecorator[Any]):
    """JSON on SQLite, JSONB (indexable, compact) on PostgreSQL.

    Chosen once the dialect is known rather than with ``with_variant(JSONB())``, which imports
    the PostgreSQL dialect (and its drivers' modules, about 2 MB) into every SQLite process.
    """

    impl = JSON
    cache_ok = True
    should_evaluate_none = True
    """Python's None is stored as JSON ``null``, as a plain JSON column does."""
    hashable = False

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB  # noqa: PLC0415

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


def json_variant() -> TypeEngine[Any]:
    """JSON on SQLite, JSONB on PostgreSQL (:class:`JSONDocument`): a fresh type per column.

    One shared instance would carry a ``MutableDict.as_mutable`` association made for one
    column to every other column of the type, turning their lists into dicts.
    """
    return JSONDocument()


JSONVariant: TypeEngine[Any] = json_variant()
"""A plain JSON/JSONB column type, for columns that need no change tracking."""


PARTIAL_INDEX_CONDITION: Final = "botfleet_where"
"""The key of a :func:`partial_index`'s condition in its ``info``."""


def partial_index(
    name: str, *columns: str, where: ColumnElement[bool] | TextClause, unique: bool = False
) -> Index:
    """An index of the rows for which ``where`` holds, on SQLite and PostgreSQL.

    SQLite's condition is set here; PostgreSQL's by :meth:`Database.create_schema`, the one
    place the models' DDL is emitted (the migrations spell theirs out). Naming it here as
    ``postgresql_where`` would import the PostgreSQL dialect into every SQLite process.
    """
    return Index(
        name, *columns, unique=unique, sqlite_where=where, info={PARTIAL_INDEX_CONDITION: where}
    )


def _condition_partial_indexes_for_postgresql(metadata: MetaData) -> None:
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.info.get(PARTIAL_INDEX_CONDITION)
            if where is not None:
                index.dialect_kwargs["postgresql_where"] = where


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC, on SQLite as on PostgreSQL.

    SQLite has no time zones and returns naive values; without this, code comparing a stored
    time with ``datetime.now(UTC)`` would work on PostgreSQL and crash on SQLite. Naive values
    written to the database are taken to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return _as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return _as_utc(value)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def changed_rows(result: Any) -> int:
    """Rows an UPDATE or DELETE changed: ``CursorResult.rowcount``, which ``Session.execute``'s
    declared return type does not show."""
    return int(getattr(result, "rowcount", 0))


class DatabaseConfigError(ValueError):
    """The database URL cannot be used; the message tells the operator how to fix it."""


class DatabaseUnavailableError(RuntimeError):
    """The database did not answer; the message names it (password hidden) and the cause."""


def normalize_database_url(url: str | URL) -> URL:
    """Turn the URLs people write (``postgres://``, ``sqlite:///``) into async-driver URLs."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseConfigError(
            "The database URL is not valid; expected something like "
            "'sqlite+aiosqlite:///data/botfleet.db' or 'postgresql://user:pass@host:5432/db'."
        ) from None
    driver = _URL_ALIASES.get(parsed.drivername)
    if driver is None:
        raise DatabaseConfigError(
            f"Database URLs starting with '{parsed.drivername}://' are not supported; "
            "botfleet runs on SQLite ('sqlite:///path/to/file.db') "
            "or PostgreSQL ('postgresql://user:pass@host:5432/db')."
        )
    return parsed.set(drivername=driver)


def sqlite_file_path(url: URL) -> Path | None:
    """The file a SQLite URL points at, or None for in-memory and URI-style databases."""
    if url.get_backend_name() != "sqlite":
        return None
    if url.database in (None, "", ":memory:") or _is_uri_mode(url):
        return None
    return Path(url.database)


def _is_uri_mode(url: URL) -> bool:
    flag = url.query.get("uri", "")
    return str(flag).lower() in ("true", "1")


def display_url(url: str | URL) -> str:
    """The URL as it may appear in logs and messages: the password is masked."""
    return make_url(url).render_as_string(hide_password=True)


def describe_error(exc: BaseException) -> str:
    """The first line of the driver's own message, without SQLAlchemy's wrapping and links."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


class Database:
    """An async engine and its session factory for one database.

    Constructing it does no I/O; call :meth:`prepare` (done by :func:`init_database`) before
    the first connection so a SQLite file's folder exists.
    """

    def __init__(self, url: str | URL, settings: DatabaseSection | None = None) -> None:
        options = settings if settings is not None else DatabaseSection()
        self.url: URL = normalize_database_url(url)
        self.backend: Backend = (
            "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"
        )
        self.engine: AsyncEngine = _create_engine(self.url, options)
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    @classmethod
    def from_settings(cls, settings: DatabaseSection | Settings) -> Database:
        """Build from the ``database`` section of the configuration."""
        section = settings.database if isinstance(settings, Settings) else settings
        return cls(section.url.get_secret_value(), section)

    def __repr__(self) -> str:
        return f"Database({display_url(self.url)!r})"

    async def prepare(self) -> None:
        """Create the folder of a SQLite file, off the event loop; open a server's first
        connection (see :meth:`_first_connection`)."""
        path = sqlite_file_path(self.url)
        if path is None:
            if self.url.get_backend_name() != "sqlite":
                await self._first_connection()
            return
        try:
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        except OSError as exc:
            logger.error("Cannot create the folder of the SQLite database %s: %r", path, exc)
            raise DatabaseUnavailableError(
                f"Cannot create the folder '{path.parent}' for the SQLite database: "
                f"{exc.strerror or exc}"
            ) from exc

    async def _first_connection(self) -> None:
        """Open the engine's first connection alone, before the bot's tasks use it at once.

        SQLAlchemy initialises the dialect on an engine's first connection. In CI, under load,
        that initialisation failed with asyncpg's "cannot switch to state 12; another operation
        is in progress" while eight tasks first used the database together after ready, and all
        of them failed (a member's XP lost). A database not answering yet is no error here: the
        bot starts, and its first use tries again.
        """
        try:
            async with self.engine.connect():
                pass
        except (OSError, SQLAlchemyError) as exc:
            logger.warning(
                "The database did not answer at start (%r); tried again at first use", exc
            )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that is rolled back (if still in a transaction) and closed on exit."""
        async with self.sessionmaker() as session:
            yield session

    def upsert(self, model: type[Any]) -> Upsert:
        """An INSERT of ``model`` that takes this dialect's ON CONFLICT clauses.

        PostgreSQL and SQLite spell ``on_conflict_do_update`` alike but in two dialect modules;
        stores write one statement for both through this. Each module is imported here, by the
        process that uses its backend, not by every process.
        """
        table = cast(Table, model.__table__)
        if self.backend == "postgresql":
            from sqlalchemy.dialects import postgresql  # noqa: PLC0415

            return postgresql.insert(table)
        from sqlalchemy.dialects import sqlite  # noqa: PLC0415

        return sqlite.insert(table)

    async def ping(self) -> float:
        """Run ``SELECT 1`` and return the round trip in seconds; raise if the database is down."""
        started = time.perf_counter()
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (OSError, SQLAlchemyError) as exc:
            logger.warning("Database ping to %s failed: %r", display_url(self.url), exc)
            raise DatabaseUnavailableError(
                f"Cannot reach the database at {display_url(self.url)}: {describe_error(exc)}"
            ) from exc
        return time.perf_counter() - started

    async def create_schema(self) -> None:
        """Create every table of the models directly, skipping migrations.

        Meant for throwaway databases (in-memory SQLite in tests); real databases are set up
        with :func:`botfleet.database.migrate.upgrade` so their revision is recorded. Only the
        migrations create triggers (the leaderboards' rank bucket counts of 0023): ranks and
        board sizes read from such a database are wrong.
        """
        from botfleet.database.models import import_all_models  # noqa: PLC0415  (every bot)

        import_all_models()
        if self.backend == "postgresql":
            _condition_partial_indexes_for_postgresql(Base.metadata)
        async with self.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _create_engine(url: URL, options: DatabaseSection) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, options)
    return create_async_engine(
        url,
        echo=options.echo,
        pool_size=options.pool_size,
        max_overflow=options.max_overflow,
        pool_timeout=options.pool_timeout,
        pool_recycle=options.pool_recycle,
        pool_pre_ping=True,
    )


def _create_sqlite_engine(url: URL, options: DatabaseSection) -> AsyncEngine:
    from botfleet.database.sqlite_threads import make_repeated_stops_wait  # noqa: PLC0415  (aiosqlite only for SQLite)

    make_repeated_stops_wait()
    in_memory = sqlite_file_path(url) is None and not _is_uri_mode(url)
    # An in-memory database lives inside one connection: share that connection.
    pool_arguments: Mapping[str, Any] = (
        {"poolclass": StaticPool}
        if in_memory
        else {"pool_size": SQLITE_KEPT_CONNECTIONS, "max_overflow": -1}
    )
    engine = create_async_engine(
        url,
        echo=options.echo,
        connect_args={"cached_statements": SQLITE_STATEMENT_CACHE},
        **pool_arguments,
    )
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    if not in_memory:
        path = sqlite_file_path(url)
        file = str(path.resolve()) if path is not None else str(url.database)
        install_write_gate(engine, file, timeout=options.pool_timeout)
        share_arenas_among_sqlite_threads()
        event.listen(engine.sync_engine.pool, "checkin", trim_heap_now_and_then)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """Per-connection SQLite settings: they are not stored in the file (except WAL)."""
    cursor = dbapi_connection.cursor()
    try:
        # Wait for other writers first: every later statement may meet a locked file.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # WAL lets readers proceed while one writer commits. The mode is stored in the file,
        # and switching needs a lock another process may hold: only switch when not yet WAL.
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() != "wal":
            _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe under WAL, and much faster
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_PAGE_CACHE_KIB}")  # negative: KiB
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """Switch the file to WAL, unless another connection holds it right now.

    SQLite refuses the switch while another connection writes, without waiting for
    busy_timeout; the mode is stored in the file, so the next connection switches it.
    """
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except Exception as exc:  # the driver's OperationalError; its class depends on the adapter
        if "locked" not in str(exc):
            raise
        logger.debug("SQLite file busy; WAL will be switched on by a later connection")


_database: Database | None = None


async def init_database(
    url_or_settings: str | URL | DatabaseSection | Settings | None = None,
) -> Database:
    """Open the process-wide database (from a URL or the settings) and return it.

    Without an argument the default settings are used (the SQLite file of development). A
    database opened earlier is closed first.
    """
    global _database  # noqa: PLW0603  (the process-wide database is module state by design)
    if isinstance(url_or_settings, DatabaseSection | Settings):
        database = Database.from_settings(url_or_settings)
    elif url_or_settings is None:
        database = Database.from_settings(DatabaseSection())
    else:
        database = Database(url_or_settings)
    await database.prepare()
    if _database is not None:
        logger.info("Replacing the open database %s", display_url(_database.url))
        await _database.dispose()
    _database = database
    logger.info("Database ready: %s (%s)", display_url(database.url), database.backend)
    return database


def get_database() -> Database:
    """The database opened by :func:`init_database`."""
    if _database is None:
        raise RuntimeError(
            "The database is not initialised: call `await init_database(settings)` "
            "at start-up before using get_database() or get_session()."
        )
    return _database


@asynccontextmanager
async def get_session() -> AsyncIterator[AsyncSession]:
    """A session of the process-wide database; commit explicitly, it is closed on exit."""
    async with get_database().session() as session:
        yield session


async def close_database() -> None:
    """Close the process-wide database; safe to call when none is open."""
    global _database
    if _database is None:
        return
    database, _database = _database, None
    await database.dispose()
    logger.info("Database closed: %s", display_url(database.url))
