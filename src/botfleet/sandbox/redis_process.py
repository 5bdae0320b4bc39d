"""A private ``redis-server`` a test may stop, freeze and restart.

Outage tests must not disturb the machine's shared Redis, so they start a throwaway server on a
free port of 127.0.0.1, without persistence: a restart loses its keys, as a Redis restarted
without a dump does.
"""

from __future__ import annotations

import asyncio
import random
import signal
import socket
from pathlib import Path
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

LISTENING_PORTS: Final = range(20000, 32768)
"""Where throwaway servers listen: below Linux's default range for the client side of
connections (32768-60999), so a server restarted on its port never finds it taken by a
connection of another test (any socket bound to a port, even one closing, keeps a server off
it). Used when the machine's range starts above it, else the kernel picks."""


def _client_ports_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing is bound to (bound, then released)."""
    if _client_ports_start() > LISTENING_PORTS.stop - 1:
        for _ in range(50):
            candidate = random.choice(LISTENING_PORTS)  # noqa: S311  (not a secret)
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", candidate))
                except OSError:
                    continue
                return candidate
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class ThrowawayRedis:
    """A private ``redis-server`` without persistence that a test may stop, freeze and restart."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        try:
            for _ in range(100):
                try:
                    await client.ping()
                    return
                except (RedisConnectionError, OSError):
                    await asyncio.sleep(0.05)
            raise RuntimeError(f"redis-server did not start on port {self.port}")
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            await self.process.wait()
        self.process = None

    def freeze(self) -> None:
        """Stop the process without closing its sockets: commands now time out."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)
