"""Raid defence: a join-rate detector, gates on new accounts, and raid mode per guild.

The detector and the gates are pure (times and facts in, a decision out). Raid mode is stored
(``mod_defence``): the verification level the guild had before the raid, when it began and
the members it flagged, so a restart in the middle of a raid still ends it properly and the
massban still knows whom to ban.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import update

from botfleet.cache import CacheHierarchy, CacheKeys
from botfleet.database.base import Database, changed_rows
from botfleet.database.models.mod_defence import ModDefence
from botfleet.errors import UserError

MAX_FLAGGED: Final = 1000
"""Members a raid remembers for the massban (Discord's bulk ban takes 200 at a time)."""
HIGHEST_VERIFICATION: Final = 4


class RaidAction(StrEnum):
    """What raid mode does to each member who joins while it lasts."""

    TIMEOUT = "timeout"
    KICK = "kick"
    NOTHING = "nothing"


class RaidSettings(BaseModel):
    """A guild's raid defence; every field has a sensible default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    joins: int = Field(default=10, ge=3, le=200)
    """Joins within ``per_seconds`` that start raid mode."""
    per_seconds: int = Field(default=10, ge=2, le=600)
    min_account_age_days: int = Field(default=0, ge=0, le=365)
    """Accounts younger than this are flagged and acted on at any time (0: no gate)."""
    require_avatar: bool = False
    """Accounts without an avatar are flagged and acted on at any time."""
    action: RaidAction = RaidAction.TIMEOUT
    timeout_minutes: int = Field(default=60, ge=1, le=28 * 24 * 60)
    verification_level: int = Field(default=3, ge=1, le=HIGHEST_VERIFICATION)
    """The level raid mode raises the server to (3: members must be registered 10 minutes)."""
    duration_minutes: int = Field(default=30, ge=5, le=24 * 60)
    """Raid mode ends by itself after this long."""
    alert_channel_id: int | None = None
    """Where the alert goes: the modlog channel of the server."""

    @property
    def timeout(self) -> timedelta:
        return timedelta(minutes=self.timeout_minutes)

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)


def edited_settings(settings: RaidSettings, **changes: Any) -> RaidSettings:
    """The settings with ``changes`` (None values left out), or a :class:`UserError` why not."""
    merged = settings.model_dump() | {
        key: value for key, value in changes.items() if value is not None
    }
    try:
        return RaidSettings.model_validate(merged)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise UserError(f"That can't be used: {where}: {problem['msg']}.") from None


@dataclass(frozen=True, slots=True)
class Joiner:
    """What the gates look at in a member who joined."""

    user_id: int
    account_created: datetime
    has_avatar: bool
    joined_at: datetime


def gate_failure(settings: RaidSettings, joiner: Joiner) -> str | None:
    """Why a joiner fails the account-age or avatar gate, or None."""
    if settings.min_account_age_days:
        age = joiner.joined_at - joiner.account_created
        if age < timedelta(days=settings.min_account_age_days):
            return f"account {age.days} days old (under {settings.min_account_age_days})"
    if settings.require_avatar and not joiner.has_avatar:
        return "no avatar"
    return None


class JoinRateDetector:
    """Remembers each guild's recent join times; says when they come faster than allowed."""

    def __init__(self) -> None:
        self._joins: dict[int, deque[tuple[float, int]]] = {}

    def joined(
        self, guild_id: int, user_id: int, at: float, settings: RaidSettings
    ) -> list[int] | None:
        """Count a join; the members of the burst when it reaches the limit, else None."""
        window = self._joins.setdefault(guild_id, deque(maxlen=200))
        window.append((at, user_id))
        while window and at - window[0][0] > settings.per_seconds:
            window.popleft()
        if len(window) >= settings.joins:
            burst = [member for _, member in window]
            window.clear()
            return burst
        return None


@dataclass(frozen=True, slots=True)
class RaidState:
    """A guild's raid mode as stored."""

    settings: RaidSettings
    since: datetime | None
    restore_level: int | None
    flagged: tuple[int, ...]

    @property
    def active(self) -> bool:
        return self.since is not None


def _raid_state(stored: dict[str, Any]) -> RaidState:
    since = stored.get("since")
    return RaidState(
        RaidSettings.model_validate(stored.get("raid") or {}),
        datetime.fromisoformat(since) if since is not None else None,
        stored.get("restore_level"),
        tuple(stored.get("flagged") or ()),
    )


class RaidStore:
    """Each guild's raid settings and raid mode, in ``mod_defence``.

    ``/raid status`` and every join read the state through the cache; each write drops it in
    every process once committed, and the read-modify-writes (flags, the end) read the row.
    """

    def __init__(self, database: Database, cache: CacheHierarchy | None = None) -> None:
        self.database = database
        self.cache = cache
        # The joins of a raid arrive together: each guild's flagged list is read, changed and
        # written by one of them at a time (a guild is served by one process, its shard's).
        self._flag_edits: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def get(self, guild_id: int) -> RaidState:
        """The guild's raid state, from the cache when it holds it."""
        if self.cache is None:
            return _raid_state(await self._read(guild_id))

        async def load() -> dict[str, Any]:
            return await self._read(guild_id)

        key = CacheKeys.guild_state(guild_id, "raid")
        return _raid_state(await self.cache.get_or_load(key, load, self.cache.ttl.guild_config))

    async def _read(self, guild_id: int) -> dict[str, Any]:
        """The stored state as JSON data (what the cache keeps)."""
        async with self.database.session() as session:
            row = await session.get(ModDefence, guild_id)
        if row is None:
            return {}
        since = row.raid_since.isoformat() if row.raid_since is not None else None
        return {
            "raid": row.raid or {},
            "since": since,
            "restore_level": row.restore_level,
            "flagged": list(row.flagged or ()),
        }

    async def _forget(self, guild_id: int) -> None:
        if self.cache is not None:
            await self.cache.invalidate(CacheKeys.guild_state(guild_id, "raid"))

    async def _upsert(self, guild_id: int, **values: Any) -> None:
        insert = self.database.upsert(ModDefence).values(
            guild_id=guild_id, **({"raid": {}, "flagged": []} | values)
        )
        statement = (
            insert.on_conflict_do_update(index_elements=[ModDefence.guild_id], set_=values)
            if values
            else insert.on_conflict_do_nothing(index_elements=[ModDefence.guild_id])
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()
        await self._forget(guild_id)

    async def save_settings(self, guild_id: int, settings: RaidSettings) -> None:
        await self._upsert(guild_id, raid=settings.model_dump(mode="json"))

    async def start(self, guild_id: int, since: datetime, restore_level: int) -> bool:
        """Enter raid mode unless it is on already; True when this call started it."""
        await self._upsert(guild_id)
        statement = (
            update(ModDefence)
            .where(ModDefence.guild_id == guild_id, ModDefence.raid_since.is_(None))
            .values(raid_since=since, restore_level=restore_level, flagged=[])
        )
        async with self.database.session() as session:
            result = await session.execute(statement)
            started = changed_rows(result) == 1
            await session.commit()
        await self._forget(guild_id)
        return started

    async def flag(self, guild_id: int, user_ids: list[int]) -> tuple[int, ...]:
        """Remember members for the massban (the oldest forgotten past :data:`MAX_FLAGGED`)."""
        async with self._flag_edits[guild_id]:
            state = _raid_state(await self._read(guild_id))
            flagged = list(dict.fromkeys([*state.flagged, *user_ids]))[-MAX_FLAGGED:]
            await self._upsert(guild_id, flagged=flagged)
        return tuple(flagged)

    async def unflag(self, guild_id: int, user_ids: set[int]) -> None:
        async with self._flag_edits[guild_id]:
            state = _raid_state(await self._read(guild_id))
            await self._upsert(
                guild_id, flagged=[user for user in state.flagged if user not in user_ids]
            )

    async def end(self, guild_id: int) -> RaidState | None:
        """Leave raid mode; the state it had (to restore the level), or None if not in one."""
        state = _raid_state(await self._read(guild_id))
        if not state.active:
            return None
        await self._upsert(guild_id, raid_since=None, restore_level=None)
        return state
