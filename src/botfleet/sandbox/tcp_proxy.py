"""A TCP proxy on 127.0.0.1 that a test cuts and restores, to drop a bot's connections to a
real server (PostgreSQL) without touching the server, which other tests share."""

from __future__ import annotations

import asyncio
import contextlib


class CuttableProxy:
    """Forwards connections to ``host:port``; ``cut`` drops them all and refuses new ones.

    A refused connection is accepted and closed at once, as a server that went away looks to
    a client whose connection attempt reached a dying listener.
    """

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        """Open connections: the client's side and the server's."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._cut = False
        self.dropped = 0
        """Connections ``cut`` broke, over the proxy's life."""
        self.refused = 0
        """Connections attempted while cut."""

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        """Listen on an ephemeral port of 127.0.0.1."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    def cut(self) -> None:
        """Break every open connection (both sides) and refuse new ones until ``restore``."""
        self._cut = True
        self.dropped += len(self._links)
        for link in list(self._links):
            self._break(link)

    def restore(self) -> None:
        """Forward new connections again."""
        self._cut = False

    async def close(self) -> None:
        """Stop listening and break what is left."""
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        link = (writer, upstream_writer)
        self._links.add(link)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink, link))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        link: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()
        self._break(link)

    def _break(self, link: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        for writer in link:
            writer.transport.abort()
        self._links.discard(link)
