"""A guild's channels as one of the bots sees them, read from Discord with that bot's token.

A member's own token (the ``guilds`` scope) lists their guilds, never a guild's channels, so a
channel id on the settings page could name any channel of any server. The bots' tokens
(``web.bot_tokens``) can read ``GET /guilds/{id}/channels``; with the bot's roles and the
channels' permission overwrites, Discord's own permission rules say what the bot may do in each
channel. The dashboard offers those channels to pick from, and checks a submitted id against
them: in this guild, of the right type, and usable by the bot that will use it. Lists are cached
briefly (:data:`CHANNELS_TTL`); a channel not found in a cached list is looked up afresh.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final

import aiohttp
from pydantic import SecretStr

from botfleet import __version__
from botfleet.cache import CacheHierarchy
from botfleet.errors import BotfleetError

log = logging.getLogger(__name__)

CHANNELS_TTL: Final = 60.0
"""Seconds a guild's channel list is reused: a page and the form posted from it share one read."""
REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=10)
USER_AGENT: Final = f"DiscordBot (https://github.com/botfleet/botfleet, {__version__})"
"""Discord refuses bot requests without a ``DiscordBot`` user agent."""

ADD_REACTIONS: Final = 1 << 6
ADMINISTRATOR: Final = 1 << 3
VIEW_CHANNEL: Final = 1 << 10
SEND_MESSAGES: Final = 1 << 11
READ_MESSAGE_HISTORY: Final = 1 << 16
EVERY_PERMISSION: Final = (1 << 64) - 1
PERMISSION_NAMES: Final = {
    VIEW_CHANNEL: "View Channel",
    SEND_MESSAGES: "Send Messages",
    READ_MESSAGE_HISTORY: "Read Message History",
    ADD_REACTIONS: "Add Reactions",
}
TEXT_TYPES: Final = frozenset({0, 5})
"""Text and announcement channels: where a bot posts and reads messages."""
CATEGORY: Final = 4
OTHER_KINDS: Final = {2: "voice", CATEGORY: "category", 13: "stage", 15: "forum", 16: "media"}


class ChannelsUnavailableError(BotfleetError):
    """The bot's view of the guild could not be read; the message is for the member."""


@dataclass(frozen=True)
class ChannelUse:
    """What a setting asks of a channel: the bot that uses it, for what, with which rights."""

    bot: str
    doing: str
    needed: tuple[int, ...] = ()
    text_only: bool = True

    @property
    def bot_label(self) -> str:
        """``the Utility Bot``: how the pages name the bot."""
        return f"the {self.bot.replace('_', ' ').title()} Bot"

    @property
    def bot_subject(self) -> str:
        """``The Utility Bot``, to start a sentence."""
        return "T" + self.bot_label[1:]


@dataclass(frozen=True)
class GuildChannel:
    """A channel of the guild, with the permissions the reading bot has in it."""

    id: int
    name: str
    type: int
    position: int
    permissions: int

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES

    @property
    def label(self) -> str:
        """``#general`` for a text channel, ``General (voice)`` for others, as Discord tells
        them apart by their icons."""
        if self.is_text:
            return f"#{self.name}"
        return f"{self.name} ({OTHER_KINDS.get(self.type, 'channel')})"

    def missing(self, use: ChannelUse) -> list[str]:
        """The names of the permissions ``use`` needs here that the bot lacks."""
        return [PERMISSION_NAMES[bit] for bit in use.needed if not self.permissions & bit]

    def serves(self, use: ChannelUse) -> bool:
        """Whether ``use`` may choose this channel."""
        if self.type == CATEGORY or (use.text_only and not self.is_text):
            return False
        return not self.missing(use)


def channel_permissions(
    base: int, overwrites: list[dict[str, Any]], guild_id: int, role_ids: set[int], member_id: int
) -> int:
    """Discord's permission rules for one channel: the member's ``base`` (the @everyone role
    and their roles), then the channel's @everyone overwrite, their roles' overwrites together,
    and their own overwrite; Administrator overrides everything, and without View Channel
    nothing else in the channel is of use."""
    if base & ADMINISTRATOR:
        return EVERY_PERMISSION
    by_target = {int(item["id"]): item for item in overwrites}
    permissions = base

    def apply(allow: int, deny: int) -> None:
        nonlocal permissions
        permissions = (permissions & ~deny) | allow

    everyone = by_target.get(guild_id)
    if everyone is not None:
        apply(int(everyone["allow"]), int(everyone["deny"]))
    allow = deny = 0
    for role_id in role_ids:
        overwrite = by_target.get(role_id)
        if overwrite is not None and overwrite.get("type", 0) == 0:
            allow, deny = allow | int(overwrite["allow"]), deny | int(overwrite["deny"])
    apply(allow, deny)
    own = by_target.get(member_id)
    if own is not None and own.get("type", 1) == 1:
        apply(int(own["allow"]), int(own["deny"]))
    return permissions if permissions & VIEW_CHANNEL else 0


