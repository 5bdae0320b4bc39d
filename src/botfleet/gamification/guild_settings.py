"""Each guild's XP rules: rates, cooldown, no-XP channels and roles, announcements, role mode.

A guild stores only what its administrators changed (``guild_xp_settings``, NULL = default);
:class:`GuildXPConfig` is that row merged with the fleet's :class:`GamificationOptions`. The
hot path reads it from the cache hierarchy (memory first), so a message costs no database
round trip; a change is written under the row's lock and invalidated in every process. While the
memory tier holds a guild's overrides, :meth:`GuildSettingsService.cached` hands back the config
merged from that very object, so the hot path neither awaits nor merges per message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.cache import CacheHierarchy, CacheKeys
from botfleet.database.base import Database
from botfleet.database.models.gamification import GuildXPSettings
from botfleet.errors import UserError
from botfleet.gamification.options import (
    MAX_AWARD,
    MAX_COOLDOWN_SECONDS,
    AnnouncementMode,
    GamificationOptions,
    RoleRewardMode,
)

MAX_EXCLUDED: Final = 100
"""No-XP channels (and, separately, roles) a guild may list."""

OUTCOME_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")


class GamificationSettingsError(UserError):
    """A setting an administrator asked for cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class GuildXPConfig:
    """The XP rules in force in one guild."""

    guild_id: int
    enabled: bool
    message_xp_min: int
    message_xp_max: int
    message_cooldown_seconds: int
    command_xp: int
    game_xp: Mapping[str, int]
    no_xp_channel_ids: frozenset[int]
    no_xp_role_ids: frozenset[int]
    announcement_mode: AnnouncementMode
    announcement_channel_id: int | None
    role_reward_mode: RoleRewardMode

    def earns_xp(self, channel_id: int | None, role_ids: Collection[int]) -> bool:
        """Whether activity in ``channel_id`` by a member with ``role_ids`` earns XP here."""
        if not self.enabled or channel_id in self.no_xp_channel_ids:
            return False
        return self.no_xp_role_ids.isdisjoint(role_ids)

    def game_xp_for(self, outcome: str) -> int:
        """XP for a game outcome here (0 for outcomes nobody configured)."""
        return self.game_xp.get(outcome, 0)


def _overrides(row: GuildXPSettings | None) -> dict[str, Any]:
    """The row as JSON data for the cache: only what the guild set."""
    if row is None:
        return {}
    values = {
        "enabled": row.enabled,
        "message_xp_min": row.message_xp_min,
        "message_xp_max": row.message_xp_max,
        "message_cooldown_seconds": row.message_cooldown_seconds,
        "command_xp": row.command_xp,
        "game_xp": row.game_xp,
        "no_xp_channel_ids": row.no_xp_channel_ids,
        "no_xp_role_ids": row.no_xp_role_ids,
        "announcement_mode": row.announcement_mode,
        "announcement_channel_id": row.announcement_channel_id,
        "role_reward_mode": row.role_reward_mode,
    }
    return {name: value for name, value in values.items() if value is not None}


def merge(
    guild_id: int, overrides: Mapping[str, Any], options: GamificationOptions
) -> GuildXPConfig:
    """A guild's overrides on top of the fleet's defaults."""

    def pick(name: str, default: Any) -> Any:
        value = overrides.get(name)
        return default if value is None else value

    return GuildXPConfig(
        guild_id=guild_id,
        enabled=bool(pick("enabled", True)),
        message_xp_min=int(pick("message_xp_min", options.message_xp_min)),
        message_xp_max=int(pick("message_xp_max", options.message_xp_max)),
        message_cooldown_seconds=int(
            pick("message_cooldown_seconds", options.message_cooldown_seconds)
        ),
        command_xp=int(pick("command_xp", options.command_xp)),
        game_xp={**options.game_xp, **pick("game_xp", {})},
        no_xp_channel_ids=frozenset(int(item) for item in pick("no_xp_channel_ids", ())),
        no_xp_role_ids=frozenset(int(item) for item in pick("no_xp_role_ids", ())),
        announcement_mode=AnnouncementMode(pick("announcement_mode", options.announcement_mode)),
        announcement_channel_id=overrides.get("announcement_channel_id"),
        role_reward_mode=RoleRewardMode(pick("role_reward_mode", options.role_reward_mode)),
    )


def _check_amount(what: str, amount: int) -> None:
    if not 0 <= amount <= MAX_AWARD:
        raise GamificationSettingsError(f"{what} must be between 0 and {MAX_AWARD:,} XP.")


