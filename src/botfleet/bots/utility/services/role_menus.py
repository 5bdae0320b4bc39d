"""Self-assign role menus: which roles may be offered, what a member's pick changes, the store.

Two sets of rules live here, both free of discord.py so they are tested without Discord:

* **What may be offered.** A role goes on a menu only if the bot could hand it out (below the
  bot's highest role, not managed by Discord or an integration, not @everyone) and it grants
  none of :data:`DANGEROUS_PERMISSIONS`. The same check runs again when a member picks the
  role, since an admin may have given the role more power after it was put on the menu.
* **What a pick changes.** Every pick toggles: a role the member holds is taken away, one they
  lack is given. The menu's mode then applies: "one" (one-of) swaps the member's other role of
  the menu for the new one; "at_most" refuses a pick that would leave them above the limit; a
  required role is needed to be given roles (never to give them back).

The store keeps menus and their options. Adding or removing an option first bumps the menu's
``updated_at`` in the same transaction: that write locks the row, so two admins editing one
menu take turns and can never pass the option limit or put one role on it twice together.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfleet.auth.roles import BotFacts, RoleFacts, role_problem
from botfleet.bots.utility.config import UtilityOptions
from botfleet.database.base import Database
from botfleet.database.models.role_menus import RoleMenu as MenuRow
from botfleet.database.models.role_menus import RoleMenuOption as OptionRow
from botfleet.errors import UserError
from botfleet.utils.helpers import truncate_string
from botfleet.utils.wording import plural, role_label

log = logging.getLogger(__name__)

MAX_TITLE_LENGTH: Final = 100
MAX_DESCRIPTION_LENGTH: Final = 1000
MAX_LABEL_LENGTH: Final = 80
"""A button's label holds at most 80 characters (a select option's 100)."""
MAX_OPTION_DESCRIPTION_LENGTH: Final = 100
"""What a select option shows under its label."""
AUTOCOMPLETE_LIMIT: Final = 25
CUSTOM_EMOJI: Final = re.compile(r"<a?:[A-Za-z0-9_]{2,32}:[0-9]{15,20}>")
MAX_UNICODE_EMOJI_LENGTH: Final = 10
"""Code points of the longest emoji sequences (a family, a flag with modifiers)."""


class MenuStyle(enum.StrEnum):
    """How members pick: one select menu, or a button per role."""

    SELECT = "select"
    BUTTONS = "buttons"


class MenuMode(enum.StrEnum):
    """How many of the menu's roles a member may hold at once."""

    ANY = "any"
    AT_MOST = "at_most"
    ONE = "one"


class RoleMenuError(UserError):
    """A role menu request the admin or member can fix."""


class RoleMenuNotFoundError(RoleMenuError):
    """No menu of *this server* has that number (another server's counts as none)."""


class RoleNotAllowedError(RoleMenuError):
    """The role cannot be offered or given: the message says why."""


class PickRefusedError(RoleMenuError):
    """A member's pick breaks the menu's rules."""


@dataclass(frozen=True, slots=True)
class MenuOption:
    """One role on a menu, with how it is shown."""

    role_id: int
    label: str
    emoji: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class RoleMenu:
    """A role menu as the commands and views show it."""

    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    title: str
    description: str | None
    style: MenuStyle
    mode: MenuMode
    max_roles: int | None
    required_role_id: int | None
    options: tuple[MenuOption, ...] = ()

    @property
    def limit(self) -> int | None:
        """The most roles of this menu a member may hold (None: no limit)."""
        if self.mode is MenuMode.ONE:
            return 1
        return self.max_roles if self.mode is MenuMode.AT_MOST else None

    @property
    def role_ids(self) -> tuple[int, ...]:
        return tuple(option.role_id for option in self.options)

    def option_for(self, role_id: int) -> MenuOption | None:
        return next((option for option in self.options if option.role_id == role_id), None)

    def describe_mode(self) -> str:
        """The menu's limit as members read it."""
        if self.mode is MenuMode.ONE:
            return "one role at a time (picking another swaps it)"
        if self.mode is MenuMode.AT_MOST and self.max_roles is not None:
            return f"up to {plural(self.max_roles, 'role')}"
        return "any number of roles"

    def jump_url(self) -> str | None:
        """A link to the menu's message (None before it was posted)."""
        if self.message_id is None:
            return None
        return f"https://discord.com/channels/{self.guild_id}/{self.channel_id}/{self.message_id}"


