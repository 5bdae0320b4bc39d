"""Staff notes about members, and what a data-deletion request does to moderation records.

Cases are a server's legitimate record of what its moderators did: a deletion request keeps
them, but replaces the member's stored name and the text of the DMs they were sent with a
marker (their id stays: it is what a ban is about). Warnings and staff notes about the member
are deleted like every other personal row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models.mod import ModCase, ModNote, ModWarning
from botfleet.errors import UserError
from botfleet.services.privacy import count_deleted, registry

MAX_NOTE_LENGTH: Final = 1000
NOTES_PAGE: Final = 25

ERASED: Final = "[removed at the member's request]"
"""What replaces a member's name and the DMs' text in kept cases."""


@dataclass(frozen=True, slots=True)
class Note:
    """A staff note, as stored."""

    id: int
    guild_id: int
    user_id: int
    author_id: int
    text: str
    created_at: datetime


def _note(row: ModNote) -> Note:
    return Note(row.id, row.guild_id, row.user_id, row.author_id, row.text, row.created_at)


class NoteStore:
    """Staff notes of every guild."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(
        self, guild_id: int, user_id: int, author_id: int, text: str, now: datetime
    ) -> Note:
        """Keep a note about a member; refuse an empty or overlong one."""
        trimmed = text.strip()
        if not trimmed:
            raise UserError("A note needs some text.")
        if len(trimmed) > MAX_NOTE_LENGTH:
            raise UserError(
                f"A note can be {MAX_NOTE_LENGTH} characters at most; yours has {len(trimmed)}."
            )
        row = ModNote(
            guild_id=guild_id, user_id=user_id, author_id=author_id, text=trimmed, created_at=now
        )
        async with self.database.session() as session:
            session.add(row)
            await session.commit()
        return _note(row)

    async def for_member(self, guild_id: int, user_id: int, limit: int = NOTES_PAGE) -> list[Note]:
        """A member's notes in a guild, newest first."""
        statement = (
            select(ModNote)
            .where(ModNote.guild_id == guild_id, ModNote.user_id == user_id)
            .order_by(ModNote.created_at.desc(), ModNote.id.desc())
            .limit(limit)
        )
        async with self.database.session() as session:
            return [_note(row) for row in await session.scalars(statement)]


async def delete_warnings_and_notes(session: AsyncSession, user_id: int) -> int:
    """A data-deletion request: the member's warnings and the staff notes about them."""
    warnings = await count_deleted(
        session, delete(ModWarning).where(ModWarning.user_id == user_id), ModWarning.id
    )
    notes = await count_deleted(
        session, delete(ModNote).where(ModNote.user_id == user_id), ModNote.id
    )
    return warnings + notes


async def anonymise_cases(session: AsyncSession, user_id: int) -> int:
    """A data-deletion request: keep the member's cases, without their name or DMs' text."""
    statement = (
        update(ModCase)
        .where(ModCase.target_id == user_id)
        .values(
            target_name=ERASED,
            dm_text=case((ModCase.dm_text.is_(None), None), else_=ERASED),
        )
        .returning(ModCase.number)
        .execution_options(synchronize_session=False)
    )
    return len((await session.execute(statement)).all())


registry.register("mod_warnings_and_notes", delete_warnings_and_notes)
registry.register("mod_cases", anonymise_cases, anonymises=True)
