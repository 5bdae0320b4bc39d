"""Welcome and goodbye messages: each guild's settings, its templates, and the welcome card.

A template is plain text with placeholders in braces: ``{user}`` (a mention), ``{name}`` (the
display name), ``{server}`` and ``{member_count}``. Templates are checked when an admin saves
them, so a typo such as ``{usr}`` is refused with the list of placeholders instead of showing up
in a newcomer's welcome.
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from botfleet.cache import CacheHierarchy, CacheKeys
from botfleet.database.base import Database
from botfleet.database.models.community import WelcomeSettings
from botfleet.errors import UserError
from botfleet.utils.helpers import truncate_string
from botfleet.utils.imaging import MUTED, TEXT, CardLayout

PLACEHOLDERS: Final = {
    "user": "mentions the member",
    "name": "the member's display name",
    "server": "the server's name",
    "member_count": "how many members the server has now",
}
DEFAULT_WELCOME: Final = "👋 Welcome to **{server}**, {user}! You are member #{member_count}."
DEFAULT_GOODBYE: Final = "👋 **{name}** has left {server}. We are {member_count} now."
MAX_JOIN_ROLES: Final = 10
MAX_JOIN_DELAY_SECONDS: Final = 7 * 24 * 3600
"""A week: longer than any sensible "wait before the member role" rule."""
JOIN_ROLES_EVENT: Final = "join_roles"
"""The scheduler event that gives delayed join roles (``on_join_roles_timer_complete``)."""
MAX_TEMPLATE_LENGTH: Final = 1500
"""Leaves room under Discord's 2,000 characters for long names once placeholders are filled."""

CARD_SIZE: Final = (1000, 320)
CARD_LAYOUT: Final = CardLayout(CARD_SIZE, 200, margin=48, panel_radius=28, ring_width=5)


class WelcomeError(UserError):
    """A welcome setting the admin can fix."""


def with_join_role(current: tuple[int, ...], role_id: int) -> tuple[int, ...]:
    """The join roles with ``role_id`` added, or :class:`WelcomeError` when it can't be."""
    if role_id in current:
        raise WelcomeError("That role is already given on join.")
    if len(current) >= MAX_JOIN_ROLES:
        raise WelcomeError(f"At most {MAX_JOIN_ROLES} roles can be given on join.")
    return (*current, role_id)


def check_join_delay(seconds: int) -> int:
    if not 0 <= seconds <= MAX_JOIN_DELAY_SECONDS:
        raise WelcomeError("The delay can be from 0 (at once) up to 7 days.")
    return seconds


def placeholder_help() -> str:
    return ", ".join(f"{{{name}}} ({meaning})" for name, meaning in PLACEHOLDERS.items())


def check_template(template: str) -> str:
    """The template, stripped, or :class:`WelcomeError` naming the mistake."""
    text = template.strip()
    if not text:
        raise WelcomeError(
            "The message is empty. Write some text, or leave it out for the default."
        )
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise WelcomeError(
            f"A welcome message can be at most {MAX_TEMPLATE_LENGTH:,} characters; "
            f"yours has {len(text):,}."
        )
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise WelcomeError(
            "A { or } is unmatched. Placeholders look like {user}; to show a brace, write {{ or }}."
        ) from None
    for _, name, spec, conversion in parsed:
        if name is not None and (name not in PLACEHOLDERS or spec or conversion):
            raise WelcomeError(
                f"I don't know the placeholder {{{name}}}. You can use {placeholder_help()}."
            )
    return text


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What a template may say about the member and the server."""

    mention: str
    name: str
    server: str
    member_count: int


def render(template: str, facts: MemberFacts) -> str:
    """Fill a checked template."""
    return template.format(
        user=facts.mention, name=facts.name, server=facts.server, member_count=facts.member_count
    )


@dataclass(frozen=True, slots=True)
class WelcomeConfig:
    """A guild's welcome and goodbye settings; the defaults mean "off"."""

    guild_id: int
    welcome_channel_id: int | None = None
    welcome_message: str | None = None
    welcome_card: bool = False
    goodbye_channel_id: int | None = None
    goodbye_message: str | None = None
    join_role_ids: tuple[int, ...] = field(default_factory=tuple)
    join_role_delay: int = 0

    @property
    def welcome_template(self) -> str:
        return self.welcome_message or DEFAULT_WELCOME

    @property
    def goodbye_template(self) -> str:
        return self.goodbye_message or DEFAULT_GOODBYE


