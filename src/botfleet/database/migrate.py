"""Schema migrations (Alembic) driven from code: no alembic.ini for users to keep around.

Alembic's command API is synchronous and reads script files, so each command runs in a worker
thread; ``env.py`` opens its own async engine there. Progress is reported through logging
(the ``alembic.runtime.migration`` logger names each revision as it runs).

Alembic (with Mako and Pygments, about 12 MB, and every SQL dialect it supports) is imported
only to migrate: where a database stands is read with a plain query of Alembic's version table,
and the newest revisions from the scripts' own ``revision`` lines, so a bot at the newest
revision with ``auto_migrate`` on does not carry it.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from sqlalchemy import column, inspect, select, table
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from botfleet.database.base import (
    DatabaseUnavailableError,
    describe_error,
    display_url,
    normalize_database_url,
    sqlite_file_path,
)

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

Direction = Literal["upgrade", "downgrade"]


class MigrationError(RuntimeError):
    """A migration could not run; the message names the database (password hidden) and why."""


MIGRATIONS_DIRECTORY: Final = Path(__file__).resolve().parent / "migrations"
"""The Alembic script folder shipped inside the package (works from an installed wheel)."""
NOT_REVISIONS: Final = (".#", "__init__")
"""Beginnings of the names of ``.py`` files in ``versions`` Alembic skips (an editor's lock
file, a package marker); its ``_only_source_rev_file`` pattern."""
VERSION_TABLE: Final = "alembic_version"
"""Where Alembic keeps the revision a database is at (its default name; env.py keeps it)."""


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic configuration for botfleet's migrations, optionally bound to a database."""
    from alembic.config import Config  # noqa: PLC0415  (Alembic only when migrating)

    config = Config()
    # configparser treats "%" as interpolation: escape it in the folder path.
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.attributes["database_url"] = normalize_database_url(url).render_as_string(
            hide_password=False
        )
    return config


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (the newest by default)."""
    await _migrate("upgrade", normalize_database_url(url), revision)


async def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database down to ``revision`` ("base" removes every table)."""
    database_url = normalize_database_url(url)
    if not await database_exists(database_url):
        raise MigrationError(
            f"{display_url(database_url)}: no such database file, so there is nothing to "
            "downgrade (check database.url)."
        )
    await _migrate("downgrade", database_url, revision)


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: whether it exists yet, its revision, and the newest ones."""

    exists: bool
    revision: str | None
    heads: tuple[str, ...]

    @property
    def latest(self) -> bool:
        """Whether the schema is at the newest revision the migrations define."""
        return self.revision in self.heads


async def database_exists(url: str | URL) -> bool:
    """False only for a SQLite file not created yet (checking never creates it)."""
    path = sqlite_file_path(normalize_database_url(url))
    return path is None or await asyncio.to_thread(path.exists)


async def schema_state(url: str | URL) -> SchemaState:
    """Read the state of the database at ``url``; raise if a server does not answer."""
    exists = await database_exists(url)
    revision = await current(url) if exists else None
    return SchemaState(exists=exists, revision=revision, heads=await heads())


async def current(url: str | URL) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    database_url = normalize_database_url(url)
    if not await database_exists(database_url):
        return None
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision)
    except (OSError, SQLAlchemyError) as exc:
        logger.warning("Reading the revision of %s failed: %r", display_url(database_url), exc)
        raise DatabaseUnavailableError(
            f"Cannot read the schema revision of {display_url(database_url)}: {describe_error(exc)}"
        ) from exc
    finally:
        await engine.dispose()


async def heads() -> tuple[str, ...]:
    """The newest revision(s) the migration scripts define."""
    return await asyncio.to_thread(_heads_once)


_READING_SCRIPTS = threading.Lock()


def _heads_once() -> tuple[str, ...]:
    """:func:`_heads`, one thread at a time: the bots of a one-process fleet ask at once, and
    CPython 3.11's ``ast.parse`` fails when two threads parse together ("AST constructor
    recursion depth mismatch")."""
    with _READING_SCRIPTS:
        return _heads()


async def _migrate(direction: Direction, url: URL, revision: str) -> None:
    logger.info("Running %s of %s to %s", direction, display_url(url), revision)
    try:
        await asyncio.to_thread(_run_command, direction, url, revision)
    except Exception as exc:
        # The caller gets the reason in MigrationError; the traceback is for debugging only,
        # so a command-line user sees one line, not a stack.
        logger.warning("The %s of %s to %s failed: %s", direction, display_url(url), revision, exc)
        logger.debug("Migration traceback", exc_info=exc)
        raise MigrationError(
            f"Could not {direction} the database {display_url(url)} to '{revision}': "
            f"{describe_error(exc)}"
        ) from exc


def _run_command(direction: Direction, url: URL, revision: str) -> None:
    from alembic import command  # noqa: PLC0415  (Alembic only when migrating)

    config = alembic_config(url)
    if direction == "downgrade":
        command.downgrade(config, revision)
        return
    path = sqlite_file_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(config, revision)


def _current_revision(connection: Connection) -> str | None:
    """The revision in Alembic's version table, None when it has none (never migrated)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    version_table = table(VERSION_TABLE, column("version_num"))
    rows = connection.execute(select(version_table.c.version_num)).scalars().all()
    if len(rows) > 1:
        raise MigrationError(f"{VERSION_TABLE} holds several revisions: {', '.join(rows)}")
    return rows[0] if rows else None


@functools.cache
def _heads(versions: Path = MIGRATIONS_DIRECTORY / "versions") -> tuple[str, ...]:
    """The revisions no script revises, read once per process from the scripts' ``revision``
    and ``down_revision`` lines (the package's own files), of the files Alembic reads."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in sorted(versions.glob("*.py")):
        if script.name.startswith(NOT_REVISIONS):
            continue
        revision, down_revisions = _script_revisions(script)
        revisions.add(revision)
        revised.update(down_revisions)
    return tuple(sorted(revisions - revised))


def _script_revisions(script: Path) -> tuple[str, tuple[str, ...]]:
    """The literal ``revision`` a migration script assigns, and the ones it revises."""
    found: dict[str, object] = {}
    try:
        # Bytes, as Python reads a module: a byte-order mark or coding line is honoured.
        for statement in ast.parse(script.read_bytes(), filename=script.name).body:
            targets: list[ast.expr]
            if isinstance(statement, ast.AnnAssign) and statement.value is not None:
                targets, value = [statement.target], statement.value
            elif isinstance(statement, ast.Assign):
                targets, value = statement.targets, statement.value
            else:
                continue
            for target in targets:
                if isinstance(target, ast.Name) and target.id in {"revision", "down_revision"}:
                    found[target.id] = ast.literal_eval(value)
    except (SyntaxError, ValueError) as exc:
        raise MigrationError(f"{script.name}: revisions not readable: {exc}") from exc
    revision, down = found.get("revision"), found.get("down_revision")
    if not isinstance(revision, str):
        raise MigrationError(f"{script.name}: no revision identifier")
    if down is None or isinstance(down, str):
        return revision, () if down is None else (down,)
    if isinstance(down, list | tuple) and all(isinstance(item, str) for item in down):
        return revision, tuple(down)
    raise MigrationError(f"{script.name}: down_revision is not a revision identifier")
