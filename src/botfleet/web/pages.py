"""The dashboard's pages: home, the member's profile, their servers, leaderboards, settings.

Guild settings change only for a member whose Discord permissions (read with their own token
from ``/users/@me/guilds``, never from the form) include Manage Server in that guild.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from typing import Any, NoReturn
from urllib.parse import quote

import aiohttp
from aiohttp import web

from botfleet.auth.oauth2 import MemberGuild, OAuth2Error
from botfleet.auth.refresh import DiscordUnavailableError, LoginExpiredError, usable_access_token
from botfleet.bots.grammar.services.autocheck import AutoCheckChannels
from botfleet.bots.grammar.services.issues import Strictness
from botfleet.bots.grammar.services.store import GrammarStore
from botfleet.gamification.guild_settings import (
    MAX_EXCLUDED,
    GamificationSettingsError,
    GuildSettingsService,
    GuildXPConfig,
)
from botfleet.gamification.options import AnnouncementMode, GamificationOptions
from botfleet.services.rate_limit import RateLimitRule
from botfleet.web.channels import (
    ADD_REACTIONS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    ChannelsUnavailableError,
    ChannelUse,
)
from botfleet.web.dashboard import (
    leaderboard_is_public,
    profile_of,
    public_board_page,
    set_leaderboard_public,
)
from botfleet.web.inputs import ForgedAnchorError, leaderboard_anchor, snowflake, whole_number
from botfleet.web.keys import (
    CACHE_KEY,
    CHANNELS_KEY,
    DATABASE_KEY,
    REFRESH_CLAIMS_KEY,
    SESSIONS_KEY,
    SETTINGS_KEY,
)
from botfleet.web.limits import seconds_to_wait
from botfleet.web.login import login_services
from botfleet.web.rendering import PageError, redirect, render
from botfleet.web.sessions import checked_form, current_user_id, session_of

log = logging.getLogger(__name__)

LEADERBOARD_PAGE_SIZE = 25
SAVED_NOTICES = {
    "xp": "Saved. Every bot uses the new settings now.",
    "grammar": "Saved. The Grammar Bot checks the channels listed now.",
}
GUILDS_CACHE_TTL = 600.0
"""Seconds the names of a member's servers are reused for display (never for permissions)."""
_ID_LIST = re.compile(r"[\s,]+")


def require_login(request: web.Request) -> int:
    """The logged-in member's id; a visitor is sent to log in and come back here."""
    user_id = current_user_id(request)
    if user_id is None:
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='/')}")
    return user_id


async def _log_in_again(request: web.Request, user_id: int) -> NoReturn:
    """End the session and send the member to log in: their Discord authorisation is gone."""
    log.info("user %s must log in again: Discord no longer accepts their token", user_id)
    await request.app[SESSIONS_KEY].end(session_of(request))
    raise web.HTTPSeeOther(f"/login?next={quote(request.path, safe='/')}")


def _guilds_cache_key(user_id: int) -> str:
    return f"web:guilds:{user_id}"


async def member_guilds(request: web.Request) -> list[MemberGuild]:
    """The member's guilds as Discord reports them now, through their own token.

    The answer is cached for :func:`guild_names`; permission checks always read it afresh.
    """
    user_id = require_login(request)
    guilds = await _guilds_from_discord(request, user_id)
    cached = [asdict(guild) for guild in guilds]
    await request.app[CACHE_KEY].set(_guilds_cache_key(user_id), cached, GUILDS_CACHE_TTL)
    return guilds


async def guild_names(request: web.Request) -> dict[int, str]:
    """The names of the member's servers by id, from the cache when Discord told us lately."""
    user_id = require_login(request)
    cached = await request.app[CACHE_KEY].get(_guilds_cache_key(user_id))
    if cached is None:
        return {guild.id: guild.name for guild in await member_guilds(request)}
    return {int(guild["id"]): str(guild["name"]) for guild in cached}


