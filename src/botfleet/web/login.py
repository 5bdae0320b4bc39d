"""Logging in with Discord, and out: ``GET /login``, ``GET /oauth2/callback``, ``POST /logout``.

``/login?next=<path>`` (where the Utility Bot's ``/premium`` sends members who have not logged
in) keeps a fresh ``state`` and PKCE verifier in the session and redirects to Discord. The
callback accepts only the ``state`` of this session's pending login, once: a forged state, or a
replayed callback URL, is refused before any code is exchanged. A successful login renews the
session id, so an id planted in the browser beforehand never becomes a logged-in session.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from botfleet.auth.oauth2 import PKCE, DiscordOAuth2Client, OAuth2Error, authorization_url
from botfleet.auth.sessions import PendingLogin, new_session
from botfleet.auth.tokens import TokenStore
from botfleet.web.keys import OAUTH_KEY, SESSION_KEY, SESSIONS_KEY, TOKENS_KEY
from botfleet.web.rendering import PageError, redirect
from botfleet.web.sessions import checked_form, replace_session, session_of

log = logging.getLogger(__name__)

LOGIN_AGAIN = "Please log in again from the start."
DISCORD_SILENT = "Discord is not answering just now. Log in again in a minute."


def safe_next_path(raw: str | None) -> str:
    """A local path to return to after login; anything else (another site) becomes ``/``."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    return raw


def login_services(request: web.Request) -> tuple[DiscordOAuth2Client, TokenStore]:
    """The OAuth2 client and token store, or a page saying login is not set up here."""
    client, tokens = request.app.get(OAUTH_KEY), request.app.get(TOKENS_KEY)
    if client is None or tokens is None:
        log.error(
            "a visitor tried to log in, but Discord login is not configured: set "
            "DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET and TOKEN_ENCRYPTION_KEYS"
        )
        raise PageError(
            503,
            "Login is not available",
            "This dashboard's Discord login is not set up yet. Ask the server's operator.",
        )
    return client, tokens


async def login(request: web.Request) -> web.Response:
    """Send the browser to Discord's consent page, remembering where to come back to."""
    next_path = safe_next_path(request.query.get("next"))
    session = session_of(request)
    if session.user_id is not None:
        return redirect(next_path)
    client, _ = login_services(request)
    pkce = PKCE.create()
    state = secrets.token_urlsafe(32)
    session.pending_login = PendingLogin(state, pkce.verifier, next_path)
    replace_session(request, session)
    return redirect(authorization_url(client.config, state, pkce))


async def oauth_callback(request: web.Request) -> web.Response:
    """Discord's redirect back: check ``state``, exchange the code, log the member in."""
    client, tokens = login_services(request)
    session = session_of(request)
    pending = session.pending_login
    state = request.query.get("state", "")
    # The pending login is spent by the first callback, whatever it carries: a replay, or a
    # guess after a forged state, meets no pending login.
    session.pending_login = None
    replace_session(request, session)
    if pending is None or not hmac.compare_digest(pending.state, state):
        log.warning(
            "refused a login callback whose state matches no login of this session "
            "(forged, replayed or from another browser), from %s",
            request.remote,
        )
        raise PageError(400, "This login link is not valid here", LOGIN_AGAIN)
    await request.app[SESSIONS_KEY].save(session)
    if "error" in request.query:
        log.info("a member declined the Discord authorisation: %s", request.query["error"])
        raise PageError(403, "Login cancelled", "Discord did not authorise the login.")
    code = request.query.get("code", "")
    if not code:
        raise PageError(400, "Discord sent no login code", LOGIN_AGAIN)
    try:
        granted = await client.exchange_code(code, pending.code_verifier)
        account = await client.account(granted.access_token)
    except OAuth2Error as exc:
        if exc.transient:
            log.error("Discord failed to finish a login: %s", exc)
            raise PageError(502, "Discord did not answer", DISCORD_SILENT) from exc
        log.warning("Discord refused a login: %s", exc)
        raise PageError(400, "Discord refused the login", LOGIN_AGAIN) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.error("Discord could not be reached to finish a login: %r", exc)
        raise PageError(502, "Discord did not answer", DISCORD_SILENT) from exc
    await tokens.save(account.id, account.username, granted)
    renewed = await request.app[SESSIONS_KEY].renew(session)
    renewed.user_id, renewed.username = account.id, account.display_name
    replace_session(request, renewed)
    log.info("user %s logged in to the dashboard", account.id)
    return redirect(pending.next_path)


async def logout(request: web.Request) -> web.Response:
    """Revoke the member's Discord authorisation, forget their tokens, end the session."""
    await checked_form(request)
    session = session_of(request)
    if session.user_id is not None:
        client, tokens = login_services(request)
        stored = await tokens.load(session.user_id)
        if stored is not None:
            try:
                await client.revoke(stored.access_token)
            except (OAuth2Error, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("revoking the token of user %s failed: %r", session.user_id, exc)
            await tokens.forget(session.user_id)
        log.info("user %s logged out of the dashboard", session.user_id)
    await request.app[SESSIONS_KEY].end(session)
    request[SESSION_KEY] = new_session()
    return redirect("/")


def setup_login(app: web.Application) -> None:
    """The login routes."""
    app.router.add_get("/login", login)
    app.router.add_get("/oauth2/callback", oauth_callback)
    app.router.add_post("/logout", logout)
