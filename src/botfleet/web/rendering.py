"""Server-rendered pages: jinja2 templates (autoescaped) and one way to show a problem."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import jinja2
from aiohttp import web

from botfleet.web.keys import SESSION_KEY, TEMPLATES_KEY

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PAGE_HEADERS: Final = {
    # Our own stylesheet and icon, nothing else: no script, no frame, no form to elsewhere.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


class PageError(Exception):
    """A problem to show the visitor as a page: a status, a title and what to do next."""

    def __init__(
        self, status: int, title: str, detail: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})


def template_environment() -> jinja2.Environment:
    """The templates of this package, HTML-escaped by default."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("botfleet.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    request: web.Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A page from ``template``; every page sees the session (for the header and CSRF)."""
    session = request.get(SESSION_KEY)
    page = request.app[TEMPLATES_KEY].get_template(template)
    text = page.render(session=session, **context)
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def redirect(location: str) -> web.Response:
    """A 303 See Other to ``location`` (after a POST, the browser follows it with GET)."""
    return web.Response(status=303, headers={"Location": location})


@web.middleware
async def page_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render a :class:`PageError` as the error page (JSON routes answer their own errors)."""
    try:
        return await handler(request)
    except PageError as error:
        return render(
            request,
            "error.html",
            {"title": error.title, "detail": error.detail},
            status=error.status,
            headers=error.headers,
        )