class BotChannelReader:
    """Reads guilds' channels through Discord's REST API with the bots' own tokens."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        api_base: str,
        tokens: Mapping[str, SecretStr],
        cache: CacheHierarchy,
    ) -> None:
        self.http = http
        self.api_base = api_base.rstrip("/")
        self.tokens = tokens
        self.cache = cache
        self._bot_ids: dict[str, int] = {}
        self._reported: set[str] = set()
        """Bots whose missing token was logged (once per process: every page would repeat it)."""

    async def channels(self, bot: str, guild_id: int, *, fresh: bool = False) -> list[GuildChannel]:
        """The guild's channels with ``bot``'s permissions in each, in Discord's order."""
        key = f"web:channels:{bot}:{guild_id}"
        cached = None if fresh else await self.cache.get(key)
        if cached is None:
            cached = [asdict(channel) for channel in await self._read(bot, guild_id)]
            await self.cache.set(key, cached, CHANNELS_TTL)
        return [GuildChannel(**item) for item in cached]

    async def problems_with(
        self, use: ChannelUse, guild_id: int, channel_ids: set[int]
    ) -> list[str]:
        """Why each of ``channel_ids`` cannot serve ``use`` in the guild (for the member)."""
        if not channel_ids:
            return []
        listed = await self.channels(use.bot, guild_id)
        if not all((found := _find(listed, id_)) and found.serves(use) for id_ in channel_ids):
            # Made, or opened to the bot, since the list was read: ask Discord again, once.
            listed = await self.channels(use.bot, guild_id, fresh=True)
        problems = (_problem(use, guild_id, listed, id_) for id_ in sorted(channel_ids))
        return [problem for problem in problems if problem is not None]

    async def _read(self, bot: str, guild_id: int) -> list[GuildChannel]:
        use = ChannelUse(bot, "")
        token = self.tokens.get(bot)
        if token is None:
            if bot not in self._reported:
                self._reported.add(bot)
                log.error(
                    "the dashboard has no token of the %s bot (web.bot_tokens, "
                    "%s_DISCORD_TOKEN): it cannot read servers' channels",
                    bot,
                    bot.upper(),
                )
            raise ChannelsUnavailableError(
                f"This dashboard cannot see the server's channels as {use.bot_label} (its operator "
                "has not given it the bot's token)."
            )
        headers = {"Authorization": f"Bot {token.get_secret_value()}", "User-Agent": USER_AGENT}
        try:
            bot_id = self._bot_ids.get(bot)
            if bot_id is None:
                bot_id = self._bot_ids[bot] = int((await self._get("/users/@me", headers))["id"])
            channels, roles, member = await asyncio.gather(
                self._get(f"/guilds/{guild_id}/channels", headers),
                self._get(f"/guilds/{guild_id}/roles", headers),
                self._get(f"/guilds/{guild_id}/members/{bot_id}", headers),
            )
        except _RefusedError as exc:
            if exc.status in (403, 404):
                log.info("the %s bot cannot see guild %s (%s)", bot, guild_id, exc.status)
                raise ChannelsUnavailableError(
                    f"{use.bot_subject} is not in this server: add it first, then its "
                    "channels can be chosen here."
                ) from exc
            if exc.status == 401:
                log.error("Discord refused the %s bot's token in web.bot_tokens", bot)
            else:
                log.warning("reading guild %s's channels as %s failed: %s", guild_id, bot, exc)
            raise _unanswered() from exc
        except (aiohttp.ClientError, TimeoutError, KeyError, TypeError, ValueError) as exc:
            log.warning("reading guild %s's channels as %s failed: %r", guild_id, bot, exc)
            raise _unanswered() from exc
        return _bot_view(guild_id, bot_id, channels, roles, member)

    async def _get(self, path: str, headers: dict[str, str]) -> Any:
        async with self.http.get(
            self.api_base + path, headers=headers, timeout=REQUEST_TIMEOUT
        ) as response:
            if response.status >= 400:
                raise _RefusedError(response.status)
            return await response.json(content_type=None)


class _RefusedError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"Discord answered {status}")
        self.status = status


def _unanswered() -> ChannelsUnavailableError:
    return ChannelsUnavailableError(
        "Discord did not tell us this server's channels just now; try again in a minute."
    )


def _problem(
    use: ChannelUse, guild_id: int, listed: list[GuildChannel], channel_id: int
) -> str | None:
    found = _find(listed, channel_id)
    if found is None:
        log.warning("refused channel %s: not a channel of guild %s", channel_id, guild_id)
        return "That channel is not in this server; choose one from the list."
    if found.type == CATEGORY or (use.text_only and not found.is_text):
        kind = "a text channel" if use.text_only else "a channel"
        return f"{found.label} is not {kind}; choose one from the list."
    missing = found.missing(use)
    if missing:
        return (
            f"{use.bot_subject} cannot {use.doing} in #{found.name}: it lacks "
            f"{', '.join(missing)} there. Give its role that permission in the channel, or "
            "choose another."
        )
    return None


def _find(channels: list[GuildChannel], channel_id: int) -> GuildChannel | None:
    return next((channel for channel in channels if channel.id == channel_id), None)


def _bot_view(
    guild_id: int, bot_id: int, channels: Any, roles: Any, member: Any
) -> list[GuildChannel]:
    """Each channel with the bot's permissions there, from Discord's three answers."""
    role_permissions = {int(role["id"]): int(role["permissions"]) for role in roles}
    role_ids = {int(role_id) for role_id in member["roles"]}
    base = role_permissions.get(guild_id, 0)
    for role_id in role_ids:
        base |= role_permissions.get(role_id, 0)
    listed = [
        GuildChannel(
            id=int(item["id"]),
            name=str(item["name"]),
            type=int(item["type"]),
            position=int(item.get("position") or 0),
            permissions=channel_permissions(
                base, item.get("permission_overwrites") or [], guild_id, role_ids, bot_id
            ),
        )
        for item in channels
    ]
    return sorted(listed, key=lambda channel: (channel.position, channel.id))
