"""Discord's HTTP API, the part our bots call, answering with Discord's shapes and errors.

Handlers authenticate the bot (``Authorization: Bot <token>``), check what Discord would check
(membership, permissions, role hierarchy, limits) and change the world through
``SandboxState``. Errors are ``DiscordHTTPError``s rendered by one middleware; a route the
sandbox does not know is answered like Discord's unknown route and recorded as unhandled.
"""

from __future__ import annotations

import datetime
import json
import logging
import mimetypes
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from botfleet.sandbox import moderation, payloads
from botfleet.sandbox.errors import (
    DiscordHTTPError,
    FormErrors,
    JSONErrorCode,
    method_not_allowed,
    missing_access,
    missing_permissions,
    not_found_route,
    unauthorized,
    unknown,
)
from botfleet.sandbox.models import (
    Application,
    ApplicationCommand,
    Channel,
    ChannelType,
    GatewayIntent,
    Guild,
    Member,
    Message,
    OverwriteType,
    Permission,
    PermissionOverwrite,
)
from botfleet.sandbox.ratelimits import INTERACTION_ROUTES, MAJOR_PARAMETERS, RateLimiter
from botfleet.sandbox.snowflakes import snowflake_time
from botfleet.sandbox.state import MemberEdit, SandboxState
from botfleet.sandbox.validation import (
    Upload,
    parse_command,
    parse_commands,
    parse_json_body,
    parse_message,
)

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_PREFIX = r"/api/v{version:\d+}"
_CANONICAL_API_PREFIX = "/api/v{version}"
_VIA = "1.1 google"
"""Discord's answers come through Google's front end; discord.py treats a 429 without ``Via``
as a Cloudflare ban instead of a rate limit."""
MAX_REQUEST_BYTES = 32 * 1024 * 1024
BULK_DELETE_MIN = 2
BULK_DELETE_MAX = 100
BULK_DELETE_MAX_AGE = datetime.timedelta(days=14)
_FILE_FIELD = re.compile(r"^files\[(\d+)\]$")
_CUSTOM_EMOJI = re.compile(r"^(?P<name>[\w~]+):(?P<id>\d+)$")
_APP_KEY = web.RequestKey("sandbox_application", Application)
_GATEWAY_ONLY_GUILD_FIELDS = (
    "members",
    "channels",
    "threads",
    "presences",
    "voice_states",
    "joined_at",
    "large",
    "member_count",
    "unavailable",
)


@dataclass(frozen=True)
class RecordedHTTPError:
    """An error answer the sandbox gave a bot, kept for readable test failures."""

    application: str | None
    method: str
    path: str
    status: int
    code: int
    message: str
    errors: dict[str, Any] | None

    def describe(self) -> str:
        """One line: what was called and what Discord-like answer it got."""
        detail = f" {json.dumps(self.errors)}" if self.errors else ""
        who = f"{self.application}: " if self.application else ""
        answer = f"{self.status} {self.message} (code {self.code})"
        return f"{who}{self.method} {self.path} -> {answer}{detail}"


@dataclass(frozen=True)
class UnhandledRequest:
    """A request the sandbox had no route for: the bot wandered off the map."""

    application: str | None
    method: str
    path: str

    def describe(self) -> str:
        """One line for reports and failures."""
        who = f"{self.application}: " if self.application else ""
        return f"{who}{self.method} {self.path}"


