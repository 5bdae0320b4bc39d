"""Discord's OAuth2 authorization-code flow with PKCE, for the dashboard's login.

The flow: the login route keeps a random ``state`` and a PKCE verifier in the member's session
and sends the browser to Discord's consent page with the verifier's S256 challenge; Discord
sends it back with a ``code``, which is exchanged (with the verifier) at the token endpoint for
a 7-day access token and a refresh token. Tokens are refreshed a day before they expire
(:mod:`botfleet.auth.refresh`) and revoked on logout. The endpoints are configuration, so tests
point them at a local stand-in.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp

from botfleet.auth.tokens import DiscordTokens
from botfleet.config.schema import Settings
from botfleet.errors import BotfleetError

SCOPES = ("identify", "guilds")
REFRESH_MARGIN = timedelta(days=1)
"""Tokens this close to expiry are refreshed before use."""
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10)


class OAuth2ConfigError(BotfleetError):
    """The dashboard's Discord application is not configured."""


class OAuth2Error(BotfleetError):
    """Discord refused a request of the flow (an invalid code, a revoked token...)."""

    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(f"Discord answered {status} {error}: {description}".rstrip(": "))
        self.status = status
        self.error = error
        self.description = description

    @property
    def transient(self) -> bool:
        """Discord failed (a 5xx, a 429), rather than refused: the same request may work later."""
        return self.status >= 500 or self.status == 429


@dataclass(frozen=True)
class OAuth2Config:
    """The dashboard's OAuth2 application and the endpoints it talks to."""

    client_id: int
    client_secret: str
    redirect_uri: str
    authorize_url: str
    token_url: str
    api_base: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OAuth2Config:
        auth = settings.auth
        if auth.client_id is None or auth.client_secret is None:
            raise OAuth2ConfigError(
                "Discord login is not configured: set DISCORD_CLIENT_ID and "
                "DISCORD_CLIENT_SECRET (the developer portal's OAuth2 page)"
            )
        return cls(
            client_id=auth.client_id,
            client_secret=auth.client_secret.get_secret_value(),
            redirect_uri=settings.web.public_url.rstrip("/") + "/oauth2/callback",
            authorize_url=auth.authorize_url,
            token_url=auth.token_url,
            api_base=auth.api_base,
        )


@dataclass(frozen=True)
class PKCE:
    """A code verifier and its S256 challenge (RFC 7636)."""

    verifier: str
    challenge: str

    @classmethod
    def create(cls) -> PKCE:
        verifier = secrets.token_urlsafe(64)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


@dataclass(frozen=True)
class DiscordAccount:
    """The member behind a token, as ``/users/@me`` describes them."""

    id: int
    username: str
    global_name: str | None

    @property
    def display_name(self) -> str:
        return self.global_name or self.username


@dataclass(frozen=True)
class MemberGuild:
    """A guild of the member, with their permissions there, from ``/users/@me/guilds``."""

    id: int
    name: str
    owner: bool
    permissions: int

    @property
    def can_manage(self) -> bool:
        """Manage Server (or Administrator, which implies it, or ownership)."""
        return self.owner or bool(self.permissions & (MANAGE_GUILD | ADMINISTRATOR))


def authorization_url(config: OAuth2Config, state: str, pkce: PKCE) -> str:
    """Where to send the browser: Discord's consent page for our scopes."""
    query = {
        "response_type": "code",
        "client_id": str(config.client_id),
        "scope": " ".join(SCOPES),
        "state": state,
        "redirect_uri": config.redirect_uri,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    return f"{config.authorize_url}?{urlencode(query)}"


class DiscordOAuth2Client:
    """The token endpoints and the member's view of the API, over one HTTP session."""

    def __init__(
        self,
        config: OAuth2Config,
        http: aiohttp.ClientSession,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.http = http
        self.clock = clock

    def _client_auth(self) -> dict[str, str]:
        """HTTP Basic client authentication, which Discord's token endpoints accept."""
        credentials = aiohttp.encode_basic_auth(
            str(self.config.client_id), self.config.client_secret
        )
        return {"Authorization": credentials}

    async def _token_request(self, form: dict[str, str]) -> DiscordTokens:
        """POST a grant, form-encoded as Discord requires; the tokens it answers."""
        async with self.http.post(
            self.config.token_url, data=form, headers=self._client_auth(), timeout=REQUEST_TIMEOUT
        ) as response:
            body = await self._json(response)
        try:
            lifetime = timedelta(seconds=int(body["expires_in"]))
            return DiscordTokens(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_at=self.clock() + lifetime,
            )
        except (KeyError, TypeError, ValueError):
            raise OAuth2Error(502, "invalid_response", "the token answer lacks fields") from None

    async def _json(self, response: aiohttp.ClientResponse) -> Any:
        try:
            body = await response.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            body = None
        if response.status >= 400 or body is None:
            if isinstance(body, dict):
                error = str(body.get("error") or body.get("message") or "error")
                description = str(body.get("error_description") or "")
            else:
                error, description = "error", ""
            raise OAuth2Error(response.status, error, description)
        return body

    async def exchange_code(self, code: str, code_verifier: str) -> DiscordTokens:
        """Trade the ``code`` Discord sent back (with the login's PKCE verifier) for tokens."""
        return await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.config.redirect_uri,
                "code_verifier": code_verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> DiscordTokens:
        """A new token pair for a refresh token (the old pair stops working)."""
        return await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    async def revoke(self, token: str) -> None:
        """Revoke ``token``; Discord revokes the whole authorisation with it."""
        async with self.http.post(
            self.config.token_url + "/revoke",
            data={"token": token, "token_type_hint": "access_token"},  # nosec B105  # a type
            headers=self._client_auth(),
            timeout=REQUEST_TIMEOUT,
        ) as response:
            await self._json(response)

    async def _get(self, path: str, access_token: str) -> Any:
        async with self.http.get(
            self.config.api_base + path,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=REQUEST_TIMEOUT,
        ) as response:
            return await self._json(response)

    async def account(self, access_token: str) -> DiscordAccount:
        """The member the token belongs to."""
        body = await self._get("/users/@me", access_token)
        return DiscordAccount(int(body["id"]), str(body["username"]), body.get("global_name"))

    async def guilds(self, access_token: str) -> list[MemberGuild]:
        """The member's guilds, with their permissions in each."""
        body = await self._get("/users/@me/guilds", access_token)
        return [
            MemberGuild(
                id=int(item["id"]),
                name=str(item["name"]),
                owner=bool(item.get("owner")),
                permissions=int(item.get("permissions") or 0),
            )
            for item in body
        ]