class GuildSettingsService:
    """Reads and changes the XP rules of guilds."""

    def __init__(
        self, database: Database, cache: CacheHierarchy, options: GamificationOptions
    ) -> None:
        self._database = database
        self._cache = cache
        self._options = options
        self._merged: dict[int, tuple[object, GuildXPConfig]] = {}
        """Per guild: the memory tier's overrides object and the config merged from it."""

    @staticmethod
    def cache_key(guild_id: int) -> str:
        return f"{CacheKeys.guild_config(guild_id)}:xp"

    def cached(self, guild_id: int) -> GuildXPConfig | None:
        """The guild's rules if this process's memory tier holds them, else None (then
        :meth:`get`). An invalidation drops the memory entry, so a stale config is never
        returned; a reload is merged once, the first time it is seen."""
        overrides = self._cache.memory.get(self.cache_key(guild_id))
        if overrides is None:
            return None
        known = self._merged.get(guild_id)
        if known is not None and known[0] is overrides:
            return known[1]
        config = merge(guild_id, overrides, self._options)
        self._merged[guild_id] = (overrides, config)
        return config

    async def get(self, guild_id: int) -> GuildXPConfig:
        """The rules in force in a guild (memory, then Redis, then the database)."""
        config = self.cached(guild_id)
        if config is not None:
            return config

        async def load() -> dict[str, Any]:
            async with self._database.session() as session:
                return _overrides(await session.get(GuildXPSettings, guild_id))

        overrides = await self._cache.get_or_load(
            self.cache_key(guild_id), load, self._cache.ttl.guild_config
        )
        return merge(guild_id, overrides, self._options)

    async def update(
        self,
        guild_id: int,
        *,
        enabled: bool | None = None,
        message_xp: tuple[int, int] | None = None,
        message_cooldown_seconds: int | None = None,
        command_xp: int | None = None,
        game_xp: Mapping[str, int | None] | None = None,
        announcement_mode: AnnouncementMode | None = None,
        announcement_channel_id: int | None = None,
        role_reward_mode: RoleRewardMode | None = None,
    ) -> GuildXPConfig:
        """Change the given settings (None: leave as is); ``game_xp`` value None: use default."""
        if message_xp is not None:
            low, high = message_xp
            _check_amount("Message XP", low)
            _check_amount("Message XP", high)
            if low > high:
                raise GamificationSettingsError(
                    f"The lowest message XP ({low}) cannot be above the highest ({high})."
                )
        if message_cooldown_seconds is not None and not (
            1 <= message_cooldown_seconds <= MAX_COOLDOWN_SECONDS
        ):
            raise GamificationSettingsError(
                "The message cooldown must be between 1 second and 24 hours."
            )
        if command_xp is not None:
            _check_amount("Command XP", command_xp)
        for outcome, amount in (game_xp or {}).items():
            if OUTCOME_PATTERN.fullmatch(outcome) is None:
                raise GamificationSettingsError(
                    f"“{outcome}” is not a game outcome name: use lowercase letters, digits and "
                    "underscores, like `win` or `pangram`."
                )
            if amount is not None:
                _check_amount(f"XP for `{outcome}`", amount)
        if announcement_mode is AnnouncementMode.CHOSEN_CHANNEL and announcement_channel_id is None:
            raise GamificationSettingsError("Pick the channel where level-ups should be announced.")

        def change(row: GuildXPSettings) -> None:
            if enabled is not None:
                row.enabled = enabled
            if message_xp is not None:
                row.message_xp_min, row.message_xp_max = message_xp
            if message_cooldown_seconds is not None:
                row.message_cooldown_seconds = message_cooldown_seconds
            if command_xp is not None:
                row.command_xp = command_xp
            if game_xp is not None:
                merged = {**(row.game_xp or {}), **game_xp}
                row.game_xp = {name: int(xp) for name, xp in merged.items() if xp is not None}
            if announcement_mode is not None:
                row.announcement_mode = announcement_mode.value
            if announcement_channel_id is not None:
                row.announcement_channel_id = announcement_channel_id
            if role_reward_mode is not None:
                row.role_reward_mode = role_reward_mode.value

        return await self._change(guild_id, change)

    async def set_no_xp_channel(self, guild_id: int, channel_id: int, no_xp: bool) -> GuildXPConfig:
        """Make a channel earn no XP (or earn XP again)."""

        def change(row: GuildXPSettings) -> None:
            row.no_xp_channel_ids = _toggled(row.no_xp_channel_ids, channel_id, no_xp, "channels")

        return await self._change(guild_id, change)

    async def set_no_xp_role(self, guild_id: int, role_id: int, no_xp: bool) -> GuildXPConfig:
        """Make members with a role earn no XP (or earn XP again)."""

        def change(row: GuildXPSettings) -> None:
            row.no_xp_role_ids = _toggled(row.no_xp_role_ids, role_id, no_xp, "roles")

        return await self._change(guild_id, change)

    async def reset(self, guild_id: int) -> GuildXPConfig:
        """Forget every setting of a guild: the fleet's defaults apply again."""
        async with self._database.session() as session:
            row = await session.get(GuildXPSettings, guild_id)
            if row is not None:
                await session.delete(row)
                await session.commit()
        await self._cache.invalidate(self.cache_key(guild_id))
        return merge(guild_id, {}, self._options)

    async def _change(
        self, guild_id: int, change: Callable[[GuildXPSettings], None]
    ) -> GuildXPConfig:
        async with self._database.session() as session:
            row = await self._locked_row(session, guild_id)
            change(row)
            row.updated_at = datetime.now(UTC)
            overrides = _overrides(row)
            await session.commit()
        await self._cache.invalidate(self.cache_key(guild_id))
        return merge(guild_id, overrides, self._options)

    async def _locked_row(self, session: AsyncSession, guild_id: int) -> GuildXPSettings:
        """The guild's row, created if missing and locked until commit (two admins at once)."""
        statement = self._database.upsert(GuildXPSettings).values(guild_id=guild_id)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["guild_id"], set_={"updated_at": statement.excluded.updated_at}
            )
        )
        row = await session.scalar(
            select(GuildXPSettings)
            .where(GuildXPSettings.guild_id == guild_id)
            .execution_options(populate_existing=True)
        )
        if row is None:
            raise RuntimeError(f"guild_xp_settings row {guild_id} vanished inside its transaction")
        return row


def _toggled(current: list[int] | None, item: int, present: bool, what: str) -> list[int]:
    items = set(current or ())
    if present:
        items.add(item)
    else:
        items.discard(item)
    if len(items) > MAX_EXCLUDED:
        raise GamificationSettingsError(
            f"A server can exclude at most {MAX_EXCLUDED} {what} from XP."
        )
    return sorted(items)
