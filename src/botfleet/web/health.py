"""Liveness and readiness for process managers and load balancers.

``/health`` answers while the process runs (for a restart policy); ``/ready`` answers 200 only
when the database answers (for a load balancer or a rolling restart), and reports Redis as
degraded rather than failed, since the bots keep serving from memory without it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from botfleet import __version__
from botfleet.core.heartbeat import BotState, read_fleet_status
from botfleet.database import migrate
from botfleet.database.base import DatabaseUnavailableError
from botfleet.web.keys import DATABASE_KEY, REDIS_KEY, STARTED_KEY

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0


async def health(request: web.Request) -> web.Response:
    """Liveness: the process is up and serving requests."""
    uptime = time.monotonic() - request.app[STARTED_KEY]
    return web.json_response(
        {"status": "ok", "version": __version__, "uptime_seconds": round(uptime, 1)}
    )


async def ready(request: web.Request) -> web.Response:
    """Readiness: the database answers; Redis is reported but never blocks readiness."""
    checks: dict[str, dict[str, Any]] = {"database": await _database_check(request.app)}
    status = 200 if checks["database"]["status"] == "ok" else 503
    checks["redis"] = await _redis_check(request.app)
    if status == 200:
        checks["bots"] = await _bots_check(request.app)
    overall = "ok" if status == 200 else "unavailable"
    return web.json_response(
        {"status": overall, "version": __version__, "checks": checks}, status=status
    )


async def _database_check(app: web.Application) -> dict[str, Any]:
    """The database answers and its schema is at the latest revision (bots need both), within
    :data:`CHECK_TIMEOUT` for the whole check (a migration holding its table locked is no
    answer either)."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            return await _database_state(app)
    except (DatabaseUnavailableError, TimeoutError) as exc:
        log.warning("readiness: database unavailable: %r", exc)
        return {"status": "failed", "detail": "the database does not answer"}


async def _database_state(app: web.Application) -> dict[str, Any]:
    database = app[DATABASE_KEY]
    url = database.url.render_as_string(hide_password=False)
    if not await migrate.database_exists(url):
        return {"status": "failed", "detail": "no database file yet: run `botfleet db upgrade`"}
    latency = await database.ping()
    state = await migrate.schema_state(url)
    if not state.latest:
        return {
            "status": "failed",
            "detail": f"schema at revision {state.revision or 'none'}; run `botfleet db upgrade`",
        }
    return {"status": "ok", "latency_ms": round(latency * 1000, 1), "revision": state.revision}


async def _bots_check(app: web.Application) -> dict[str, Any]:
    """Each bot's last heartbeat: reported for monitoring, never a reason to be unready.

    The web process serves with every bot down, so a stopped bot does not take it out of the
    load balancer; ``/health`` stays free of database reads (a liveness probe must not fail, and
    restart the process, because the database is slow).
    """
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            statuses = await read_fleet_status(app[DATABASE_KEY])
    except (DatabaseUnavailableError, SQLAlchemyError, TimeoutError) as exc:
        log.warning("readiness: the bots' heartbeats could not be read: %r", exc)
        return {"status": "unknown", "detail": "the heartbeats could not be read"}
    bots = {
        status.bot_name: {
            "state": status.state.value,
            "processes": status.processes,
            "latency_ms": status.latency_ms,
            "last_seen": status.last_seen.isoformat() if status.last_seen else None,
        }
        for status in statuses
    }
    silent = [status.bot_name for status in statuses if status.state is BotState.NOT_RESPONDING]
    return {"status": "degraded" if silent else "ok", "bots": bots}


async def _redis_check(app: web.Application) -> dict[str, Any]:
    redis = app.get(REDIS_KEY)
    if redis is None:
        return {"status": "not configured", "detail": "the in-memory cache serves alone"}
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await redis.client.ping()
    except (OSError, TimeoutError, RedisError) as exc:
        log.warning("readiness: Redis unavailable: %r", exc)
        return {"status": "degraded", "detail": "Redis does not answer; serving from memory"}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def setup_health(app: web.Application) -> None:
    """The health routes."""
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
