"""The session of each request: an opaque id in a cookie, the data in the session store.

The cookie is HttpOnly (no script reads it), Secure (HTTPS only; ``web.secure_cookies``) and
SameSite=Lax: Strict would withhold it on the redirect back from Discord and break the
``state`` check, while Lax still keeps it off cross-site form posts. Every form carries the
session's CSRF token, checked by :func:`checked_form`.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from botfleet.auth.sessions import Session, new_session
from botfleet.web.keys import SESSION_KEY, SESSIONS_KEY, SETTINGS_KEY
from botfleet.web.rendering import Handler, PageError

log = logging.getLogger(__name__)

COOKIE_NAME = "botfleet_session"
CSRF_FIELD = "csrf_token"


def session_of(request: web.Request) -> Session:
    """The request's session (a fresh anonymous one, unsaved, for a browser without one)."""
    return request[SESSION_KEY]


def current_user_id(request: web.Request) -> int | None:
    """The Discord user id of the member logged in on this request's session, if any."""
    return session_of(request).user_id


def replace_session(request: web.Request, session: Session) -> None:
    """Make ``session`` the request's session: saved, and its id sent in the cookie."""
    session.changed = True
    request[SESSION_KEY] = session


async def checked_form(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form, refused (403) unless it carries the session's CSRF token."""
    form = await request.post()
    sent = form.get(CSRF_FIELD)
    expected = session_of(request).csrf_token
    if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        log.warning(
            "refused a form without a valid CSRF token: %s %s", request.method, request.path
        )
        raise PageError(
            403,
            "This form has expired",
            "The page was open too long or came from elsewhere. Reload it and try again.",
        )
    return form


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session before the handler; save it and set the cookie after, if it changed."""
    store = request.app[SESSIONS_KEY]
    sent_id = request.cookies.get(COOKIE_NAME, "")
    loaded = await store.load(sent_id) if sent_id else None
    request[SESSION_KEY] = loaded or new_session()
    response = await handler(request)
    session = session_of(request)
    if session.changed:
        await store.save(session)
        settings = request.app[SETTINGS_KEY]
        response.set_cookie(
            COOKIE_NAME,
            session.id,
            max_age=int(store.lifetime),
            path="/",
            httponly=True,
            secure=settings.web.secure_cookies,
            samesite="Lax",
        )
    elif sent_id and session.id != sent_id:
        response.del_cookie(COOKIE_NAME, path="/")
    return response
