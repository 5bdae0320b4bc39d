"""Alembic environment for botfleet: migrations run on an async engine, in a worker thread.

:mod:`botfleet.database.migrate` builds the configuration in code and passes the database URL
in ``config.attributes["database_url"]``; there is no alembic.ini to maintain.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from botfleet.database.base import Base, normalize_database_url
from botfleet.database.models import import_all_models

import_all_models()  # every table of every installed bot in Base.metadata

config = context.config


def _database_url() -> URL:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "No database URL for the migrations: use botfleet.database.migrate, "
            "which passes it in config.attributes['database_url']."
        )
    return normalize_database_url(url)


def _run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things: alembic recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _make_sqlite_ddl_transactional(engine: AsyncEngine) -> None:
    """Run SQLite's DDL inside the upgrade's transaction, as PostgreSQL's is.

    The sqlite3 module opens a transaction only before data changes, so each CREATE or ALTER
    committed at once: an upgrade killed halfway left tables its revision did not record, and
    the next ``botfleet db upgrade`` failed on "table already exists". With the module's own
    transaction handling off and BEGIN sent by SQLAlchemy, the upgrade is all or nothing.
    """

    def leave_transactions_to_sqlalchemy(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    def begin(connection: Connection) -> None:
        # IMMEDIATE: take the write lock (waiting for it) before the first read; a deferred
        # transaction that read first fails at once on a file other bots write to.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine.sync_engine, "connect", leave_transactions_to_sqlalchemy)
    event.listen(engine.sync_engine, "begin", begin)


async def _run_async_migrations() -> None:
    # Foreign keys stay off on SQLite here: a batch table rebuild must not cascade deletes.
    engine = create_async_engine(_database_url(), poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        _make_sqlite_ddl_transactional(engine)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise RuntimeError(
        "botfleet migrations run against a live database; offline SQL output is not supported."
    )
asyncio.run(_run_async_migrations())
