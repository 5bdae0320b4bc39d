"""Discord's OAuth2 authorization-code flow, as a web application meets it.

``GET /oauth2/authorize`` shows a consent page (the sandbox's members stand for the Discord
account signed in); approving it redirects to the registered ``redirect_uri`` with ``code`` and
``state``, cancelling with ``error=access_denied``. ``POST /api/oauth2/token`` takes form
encoding only and answers the ``authorization_code`` and ``refresh_token`` grants with PKCE (S256
or plain) checked; ``POST /api/oauth2/token/revoke`` revokes the whole authorisation of a token;
``GET /api/users/@me`` and ``/api/users/@me/guilds`` answer a ``Bearer`` token by its scopes.
Errors have Discord's shapes: ``{"error", "error_description"}`` at the token endpoints, and the
API's ``{"message": "401: Unauthorized", "code": 0}`` for a bad bearer token.

Tests make the token endpoint misbehave as Discord's sometimes does: ``fail_token_requests``
answers the next requests with a 5xx page from Discord's edge or a 429, and ``token_latency``
holds every answer back (two refreshes of one token then overlap, as they would on Discord,
where the second use of a rotated refresh token is ``invalid_grant``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import html
import math
import secrets
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urlencode

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import unauthorized
from botfleet.sandbox.models import User
from botfleet.sandbox.resources.routing import RouteHelpers, json_response

ACCESS_TOKEN_LIFETIME: Final = 604_800
"""Seconds an access token lives: Discord's seven days."""
CODE_LIFETIME: Final = 600.0
SCOPES: Final = frozenset({"identify", "email", "guilds", "guilds.members.read", "connections"})
FORM_TYPE: Final = "application/x-www-form-urlencoded"
NO_FAVICON: Final = '<link rel="icon" href="data:,">'
"""The pages have no icon: a browser must not ask the stand-in for /favicon.ico."""


@dataclass
class OAuth2Client:
    """An application's OAuth2 credentials and the redirect URIs registered for it."""

    client_id: int
    client_secret: str
    redirect_uris: list[str]


@dataclass
class Grant:
    """One authorisation a member gave an application: its scopes and current tokens."""

    client_id: int
    user: User
    scopes: tuple[str, ...]
    access_token: str = ""
    refresh_token: str = ""
    expires_at: float = 0.0
    revoked: bool = False

    def issue(self) -> dict[str, Any]:
        """New tokens for the grant (the previous pair stops working); the token answer."""
        self.access_token = secrets.token_urlsafe(24)
        self.refresh_token = secrets.token_urlsafe(24)
        self.expires_at = time.monotonic() + ACCESS_TOKEN_LIFETIME
        return {
            "token_type": "Bearer",  # nosec B105  # OAuth's token type
            "access_token": self.access_token,
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "refresh_token": self.refresh_token,
            "scope": " ".join(self.scopes),
        }


@dataclass
class PendingCode:
    """An authorization code, single-use, bound to its redirect URI and PKCE challenge."""

    grant: Grant
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str
    expires_at: float
    used: bool = False


@dataclass
class TokenFailure:
    """The next ``times`` token requests fail with ``status`` before Discord looks at them."""

    status: int
    times: int
    retry_after: float = 1.0

    def response(self) -> web.Response:
        """A 429 as Discord's API sends it; a 5xx as its edge does (a page, not JSON)."""
        if self.status == HTTPStatus.TOO_MANY_REQUESTS:
            body = {"message": "You are being rate limited.", "retry_after": self.retry_after}
            answer = json_response({**body, "global": False}, status=self.status)
            answer.headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
            return answer
        phrase = HTTPStatus(self.status).phrase
        page = f"<html><head><title>{self.status} {phrase}</title></head><body>{phrase}</body>"
        return web.Response(text=page, status=self.status, content_type="text/html")


