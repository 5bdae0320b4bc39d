"""Schema migrations (Alembic) driven from code: no alembic.ini for users to keep around.

Alembic's command API is synchronous and reads script files, so each command runs in a worker
thread; ``env.py`` opens its own async engine there. Progress is reported through logging
(the ``alembic.runtime.migration`` logger names each revision as it runs).

Alembic (with Mako and Pygments, about 12 MB) is imported only by the functions that migrate
or read revisions: a production bot, which never migrates on start, does not carry it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

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
    return await asyncio.to_thread(_heads)


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
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415  (see the module)

    return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def _heads() -> tuple[str, ...]:
    """Read once per process: the scripts are files of the installed package."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415  (see the module)

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())