def _config(row: WelcomeSettings | None, guild_id: int) -> WelcomeConfig:
    if row is None:
        return WelcomeConfig(guild_id)
    return WelcomeConfig(
        guild_id=guild_id,
        welcome_channel_id=row.welcome_channel_id,
        welcome_message=row.welcome_message,
        welcome_card=row.welcome_card,
        goodbye_channel_id=row.goodbye_channel_id,
        goodbye_message=row.goodbye_message,
        join_role_ids=tuple(row.join_role_ids or ()),
        join_role_delay=row.join_role_delay,
    )


def cache_key(guild_id: int) -> str:
    return f"{CacheKeys.guild_config(guild_id)}:welcome"


class WelcomeStore:
    """Reads and writes ``welcome_settings``, through the cache: every join and leave reads them,
    and a join raid must not become a query per newcomer."""

    def __init__(self, database: Database, cache: CacheHierarchy) -> None:
        self.database = database
        self.cache = cache

    async def get(self, guild_id: int) -> WelcomeConfig:
        async def load() -> dict[str, Any]:
            async with self.database.session() as session:
                config = _config(await session.get(WelcomeSettings, guild_id), guild_id)
            return asdict(config)

        ttl = self.cache.ttl.guild_config
        values = await self.cache.get_or_load(cache_key(guild_id), load, ttl)
        return WelcomeConfig(**{**values, "join_role_ids": tuple(values["join_role_ids"])})

    async def update(self, guild_id: int, **changes: Any) -> WelcomeConfig:
        """Change some settings, creating the guild's row the first time."""
        unknown = set(changes) - set(WelcomeConfig.__dataclass_fields__) - {"guild_id"}
        if unknown:
            raise ValueError(f"not welcome settings: {sorted(unknown)}")
        values = {
            key: list(value) if key == "join_role_ids" else value for key, value in changes.items()
        }
        statement = self.database.upsert(WelcomeSettings).values(
            {"guild_id": guild_id, "join_role_ids": [], **values}
        )
        statement = statement.on_conflict_do_update(index_elements=["guild_id"], set_=values)
        async with self.database.session() as session:
            await session.execute(statement)
            await session.commit()
        await self.cache.invalidate(cache_key(guild_id))
        return await self.get(guild_id)


@dataclass(frozen=True, slots=True)
class WelcomeCard:
    """What the welcome picture shows."""

    user_id: int
    display_name: str
    server: str
    member_count: int
    avatar_png: bytes | None = None
    accent: tuple[int, int, int] = (88, 101, 242)


def render_welcome_card(card: WelcomeCard) -> bytes:
    """The card as PNG bytes (blocking: run it in a thread)."""
    from botfleet.utils.drawing import avatar_card, font, png_bytes  # noqa: PLC0415  (Pillow when drawing)

    image, draw, left = avatar_card(
        CARD_LAYOUT, card.user_id, card.display_name, card.avatar_png, card.accent
    )
    draw.text((left, 110), "WELCOME", font=font(56), fill=card.accent, anchor="ls")
    draw.text(
        (left, 180), truncate_string(card.display_name, 26), font=font(44), fill=TEXT, anchor="ls"
    )
    draw.text(
        (left, 240),
        f"to {truncate_string(card.server, 30)} · member #{card.member_count:,}",
        font=font(28),
        fill=MUTED,
        anchor="ls",
    )
    return png_bytes(image)
