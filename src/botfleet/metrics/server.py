"""Each bot process's own HTTP endpoint: ``/health`` for probes, ``/metrics`` for Prometheus.

It listens on ``health.host:health.port`` (127.0.0.1 by default), so the container's
HEALTHCHECK, a Kubernetes probe or Prometheus asks the process itself rather than the web
process. ``/health`` answers 200 once every shard of every bot is connected and 503 before
that (or while a stop drains), with a JSON body saying which shards and guilds it serves.

aiohttp's server side (about 2 MB resident, 50 ms to import) is imported, in a thread, only by
a process that serves the endpoint: a bot without ``health.port`` never loads it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botfleet.metrics.fleet_metrics import CONTENT_TYPE, FleetMetrics

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotHealth:
    """What ``/health`` says of one bot of the process."""

    ready: bool
    shards: list[int]
    guild_ids: list[int]
    draining: bool = False

    @property
    def healthy(self) -> bool:
        return self.ready and not self.draining


class HealthServer:
    """Serves ``/health`` and ``/metrics`` for the bots of this process."""

    def __init__(
        self,
        metrics: FleetMetrics,
        bots: Mapping[str, Callable[[], BotHealth]],
        *,
        host: str,
        port: int,
    ) -> None:
        self.metrics = metrics
        self.bots = bots
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen; a port already taken is logged and fatal to nothing else."""
        await asyncio.to_thread(_load_aiohttp_server)
        from aiohttp import web  # noqa: PLC0415  (loaded just above, off the event loop)

        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            await runner.cleanup()
            log.error(
                "the health and metrics endpoint cannot listen on %s:%d (%s); set another "
                "health.port (BOTFLEET_HEALTH__PORT) for this process",
                self.host,
                self.port,
                exc.strerror or exc,
            )
            return
        self._runner = runner
        self.port = runner.addresses[0][1]
        log.info("health and metrics on http://%s:%d/health and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, request: web.Request) -> web.Response:
        from aiohttp import web  # noqa: PLC0415  (loaded by start)

        bots = {name: read() for name, read in self.bots.items()}
        healthy = all(health.healthy for health in bots.values())
        body: dict[str, Any]
        if len(bots) == 1:
            ((name, health),) = bots.items()
            body = {"bot": name, **_describe(health)}
        else:
            body = {"bots": {name: _describe(health) for name, health in bots.items()}}
        body["status"] = "ok" if healthy else "unavailable"
        return web.json_response(body, status=200 if healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        from aiohttp import web  # noqa: PLC0415  (loaded by start)

        body = self.metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def _describe(health: BotHealth) -> dict[str, Any]:
    return {
        "ready": health.ready,
        "draining": health.draining,
        "shards": health.shards,
        "guild_ids": health.guild_ids,
    }


def _load_aiohttp_server() -> None:
    import aiohttp.web  # noqa: F401, PLC0415  (its first import is the slow one)
