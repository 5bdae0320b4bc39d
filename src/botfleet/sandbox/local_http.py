"""What every local stand-in of a web API shares: its routes served on a free loopback port, and
the pages of the provider's own site a member visits (a checkout, an approval, a billing portal).
"""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Self, TypeVar

from aiohttp import web

Found = TypeVar("Found")


class LocalHTTPServer(ABC):
    """A stand-in's HTTP side: started and stopped with ``async with``, on 127.0.0.1 only."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._url = ""

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if not self._url:
            raise RuntimeError(f"{type(self).__name__} is not started: use `async with` on it.")
        return self._url

    @abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Declare the stand-in's routes on ``app``."""

    async def start(self) -> None:
        app = web.Application()
        self.add_routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.stop()


def button(label: str) -> str:
    """A page's one form: a button that posts back to the page."""
    return f'<form method="post"><button type="submit">{html.escape(label)}</button></form>'


@dataclass(frozen=True)
class HostedPage(Generic[Found]):
    """A page of the provider's site at one path: shown on GET for what ``find`` finds in the
    request (404 ``missing`` when nothing), its button posted back to ``act``, which does what the
    provider does and answers where the member goes next (a 303)."""

    title: str
    missing: str
    find: Callable[[web.Request], Found | None]
    body: Callable[[Found], str]
    """The page's content in HTML, already escaped."""
    act: Callable[[Found], Awaitable[str]]

    def add_to(self, app: web.Application, path: str) -> None:
        app.router.add_get(path, self._show)
        app.router.add_post(path, self._press)

    async def _show(self, request: web.Request) -> web.Response:
        found = self.find(request)
        if found is None:
            return web.Response(status=404, text=self.missing)
        page = (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{html.escape(self.title)}</title></head><body><main>"
            f"{self.body(found)}</main></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _press(self, request: web.Request) -> web.Response:
        found = self.find(request)
        if found is None:
            return web.Response(status=404, text=self.missing)
        raise web.HTTPSeeOther(await self.act(found))