def json_response(data: Any, *, status: int = 200) -> web.Response:
    """A JSON answer with exactly ``Content-Type: application/json``, as discord.py expects."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def no_content() -> web.Response:
    """An empty 204 answer."""
    return web.Response(status=204)


class RestApi:
    """Route handlers for the HTTP API, bound to one sandbox's state."""

    def __init__(
        self,
        state: SandboxState,
        *,
        gateway_url: Callable[[], str],
        on_unhandled: Callable[[str, str, Application | None], None],
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self._state = state
        self._gateway_url = gateway_url
        self._on_unhandled = on_unhandled
        self.rate_limiter = rate_limiter or RateLimiter()
        self.route_keys: frozenset[str] = frozenset()
        """Every route the API serves, as ``"METHOD /path/{param}"`` keys."""
        self.errors: list[RecordedHTTPError] = []
        self.internal_errors: list[str] = []
        """Requests the sandbox itself failed on (a sandbox bug; its traceback is logged)."""

    # -- wiring ----------------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        """Register the middleware and every route on an aiohttp application."""
        app.middlewares.append(self._rate_limit_middleware)
        app.middlewares.append(self._error_middleware)
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/users/@me", self.get_current_user),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("GET", "/channels/{channel_id}/messages", self.list_messages),
            ("POST", "/channels/{channel_id}/messages", self.create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            ("POST", "/channels/{channel_id}/messages/bulk-delete", self.bulk_delete_messages),
            ("POST", "/channels/{channel_id}/typing", self.trigger_typing),
            ("POST", "/channels/{channel_id}/polls/{message_id}/expire", self.expire_poll),
            (
                "GET",
                "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}",
                self.list_poll_voters,
            ),
            ("PUT", "/channels/{channel_id}/permissions/{target_id}", self.set_overwrite),
            ("DELETE", "/channels/{channel_id}/permissions/{target_id}", self.delete_overwrite),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self.add_own_reaction,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self.remove_own_reaction,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}",
                self.remove_user_reaction,
            ),
            (
                "GET",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
                self.list_reaction_users,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
                self.clear_emoji_reactions,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions",
                self.clear_all_reactions,
            ),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.list_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.list_roles),
            ("GET", "/guilds/{guild_id}/members", self.list_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("PATCH", "/guilds/{guild_id}/members/@me", self.edit_own_member),
            ("PATCH", "/guilds/{guild_id}/members/{user_id}", self.edit_member),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}", self.kick_member),
            ("GET", "/guilds/{guild_id}/bans", self.list_bans),
            ("GET", "/guilds/{guild_id}/bans/{user_id}", self.get_ban),
            ("PUT", "/guilds/{guild_id}/bans/{user_id}", self.ban_user),
            ("DELETE", "/guilds/{guild_id}/bans/{user_id}", self.unban_user),
            ("DELETE", "/guilds/{guild_id}/roles/{role_id}", self.delete_role),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role),
            (
                "DELETE",
                "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                self.remove_member_role,
            ),
            ("GET", "/applications/{application_id}/commands", self.list_commands),
            ("PUT", "/applications/{application_id}/commands", self.replace_commands),
            ("POST", "/applications/{application_id}/commands", self.upsert_command),
            ("GET", "/applications/{application_id}/commands/{command_id}", self.get_command),
            ("PATCH", "/applications/{application_id}/commands/{command_id}", self.edit_command),
            (
                "DELETE",
                "/applications/{application_id}/commands/{command_id}",
                self.delete_command,
            ),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self.list_commands,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self.replace_commands,
            ),
            (
                "POST",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self.upsert_command,
            ),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self.get_command,
            ),
            (
                "PATCH",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self.edit_command,
            ),
            (
                "DELETE",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self.delete_command,
            ),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback),
            ("POST", "/webhooks/{application_id}/{token}", self.execute_webhook),
            (
                "GET",
                "/webhooks/{application_id}/{token}/messages/{message_ref}",
                self.get_webhook_message,
            ),
            (
                "PATCH",
                "/webhooks/{application_id}/{token}/messages/{message_ref}",
                self.edit_webhook_message,
            ),
            (
                "DELETE",
                "/webhooks/{application_id}/{token}/messages/{message_ref}",
                self.delete_webhook_message,
            ),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API_PREFIX + path, handler)
        self.route_keys = frozenset(f"{method} {path}" for method, path, _ in routes)
        app.router.add_get(
            "/attachments/{channel_id}/{attachment_id}/{filename}", self.download_attachment
        )

    @web.middleware
    async def _rate_limit_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Count the request in its buckets, answer 429 if refused, add the headers."""
        resource = request.match_info.route.resource
        if resource is None or not resource.canonical.startswith(_CANONICAL_API_PREFIX):
            return await handler(request)
        route = f"{request.method} {resource.canonical.removeprefix(_CANONICAL_API_PREFIX)}"
        app = self._request_application(request, route)
        if app is None:
            return await handler(request)
        admission = self.rate_limiter.admit(
            method=request.method,
            path=request.path,
            route=route,
            major=tuple(request.match_info.get(name, "") for name in MAJOR_PARAMETERS),
            application_id=app.id,
            application=app.name,
        )
        if admission.refusal is not None:
            log.info("Sandbox answered %s", admission.refusal.describe())
            response: web.StreamResponse = json_response(admission.body(), status=429)
        else:
            response = await handler(request)
        response.headers.update(admission.headers)
        response.headers["Via"] = _VIA
        return response

    def _request_application(self, request: web.Request, route: str) -> Application | None:
        """The bot a request counts against: by its token, or by its interaction route."""
        if route not in INTERACTION_ROUTES:
            return self._state.application_by_token(_bot_token(request) or "")
        raw_id = request.match_info.get("application_id") or ""
        if raw_id.isdigit():
            return self._state.applications.get(int(raw_id))
        raw_id = request.match_info.get("interaction_id") or ""
        interaction = self._state.interactions.get(int(raw_id)) if raw_id.isdigit() else None
        return interaction.application if interaction is not None else None

    @web.middleware
    async def _error_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except DiscordHTTPError as error:
            return self._error_response(request, error)
        except web.HTTPMethodNotAllowed:
            self._record_unhandled(request)
            return self._error_response(request, method_not_allowed())
        except web.HTTPNotFound:
            self._record_unhandled(request)
            return self._error_response(request, not_found_route())
        except web.HTTPRequestEntityTooLarge:
            return self._error_response(
                request,
                DiscordHTTPError(
                    413, JSONErrorCode.REQUEST_ENTITY_TOO_LARGE, "Request entity too large"
                ),
            )

    def _error_response(self, request: web.Request, error: DiscordHTTPError) -> web.Response:
        app = request.get(_APP_KEY) or self._state.application_by_token(_bot_token(request) or "")
        recorded = RecordedHTTPError(
            application=app.name if app is not None else None,
            method=request.method,
            path=request.path,
            status=error.status,
            code=int(error.code),
            message=error.message,
            errors=error.errors,
        )
        self.errors.append(recorded)
        log.info("Sandbox answered %s", recorded.describe())
        return json_response(error.body(), status=error.status)

    def _record_unhandled(self, request: web.Request) -> None:
        app = self._state.application_by_token(_bot_token(request) or "")
        self._on_unhandled(request.method, request.path, app)

    # -- helpers ---------------------------------------------------------------------------

    def _authenticate(self, request: web.Request) -> Application:
        token = _bot_token(request)
        app = self._state.application_by_token(token) if token else None
        if app is None:
            raise unauthorized()
        request[_APP_KEY] = app
        return app

    def _channel_for(self, request: web.Request, app: Application) -> Channel:
        channel = self._state.channels.get(_snowflake(request, "channel_id"))
        if channel is None:
            raise unknown(JSONErrorCode.UNKNOWN_CHANNEL, "Channel")
        if channel.guild_id is None:
            if app.bot_user.id not in channel.recipient_ids:
                raise missing_access()
        elif app.bot_user.id not in self._state.guilds[channel.guild_id].members:
            raise missing_access()
        if not self._state.can(channel, app.bot_user.id, Permission.VIEW_CHANNEL):
            raise missing_access()
        return channel

    def _guild_for(self, request: web.Request, app: Application) -> Guild:
        guild = self._state.guilds.get(_snowflake(request, "guild_id"))
        if guild is None:
            raise unknown(JSONErrorCode.UNKNOWN_GUILD, "Guild")
        if app.bot_user.id not in guild.members:
            raise missing_access()
        return guild

    def _message_in(self, request: web.Request, channel: Channel) -> Message:
        message = self._state.messages.get(_snowflake(request, "message_id"))
        if (
            message is None
            or message.deleted
            or message.channel_id != channel.id
            or message.ephemeral
        ):
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        return message

    def _message_payload(self, message: Message, app: Application) -> dict[str, Any]:
        return dict(payloads.message_payload(message, state=self._state, viewer=app.bot_user))

    def _channel_payload(self, channel: Channel, app: Application) -> dict[str, Any]:
        if channel.guild_id is None:
            return dict(
                payloads.dm_channel_payload(channel, viewer=app.bot_user, state=self._state)
            )
        return dict(payloads.guild_channel_payload(channel))

    def _commands_target(self, request: web.Request) -> tuple[Application, int | None]:
        app = self._authenticate(request)
        if _snowflake(request, "application_id") != app.id:
            raise missing_access()
        guild_id: int | None = None
        if "guild_id" in request.match_info:
            guild_id = self._guild_for(request, app).id
        return app, guild_id

    # -- gateway, users, application -------------------------------------------------------

    async def get_gateway(self, request: web.Request) -> web.Response:
        """``GET /gateway``: where the websocket lives (no token needed)."""
        return json_response({"url": self._gateway_url()})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        """``GET /gateway/bot``: the URL plus sharding advice, for AutoShardedBot."""
        self._authenticate(request)
        return json_response(payloads.gateway_bot_payload(self._gateway_url()))

    async def get_current_user(self, request: web.Request) -> web.Response:
        """``GET /users/@me``: the bot user; discord.py's login calls it first."""
        app = self._authenticate(request)
        user = dict(payloads.user_payload(app.bot_user))
        user.update(verified=True, mfa_enabled=False, flags=0, email=None, locale="en-US")
        return json_response(user)

    async def get_user(self, request: web.Request) -> web.Response:
        """``GET /users/{id}``."""
        self._authenticate(request)
        user = self._state.users.get(_snowflake(request, "user_id"))
        if user is None:
            raise unknown(JSONErrorCode.UNKNOWN_USER, "User")
        return json_response(payloads.user_payload(user))

    async def get_application(self, request: web.Request) -> web.Response:
        """``GET /oauth2/applications/@me``: discord.py reads the app id and flags at login."""
        app = self._authenticate(request)
        return json_response(payloads.application_info_payload(app))

    async def create_dm(self, request: web.Request) -> web.Response:
        """``POST /users/@me/channels``: open (or find) the DM channel with a user."""
        app = self._authenticate(request)
        body = parse_json_body(await request.read())
        try:
            recipient = self._state.users[int(body["recipient_id"])]
        except (KeyError, TypeError, ValueError):
            raise unknown(JSONErrorCode.UNKNOWN_USER, "User") from None
        channel = self._state.dm_channel(app.bot_user, recipient)
        return json_response(self._channel_payload(channel, app))

    # -- channels and messages -------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}``."""
        app = self._authenticate(request)
        return json_response(self._channel_payload(self._channel_for(request, app), app))

    async def list_messages(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/messages``: newest first, with before/after/around and limit."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.READ_MESSAGE_HISTORY):
            return json_response([])
        limit = _query_int(request, "limit", 50, low=1, high=100)
        history = [m for m in self._state.messages_in(channel) if not m.ephemeral]
        if "before" in request.query:
            before = _query_int(request, "before", 0)
            history = [m for m in history if m.id < before]
            selected = history[-limit:]
        elif "after" in request.query:
            after = _query_int(request, "after", 0)
            history = [m for m in history if m.id > after]
            selected = history[:limit]
        elif "around" in request.query:
            around = _query_int(request, "around", 0)
            older = [m for m in history if m.id <= around][-(limit // 2 + limit % 2) :]
            newer = [m for m in history if m.id > around][: limit // 2]
            selected = older + newer
        else:
            selected = history[-limit:]
        newest_first = sorted(selected, key=lambda m: m.id, reverse=True)
        return json_response([self._message_payload(m, app) for m in newest_first])

    async def create_message(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/messages``: JSON or multipart with files."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        body, uploads = await _read_message_body(request)
        draft = parse_message(body, uploads)
        if not self._state.can(channel, app.bot_user.id, Permission.SEND_MESSAGES):
            raise missing_permissions()
        if uploads and not self._state.can(channel, app.bot_user.id, Permission.ATTACH_FILES):
            raise missing_permissions()
        if draft.poll and not self._state.can(channel, app.bot_user.id, Permission.SEND_POLLS):
            raise missing_permissions()
        if channel.type is ChannelType.DM:
            self._check_dm_allowed(app, channel)
        message = self._state.post_message(channel, app.bot_user, draft)
        return json_response(self._message_payload(message, app))

    def _check_dm_allowed(self, app: Application, channel: Channel) -> None:
        recipient_id = next(uid for uid in channel.recipient_ids if uid != app.bot_user.id)
        recipient = self._state.users[recipient_id]
        shares_guild = any(recipient_id in guild.members for guild in self._state.guilds_of(app))
        if recipient.bot or not recipient.accepts_dms or not shares_guild:
            raise DiscordHTTPError(
                403, JSONErrorCode.CANNOT_SEND_TO_USER, "Cannot send messages to this user"
            )

    async def get_message(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/messages/{id}``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.READ_MESSAGE_HISTORY):
            raise missing_access()
        return json_response(self._message_payload(self._message_in(request, channel), app))

    async def edit_message(self, request: web.Request) -> web.Response:
        """``PATCH /channels/{id}/messages/{id}``: only the author may change content."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        body, uploads = await _read_message_body(request)
        draft = parse_message(body, uploads, editing=True)
        if message.author.id != app.bot_user.id:
            raise DiscordHTTPError(
                403,
                JSONErrorCode.CANNOT_EDIT_OTHERS_MESSAGE,
                "Cannot edit a message authored by another user",
            )
        self._state.edit_message(message, draft)
        return json_response(self._message_payload(message, app))

    async def delete_message(self, request: web.Request) -> web.Response:
        """``DELETE /channels/{id}/messages/{id}``: own messages, or with MANAGE_MESSAGES."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        if message.author.id != app.bot_user.id and not self._state.can(
            channel, app.bot_user.id, Permission.MANAGE_MESSAGES
        ):
            raise missing_permissions()
        self._state.delete_message(message)
        return no_content()

    async def bulk_delete_messages(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/messages/bulk-delete``: 2 to 100 ids, none older than 14 days.

        Ids of messages that do not exist (or are elsewhere) are skipped, as Discord does.
        """
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        guild = _guild_channel_only(self._state.guild_of(channel))
        body = parse_json_body(await request.read())
        raw_ids = body.get("messages") if isinstance(body, dict) else None
        errors = FormErrors()
        if not isinstance(raw_ids, list) or not all(str(item).isdigit() for item in raw_ids):
            errors.add(("messages",), "BASE_TYPE_ARRAY", "Must be an array of snowflakes.")
            errors.raise_now()
        message_ids = list(dict.fromkeys(int(item) for item in raw_ids))
        if not BULK_DELETE_MIN <= len(raw_ids) <= BULK_DELETE_MAX:
            errors.add(
                ("messages",),
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between {BULK_DELETE_MIN} and {BULK_DELETE_MAX} in length.",
            )
            errors.raise_now()
        if not guild.permissions_in(channel, app.bot_user.id) & Permission.MANAGE_MESSAGES:
            raise missing_permissions()
        oldest_allowed = datetime.datetime.now(datetime.UTC) - BULK_DELETE_MAX_AGE
        if any(snowflake_time(message_id) < oldest_allowed for message_id in message_ids):
            raise DiscordHTTPError(
                400,
                JSONErrorCode.BULK_DELETE_TOO_OLD,
                "You can only bulk delete messages that are under 14 days old.",
            )
        found = [
            message
            for message_id in message_ids
            if (message := self._state.messages.get(message_id)) is not None
            and message.channel_id == channel.id
            and not message.deleted
            and not message.ephemeral
        ]
        if found:
            self._state.bulk_delete(channel, found)
        return no_content()

    async def set_overwrite(self, request: web.Request) -> web.Response:
        """``PUT /channels/{id}/permissions/{id}``: allow and deny bits for a role or member."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        guild = _guild_channel_only(self._state.guild_of(channel))
        target_id = _snowflake(request, "target_id")
        body = parse_json_body(await request.read())
        if not isinstance(body, dict):
            raise DiscordHTTPError(400, JSONErrorCode.GENERAL, "400: Bad Request")
        errors = FormErrors()
        kind = body.get("type")
        if kind not in (0, 1, "0", "1"):
            errors.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {0, 1}.")
        allow, deny = (
            _permission_bits(errors, body, "allow"),
            _permission_bits(errors, body, "deny"),
        )
        errors.raise_if_any()
        overwrite_type = OverwriteType(int(str(kind)))
        if overwrite_type is OverwriteType.ROLE and target_id not in guild.roles:
            raise unknown(JSONErrorCode.UNKNOWN_ROLE, "Role")
        if overwrite_type is OverwriteType.MEMBER and target_id not in guild.members:
            raise unknown(JSONErrorCode.UNKNOWN_MEMBER, "Member")
        moderation.check_overwrite(guild, channel, app.bot_user.id, allow, deny)
        self._state.set_overwrite(
            channel, PermissionOverwrite(id=target_id, type=overwrite_type, allow=allow, deny=deny)
        )
        return no_content()

    async def delete_overwrite(self, request: web.Request) -> web.Response:
        """``DELETE /channels/{id}/permissions/{id}``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        guild = _guild_channel_only(self._state.guild_of(channel))
        moderation.check_overwrite(guild, channel, app.bot_user.id, 0, 0)
        self._state.delete_overwrite(channel, _snowflake(request, "target_id"))
        return no_content()

    async def trigger_typing(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/typing``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.SEND_MESSAGES):
            raise missing_permissions()
        self._state.start_typing(channel, app.bot_user)
        return no_content()

    async def expire_poll(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/polls/{id}/expire``: end the bot's own poll now.

        Answers with the message, its results final; Discord posts the POLL_RESULT message.
        """
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        if message.poll is None:
            raise DiscordHTTPError(
                400,
                JSONErrorCode.CANNOT_EXPIRE_NON_POLL_MESSAGE,
                "Cannot expire a non-poll message",
            )
        if message.author.id != app.bot_user.id:
            raise DiscordHTTPError(
                403,
                JSONErrorCode.CANNOT_EDIT_OTHERS_MESSAGE,
                "Cannot edit a message authored by another user",
            )
        self._state.end_poll(message)
        return json_response(self._message_payload(message, app))

    async def list_poll_voters(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/polls/{id}/answers/{id}``: ``{"users": [...]}`` by user id,
        paged with ``after`` and ``limit`` (1 to 100, 25 by default)."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.READ_MESSAGE_HISTORY):
            raise missing_access()
        message = self._message_in(request, channel)
        raw_answer = request.match_info["answer_id"]
        if not raw_answer.isdigit():
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        limit = _query_int(request, "limit", 25, low=1, high=100)
        after = _query_int(request, "after", 0)
        voters = self._state.poll_voters(message, int(raw_answer), after=after, limit=limit)
        return json_response({"users": [payloads.user_payload(user) for user in voters]})

    async def add_own_reaction(self, request: web.Request) -> web.Response:
        """``PUT .../reactions/{emoji}/@me``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        name, emoji_id = _parse_emoji(request.match_info["emoji"])
        already = any((r.emoji_name, r.emoji_id) == (name, emoji_id) for r in message.reactions)
        if not already and not self._state.can(channel, app.bot_user.id, Permission.ADD_REACTIONS):
            raise missing_permissions()
        self._state.add_reaction(message, app.bot_user, name, emoji_id)
        return no_content()

    async def remove_own_reaction(self, request: web.Request) -> web.Response:
        """``DELETE .../reactions/{emoji}/@me``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        name, emoji_id = _parse_emoji(request.match_info["emoji"])
        self._state.remove_reaction(message, app.bot_user, name, emoji_id)
        return no_content()

    def _moderated_message(self, request: web.Request, app: Application) -> Message:
        """The message of a request that touches others' reactions: needs MANAGE_MESSAGES."""
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        if not self._state.can(channel, app.bot_user.id, Permission.MANAGE_MESSAGES):
            raise missing_permissions()
        return message

    async def remove_user_reaction(self, request: web.Request) -> web.Response:
        """``DELETE .../reactions/{emoji}/{user_id}``: remove someone else's reaction."""
        app = self._authenticate(request)
        message = self._moderated_message(request, app)
        name, emoji_id = _parse_emoji(request.match_info["emoji"])
        user = self._state.users.get(_snowflake(request, "user_id"))
        if user is None:
            raise unknown(JSONErrorCode.UNKNOWN_USER, "User")
        self._state.remove_reaction(message, user, name, emoji_id)
        return no_content()

    async def clear_emoji_reactions(self, request: web.Request) -> web.Response:
        """``DELETE .../reactions/{emoji}``: remove every reaction with this emoji."""
        app = self._authenticate(request)
        message = self._moderated_message(request, app)
        name, emoji_id = _parse_emoji(request.match_info["emoji"])
        self._state.clear_reaction(message, name, emoji_id)
        return no_content()

    async def clear_all_reactions(self, request: web.Request) -> web.Response:
        """``DELETE .../reactions``: remove every reaction of the message."""
        app = self._authenticate(request)
        message = self._moderated_message(request, app)
        self._state.clear_reactions(message)
        return no_content()

    async def list_reaction_users(self, request: web.Request) -> web.Response:
        """``GET .../reactions/{emoji}``: who reacted, by user id, ``after`` and ``limit``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.READ_MESSAGE_HISTORY):
            raise missing_access()
        message = self._message_in(request, channel)
        name, emoji_id = _parse_emoji(request.match_info["emoji"])
        limit = _query_int(request, "limit", 25, low=1, high=100)
        after = _query_int(request, "after", 0)
        burst = _query_int(request, "type", 0, low=0, high=1) == 1
        reaction = next(
            (r for r in message.reactions if (r.emoji_name, r.emoji_id) == (name, emoji_id)), None
        )
        user_ids = [] if reaction is None or burst else sorted(reaction.user_ids)
        users = [self._state.users[user_id] for user_id in user_ids if user_id > after][:limit]
        return json_response([payloads.user_payload(user) for user in users])

    async def download_attachment(self, request: web.Request) -> web.Response:
        """The "CDN": serves back the bytes of an uploaded attachment."""
        attachment = self._state.attachments.get(_snowflake(request, "attachment_id"))
        if attachment is None:
            raise DiscordHTTPError(404, JSONErrorCode.GENERAL, "404: Not Found")
        return web.Response(body=attachment.data, content_type=attachment.content_type)

    # -- guilds, members, roles ------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}``: the guild without members and channels, as REST sends it."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        data = dict(payloads.guild_payload(guild, for_app=app, intents=0))
        for gateway_only in _GATEWAY_ONLY_GUILD_FIELDS:
            data.pop(gateway_only, None)
        return json_response(data)

    async def list_guild_channels(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/channels``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        return json_response([payloads.guild_channel_payload(c) for c in guild.channels.values()])

    async def list_roles(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/roles``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        return json_response([payloads.role_payload(role) for role in guild.roles.values()])

    async def get_member(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/members/{id}``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        member = guild.members.get(_snowflake(request, "user_id"))
        if member is None:
            raise unknown(JSONErrorCode.UNKNOWN_MEMBER, "Member")
        return json_response(payloads.member_payload(member))

    async def list_members(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/members``: needs the GUILD_MEMBERS privileged intent enabled."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        if not app.allowed_privileged_intents & GatewayIntent.GUILD_MEMBERS:
            raise missing_access()
        limit = _query_int(request, "limit", 1, low=1, high=1000)
        after = _query_int(request, "after", 0)
        members = sorted(
            (m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id
        )[:limit]
        return json_response([payloads.member_payload(member) for member in members])

    async def delete_role(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/roles/{id}``: needs MANAGE_ROLES and a higher role."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        role = guild.roles.get(_snowflake(request, "role_id"))
        if role is None or role.id == guild.id:
            raise unknown(JSONErrorCode.UNKNOWN_ROLE, "Role")
        moderation.check_role_assignment(guild, app.bot_user.id, role)
        self._state.delete_role(guild, role.id)
        return no_content()

    async def add_member_role(self, request: web.Request) -> web.Response:
        """``PUT /guilds/{id}/members/{id}/roles/{id}``: needs MANAGE_ROLES and a higher role."""
        app = self._authenticate(request)
        guild, member, role_id = self._role_change(request, app)
        self._state.set_member_roles(guild, member, [*member.role_ids, role_id])
        return no_content()

    async def remove_member_role(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/members/{id}/roles/{id}``."""
        app = self._authenticate(request)
        guild, member, role_id = self._role_change(request, app)
        self._state.set_member_roles(guild, member, [r for r in member.role_ids if r != role_id])
        return no_content()

    def _role_change(self, request: web.Request, app: Application) -> tuple[Guild, Member, int]:
        guild = self._guild_for(request, app)
        member = guild.members.get(_snowflake(request, "user_id"))
        if member is None:
            raise unknown(JSONErrorCode.UNKNOWN_MEMBER, "Member")
        role = guild.roles.get(_snowflake(request, "role_id"))
        if role is None or role.id == guild.id:
            raise unknown(JSONErrorCode.UNKNOWN_ROLE, "Role")
        moderation.check_role_assignment(guild, app.bot_user.id, role)
        return guild, member, role.id

    def _member_in(self, request: web.Request, guild: Guild) -> Member:
        member = guild.members.get(_snowflake(request, "user_id"))
        if member is None:
            raise unknown(JSONErrorCode.UNKNOWN_MEMBER, "Member")
        return member

    async def edit_member(self, request: web.Request) -> web.Response:
        """``PATCH /guilds/{id}/members/{id}``: nick, roles, timeout, voice mute, deafen, move.

        Every field is checked against the bot's permissions and the role hierarchy before
        anything changes, so a refused request changes nothing, as on Discord.
        """
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        member = self._member_in(request, guild)
        body = parse_json_body(await request.read())
        if not isinstance(body, dict):
            raise DiscordHTTPError(400, JSONErrorCode.GENERAL, "400: Bad Request")
        edit = self._member_edit(guild, app.bot_user.id, member, body)
        move_to = self._voice_move(guild, app.bot_user.id, member, body)
        if edit.given:
            self._state.edit_member(guild, member, edit)
        if "channel_id" in body:
            voice = guild.voice_states[member.user.id]
            self._state.set_voice_state(
                guild,
                member.user,
                move_to,
                self_mute=voice.self_mute,
                self_deaf=voice.self_deaf,
            )
        return json_response(payloads.member_with_user_payload(member))

    async def edit_own_member(self, request: web.Request) -> web.Response:
        """``PATCH /guilds/{id}/members/@me``: the bot changes its own nickname."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        member = guild.members[app.bot_user.id]
        body = parse_json_body(await request.read())
        if isinstance(body, dict) and "nick" in body:
            nick = _optional_text(body, "nick")
            moderation.check_nick(guild, app.bot_user.id, app.bot_user.id, nick)
            self._state.edit_member(guild, member, MemberEdit(given=frozenset({"nick"}), nick=nick))
        return json_response(payloads.member_with_user_payload(member))

    def _member_edit(
        self, guild: Guild, actor_id: int, member: Member, body: dict[str, Any]
    ) -> MemberEdit:
        target_id = member.user.id
        given: set[str] = set()
        nick = None
        if "nick" in body:
            nick = _optional_text(body, "nick")
            moderation.check_nick(guild, actor_id, target_id, nick)
            given.add("nick")
        role_ids: tuple[int, ...] = ()
        if body.get("roles") is not None:
            role_ids = self._checked_roles(guild, actor_id, member, body["roles"])
            given.add("roles")
        until = None
        if "communication_disabled_until" in body:
            until = _timestamp(body, "communication_disabled_until")
            moderation.check_timeout(guild, actor_id, target_id, until)
            given.add("communication_disabled_until")
        for key, permission in (
            ("mute", Permission.MUTE_MEMBERS),
            ("deaf", Permission.DEAFEN_MEMBERS),
        ):
            if body.get(key) is not None:
                moderation.require_permission(guild, actor_id, permission)
                _require_in_voice(guild, target_id)
                given.add(key)
        return MemberEdit(
            given=frozenset(given),
            nick=nick,
            role_ids=role_ids,
            communication_disabled_until=until,
            mute=bool(body.get("mute")),
            deaf=bool(body.get("deaf")),
        )

    @staticmethod
    def _checked_roles(guild: Guild, actor_id: int, member: Member, raw: Any) -> tuple[int, ...]:
        if not isinstance(raw, list):
            errors = FormErrors()
            errors.add(("roles",), "BASE_TYPE_ARRAY", "Must be an array.")
            errors.raise_now()
        wanted: list[int] = []
        for raw_id in raw:
            role = guild.roles.get(int(raw_id)) if str(raw_id).isdigit() else None
            if role is None or role.id == guild.id:
                raise unknown(JSONErrorCode.UNKNOWN_ROLE, "Role")
            wanted.append(role.id)
        for role_id in set(wanted) ^ set(member.role_ids):
            moderation.check_role_assignment(guild, actor_id, guild.roles[role_id])
        return tuple(wanted)

    def _voice_move(
        self, guild: Guild, actor_id: int, member: Member, body: dict[str, Any]
    ) -> Channel | None:
        """The voice channel a PATCH moves the member to (``None``: disconnect), checked."""
        if "channel_id" not in body:
            return None
        moderation.require_permission(guild, actor_id, Permission.MOVE_MEMBERS)
        _require_in_voice(guild, member.user.id)
        raw = body["channel_id"]
        if raw is None:
            return None
        channel = guild.channels.get(int(raw)) if str(raw).isdigit() else None
        if channel is None or channel.type is not ChannelType.GUILD_VOICE:
            errors = FormErrors()
            errors.add(("channel_id",), "CHANNEL_TYPE_INVALID", "Channel is not a voice channel")
            errors.raise_now()
        if not guild.permissions_in(channel, actor_id) & Permission.CONNECT:
            raise missing_permissions()
        return channel

    async def kick_member(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/members/{id}``: needs KICK_MEMBERS and a higher role."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        member = self._member_in(request, guild)
        moderation.check_kick(guild, app.bot_user.id, member.user.id)
        self._state.remove_member(guild, member.user.id)
        return no_content()

    async def ban_user(self, request: web.Request) -> web.Response:
        """``PUT /guilds/{id}/bans/{id}``: ban, optionally deleting the user's recent messages.

        discord.py sends ``delete_message_seconds`` in the query string, Discord's
        documentation in the body: both are read. The audit-log reason becomes the ban's reason.
        """
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        user = self._state.users.get(_snowflake(request, "user_id"))
        if user is None:
            raise unknown(JSONErrorCode.UNKNOWN_USER, "User")
        body = parse_json_body(await request.read())
        seconds = _query_int(request, "delete_message_seconds", 0)
        if isinstance(body, dict) and body.get("delete_message_seconds") is not None:
            seconds = _body_int(body, "delete_message_seconds")
        moderation.check_ban(guild, app.bot_user.id, user.id, seconds)
        self._state.ban(
            guild, user, reason=_audit_log_reason(request), delete_message_seconds=seconds
        )
        return no_content()

    async def unban_user(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/bans/{id}``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        moderation.check_unban(guild, app.bot_user.id)
        self._state.unban(guild, _snowflake(request, "user_id"))
        return no_content()

    async def list_bans(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/bans``: by user id, paged with ``before``/``after`` and ``limit``."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        moderation.check_unban(guild, app.bot_user.id)
        limit = _query_int(request, "limit", 1000, low=1, high=1000)
        bans = sorted(guild.bans.values(), key=lambda ban: ban.user.id)
        if "before" in request.query:
            before = _query_int(request, "before", 0)
            bans = [ban for ban in bans if ban.user.id < before][-limit:]
        else:
            after = _query_int(request, "after", 0)
            bans = [ban for ban in bans if ban.user.id > after][:limit]
        return json_response([payloads.ban_payload(ban) for ban in bans])

    async def get_ban(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/bans/{id}``: 10026 Unknown Ban when the user is not banned."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        moderation.check_unban(guild, app.bot_user.id)
        ban = guild.bans.get(_snowflake(request, "user_id"))
        if ban is None:
            raise unknown(JSONErrorCode.UNKNOWN_BAN, "Ban")
        return json_response(payloads.ban_payload(ban))

    # -- application commands --------------------------------------------------------------

    async def list_commands(self, request: web.Request) -> web.Response:
        """``GET .../commands``."""
        app, guild_id = self._commands_target(request)
        commands = app.global_commands if guild_id is None else app.guild_commands.get(guild_id, {})
        return json_response(
            [payloads.application_command_payload(command) for command in commands.values()]
        )

    async def replace_commands(self, request: web.Request) -> web.Response:
        """``PUT .../commands``: what ``CommandTree.sync`` calls."""
        app, guild_id = self._commands_target(request)
        drafts = parse_commands(parse_json_body(await request.read()))
        commands = self._state.replace_commands(app, guild_id, drafts)
        return json_response([payloads.application_command_payload(c) for c in commands])

    async def upsert_command(self, request: web.Request) -> web.Response:
        """``POST .../commands``: 201 when new, 200 when it replaced one of the same name."""
        app, guild_id = self._commands_target(request)
        draft = parse_command(parse_json_body(await request.read()))
        command, created = self._state.upsert_command(app, guild_id, draft)
        return json_response(
            payloads.application_command_payload(command), status=201 if created else 200
        )

    async def get_command(self, request: web.Request) -> web.Response:
        """``GET .../commands/{id}``."""
        app, guild_id = self._commands_target(request)
        command = self._find_command(request, app, guild_id)
        return json_response(payloads.application_command_payload(command))

    async def edit_command(self, request: web.Request) -> web.Response:
        """``PATCH .../commands/{id}``: the body's fields replace the command's."""
        app, guild_id = self._commands_target(request)
        existing = self._find_command(request, app, guild_id)
        body = parse_json_body(await request.read())
        current = dict(payloads.application_command_payload(existing))
        current.update(body if isinstance(body, dict) else {})
        draft = parse_command(current)
        command, _ = self._state.upsert_command(app, guild_id, draft)
        return json_response(payloads.application_command_payload(command))

    async def delete_command(self, request: web.Request) -> web.Response:
        """``DELETE .../commands/{id}``."""
        app, guild_id = self._commands_target(request)
        self._state.delete_command(app, guild_id, _snowflake(request, "command_id"))
        return no_content()

    def _find_command(
        self, request: web.Request, app: Application, guild_id: int | None
    ) -> ApplicationCommand:
        commands = app.global_commands if guild_id is None else app.guild_commands.get(guild_id, {})
        command = commands.get(_snowflake(request, "command_id"))
        if command is None:
            raise unknown(JSONErrorCode.UNKNOWN_APPLICATION_COMMAND, "application command")
        return command

    # -- interactions and their webhook ----------------------------------------------------

    async def interaction_callback(self, request: web.Request) -> web.StreamResponse:
        """``POST /interactions/{id}/{token}/callback``: the first answer to an interaction."""
        interaction = self._state.interactions.get(_snowflake(request, "interaction_id"))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise unknown(JSONErrorCode.UNKNOWN_INTERACTION, "interaction")
        request[_APP_KEY] = interaction.application
        body, uploads = await _read_message_body(request)
        message = self._state.respond_to_interaction(interaction, body, uploads=uploads)
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return no_content()
        return json_response(
            payloads.interaction_callback_payload(interaction, state=self._state, message=message)
        )

    async def execute_webhook(self, request: web.Request) -> web.StreamResponse:
        """``POST /webhooks/{app_id}/{token}``: an interaction followup.

        For an interaction's webhook ``wait`` is always true, as Discord documents: the answer
        is the message, which right after a deferral is the original answer it filled.
        """
        interaction = self._state.interaction_for_webhook(
            _snowflake(request, "application_id"), request.match_info["token"]
        )
        request[_APP_KEY] = interaction.application
        body, uploads = await _read_message_body(request)
        draft = parse_message(body, uploads, ephemeral_allowed=True)
        message = self._state.send_followup(interaction, draft)
        return json_response(self._message_payload(message, interaction.application))

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        """``GET /webhooks/{app_id}/{token}/messages/{@original|id}``."""
        interaction = self._state.interaction_for_webhook(
            _snowflake(request, "application_id"), request.match_info["token"]
        )
        request[_APP_KEY] = interaction.application
        message = self._state.interaction_message(interaction, request.match_info["message_ref"])
        return json_response(self._message_payload(message, interaction.application))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        """``PATCH /webhooks/{app_id}/{token}/messages/{@original|id}``."""
        interaction = self._state.interaction_for_webhook(
            _snowflake(request, "application_id"), request.match_info["token"]
        )
        request[_APP_KEY] = interaction.application
        message = self._state.interaction_message(interaction, request.match_info["message_ref"])
        body, uploads = await _read_message_body(request)
        self._state.edit_message(message, parse_message(body, uploads, editing=True))
        return json_response(self._message_payload(message, interaction.application))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        """``DELETE /webhooks/{app_id}/{token}/messages/{@original|id}``."""
        interaction = self._state.interaction_for_webhook(
            _snowflake(request, "application_id"), request.match_info["token"]
        )
        request[_APP_KEY] = interaction.application
        message = self._state.interaction_message(interaction, request.match_info["message_ref"])
        self._state.delete_message(message)
        return no_content()


def _bot_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme == "Bot" and token.strip() else None


def _snowflake(request: web.Request, key: str) -> int:
    raw = request.match_info.get(key, "")
    if not raw.isdigit():
        errors_for = {
            "channel_id": (JSONErrorCode.UNKNOWN_CHANNEL, "Channel"),
            "guild_id": (JSONErrorCode.UNKNOWN_GUILD, "Guild"),
            "message_id": (JSONErrorCode.UNKNOWN_MESSAGE, "Message"),
            "user_id": (JSONErrorCode.UNKNOWN_USER, "User"),
            "role_id": (JSONErrorCode.UNKNOWN_ROLE, "Role"),
            "interaction_id": (JSONErrorCode.UNKNOWN_INTERACTION, "interaction"),
            "application_id": (JSONErrorCode.UNKNOWN_APPLICATION, "Application"),
            "command_id": (JSONErrorCode.UNKNOWN_APPLICATION_COMMAND, "application command"),
        }
        code, what = errors_for.get(key, (JSONErrorCode.GENERAL, "resource"))
        raise unknown(code, what)
    return int(raw)


def _query_int(
    request: web.Request, name: str, default: int, *, low: int = 0, high: int | None = None
) -> int:
    """An integer query parameter, refused with 50035 when malformed or out of range."""
    raw = request.query.get(name)
    if raw is None:
        return default
    errors = FormErrors()
    try:
        value = int(raw)
    except ValueError:
        errors.add((name,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not int.')
        errors.raise_now()
    if value < low:
        errors.add(
            (name,), "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}."
        )
    if high is not None and value > high:
        errors.add((name,), "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}.")
    errors.raise_if_any()
    return value


def _guild_channel_only(guild: Guild | None) -> Guild:
    """The channel's guild; actions that only exist in guilds are refused in DMs (50003)."""
    if guild is None:
        raise DiscordHTTPError(
            403, JSONErrorCode.CANNOT_EXECUTE_ON_DM, "Cannot execute action on a DM channel"
        )
    return guild


def _require_in_voice(guild: Guild, user_id: int) -> None:
    if user_id not in guild.voice_states:
        raise DiscordHTTPError(
            400, JSONErrorCode.TARGET_NOT_IN_VOICE, "Target user is not connected to voice."
        )


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    errors = FormErrors()
    errors.add((key,), "BASE_TYPE_STRING", "Must be a string.")
    errors.raise_now()


def _body_int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    errors = FormErrors()
    errors.add((key,), "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    errors.raise_now()


def _timestamp(body: dict[str, Any], key: str) -> datetime.datetime | None:
    """An ISO 8601 timestamp field (``None`` when null), refused with 50035 when malformed."""
    raw = body.get(key)
    if raw is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(raw))
    except ValueError:
        errors = FormErrors()
        errors.add((key,), "DATE_TIME_TYPE_PARSE", f"Could not parse {raw}. Should be ISO8601.")
        errors.raise_now()
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _permission_bits(errors: FormErrors, body: dict[str, Any], key: str) -> int:
    raw = body.get(key)
    if raw is None:
        return 0
    if str(raw).isdigit():
        return int(raw)
    errors.add((key,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
    return 0


def _audit_log_reason(request: web.Request) -> str | None:
    reason = request.headers.get("X-Audit-Log-Reason")
    return unquote(reason) if reason else None


def _parse_emoji(raw: str) -> tuple[str, int | None]:
    text = unquote(raw)
    custom = _CUSTOM_EMOJI.match(text)
    if custom is not None:
        return custom.group("name"), int(custom.group("id"))
    if not text:
        raise unknown(JSONErrorCode.UNKNOWN_EMOJI, "Emoji")
    return text, None


async def _read_message_body(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    """A message body from JSON or from multipart (``payload_json`` plus ``files[n]``)."""
    if not request.content_type.startswith("multipart/"):
        body = parse_json_body(await request.read())
        if not isinstance(body, dict):
            raise DiscordHTTPError(400, JSONErrorCode.GENERAL, "400: Bad Request")
        return body, []
    reader = await request.multipart()
    body = {}
    uploads: list[Upload] = []
    total = 0
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        name = part.name or ""
        data = await part.read()
        if name == "payload_json":
            body = parse_json_body(bytes(data))
            continue
        match = _FILE_FIELD.match(name)
        if match is None:
            continue
        total += len(data)
        filename = part.filename or f"file{match.group(1)}"
        guessed, _ = mimetypes.guess_type(filename)
        uploads.append(
            Upload(
                index=int(match.group(1)),
                filename=filename,
                content_type=guessed or "application/octet-stream",
                data=bytes(data),
            )
        )
    if total > payloads.ATTACHMENT_SIZE_LIMIT:
        raise DiscordHTTPError(
            413, JSONErrorCode.REQUEST_ENTITY_TOO_LARGE, "Request entity too large"
        )
    return body, uploads
