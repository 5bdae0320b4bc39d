"""deploy/nginx: ``nginx -t`` accepts the site, and a real nginx on 127.0.0.1 proxies the web app.

nginx runs from its own prefix in a temporary folder (not the system service) with a self-signed
certificate made by ``openssl``, in front of the web application of ``botfleet web`` (the same
``create_app``) to which the test adds one route: an echo of webhook bodies.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pwd
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, unused_port
from artefacts import DEPLOY, render
from pydantic import SecretStr

from botfleet.config.schema import DatabaseSection, Settings
from botfleet.database import migrate
from botfleet.web import create_app

TEMPLATE = DEPLOY / "nginx" / "botfleet.conf.template"
STARTUP_ATTEMPTS = 200


@dataclass(frozen=True)
class Certificate:
    """A certificate and its key, in the files nginx reads."""

    certificate: Path
    key: Path


@dataclass(frozen=True)
class Proxy:
    """The running nginx: its TLS and plain base URLs, and a context trusting its certificate."""

    https: str
    http: str
    tls: ssl.SSLContext


@pytest.fixture
def certificate(tmp_path: Path, program: Callable[[str, str], str]) -> Certificate:
    """A self-signed certificate for 127.0.0.1, as a self-hoster would make one to try things."""
    openssl = program("openssl", "the nginx site's TLS test")
    certificate, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(certificate), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Certificate(certificate, key)


async def echo_webhook(request: web.Request) -> web.Response:
    """Answer with the exact bytes received, and the proxy headers that came with them."""
    body = await request.read()
    seen = {
        "X-Seen-Forwarded-Proto": request.headers.get("X-Forwarded-Proto", ""),
        "X-Seen-Forwarded-For": request.headers.get("X-Forwarded-For", ""),
        "X-Seen-Content-Type": request.headers.get("Content-Type", ""),
    }
    return web.Response(body=body, headers=seen, content_type="application/octet-stream")


@pytest.fixture
async def web_app(tmp_path: Path) -> AsyncIterator[TestServer]:
    """The web process's application on a migrated SQLite database, plus the echo route."""
    settings = Settings(
        database=DatabaseSection(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path}/fleet.db"))
    )
    await migrate.upgrade(settings.database.url.get_secret_value())
    app = create_app(settings)
    app.router.add_post("/webhooks/echo", echo_webhook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def nginx_configuration(prefix: Path, site: Path) -> str:
    """A main nginx.conf that keeps everything (pid, logs, temp files) inside ``prefix``."""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = pwd.getpwuid(os.getuid()).pw_name
    return f"""
user {user};
daemon off;
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
{temp_paths}
    include {site};
}}
"""


def write_site(prefix: Path, certificate: Certificate, upstream: str) -> tuple[Path, int, int]:
    """Render the shipped template for this test; returns the main file and the two ports."""
    https_port, http_port = unused_port(), unused_port()
    site = prefix / "botfleet.conf"
    site.write_text(
        render(
            TEMPLATE.read_text(),
            {
                "NGINX_SERVER_NAME": "127.0.0.1",
                "NGINX_HTTP_LISTEN": f"127.0.0.1:{http_port}",
                "NGINX_HTTPS_LISTEN": f"127.0.0.1:{https_port}",
                "NGINX_UPSTREAM": upstream,
                "NGINX_TLS_CERTIFICATE": str(certificate.certificate),
                "NGINX_TLS_CERTIFICATE_KEY": str(certificate.key),
            },
        )
    )
    assert "${" not in site.read_text(), "the template has a placeholder the README does not name"
    main = prefix / "nginx.conf"
    main.write_text(nginx_configuration(prefix, site))
    return main, https_port, http_port


async def wait_for_port(port: int) -> None:
    for _ in range(STARTUP_ATTEMPTS):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    pytest.fail(f"nginx did not listen on port {port}")


@pytest.fixture
async def proxy(
    tmp_path: Path,
    certificate: Certificate,
    web_app: TestServer,
    program: Callable[[str, str], str],
) -> AsyncIterator[Proxy]:
    """nginx with the shipped site, checked by ``nginx -t``, then running in front of the app."""
    nginx = program("nginx", "the nginx site's test")
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    main, https_port, http_port = write_site(prefix, certificate, f"127.0.0.1:{web_app.port}")
    arguments = ["-p", str(prefix), "-c", str(main)]
    checked = await asyncio.to_thread(
        subprocess.run, [nginx, "-t", *arguments], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    process = await asyncio.create_subprocess_exec(
        nginx, *arguments, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        await wait_for_port(https_port)
        tls = ssl.create_default_context(cafile=str(certificate.certificate))
        yield Proxy(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", tls)
    finally:
        process.terminate()
        _, errors = await process.communicate()
    assert b"[emerg]" not in errors, errors


async def test_nginx_proxies_health_and_readiness_over_tls(proxy: Proxy) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{proxy.https}/health", ssl=proxy.tls) as health:
            assert health.status == 200
            assert (await health.json())["status"] == "ok"
            assert health.headers["Strict-Transport-Security"].startswith("max-age=")
        async with session.get(f"{proxy.https}/ready", ssl=proxy.tls) as ready:
            body = await ready.json()
            assert ready.status == 200, body
            assert body["checks"]["database"]["status"] == "ok"
        async with session.get(f"{proxy.http}/health", allow_redirects=False) as plain:
            assert plain.status == 301
            assert plain.headers["Location"] == "https://127.0.0.1/health"


async def test_webhook_body_arrives_byte_identical(proxy: Proxy) -> None:
    # Every byte value, CRLFs, a NUL run and invalid UTF-8: nothing may be normalised.
    body = bytes(range(256)) * 1024 + b"\r\n\r\n\x00\x00\xff\xfe" + "é".encode("latin-1")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{proxy.https}/webhooks/echo", data=body, headers=headers, ssl=proxy.tls
        ) as answer,
    ):
        echoed = await answer.read()
        assert answer.status == 200
        assert hashlib.sha256(echoed).digest() == hashlib.sha256(body).digest()
        assert len(echoed) == len(body)
        assert answer.headers["X-Seen-Forwarded-Proto"] == "https"
        assert answer.headers["X-Seen-Forwarded-For"] == "127.0.0.1"
        assert answer.headers["X-Seen-Content-Type"] == headers["Content-Type"]


async def test_webhook_chunked_body_streams_through(proxy: Proxy) -> None:
    parts = [os.urandom(4096) for _ in range(16)]

    async def chunks() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{proxy.https}/webhooks/echo", data=chunks(), ssl=proxy.tls) as answer,
    ):
        assert answer.status == 200
        assert await answer.read() == b"".join(parts)


async def test_oversized_webhook_is_refused_by_nginx(proxy: Proxy) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{proxy.https}/webhooks/echo", data=b"x" * (1024 * 1024 + 1), ssl=proxy.tls
        ) as answer,
    ):
        assert answer.status == 413


async def test_bursts_beyond_the_rate_limit_get_429(proxy: Proxy) -> None:
    # 5 requests a second with a burst of 20 on /health: 200 at once cannot all pass.
    async with aiohttp.ClientSession() as session:

        async def status() -> int:
            async with session.get(f"{proxy.https}/health", ssl=proxy.tls) as answer:
                return answer.status

        statuses = await asyncio.gather(*(status() for _ in range(200)))
    assert set(statuses) == {200, 429}
    assert statuses.count(200) >= 20