async def _guilds_from_discord(request: web.Request, user_id: int) -> list[MemberGuild]:
    client, tokens = login_services(request)
    claims = request.app[REFRESH_CLAIMS_KEY]
    try:
        access_token = await usable_access_token(client, tokens, claims, user_id)
    except LoginExpiredError:
        await _log_in_again(request, user_id)
    except DiscordUnavailableError as exc:
        raise PageError(
            503,
            "Discord is not answering",
            "Your Discord login could not be renewed just now. You are still logged in: "
            "try again in a minute.",
        ) from exc
    try:
        return await client.guilds(access_token)
    except OAuth2Error as exc:
        if exc.status == 401:
            await tokens.forget(user_id)
            await _log_in_again(request, user_id)
        log.warning("Discord refused the guilds of user %s: %s", user_id, exc)
        raise PageError(
            502, "Discord did not answer", "Your servers could not be read. Try again soon."
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("reading the guilds of user %s from Discord failed: %r", user_id, exc)
        raise PageError(
            502, "Discord did not answer", "Your servers could not be read. Try again soon."
        ) from exc


def guild_id_of(request: web.Request) -> int:
    guild_id = snowflake(request.match_info["guild_id"])
    if guild_id is None:
        raise PageError(404, "No such server", "That address does not name a Discord server.")
    return guild_id


async def managed_guild(request: web.Request, guild_id: int) -> MemberGuild:
    """The guild, if the member may manage it (Manage Server there, checked with Discord)."""
    user_id = require_login(request)
    for guild in await member_guilds(request):
        if guild.id == guild_id and guild.can_manage:
            return guild
    log.warning("user %s was refused the settings of guild %s", user_id, guild_id)
    raise PageError(
        403,
        "Not your server to manage",
        "Only members with the Manage Server permission there can change its settings.",
    )


def settings_service(request: web.Request) -> GuildSettingsService:
    app = request.app
    options = GamificationOptions.from_settings(app[SETTINGS_KEY])
    return GuildSettingsService(app[DATABASE_KEY], app[CACHE_KEY], options)


async def home(request: web.Request) -> web.Response:
    return render(request, "home.html", {})


async def profile(request: web.Request) -> web.Response:
    """The member's level, XP across the bots, achievements and premium status."""
    user_id = require_login(request)
    found = await profile_of(request.app[DATABASE_KEY], user_id)
    if found is None:
        raise PageError(404, "No profile yet", "Use any botfleet bot to start your profile.")
    names = await guild_names(request) if found.guilds else {}
    return render(request, "profile.html", {"profile": found, "guild_names": names})


async def guilds(request: web.Request) -> web.Response:
    """The member's servers: leaderboards, and settings where they may manage."""
    listed = sorted(await member_guilds(request), key=lambda guild: guild.name.lower())
    return render(request, "guilds.html", {"guilds": listed})


async def leaderboard(request: web.Request) -> web.Response:
    """A guild's all-time XP leaderboard, public once its admins opted in; anyone may open
    it, so each client has a budget of pages a minute (``web.leaderboard_pages_per_minute``)."""
    guild_id = guild_id_of(request)
    per_minute = request.app[SETTINGS_KEY].web.leaderboard_pages_per_minute
    wait = await seconds_to_wait(request, "web-leaderboard", RateLimitRule(per_minute, 60.0))
    if wait is not None:
        raise PageError(
            429,
            "Too many pages at once",
            f"You opened a great many leaderboard pages this minute; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    database = request.app[DATABASE_KEY]
    if not await leaderboard_is_public(database, guild_id):
        raise PageError(
            404,
            "This leaderboard is not public",
            "The server's admins have not opened its leaderboard to the web.",
        )
    page_number = whole_number(request.query.get("page"), max_digits=6)
    try:
        anchor = leaderboard_anchor(request.query)
    except ForgedAnchorError as exc:
        log.info("leaderboard link of guild %s refused: %s", guild_id, exc)
        raise PageError(400, "This page link is broken", "Open the leaderboard again.") from exc
    board = await public_board_page(
        database,
        request.app[CACHE_KEY],
        guild_id,
        anchor,
        page=page_number,
        per_page=LEADERBOARD_PAGE_SIZE,
    )
    return render(request, "leaderboard.html", {"guild_id": guild_id, "board": board})


def grammar_channels(request: web.Request) -> AutoCheckChannels:
    """The Grammar Bot's auto-check channels, through the cache the bots read them from."""
    app = request.app
    return AutoCheckChannels(GrammarStore(app[DATABASE_KEY]), app[CACHE_KEY])


@dataclass(frozen=True)
class SettingsChannels:
    """What each channel setting asks of a channel, and of which bot."""

    announcements: ChannelUse
    no_xp: ChannelUse
    autocheck: ChannelUse

    @classmethod
    def of(cls, request: web.Request) -> SettingsChannels:
        # The host bot announces chat level-ups and awards chat XP; the Grammar Bot checks.
        host = GamificationOptions.from_settings(request.app[SETTINGS_KEY]).host_bot
        return cls(
            announcements=ChannelUse(host, "announce level-ups", (VIEW_CHANNEL, SEND_MESSAGES)),
            no_xp=ChannelUse(host, "count messages", text_only=False),
            autocheck=ChannelUse(
                "grammar", "check messages", (VIEW_CHANNEL, READ_MESSAGE_HISTORY, ADD_REACTIONS)
            ),
        )


@dataclass(frozen=True)
class ChannelChoice:
    """One option of a channel list on the settings page."""

    id: int
    label: str
    selected: bool


@dataclass(frozen=True)
class ChannelChoices:
    """The channels a setting may choose, and why none could be listed, if so."""

    options: list[ChannelChoice]
    problem: str | None
    labels: dict[int, str]


async def channel_choices(
    request: web.Request, use: ChannelUse, guild_id: int, chosen: set[int]
) -> ChannelChoices:
    """The guild's channels that can serve ``use``, and those ``chosen`` before whatever they
    are now (so the page shows what is stored, and saving it again keeps it)."""
    try:
        listed = await request.app[CHANNELS_KEY].channels(use.bot, guild_id)
        problem = None
    except ChannelsUnavailableError as exc:
        listed, problem = [], str(exc)
    labels = {channel.id: channel.label for channel in listed}
    options = [
        ChannelChoice(channel.id, channel.label, channel.id in chosen)
        for channel in listed
        if channel.serves(use)
    ]
    offered = {option.id for option in options}
    for channel_id in sorted(chosen - offered):
        known = labels.get(channel_id)
        label = (
            f"{known}: {use.bot_label} cannot {use.doing} there"
            if known is not None
            else f"Channel {channel_id} (not found in this server)"
        )
        options.append(ChannelChoice(channel_id, label, selected=True))
    return ChannelChoices(options, problem, labels)


async def settings_page(
    request: web.Request,
    guild: MemberGuild,
    config: GuildXPConfig,
    *,
    status: int = 200,
    **extra: Any,
) -> web.Response:
    """The settings form of ``guild`` as stored now, with ``extra`` (errors, notices)."""
    uses = SettingsChannels.of(request)
    announced = config.announcement_channel_id
    autocheck = await grammar_channels(request).list(guild.id)
    checked = {channel.channel_id for channel in autocheck}
    grammar = await channel_choices(request, uses.autocheck, guild.id, set())
    context = {
        "guild": guild,
        "config": config,
        "public": await leaderboard_is_public(request.app[DATABASE_KEY], guild.id),
        "modes": list(AnnouncementMode),
        "host_bot": uses.announcements.bot_label,
        "announcement_channels": await channel_choices(
            request, uses.announcements, guild.id, {announced} if announced else set()
        ),
        "no_xp_channels": await channel_choices(
            request, uses.no_xp, guild.id, set(config.no_xp_channel_ids)
        ),
        "autocheck": autocheck,
        "autocheck_channels": grammar,
        "autocheck_choices": [option for option in grammar.options if option.id not in checked],
        "strictness_levels": list(Strictness),
        "errors": [],
        "grammar_errors": [],
        "saved": None,
        **extra,
    }
    return render(request, "guild_settings.html", context, status=status)


async def guild_settings(request: web.Request) -> web.Response:
    """The settings form of a guild the member manages."""
    guild_id = guild_id_of(request)
    guild = await managed_guild(request, guild_id)
    config = await settings_service(request).get(guild_id)
    saved = SAVED_NOTICES.get(request.query.get("saved", ""))
    return await settings_page(request, guild, config, saved=saved)


def _whole_number(form: Any, name: str, label: str, errors: list[str]) -> int | None:
    value = whole_number(str(form.get(name, "")).strip())
    if value is None:
        errors.append(f"{label} must be a whole number.")
    return value


def _channel_ids(raw: str, errors: list[str]) -> set[int]:
    ids = set()
    for item in filter(None, _ID_LIST.split(raw.strip())):
        channel_id = snowflake(item)
        if channel_id is None:
            errors.append(f"“{item[:30]}” is not a channel id (Discord ids are long numbers).")
            continue
        ids.add(channel_id)
    return ids


async def _check_new_channels(
    request: web.Request, use: ChannelUse, guild_id: int, chosen: set[int], errors: list[str]
) -> None:
    """Refuse channels newly chosen for ``use`` that are not the guild's or the bot cannot use
    (a form can be forged: its list is a suggestion, this is the check)."""
    try:
        errors.extend(await request.app[CHANNELS_KEY].problems_with(use, guild_id, chosen))
    except ChannelsUnavailableError as exc:
        errors.append(str(exc))


async def save_guild_settings(request: web.Request) -> web.Response:
    """Apply the form, after the CSRF check and the Manage Server check against Discord."""
    form = await checked_form(request)
    guild_id = guild_id_of(request)
    guild = await managed_guild(request, guild_id)
    user_id = require_login(request)
    service = settings_service(request)
    uses = SettingsChannels.of(request)
    errors: list[str] = []
    low = _whole_number(form, "message_xp_min", "Lowest message XP", errors)
    high = _whole_number(form, "message_xp_max", "Highest message XP", errors)
    cooldown = _whole_number(form, "message_cooldown_seconds", "Message cooldown", errors)
    command_xp = _whole_number(form, "command_xp", "Command XP", errors)
    raw_mode = str(form.get("announcement_mode", ""))
    mode = AnnouncementMode(raw_mode) if raw_mode in set(AnnouncementMode) else None
    if mode is None:
        errors.append("Choose where level-ups are announced.")
    raw_channel = str(form.get("announcement_channel_id", "")).strip()
    channel_ids = _channel_ids(raw_channel, errors) if raw_channel else set()
    if len(channel_ids) > 1:
        errors.append("Give one announcement channel.")
    listed = ",".join(str(value) for value in form.getall("no_xp_channel_ids", []))
    no_xp = _channel_ids(listed, errors)
    if len(no_xp) > MAX_EXCLUDED:
        # Checked before any write: the channels are saved one by one after the rest.
        errors.append(f"A server can exclude at most {MAX_EXCLUDED} channels from XP.")
    public = form.get("public_leaderboard") == "on"
    config = await service.get(guild_id)
    if not errors:
        stored = {config.announcement_channel_id}
        await _check_new_channels(
            request, uses.announcements, guild_id, channel_ids - stored, errors
        )
        await _check_new_channels(
            request, uses.no_xp, guild_id, no_xp - config.no_xp_channel_ids, errors
        )
    if not errors and low is not None and high is not None:
        try:
            config = await service.update(
                guild_id,
                enabled=form.get("enabled") == "on",
                message_xp=(low, high),
                message_cooldown_seconds=cooldown,
                command_xp=command_xp,
                announcement_mode=mode,
                announcement_channel_id=next(iter(channel_ids), None),
            )
            for channel_id in no_xp ^ config.no_xp_channel_ids:
                config = await service.set_no_xp_channel(guild_id, channel_id, channel_id in no_xp)
        except GamificationSettingsError as exc:
            errors.append(str(exc))
    if errors:
        log.info("guild %s settings refused for user %s: %s", guild_id, user_id, errors)
        return await settings_page(request, guild, config, status=400, errors=errors)
    await set_leaderboard_public(request.app[DATABASE_KEY], guild_id, public, user_id)
    log.info("user %s changed the settings of guild %s", user_id, guild_id)
    return redirect(f"/guilds/{guild_id}/settings?saved=xp")


async def save_grammar_channel(request: web.Request) -> web.Response:
    """Start or stop the Grammar Bot's auto-check in a channel (Manage Server, CSRF checked)."""
    form = await checked_form(request)
    guild_id = guild_id_of(request)
    guild = await managed_guild(request, guild_id)
    user_id = require_login(request)
    channel_id = snowflake(str(form.get("channel_id", "")).strip())
    raw_strictness = str(form.get("strictness", Strictness.NORMAL.value))
    action = form.get("action")
    problems: list[str] = []
    if channel_id is None:
        problems.append("Choose the channel to check.")
    if raw_strictness not in set(Strictness):
        problems.append("Choose how strictly the channel is checked.")
    if action not in ("enable", "disable"):
        problems.append("Choose whether to start or stop checking the channel.")
    if not problems and channel_id is not None and action == "enable":
        await _check_new_channels(
            request, SettingsChannels.of(request).autocheck, guild_id, {channel_id}, problems
        )
    if problems or channel_id is None:
        log.info("guild %s auto-check change refused for user %s: %s", guild_id, user_id, problems)
        config = await settings_service(request).get(guild_id)
        return await settings_page(request, guild, config, status=400, grammar_errors=problems)
    channels = grammar_channels(request)
    if action == "enable":
        await channels.enable(guild_id, channel_id, Strictness(raw_strictness), user_id)
    else:
        await channels.disable(guild_id, channel_id, user_id)
    return redirect(f"/guilds/{guild_id}/settings?saved=grammar")


def setup_pages(app: web.Application) -> None:
    """The dashboard's pages."""
    app.router.add_get("/", home)
    app.router.add_get("/profile", profile)
    app.router.add_get("/guilds", guilds)
    app.router.add_get("/guilds/{guild_id}/leaderboard", leaderboard)
    app.router.add_get("/guilds/{guild_id}/settings", guild_settings)
    app.router.add_post("/guilds/{guild_id}/settings", save_guild_settings)
    app.router.add_post("/guilds/{guild_id}/grammar", save_grammar_channel)
