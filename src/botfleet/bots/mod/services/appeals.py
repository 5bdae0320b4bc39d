"""Ban appeals: where a server wants them, one open appeal per banned member, staff decisions.

A decision is taken once: the status moves from open in one UPDATE, so two moderators pressing
accept and deny at once cannot both win. Appeals are the member's own words, so a data-deletion
request deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models.mod_defence import ModAppeal, ModDefence
from botfleet.errors import UserError
from botfleet.services.privacy import count_deleted, registry

MIN_APPEAL_LENGTH: Final = 20
MAX_APPEAL_LENGTH: Final = 1000


ALREADY_WITH_STAFF: Final = "Your appeal is with the staff already; wait for their answer."


class AppealStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class Appeal:
    id: int
    guild_id: int
    user_id: int
    case_number: int | None
    text: str
    status: AppealStatus
    staff_message_id: int | None
    dm_channel_id: int | None
    dm_message_id: int | None
    decided_by: int | None


def _appeal(row: ModAppeal) -> Appeal:
    return Appeal(
        row.id,
        row.guild_id,
        row.user_id,
        row.case_number,
        row.text,
        AppealStatus(row.status),
        row.staff_message_id,
        row.dm_channel_id,
        row.dm_message_id,
        row.decided_by,
    )


@dataclass(frozen=True, slots=True)
class NewAppeal:
    guild_id: int
    user_id: int
    case_number: int | None
    text: str
    dm_channel_id: int | None = None
    dm_message_id: int | None = None


def check_appeal_text(text: str) -> str:
    trimmed = text.strip()
    if not MIN_APPEAL_LENGTH <= len(trimmed) <= MAX_APPEAL_LENGTH:
        raise UserError(
            f"An appeal says why in {MIN_APPEAL_LENGTH} to {MAX_APPEAL_LENGTH} characters."
        )
    return trimmed


class AppealStore:
    """Each server's appeals channel, and the appeals themselves."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def channel(self, guild_id: int) -> int | None:
        async with self.database.session() as session:
            row = await session.get(ModDefence, guild_id)
        return row.appeals_channel_id if row is not None else None

    async def set_channel(self, guild_id: int, channel_id: int | None) -> None:
        statement = (
            self.database.upsert(ModDefence)
            .values(guild_id=guild_id, raid={}, flagged=[], appeals_channel_id=channel_id)
            .on_conflict_do_update(
                index_elements=[ModDefence.guild_id], set_={"appeals_channel_id": channel_id}
            )
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()

    async def open(self, new: NewAppeal, now: datetime) -> Appeal:
        """Store an appeal; a member with one still open is told to wait for it."""
        text = check_appeal_text(new.text)
        waiting = select(ModAppeal.id).where(
            ModAppeal.guild_id == new.guild_id,
            ModAppeal.user_id == new.user_id,
            ModAppeal.status == AppealStatus.OPEN.value,
        )
        async with self.database.session() as session:
            if (await session.execute(waiting)).first() is not None:
                raise UserError(ALREADY_WITH_STAFF)
            row = ModAppeal(
                guild_id=new.guild_id,
                user_id=new.user_id,
                case_number=new.case_number,
                text=text,
                status=AppealStatus.OPEN.value,
                dm_channel_id=new.dm_channel_id,
                dm_message_id=new.dm_message_id,
                created_at=now,
            )
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:  # another submit stored one since the check above
                raise UserError(ALREADY_WITH_STAFF) from None
            return _appeal(row)

    async def withdraw(self, appeal_id: int) -> None:
        """Forget an open appeal that never reached the staff, so the member can send it again."""
        statement = delete(ModAppeal).where(
            ModAppeal.id == appeal_id, ModAppeal.status == AppealStatus.OPEN.value
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()

    async def attach_staff_message(self, appeal_id: int, message_id: int) -> None:
        statement = (
            update(ModAppeal).where(ModAppeal.id == appeal_id).values(staff_message_id=message_id)
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()

    async def decide(
        self,
        appeal_id: int,
        status: AppealStatus,
        moderator_id: int,
        now: datetime,
        *,
        guild_id: int,
    ) -> Appeal | None:
        """Accept or deny an open appeal of ``guild_id``; None when it was decided already (or
        is gone, or is another server's: a decision button names its appeal by id)."""
        statement = (
            update(ModAppeal)
            .where(
                ModAppeal.id == appeal_id,
                ModAppeal.guild_id == guild_id,
                ModAppeal.status == AppealStatus.OPEN.value,
            )
            .values(status=status.value, decided_by=moderator_id, decided_at=now)
            .returning(ModAppeal)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            row = (await session.scalars(statement)).first()
            appeal = _appeal(row) if row is not None else None
            await session.commit()
        return appeal

    async def reopen(self, appeal_id: int) -> None:
        """Undo a decision that could not be carried out (Discord refused the unban)."""
        statement = (
            update(ModAppeal)
            .where(ModAppeal.id == appeal_id)
            .values(status=AppealStatus.OPEN.value, decided_by=None, decided_at=None)
        )
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()


async def delete_appeals(session: AsyncSession, user_id: int) -> int:
    """A data-deletion request: the member's appeals (their own words)."""
    return await count_deleted(
        session, delete(ModAppeal).where(ModAppeal.user_id == user_id), ModAppeal.id
    )


registry.register("mod_appeals", delete_appeals)
