"""The only file names a visitor gives the web process are the paths under ``/static``: none of
them reads a file outside the static folder, however the ``..`` is spelled.

The requests are written byte for byte on a socket, as an attacker's tool sends them: an HTTP
client would resolve the dots before sending."""

from __future__ import annotations

import asyncio
from importlib.resources import files

from aiohttp.test_utils import TestServer

STATIC_FOLDER = files("botfleet.web") / "static"
OUTSIDE = files("botfleet.web") / "app.py"
"""A file next to the static folder, whose text must never be served."""

HOSTILE_PATHS = [
    "/static/../app.py",
    "/static/./../app.py",
    "/static/%2e%2e/app.py",
    "/static/%2E%2E/app.py",
    "/static/..%2fapp.py",
    "/static/%2e%2e%2fapp.py",
    "/static/..%5capp.py",
    "/static/..\\app.py",
    "/static/....//app.py",
    "/static/style.css/../../app.py",
    "/static/..;/app.py",
    "/static/%252e%252e/app.py",
    "/static/%c0%ae%c0%ae/app.py",
    "/static/%00../app.py",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/../../../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
]


async def raw_get(server: TestServer, path: str) -> tuple[int, bytes]:
    """Send ``GET path`` exactly as written; the status and the body answered."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {server.host}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def test_no_spelling_of_dot_dot_reads_outside_the_static_folder(
    dashboard: TestServer,
) -> None:
    """Every hostile path is refused; the folder's own file, asked for the same way, is served
    (so a refusal is the route's, not the socket's)."""
    status, body = await raw_get(dashboard, "/static/style.css")
    assert (status, body) == (200, (STATIC_FOLDER / "style.css").read_bytes())
    outside = OUTSIDE.read_bytes()[:200]
    answers = {path: await raw_get(dashboard, path) for path in HOSTILE_PATHS}
    served = {
        path: (status, body[:120])
        for path, (status, body) in answers.items()
        if status not in {400, 403, 404} or outside in body or b"root:" in body
    }
    assert served == {}