@dataclass(frozen=True, slots=True)
class NewMenu:
    """What an admin asked for with ``/rolemenu create``, not checked yet."""

    guild_id: int
    channel_id: int
    title: str
    description: str | None = None
    style: MenuStyle = MenuStyle.SELECT
    mode: MenuMode | None = None
    max_roles: int | None = None
    required_role_id: int | None = None


@dataclass(frozen=True, slots=True)
class RoleChange:
    """What a member's pick does: the roles to give and to take away, in the menu's order."""

    added: tuple[int, ...]
    removed: tuple[int, ...]


def _quoted(text: str) -> str:
    return f"“{truncate_string(text, 60)}”"


def check_offerable(role: RoleFacts, bot: BotFacts) -> None:
    """Raise :class:`RoleNotAllowedError` with the reason when ``role`` can't go on a menu."""
    problem = role_problem(role, bot)
    if problem is not None:
        raise RoleNotAllowedError(f"I can't offer that role: {problem}")


def resolve_mode(mode: MenuMode | None, max_roles: int | None) -> tuple[MenuMode, int | None]:
    """The mode and limit of a new menu; a limit alone means "at most" that many."""
    if mode is None:
        mode = MenuMode.AT_MOST if max_roles is not None else MenuMode.ANY
    if mode is MenuMode.AT_MOST:
        if max_roles is None:
            raise RoleMenuError(
                "The “at most” mode needs a limit: give max_roles, the most roles a member "
                "may pick from this menu."
            )
        if max_roles < 1:
            raise RoleMenuError("max_roles must be at least 1.")
        return mode, max_roles
    if max_roles is not None:
        raise RoleMenuError(
            "max_roles only applies to the “at most” mode; leave it out, or choose that mode."
        )
    return mode, None


def check_emoji(emoji: str | None) -> str | None:
    """A unicode emoji or a custom one (``<:name:id>``), stripped; None when none was given."""
    if emoji is None or not emoji.strip():
        return None
    emoji = emoji.strip()
    if CUSTOM_EMOJI.fullmatch(emoji):
        return emoji
    if len(emoji) > MAX_UNICODE_EMOJI_LENGTH or any(
        char.isascii() and (char.isalnum() or char.isspace() or char in ":<>") for char in emoji
    ):
        raise RoleMenuError(
            f"{_quoted(emoji)} is not an emoji. Give one emoji, such as 🎮, or a server emoji "
            "picked from Discord's emoji list."
        )
    return emoji


def _clean_text(text: str | None, what: str, limit: int) -> str | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    if len(text) > limit:
        raise RoleMenuError(f"The {what} has {len(text)} characters; it can have at most {limit}.")
    return text


def plan_pick(
    menu: RoleMenu,
    held: Collection[int],
    picked: Sequence[int],
    roles: Mapping[int, RoleFacts],
    bot: BotFacts,
) -> RoleChange:
    """What picking ``picked`` on ``menu`` changes for a member holding ``held``.

    ``roles`` are the guild's roles as they are now, so a role deleted since it was put on the
    menu is missing from it. Raises :class:`PickRefusedError` when the pick breaks a rule.
    """
    if not picked:
        raise PickRefusedError("Pick at least one role.")
    held_set = set(held)
    for role_id in picked:
        option = menu.option_for(role_id)
        if option is None:
            raise PickRefusedError(
                "That role is no longer on this menu; an admin changed it. Try again."
            )
        if role_id not in roles:
            raise PickRefusedError(
                f"The role behind {_quoted(option.label)} was deleted from the server; ask an "
                "admin to remove it from this menu (/rolemenu remove)."
            )
    added = [role_id for role_id in picked if role_id not in held_set]
    removed = [role_id for role_id in picked if role_id in held_set]
    if added:
        _check_required(menu, held_set, roles)
        for role_id in added:
            problem = role_problem(roles[role_id], bot)
            if problem is not None:
                raise PickRefusedError(
                    f"{_quoted(_label(menu, role_id))} can't be handed out right now: {problem}"
                )
    if menu.mode is MenuMode.ONE:
        if len(added) > 1:
            raise PickRefusedError("This menu gives one role at a time: pick just one.")
        if added:
            removed = [r for r in menu.role_ids if r in held_set and r not in added]
    elif menu.limit is not None and added:
        keeps = [r for r in menu.role_ids if r in held_set and r not in removed]
        if len(keeps) + len(added) > menu.limit:
            _refuse_over_limit(menu, keeps, added)
    return RoleChange(
        added=tuple(r for r in menu.role_ids if r in added),
        removed=tuple(r for r in menu.role_ids if r in removed),
    )


def _label(menu: RoleMenu, role_id: int) -> str:
    option = menu.option_for(role_id)
    return option.label if option is not None else str(role_id)


