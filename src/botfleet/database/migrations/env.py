"""Alembic environment for botfleet: migrations run on an async engine, in a worker thread.

:mod:`botfleet.database.migrate` builds the configuration in code and passes the database URL
in ``config.attributes["database_url"]``; there is no alembic.ini to maintain.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import create_async_engine
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


async def _run_async_migrations() -> None:
    # Foreign keys stay off on SQLite here: a batch table rebuild must not cascade deletes.
    engine = create_async_engine(_database_url(), poolclass=NullPool)
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