@dataclass
class OAuth2State:
    """Registered clients, codes given out, and the grants behind live tokens."""

    clients: dict[int, OAuth2Client] = field(default_factory=dict)
    codes: dict[str, PendingCode] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    failures: list[TokenFailure] = field(default_factory=list)
    token_latency: float = 0.0
    """Seconds every token request takes before it is answered."""
    refresh_requests: int = 0
    """Refresh grants asked for (answered or refused), for tests that count them."""

    def grant_by_access_token(self, token: str) -> Grant | None:
        for grant in self.grants:
            if not grant.revoked and hmac.compare_digest(grant.access_token, token):
                return grant if grant.expires_at > time.monotonic() else None
        return None

    def grant_by_refresh_token(self, token: str) -> Grant | None:
        for grant in self.grants:
            if not grant.revoked and hmac.compare_digest(grant.refresh_token, token):
                return grant
        return None


class OAuth2Error(Exception):
    """An error answer of the token endpoints: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> web.Response:
        body: dict[str, str] = {"error": self.error}
        if self.description is not None:
            body["error_description"] = self.description
        return json_response(body, status=self.status)


def pkce_challenge(verifier: str, method: str) -> str:
    """The challenge a verifier answers: S256 is BASE64URL(SHA256(verifier)) without padding."""
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _id_of(raw: str) -> int:
    """A snowflake from a form field; 0 (which names nothing) when it is not one."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 20 else 0


def _error_page(message: str) -> web.Response:
    """Discord's authorize page shows a problem in the page itself, with status 400."""
    body = (
        f"<!doctype html><title>Discord</title>{NO_FAVICON}"
        f"<h1>Something went wrong</h1><p>{message}</p>"
    )
    return web.Response(text=body, status=400, content_type="text/html")


