"""Deleting everything botfleet stores about one Discord user, when they ask.

Discord's developer policy obliges bots to honour data-deletion requests. Every service that
stores user data registers a deleter here, once, at import or in ``cog_load``;
:func:`delete_user` runs all of them in one transaction, so a request is honoured completely or
not at all, and returns a report of what each service removed (``botfleet data delete-user ID``
prints it). The shared tables are registered below.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from botfleet import bot_definitions
from botfleet.cache import CacheHierarchy, CacheKeys
from botfleet.config.schema import CacheTTLSection
from botfleet.database.base import (
    Database,
    DatabaseConfigError,
    display_url,
    get_database,
)
from botfleet.database.migrate import current as current_revision
from botfleet.database.migrate import database_exists
from botfleet.database.models import (
    LeaderboardEntry,
    Timer,
    User,
    UserAchievement,
    UserBotStats,
)
from botfleet.errors import BotfleetError
from botfleet.services.premium.rules import Subject
from botfleet.services.premium.service import CACHE_TTL as PREMIUM_CACHE_TTL
from botfleet.services.premium.service import cache_key as premium_cache_key

logger = logging.getLogger(__name__)

UserDataDeleter = Callable[[AsyncSession, int], Awaitable[int]]
"""``async def delete_user_data(session, user_id) -> int``: delete, return the rows removed.

It must not commit: :func:`delete_user` commits once every deleter has succeeded.
"""


class UserDataDeletionError(BotfleetError):
    """One deleter failed, so nothing at all was deleted; the message names the service."""

    def __init__(self, user_id: int, service: str) -> None:
        super().__init__(
            f"Deleting the data of user {user_id} failed in {service!r}; nothing was deleted. "
            "The log has the details; the request can simply be run again."
        )
        self.user_id = user_id
        self.service = service


class DeletionReport(Mapping[str, int]):
    """What one deletion request removed: service name to rows, in the order they ran.

    ``anonymised`` names the services that kept rows a server legitimately needs (moderation
    cases) with the member's personal data replaced, and how many rows each kept.
    """

    def __init__(
        self, user_id: int, deleted: Mapping[str, int], anonymised: Mapping[str, int] | None = None
    ) -> None:
        self.user_id = user_id
        self._deleted = dict(deleted)
        self.anonymised: Mapping[str, int] = dict(anonymised or {})

    def __getitem__(self, service: str) -> int:
        return self._deleted[service]

    def __iter__(self) -> Iterator[str]:
        return iter(self._deleted)

    def __len__(self) -> int:
        return len(self._deleted)

    def __repr__(self) -> str:
        return f"DeletionReport(user_id={self.user_id!r}, deleted={self._deleted!r})"

    @property
    def total(self) -> int:
        """Rows removed across every service."""
        return sum(self._deleted.values())


@dataclass(frozen=True)
class _Registration:
    name: str
    deleter: UserDataDeleter
    last: bool
    anonymises: bool


class PrivacyRegistry:
    """The deleters of every service that keeps user data, by service name."""

    def __init__(self) -> None:
        self._registrations: dict[str, _Registration] = {}

    def register(
        self, name: str, deleter: UserDataDeleter, *, last: bool = False, anonymises: bool = False
    ) -> None:
        """Add ``deleter`` under ``name`` (shown in reports; must be unique).

        Deleters run in registration order; ``last=True`` ones run after all the others, for
        rows other tables point at (the ``users`` row itself). An ``anonymises`` deleter keeps
        its rows and replaces the personal data in them; the rows it returns are reported as
        kept, not deleted.
        """
        if not name.strip():
            raise ValueError("A privacy deleter needs a name: it is shown in deletion reports.")
        if name in self._registrations:
            raise ValueError(f"A privacy deleter named {name!r} is already registered.")
        self._registrations[name] = _Registration(name, deleter, last, anonymises)

    def unregister(self, name: str) -> None:
        """Remove a deleter, e.g. in the ``cog_unload`` of the cog that registered it."""
        if self._registrations.pop(name, None) is None:
            raise KeyError(f"No privacy deleter is named {name!r}.")

    @property
    def names(self) -> tuple[str, ...]:
        """The services' names, in the order their deleters run."""
        return tuple(registration.name for registration in self._ordered())

    def _ordered(self) -> list[_Registration]:
        registrations = list(self._registrations.values())
        return [entry for entry in registrations if not entry.last] + [
            entry for entry in registrations if entry.last
        ]

    async def delete_user(self, database: Database, user_id: int) -> DeletionReport:
        """Run every deleter for ``user_id`` in one transaction and report the rows removed."""
        if user_id <= 0:
            raise ValueError(f"{user_id} is not a Discord user id; they are positive numbers.")
        deleted: dict[str, int] = {}
        anonymised: dict[str, int] = {}
        async with database.session() as session:
            for registration in self._ordered():
                counts = anonymised if registration.anonymises else deleted
                try:
                    counts[registration.name] = await registration.deleter(session, user_id)
                except Exception as exc:
                    logger.exception(
                        "Privacy deleter %r failed for user %d; rolling back the whole request",
                        registration.name,
                        user_id,
                    )
                    raise UserDataDeletionError(user_id, registration.name) from exc
            await session.commit()
        report = DeletionReport(user_id, deleted, anonymised)
        logger.info(
            "Deleted %d rows about user %d: %s; anonymised: %s",
            report.total,
            user_id,
            report,
            dict(report.anonymised),
        )
        return report


