"""A guild's moderation channels: where cases are posted, and which channels a lockdown locks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import update

from botfleet.database.base import Database
from botfleet.database.models.mod import ModChannels
from botfleet.errors import UserError

LOCKDOWN_END_EVENT: Final = "mod_lockdown_end"
"""The timer that lifts a lockdown given an end."""

MAX_LOCKDOWN_CHANNELS: Final = 25
"""A lockdown changes each channel with a request of its own: a bound keeps it quick."""


@dataclass(frozen=True, slots=True)
class GuildChannels:
    """A guild's moderation channels as configured (nothing set: no modlog, no lockdown)."""

    modlog_channel_id: int | None = None
    lockdown_channel_ids: tuple[int, ...] = ()


class ModChannelStore:
    """The moderation channels of every guild."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, guild_id: int) -> GuildChannels:
        async with self.database.session() as session:
            row = await session.get(ModChannels, guild_id)
        if row is None:
            return GuildChannels()
        return GuildChannels(row.modlog_channel_id, tuple(row.lockdown_channel_ids))

    async def set_modlog(self, guild_id: int, channel_id: int | None) -> None:
        """Post cases in ``channel_id`` from now on (None: stop posting)."""
        statement = (
            self.database.upsert(ModChannels)
            .values(guild_id=guild_id, modlog_channel_id=channel_id, lockdown_channel_ids=[])
            .on_conflict_do_update(
                index_elements=[ModChannels.guild_id], set_={"modlog_channel_id": channel_id}
            )
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()

    async def add_lockdown_channel(self, guild_id: int, channel_id: int) -> tuple[int, ...]:
        """Add a channel to those a lockdown locks; the list as it is now."""
        async with self.database.session() as session:
            row = await session.get(ModChannels, guild_id, with_for_update=True)
            if row is None:
                row = ModChannels(guild_id=guild_id, lockdown_channel_ids=[])
                session.add(row)
            channels = list(row.lockdown_channel_ids)
            if channel_id in channels:
                raise UserError(f"<#{channel_id}> is already locked by a lockdown.")
            if len(channels) >= MAX_LOCKDOWN_CHANNELS:
                raise UserError(
                    f"A lockdown locks {MAX_LOCKDOWN_CHANNELS} channels at most; remove one first."
                )
            channels.append(channel_id)
            row.lockdown_channel_ids = channels
            await session.commit()
        return tuple(channels)

    async def remove_lockdown_channel(self, guild_id: int, channel_id: int) -> tuple[int, ...]:
        """Take a channel out of the lockdown list; the list as it is now."""
        async with self.database.session() as session:
            row = await session.get(ModChannels, guild_id, with_for_update=True)
            if row is None or channel_id not in row.lockdown_channel_ids:
                raise UserError(f"<#{channel_id}> is not one of the lockdown's channels.")
            channels = [known for known in row.lockdown_channel_ids if known != channel_id]
            row.lockdown_channel_ids = channels
            await session.commit()
        return tuple(channels)

    async def set_lockdown(self, guild_id: int, lockdown_id: int | None) -> None:
        """Remember the lockdown now in force with an end (None: none), which its timer names.

        An earlier lockdown's timer then finds another id and leaves the new one alone.
        """
        statement = (
            self.database.upsert(ModChannels)
            .values(guild_id=guild_id, lockdown_channel_ids=[], lockdown_id=lockdown_id)
            .on_conflict_do_update(
                index_elements=[ModChannels.guild_id], set_={"lockdown_id": lockdown_id}
            )
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()

    async def claim_lockdown_end(self, guild_id: int, lockdown_id: int) -> bool:
        """Whether the timer of ``lockdown_id`` still ends the lockdown in force (forgotten if so).

        A lockdown ended by hand, or started again since, leaves an older timer nothing to do.
        """
        statement = (
            update(ModChannels)
            .where(ModChannels.guild_id == guild_id, ModChannels.lockdown_id == lockdown_id)
            .values(lockdown_id=None)
            .returning(ModChannels.guild_id)
        )
        async with self.database.session() as session:
            claimed = (await session.execute(statement)).first()
            await session.commit()
        return claimed is not None