def _check_required(menu: RoleMenu, held: set[int], roles: Mapping[int, RoleFacts]) -> None:
    required = menu.required_role_id
    if required is None or required in held:
        return
    if required not in roles:
        raise PickRefusedError(
            "This menu is for members with a role that no longer exists; ask an admin to "
            "remake the menu."
        )
    raise PickRefusedError(
        f"This menu is only for members with the {role_label(roles[required].name)} role, "
        "which you don't have."
    )


def _refuse_over_limit(menu: RoleMenu, keeps: list[int], added: list[int]) -> None:
    limit = menu.limit
    assert limit is not None
    if keeps:
        current = ", ".join(_quoted(_label(menu, role_id)) for role_id in keeps)
        raise PickRefusedError(
            f"You can have at most {plural(limit, 'role')} from this menu, and "
            f"you already have {current}. Pick one of those again to give it back first."
        )
    raise PickRefusedError(
        f"You can have at most {plural(limit, 'role')} from this menu; you picked {len(added)}."
    )


def _from_rows(row: MenuRow, options: Sequence[OptionRow]) -> RoleMenu:
    return RoleMenu(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        title=row.title,
        description=row.description,
        style=MenuStyle(row.style),
        mode=MenuMode(row.mode),
        max_roles=row.max_roles,
        required_role_id=row.required_role_id,
        options=tuple(
            MenuOption(
                role_id=option.role_id,
                label=option.label,
                emoji=option.emoji,
                description=option.description,
            )
            for option in sorted(options, key=lambda option: option.position)
        ),
    )