async def count_deleted(
    session: AsyncSession, statement: Delete, key: QueryableAttribute[Any]
) -> int:
    """Run a DELETE and count its rows (RETURNING: the async Result type has no rowcount)."""
    returning = statement.returning(key).execution_options(synchronize_session=False)
    return len((await session.execute(returning)).all())


async def _delete_bot_stats(session: AsyncSession, user_id: int) -> int:
    statement = delete(UserBotStats).where(UserBotStats.user_id == user_id)
    return await count_deleted(session, statement, UserBotStats.bot_name)


async def _delete_achievements(session: AsyncSession, user_id: int) -> int:
    statement = delete(UserAchievement).where(UserAchievement.user_id == user_id)
    return await count_deleted(session, statement, UserAchievement.achievement_id)


async def _delete_leaderboard_entries(session: AsyncSession, user_id: int) -> int:
    statement = delete(LeaderboardEntry).where(LeaderboardEntry.user_id == user_id)
    return await count_deleted(session, statement, LeaderboardEntry.id)


async def _delete_timers(session: AsyncSession, user_id: int) -> int:
    # Compared as text: JSON keeps the id as a number or a string depending on the caller.
    statement = delete(Timer).where(Timer.payload["user_id"].as_string() == str(user_id))
    return await count_deleted(session, statement, Timer.id)


async def _delete_user_row(session: AsyncSession, user_id: int) -> int:
    statement = delete(User).where(User.id == user_id)
    return await count_deleted(session, statement, User.id)


registry = PrivacyRegistry()
"""The process-wide registry that :func:`delete_user` runs."""

registry.register("user_bot_stats", _delete_bot_stats)
registry.register("user_achievements", _delete_achievements)
registry.register("leaderboard_entries", _delete_leaderboard_entries)
registry.register("timers", _delete_timers)
registry.register("users", _delete_user_row, last=True)


async def delete_user(user_id: int, *, database: Database | None = None) -> DeletionReport:
    """Delete everything stored about ``user_id`` (the process-wide database by default)."""
    return await registry.delete_user(database if database is not None else get_database(), user_id)


async def forget_cached_member(cache: CacheHierarchy, user_id: int) -> None:
    """Drop every cached copy of a deleted member's data: their records (``user:{id}:…``),
    hot data and premium status, and the leaderboard pages that may list them.

    In this process, in Redis, and through Redis's invalidation channel in every process that
    shares it; a process with only its memory cache learns of the deletion from
    :class:`~botfleet.events_bus.MemberDataDeleted` instead.
    """
    await cache.invalidate(CacheKeys.user(user_id))
    await cache.invalidate_prefix(CacheKeys.member_records(user_id))
    await cache.invalidate(premium_cache_key(Subject.user(user_id)))
    await cache.invalidate_prefix(CacheKeys.all_leaderboards())


def forget_every_cached_member(cache: CacheHierarchy) -> None:
    """Drop every member's data and every leaderboard from this process's memory: the
    deletions announced while its event bus was cut off never reached it."""
    cache.forget_here(CacheKeys.all_users())
    cache.forget_here(CacheKeys.all_leaderboards())


def longest_cached_for(ttl: CacheTTLSection) -> float:
    """Seconds a process that hears of no deletion may still serve the member's cached data."""
    return float(max(ttl.user, ttl.leaderboard, PREMIUM_CACHE_TTL))


SHARED_DATA_SERVICE_MODULES: tuple[str, ...] = (
    "botfleet.gamification.privacy",
    "botfleet.services.ai.privacy",
    "botfleet.services.premium.privacy",
    "botfleet.web.privacy",
)
"""The shared services' modules that register a deleter on import; each bot names its own."""


def data_service_modules() -> tuple[str, ...]:
    """Every module that registers a deleter on import: the shared ones, then each bot's."""
    bots = (module for definition in bot_definitions() for module in definition.privacy_modules)
    return (*SHARED_DATA_SERVICE_MODULES, *bots)


def import_data_services() -> None:
    """Import every module that stores user data, so each has registered its deleter.

    A bot process imports its own; the CLI, which runs outside any bot, needs them all.
    """
    for module in data_service_modules():
        importlib.import_module(module)


async def delete_user_everywhere(database_url: str, user_id: int) -> DeletionReport:
    """Delete everything stored about ``user_id`` in the database at ``database_url``.

    For the ``botfleet data delete-user`` command, which runs outside any bot. Problems with
    the database itself are told apart from a failing service: an unreachable database raises
    :class:`DatabaseUnavailableError`, one without botfleet's tables (a mistyped URL, usually)
    :class:`DatabaseConfigError`, before any deleter runs.
    """
    import_data_services()
    if not await database_exists(database_url):
        raise DatabaseConfigError(
            f"{display_url(database_url)}: no such database file, so it holds no user data: "
            "check database.url (or run this where the bots run)."
        )
    database = Database(database_url)
    try:
        await database.ping()
        if await current_revision(database_url) is None:
            raise DatabaseConfigError(
                f"{display_url(database_url)} has no botfleet tables (it was never migrated), "
                "so it holds no user data: check database.url."
            )
        return await registry.delete_user(database, user_id)
    finally:
        await database.dispose()
