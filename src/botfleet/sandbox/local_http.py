"""What every local stand-in of a web API shares: its routes served on a free loopback port."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

from aiohttp import web


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
