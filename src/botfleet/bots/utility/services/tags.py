"""Tags: a guild's text snippets, called by name, owned by their creator.

Members create and call tags; only the owner edits or deletes one, except moderators, who may
edit or delete any (and so clean up after a member who left). Names are unique per guild
whatever their case, enforced by the database, so two members racing for one name get one tag
and one clear refusal.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.database.base import Database
from botfleet.database.models.community import Tag as TagRow
from botfleet.errors import UserError
from botfleet.services.privacy import count_deleted, registry
from botfleet.utils.wording import plural

log = logging.getLogger(__name__)

MAX_NAME_LENGTH: Final = 50
MAX_CONTENT_LENGTH: Final = 2000
"""A tag is sent as one message, whose content Discord caps at 2,000 characters."""
SEARCH_LIMIT: Final = 25

_NAME: Final = re.compile(r"[\w][\w .'\-]*", re.UNICODE)


class TagError(UserError):
    """A tag request the member can fix."""


class TagNotFoundError(TagError):
    pass


class TagNameTakenError(TagError):
    pass


class NotTagOwnerError(TagError):
    pass


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag as the commands show it."""

    id: int
    guild_id: int
    name: str
    content: str
    owner_id: int
    uses: int
    created_at: datetime
    updated_at: datetime


def _from_row(row: TagRow) -> Tag:
    return Tag(
        id=row.id,
        guild_id=row.guild_id,
        name=row.name,
        content=row.content,
        owner_id=row.owner_id,
        uses=row.uses,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def clean_name(name: str) -> str:
    """The name as stored (spaces collapsed), or :class:`TagError` saying what is wrong."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise TagError("A tag needs a name.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise TagError(f"A tag name can be at most {MAX_NAME_LENGTH} characters.")
    if not _NAME.fullmatch(cleaned):
        raise TagError(
            "A tag name may use letters, digits, spaces and . ' - _ and must start with a "
            "letter or digit."
        )
    return cleaned


def name_key(name: str) -> str:
    """What makes two names the same tag: case and repeated spaces do not count."""
    return " ".join(name.split()).casefold()


def clean_content(content: str) -> str:
    text = content.strip()
    if not text:
        raise TagError("A tag needs some text.")
    if len(text) > MAX_CONTENT_LENGTH:
        raise TagError(
            f"A tag can hold at most {MAX_CONTENT_LENGTH:,} characters; yours has {len(text):,}."
        )
    return text


class TagService:
    """Creates, finds, edits and deletes the tags of every guild; no Discord in here."""

    def __init__(self, database: Database, *, max_tags_per_member: int) -> None:
        self.database = database
        self.max_tags_per_member = max_tags_per_member

    async def create(self, guild_id: int, owner_id: int, name: str, content: str) -> Tag:
        display = clean_name(name)
        text = clean_content(content)
        async with self.database.session() as session:
            owned = await session.scalar(
                select(func.count())
                .select_from(TagRow)
                .where(TagRow.guild_id == guild_id, TagRow.owner_id == owner_id)
            )
            if (owned or 0) >= self.max_tags_per_member:
                raise TagError(
                    f"You already own {plural(self.max_tags_per_member, 'tag')} here, the most a "
                    "member "
                    "may. Delete one first."
                )
            row = TagRow(
                guild_id=guild_id,
                name=display,
                name_key=name_key(display),
                content=text,
                owner_id=owner_id,
            )
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                raise TagNameTakenError(
                    f"There is already a tag called “{display}” here. Pick another name."
                ) from None
        log.info("tag %r created in guild %d by %d", display, guild_id, owner_id)
        return _from_row(row)

    async def _row(self, session: AsyncSession, guild_id: int, name: str) -> TagRow:
        row = await session.scalar(
            select(TagRow).where(TagRow.guild_id == guild_id, TagRow.name_key == name_key(name))
        )
        if row is None:
            raise TagNotFoundError(
                f"There is no tag called “{' '.join(name.split())[:MAX_NAME_LENGTH]}” here. "
                "/tag list shows them all."
            )
        return row

    async def use(self, guild_id: int, name: str) -> Tag:
        """The tag, for showing it; counts the use."""
        async with self.database.session() as session:
            row = await self._row(session, guild_id, name)
            await session.execute(
                update(TagRow).where(TagRow.id == row.id).values(uses=TagRow.uses + 1)
            )
            await session.commit()
            await session.refresh(row)
            return _from_row(row)

    async def get(self, guild_id: int, name: str) -> Tag:
        async with self.database.session() as session:
            return _from_row(await self._row(session, guild_id, name))

    async def edit(
        self, guild_id: int, name: str, content: str, *, actor_id: int, moderator: bool
    ) -> Tag:
        text = clean_content(content)
        async with self.database.session() as session:
            row = await self._row(session, guild_id, name)
            ensure_can_change(row, actor_id, moderator, "edit")
            row.content = text
            await session.commit()
            await session.refresh(row)
            log.info("tag %r in guild %d edited by %d", row.name, guild_id, actor_id)
            return _from_row(row)

    async def delete(self, guild_id: int, name: str, *, actor_id: int, moderator: bool) -> Tag:
        async with self.database.session() as session:
            row = await self._row(session, guild_id, name)
            ensure_can_change(row, actor_id, moderator, "delete")
            tag = _from_row(row)
            await session.execute(delete(TagRow).where(TagRow.id == row.id))
            await session.commit()
        log.info("tag %r in guild %d deleted by %d", tag.name, guild_id, actor_id)
        return tag

    async def all(self, guild_id: int, owner_id: int | None = None) -> list[Tag]:
        """The guild's tags (or one member's), by name."""
        statement = select(TagRow).where(TagRow.guild_id == guild_id)
        if owner_id is not None:
            statement = statement.where(TagRow.owner_id == owner_id)
        async with self.database.session() as session:
            rows = await session.scalars(statement.order_by(TagRow.name_key))
            return [_from_row(row) for row in rows]

    async def search(self, guild_id: int, typed: str) -> list[str]:
        """Names for autocomplete: those starting with what was typed, then those containing it."""
        wanted = name_key(typed)
        escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = (
            select(TagRow.name, TagRow.name_key)
            .where(TagRow.guild_id == guild_id, TagRow.name_key.like(f"%{escaped}%", escape="\\"))
            .order_by(TagRow.name_key)
            .limit(200)
        )
        async with self.database.session() as session:
            rows = (await session.execute(statement)).all()
        starting = [name for name, key in rows if key.startswith(wanted)]
        inside = [name for name, key in rows if not key.startswith(wanted)]
        return (starting + inside)[:SEARCH_LIMIT]


def ensure_can_change(tag: Tag | TagRow, actor_id: int, moderator: bool, action: str) -> None:
    """Only a tag's owner, or a moderator, may ``action`` ("edit", "delete") it."""
    if tag.owner_id != actor_id and not moderator:
        raise NotTagOwnerError(
            f"“{tag.name}” belongs to <@{tag.owner_id}>; only they or a moderator can {action} it."
        )


async def delete_tags(session: AsyncSession, user_id: int) -> int:
    """Privacy: a member's tags are their words, so they go with them."""
    statement = delete(TagRow).where(TagRow.owner_id == user_id)
    return await count_deleted(session, statement, TagRow.id)


registry.register("tags", delete_tags)
