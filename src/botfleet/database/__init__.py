"""Database abstraction: SQLAlchemy async models shared by every bot, sessions and migrations."""

from botfleet.database.base import (
    Base,
    Database,
    DatabaseConfigError,
    DatabaseUnavailableError,
    JSONVariant,
    UTCDateTime,
    changed_rows,
    close_database,
    get_database,
    get_session,
    init_database,
    json_variant,
    normalize_database_url,
)

__all__ = [
    "Base",
    "Database",
    "DatabaseConfigError",
    "DatabaseUnavailableError",
    "JSONVariant",
    "UTCDateTime",
    "changed_rows",
    "close_database",
    "get_database",
    "get_session",
    "init_database",
    "json_variant",
    "normalize_database_url",
]