class OAuth2Routes(RouteHelpers):
    """The authorize page, the token endpoints and the bearer-token views of the API."""

    oauth2: OAuth2State

    def register_oauth2_client(
        self, client_id: int, redirect_uris: list[str], client_secret: str | None = None
    ) -> OAuth2Client:
        """Register an application's OAuth2 client (the developer portal's OAuth2 page)."""
        client = OAuth2Client(client_id, client_secret or secrets.token_urlsafe(24), redirect_uris)
        self.oauth2.clients[client_id] = client
        return client

    def fail_token_requests(
        self, status: int = 502, *, times: int = 1, retry_after: float = 1.0
    ) -> TokenFailure:
        """Answer the next ``times`` token requests with ``status`` (a 5xx or a 429) unapplied."""
        if status != HTTPStatus.TOO_MANY_REQUESTS and status < HTTPStatus.INTERNAL_SERVER_ERROR:
            raise ValueError("a forced token failure is a 5xx or a 429")
        failure = TokenFailure(status, times, retry_after)
        self.oauth2.failures.append(failure)
        return failure

    def install_oauth2(self, app: web.Application, api_prefix: str) -> None:
        """Register the routes: the consent page at the root, the endpoints under /api."""
        app.router.add_get("/oauth2/authorize", self.authorize_page)
        app.router.add_post("/oauth2/authorize", self.authorize_decision)
        for prefix in ("/api", api_prefix):
            app.router.add_post(prefix + "/oauth2/token", self.token)
            app.router.add_post(prefix + "/oauth2/token/revoke", self.revoke)

    # -- the consent page ------------------------------------------------------------------

    def _authorize_request(self, fields: Any) -> tuple[OAuth2Client, tuple[str, ...]] | str:
        """The client and scopes of an authorize request, or the problem Discord would show."""
        raw_id = fields.get("client_id", "")
        client = (
            self.oauth2.clients.get(int(raw_id)) if raw_id.isascii() and raw_id.isdigit() else None
        )
        if client is None:
            return "Unknown Application"
        if fields.get("redirect_uri") not in client.redirect_uris:
            return "Invalid OAuth2 redirect_uri"
        if fields.get("response_type") != "code":
            return "Invalid response_type"
        scopes = tuple(fields.get("scope", "").split())
        if not scopes or not set(scopes) <= SCOPES:
            return "Invalid scope"
        if fields.get("code_challenge") and fields.get("code_challenge_method", "plain") not in (
            "S256",
            "plain",
        ):
            return "Invalid code_challenge_method"
        return client, scopes

    async def authorize_page(self, request: web.Request) -> web.Response:
        """``GET /oauth2/authorize``: whom to log in as, and Authorize or Cancel."""
        checked = self._authorize_request(request.query)
        if isinstance(checked, str):
            return _error_page(checked)
        client, scopes = checked
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in request.query.items()
        )
        people = [user for user in self._state.users.values() if not user.bot]
        options = "".join(
            f'<option value="{user.id}">{html.escape(user.display_name)}</option>'
            for user in people
        )
        page = (
            "<!doctype html><html lang=en><title>Discord | Authorize access</title>"
            f"{NO_FAVICON}"
            f"<h1>An external application wants to access your account</h1>"
            f"<p>Application {client.client_id} asks for: {html.escape(', '.join(scopes))}</p>"
            f'<form method="post" action="/oauth2/authorize">{hidden}'
            f'<label for="user_id">Signed in as</label> <select id="user_id" name="user_id">'
            f"{options}</select>"
            '<button name="authorize" value="true">Authorize</button>'
            '<button name="authorize" value="false">Cancel</button></form></html>'
        )
        return web.Response(text=page, content_type="text/html")

    async def authorize_decision(self, request: web.Request) -> web.Response:
        """The member's answer: a redirect with ``code`` and ``state``, or ``access_denied``."""
        fields = await request.post()
        checked = self._authorize_request(fields)
        if isinstance(checked, str):
            return _error_page(checked)
        client, scopes = checked
        redirect_uri = str(fields["redirect_uri"])
        answer: dict[str, str] = {}
        if fields.get("authorize") != "true":
            answer["error"] = "access_denied"
            answer["error_description"] = (
                "The resource owner or authorization server denied the request"
            )
        else:
            raw_user = str(fields.get("user_id", ""))
            user = (
                self._state.users.get(int(raw_user))
                if raw_user.isascii() and raw_user.isdigit()
                else None
            )
            if user is None or user.bot:
                return _error_page("Unknown User")
            code = secrets.token_urlsafe(20)
            self.oauth2.codes[code] = PendingCode(
                grant=Grant(client.client_id, user, scopes),
                redirect_uri=redirect_uri,
                code_challenge=str(fields.get("code_challenge") or "") or None,
                code_challenge_method=str(fields.get("code_challenge_method") or "plain"),
                expires_at=time.monotonic() + CODE_LIFETIME,
            )
            answer["code"] = code
        if "state" in fields:
            answer["state"] = str(fields["state"])
        separator = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(redirect_uri + separator + urlencode(answer))

    # -- the token endpoints ---------------------------------------------------------------

    async def _token_form(self, request: web.Request) -> tuple[OAuth2Client, Any]:
        """The form of a token request and the client it authenticates (Basic or in the form)."""
        if request.content_type != FORM_TYPE:
            # Discord reads form fields only: a JSON body has no grant_type at all.
            raise OAuth2Error(400, "unsupported_grant_type", "Grant type None is not supported")
        fields = await request.post()
        client_id, client_secret = fields.get("client_id"), fields.get("client_secret")
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise OAuth2Error(401, "invalid_client") from None
            client_id, _, client_secret = decoded.partition(":")
        raw_id = str(client_id or "")
        client = (
            self.oauth2.clients.get(int(raw_id)) if raw_id.isascii() and raw_id.isdigit() else None
        )
        if client is None or not hmac.compare_digest(client.client_secret, str(client_secret)):
            raise OAuth2Error(401, "invalid_client")
        return client, fields

    async def token(self, request: web.Request) -> web.Response:
        """``POST /oauth2/token``: exchange a code, or refresh a token pair."""
        if self.oauth2.token_latency:
            await asyncio.sleep(self.oauth2.token_latency)
        failure = next((failure for failure in self.oauth2.failures if failure.times > 0), None)
        if failure is not None:
            failure.times -= 1
            return failure.response()
        try:
            client, fields = await self._token_form(request)
            grant_type = fields.get("grant_type")
            if grant_type == "authorization_code":
                grant = self._redeem_code(client, fields)
            elif grant_type == "refresh_token":
                self.oauth2.refresh_requests += 1
                grant = self._refreshed_grant(client, str(fields.get("refresh_token", "")))
            else:
                raise OAuth2Error(
                    400, "unsupported_grant_type", f"Grant type {grant_type} is not supported"
                )
        except OAuth2Error as error:
            return error.response()
        return json_response(grant.issue())

    def _redeem_code(self, client: OAuth2Client, fields: Any) -> Grant:
        code = str(fields.get("code", ""))
        pending = self.oauth2.codes.get(code)
        invalid_code = OAuth2Error(400, "invalid_grant", 'Invalid "code" in request.')
        if pending is None or pending.grant.client_id != client.client_id:
            raise invalid_code
        if pending.used:
            # A replayed code revokes what it gave (RFC 6749, section 4.1.2).
            pending.grant.revoked = True
            raise invalid_code
        if pending.expires_at < time.monotonic():
            raise invalid_code
        if fields.get("redirect_uri") != pending.redirect_uri:
            raise OAuth2Error(400, "invalid_grant", 'Invalid "redirect_uri" in request.')
        if pending.code_challenge is not None:
            verifier = str(fields.get("code_verifier", ""))
            expected = pkce_challenge(verifier, pending.code_challenge_method)
            if not verifier or not hmac.compare_digest(expected, pending.code_challenge):
                raise OAuth2Error(400, "invalid_grant", 'Invalid "code_verifier" in request.')
        pending.used = True
        self.oauth2.grants.append(pending.grant)
        return pending.grant

    def _refreshed_grant(self, client: OAuth2Client, refresh_token: str) -> Grant:
        grant = self.oauth2.grant_by_refresh_token(refresh_token)
        if grant is None or grant.client_id != client.client_id:
            raise OAuth2Error(400, "invalid_grant", 'Invalid "refresh_token" in request.')
        return grant

    async def revoke(self, request: web.Request) -> web.Response:
        """``POST /oauth2/token/revoke``: either token revokes the whole authorisation."""
        try:
            client, fields = await self._token_form(request)
        except OAuth2Error as error:
            return error.response()
        token = str(fields.get("token", ""))
        for grant in self.oauth2.grants:
            if grant.client_id == client.client_id and token in (
                grant.access_token,
                grant.refresh_token,
            ):
                grant.revoked = True
        return json_response({})

    # -- the API seen through a member's token ---------------------------------------------

    def bearer_grant(self, request: web.Request, scope: str) -> Grant | None:
        """The grant of a ``Bearer`` token, or None when the request carries no such token.

        A bearer token that is unknown, expired, revoked or lacks ``scope`` is refused with
        Discord's 401.
        """
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer":
            return None
        grant = self.oauth2.grant_by_access_token(token.strip())
        if grant is None or scope not in grant.scopes:
            raise unauthorized()
        return grant

    def oauth2_user(self, grant: Grant) -> web.Response:
        """``GET /users/@me`` with a bearer token: the member, as the ``identify`` scope shows."""
        user = dict(payloads.user_payload(grant.user))
        user.update(mfa_enabled=False, locale="en-US", flags=0, premium_type=0, banner=None)
        return json_response(user)

    async def list_current_user_guilds(self, request: web.Request) -> web.Response:
        """``GET /users/@me/guilds``: the member's guilds and their permissions in each."""
        grant = self.bearer_grant(request, "guilds")
        if grant is None:
            app = self._authenticate(request)
            member_id = app.bot_user.id
        else:
            member_id = grant.user.id
        guilds: list[dict[str, Any]] = [
            {
                "id": payloads.snowflake(guild.id),
                "name": guild.name,
                "icon": None,
                "banner": None,
                "owner": guild.owner_id == member_id,
                "permissions": str(guild.permissions_of(member_id)),
                "features": [],
            }
            for guild in sorted(self._state.guilds.values(), key=lambda guild: guild.id)
            if member_id in guild.members
        ]
        return json_response(guilds)
