"""Discord's HTTP API, the part our bots call, answering with Discord's shapes and errors.

Handlers authenticate the bot (``Authorization: Bot <token>``), check what Discord would check
(membership, permissions, role hierarchy, limits) and change the world through
``SandboxState``. Errors are ``DiscordHTTPError``s rendered by one middleware; a route the
sandbox does not know is answered like Discord's unknown route and recorded as unhandled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import (
    DiscordHTTPError,
    JSONErrorCode,
    method_not_allowed,
    not_found_route,
    unknown,
)
from botfleet.sandbox.models import Application
from botfleet.sandbox.ratelimits import (
    INTERACTION_ROUTES,
    MAJOR_PARAMETERS,
    ForcedOutage,
    RateLimiter,
)
from botfleet.sandbox.resources.audit_log import AuditLogRoutes
from botfleet.sandbox.resources.automod import AutoModRoutes
from botfleet.sandbox.resources.commands import CommandRoutes
from botfleet.sandbox.resources.guild_edits import GuildEditRoutes
from botfleet.sandbox.resources.guilds import GuildRoutes
from botfleet.sandbox.resources.interactions import InteractionRoutes
from botfleet.sandbox.resources.members import MemberRoutes
from botfleet.sandbox.resources.messages import MessageRoutes
from botfleet.sandbox.resources.oauth2 import OAuth2Routes, OAuth2State
from botfleet.sandbox.resources.polls import PollRoutes
from botfleet.sandbox.resources.reactions import ReactionRoutes
from botfleet.sandbox.resources.routing import (
    APP_KEY,
    Handler,
    audit_log_reason,
    bot_token,
    json_response,
    path_snowflake,
)
from botfleet.sandbox.state import SandboxState

if TYPE_CHECKING:
    from discord.types.appinfo import AppInfo as AppInfoPayload
    from discord.types.gateway import GatewayBot as GatewayBotPayload

log = logging.getLogger(__name__)


API_PREFIX = r"/api/v{version:\d+}"
_CANONICAL_API_PREFIX = "/api/v{version}"
_VIA = "1.1 google"
"""Discord's answers come through Google's front end; discord.py treats a 429 without ``Via``
as a Cloudflare ban instead of a rate limit."""
MAX_REQUEST_BYTES = 32 * 1024 * 1024


def application_info_payload(app: Application) -> AppInfoPayload:
    """``GET /oauth2/applications/@me``: discord.py reads it at login."""
    return {
        "id": payloads.snowflake(app.id),
        "name": app.name,
        "verify_key": f"{app.id:064x}"[-64:],
        "icon": None,
        "summary": "",
        "description": app.description,
        "flags": app.flags,
        "owner": payloads.user_payload(app.owner),
        "bot_public": True,
        "bot_require_code_grant": False,
        "interactions_endpoint_url": None,
        "redirect_uris": [],
        "tags": [],
        "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
        "integration_types_config": {"0": {}},
    }


GUILDS_PER_RECOMMENDED_SHARD = 1000
"""Discord recommends about one shard per thousand guilds."""


def gateway_bot_payload(url: str, app: Application, guild_count: int) -> GatewayBotPayload:
    """``GET /gateway/bot``: the recommended shards, the identify concurrency, a roomy budget."""
    return {
        "url": url,
        "shards": max(1, -(-guild_count // GUILDS_PER_RECOMMENDED_SHARD)),
        "session_start_limit": {
            "total": 1000,
            "remaining": 1000,
            "reset_after": 86_400_000,
            "max_concurrency": app.max_concurrency,
        },
    }


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
class AuditedRequest:
    """A request that carried an audit-log reason (``X-Audit-Log-Reason``), as Discord read it."""

    application: str | None
    method: str
    path: str
    status: int
    reason: str


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


class RestApi(
    AuditLogRoutes,
    AutoModRoutes,
    GuildEditRoutes,
    GuildRoutes,
    MessageRoutes,
    ReactionRoutes,
    PollRoutes,
    MemberRoutes,
    CommandRoutes,
    InteractionRoutes,
    OAuth2Routes,
):
    """Route handlers for the HTTP API, bound to one sandbox's state."""

    _state: SandboxState

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
        self.outages: list[ForcedOutage] = []
        """5xx switches a test turned on (``DiscordSandbox.force_outage``)."""
        self.oauth2 = OAuth2State()
        self.route_keys: frozenset[str] = frozenset()
        """Every route the API serves, as ``"METHOD /path/{param}"`` keys."""
        self.errors: list[RecordedHTTPError] = []
        self.audited: list[AuditedRequest] = []
        """Every request with an audit-log reason, oldest first, whatever its answer."""
        self.internal_errors: list[str] = []
        """Requests the sandbox itself failed on (a sandbox bug; its traceback is logged)."""

    # -- wiring ----------------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        """Register the middleware and every route on an aiohttp application."""
        app.middlewares.append(self._rate_limit_middleware)
        app.middlewares.append(self._error_middleware)
        app.middlewares.append(self._audit_reason_middleware)
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/users/@me", self.get_current_user),
            ("GET", "/users/@me/guilds", self.list_current_user_guilds),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("PATCH", "/channels/{channel_id}", self.edit_channel),
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
            ("PATCH", "/guilds/{guild_id}", self.edit_guild),
            ("GET", "/guilds/{guild_id}/channels", self.list_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.list_roles),
            ("GET", "/guilds/{guild_id}/members", self.list_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("PATCH", "/guilds/{guild_id}/members/@me", self.edit_own_member),
            ("PATCH", "/guilds/{guild_id}/members/{user_id}", self.edit_member),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}", self.kick_member),
            ("GET", "/guilds/{guild_id}/audit-logs", self.get_audit_log),
            ("GET", "/guilds/{guild_id}/auto-moderation/rules", self.list_automod_rules),
            ("POST", "/guilds/{guild_id}/auto-moderation/rules", self.create_automod_rule),
            ("GET", "/guilds/{guild_id}/auto-moderation/rules/{rule_id}", self.get_automod_rule),
            (
                "PATCH",
                "/guilds/{guild_id}/auto-moderation/rules/{rule_id}",
                self.edit_automod_rule,
            ),
            (
                "DELETE",
                "/guilds/{guild_id}/auto-moderation/rules/{rule_id}",
                self.delete_automod_rule,
            ),
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
        self.install_oauth2(app, API_PREFIX)
        app.router.add_get(
            "/attachments/{channel_id}/{attachment_id}/{filename}", self.download_attachment
        )

    @web.middleware
    async def _rate_limit_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Count the request in its buckets, answer 429 if refused, add the headers.

        A forced outage answers first, without the headers, as Discord's edge does when the
        API behind it is down.
        """
        resource = request.match_info.route.resource
        if resource is None or not resource.canonical.startswith(_CANONICAL_API_PREFIX):
            return await handler(request)
        route = f"{request.method} {resource.canonical.removeprefix(_CANONICAL_API_PREFIX)}"
        app = self._request_application(request, route)
        if app is None:
            return await handler(request)
        outage = next((o for o in self.outages if o.matches(route, app.name)), None)
        if outage is not None:
            outage.hits += 1
            if outage.after_applying:
                await handler(request)
            status = HTTPStatus(outage.status)
            message = f"{status.value}: {status.phrase}"
            error = DiscordHTTPError(status.value, JSONErrorCode.GENERAL, message)
            return self._error_response(request, error)
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
            return self._state.application_by_token(bot_token(request) or "")
        raw_id = request.match_info.get("application_id") or ""
        if raw_id.isdigit():
            return self._state.applications.get(int(raw_id))
        raw_id = request.match_info.get("interaction_id") or ""
        interaction = self._state.interactions.get(int(raw_id)) if raw_id.isdigit() else None
        return interaction.application if interaction is not None else None

    @web.middleware
    async def _audit_reason_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Keep the audit-log reason of a request with the answer it got."""
        reason = audit_log_reason(request)
        if reason is None:
            return await handler(request)
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except DiscordHTTPError as error:
            status = error.status
            raise
        finally:
            app = self._state.application_by_token(bot_token(request) or "")
            self.audited.append(
                AuditedRequest(
                    application=app.name if app is not None else None,
                    method=request.method,
                    path=request.path,
                    status=status,
                    reason=reason,
                )
            )

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
        app = request.get(APP_KEY) or self._state.application_by_token(bot_token(request) or "")
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
        app = self._state.application_by_token(bot_token(request) or "")
        self._on_unhandled(request.method, request.path, app)

    # -- helpers ---------------------------------------------------------------------------

    # -- gateway, users, application -------------------------------------------------------

    async def get_gateway(self, request: web.Request) -> web.Response:
        """``GET /gateway``: where the websocket lives (no token needed)."""
        return json_response({"url": self._gateway_url()})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        """``GET /gateway/bot``: the URL plus sharding advice, for AutoShardedBot."""
        app = self._authenticate(request)
        guild_count = len(self._state.guilds_of(app))
        return json_response(gateway_bot_payload(self._gateway_url(), app, guild_count))

    async def get_current_user(self, request: web.Request) -> web.Response:
        """``GET /users/@me``: the bot user (discord.py's login calls it first), or the member
        of a bearer token."""
        grant = self.bearer_grant(request, "identify")
        if grant is not None:
            return self.oauth2_user(grant)
        app = self._authenticate(request)
        user = dict(payloads.user_payload(app.bot_user))
        user.update(verified=True, mfa_enabled=False, flags=0, email=None, locale="en-US")
        return json_response(user)

    async def get_user(self, request: web.Request) -> web.Response:
        """``GET /users/{id}``."""
        self._authenticate(request)
        user = self._state.users.get(path_snowflake(request, "user_id"))
        if user is None:
            raise unknown(JSONErrorCode.UNKNOWN_USER, "User")
        return json_response(payloads.user_payload(user))

    async def get_application(self, request: web.Request) -> web.Response:
        """``GET /oauth2/applications/@me``: discord.py reads the app id and flags at login."""
        app = self._authenticate(request)
        return json_response(application_info_payload(app))

    # -- channels and messages -------------------------------------------------------------

    # -- guilds, members, roles ------------------------------------------------------------

    # -- application commands --------------------------------------------------------------

    # -- interactions and their webhook ----------------------------------------------------