class RoleMenuService:
    """A guild's role menus in the database, checked against the menu rules."""

    def __init__(self, database: Database, options: UtilityOptions) -> None:
        self.database = database
        self.options = options

    async def create(self, request: NewMenu) -> RoleMenu:
        """Store a new menu without options; raises :class:`RoleMenuError` for bad input."""
        title = _clean_text(request.title, "title", MAX_TITLE_LENGTH)
        if title is None:
            raise RoleMenuError("Give the menu a title, such as “Pick your games”.")
        description = _clean_text(request.description, "description", MAX_DESCRIPTION_LENGTH)
        mode, max_roles = resolve_mode(request.mode, request.max_roles)
        async with self.database.session() as session:
            count = await session.scalar(
                select(func.count(MenuRow.id)).where(MenuRow.guild_id == request.guild_id)
            )
            if (count or 0) >= self.options.max_role_menus_per_guild:
                raise RoleMenuError(
                    f"This server already has {plural(count or 0, 'role menu')}, the most it may "
                    "keep. "
                    "Delete one with /rolemenu delete first."
                )
            row = MenuRow(
                guild_id=request.guild_id,
                channel_id=request.channel_id,
                title=title,
                description=description,
                style=request.style.value,
                mode=mode.value,
                max_roles=max_roles,
                required_role_id=request.required_role_id,
            )
            session.add(row)
            await session.commit()
            log.info("role menu %d created in guild %d (%s)", row.id, row.guild_id, mode.value)
            return _from_rows(row, [])

    async def get(self, guild_id: int, menu_id: int) -> RoleMenu:
        """The menu ``menu_id`` of ``guild_id``; raises :class:`RoleMenuNotFoundError`."""
        async with self.database.session() as session:
            row = await self._row(session, guild_id, menu_id)
            return _from_rows(row, await self._option_rows(session, menu_id))

    async def list_for(self, guild_id: int) -> list[RoleMenu]:
        """The guild's menus, oldest first."""
        async with self.database.session() as session:
            rows = (
                await session.scalars(
                    select(MenuRow).where(MenuRow.guild_id == guild_id).order_by(MenuRow.id)
                )
            ).all()
            options = (
                await session.scalars(
                    select(OptionRow).where(OptionRow.menu_id.in_([row.id for row in rows]))
                )
            ).all()
        by_menu: dict[int, list[OptionRow]] = {}
        for option in options:
            by_menu.setdefault(option.menu_id, []).append(option)
        return [_from_rows(row, by_menu.get(row.id, [])) for row in rows]

    async def search(self, guild_id: int, text: str) -> list[RoleMenu]:
        """The guild's menus whose number or title contains ``text``, for autocomplete."""
        wanted = text.strip().casefold().lstrip("#")
        return [
            menu
            for menu in await self.list_for(guild_id)
            if wanted in str(menu.id) or wanted in menu.title.casefold()
        ][:AUTOCOMPLETE_LIMIT]

    async def add_option(
        self,
        guild_id: int,
        menu_id: int,
        role: RoleFacts,
        bot: BotFacts,
        *,
        label: str | None = None,
        emoji: str | None = None,
        description: str | None = None,
    ) -> RoleMenu:
        """Put ``role`` on the menu, after every check; the label defaults to its name."""
        check_offerable(role, bot)
        clean_label = _clean_text(label, "label", MAX_LABEL_LENGTH) or truncate_string(
            role.name, MAX_LABEL_LENGTH
        )
        clean_emoji = check_emoji(emoji)
        clean_description = _clean_text(description, "description", MAX_OPTION_DESCRIPTION_LENGTH)
        async with self.database.session() as session:
            row = await self._locked_row(session, guild_id, menu_id)
            options = await self._option_rows(session, menu_id)
            if any(option.role_id == role.id for option in options):
                raise RoleMenuError(f"{role_label(role.name)} is already on menu #{menu_id}.")
            limit = self.options.max_role_menu_options
            if len(options) >= limit:
                raise RoleMenuError(
                    f"Menu #{menu_id} already offers {plural(len(options), 'role')}, the most one "
                    "menu "
                    f"can hold ({limit}). Make another menu for the rest."
                )
            if row.required_role_id == role.id:
                raise RoleMenuError(
                    f"{role_label(role.name)} is the role this menu requires; members who may use "
                    "the menu have it already."
                )
            position = max((option.position for option in options), default=0) + 1
            added = OptionRow(
                menu_id=menu_id,
                role_id=role.id,
                label=clean_label,
                emoji=clean_emoji,
                description=clean_description,
                position=position,
            )
            session.add(added)
            await session.commit()
            log.info("role %d added to role menu %d (guild %d)", role.id, menu_id, guild_id)
            return _from_rows(row, [*options, added])

    async def remove_option(self, guild_id: int, menu_id: int, role_id: int) -> RoleMenu:
        """Take a role off the menu (it may have been deleted from the server since)."""
        async with self.database.session() as session:
            row = await self._locked_row(session, guild_id, menu_id)
            removed = await session.execute(
                delete(OptionRow)
                .where(OptionRow.menu_id == menu_id, OptionRow.role_id == role_id)
                .returning(OptionRow.id)
            )
            if removed.first() is None:
                raise RoleMenuError(f"That role is not on menu #{menu_id}.")
            options = await self._option_rows(session, menu_id)
            await session.commit()
            log.info("role %d removed from role menu %d (guild %d)", role_id, menu_id, guild_id)
            return _from_rows(row, options)

    async def delete(self, guild_id: int, menu_id: int) -> RoleMenu:
        """Delete the menu and its options; returns what it was, to take its message down."""
        async with self.database.session() as session:
            row = await self._row(session, guild_id, menu_id)
            menu = _from_rows(row, await self._option_rows(session, menu_id))
            await session.delete(row)
            await session.commit()
        log.info("role menu %d deleted (guild %d)", menu_id, guild_id)
        return menu

    async def set_message(self, menu_id: int, channel_id: int, message_id: int) -> None:
        """Remember where the menu was posted (again, when its old message was gone)."""
        async with self.database.session() as session:
            await session.execute(
                update(MenuRow)
                .where(MenuRow.id == menu_id)
                .values(channel_id=channel_id, message_id=message_id)
            )
            await session.commit()

    async def _row(self, session: AsyncSession, guild_id: int, menu_id: int) -> MenuRow:
        row = await session.get(MenuRow, menu_id)
        if row is None or row.guild_id != guild_id:
            raise RoleMenuNotFoundError(
                f"This server has no role menu #{menu_id}; see /rolemenu list."
            )
        return row

    async def _locked_row(self, session: AsyncSession, guild_id: int, menu_id: int) -> MenuRow:
        """The menu's row, locked for the rest of the transaction by a write to it."""
        locked = await session.execute(
            update(MenuRow)
            .where(MenuRow.id == menu_id, MenuRow.guild_id == guild_id)
            .values(updated_at=func.now())
            .returning(MenuRow.id)
        )
        if locked.first() is None:
            raise RoleMenuNotFoundError(
                f"This server has no role menu #{menu_id}; see /rolemenu list."
            )
        return await self._row(session, guild_id, menu_id)

    @staticmethod
    async def _option_rows(session: AsyncSession, menu_id: int) -> list[OptionRow]:
        return list(
            (
                await session.scalars(
                    select(OptionRow)
                    .where(OptionRow.menu_id == menu_id)
                    .order_by(OptionRow.position)
                )
            ).all()
        )
