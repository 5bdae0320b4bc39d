"""The web application behind the reverse proxy: liveness and readiness for process managers,
and the payment providers' webhooks (:mod:`botfleet.web.webhooks`).

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

from botfleet import __version__
from botfleet.cache import ResilientRedis
from botfleet.config.schema import Settings
from botfleet.database import migrate
from botfleet.database.base import Database, DatabaseUnavailableError
from botfleet.web import webhooks

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0
SETTINGS_KEY = web.AppKey("settings", Settings)
DATABASE_KEY = web.AppKey("database", Database)
REDIS_KEY = web.AppKey("redis", ResilientRedis)
STARTED_KEY = web.AppKey("started", float)


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
    overall = "ok" if status == 200 else "unavailable"
    return web.json_response(
        {"status": overall, "version": __version__, "checks": checks}, status=status
    )


async def _database_check(app: web.Application) -> dict[str, Any]:
    """The database answers and its schema is at the latest revision (bots need both)."""
    database = app[DATABASE_KEY]
    url = database.url.render_as_string(hide_password=False)
    if not await migrate.database_exists(url):
        return {"status": "failed", "detail": "no database file yet: run `botfleet db upgrade`"}
    try:
        latency = await asyncio.wait_for(database.ping(), CHECK_TIMEOUT)
        state = await migrate.schema_state(url)
    except (DatabaseUnavailableError, TimeoutError) as exc:
        log.warning("readiness: database unavailable: %s", exc)
        return {"status": "failed", "detail": "the database does not answer"}
    if not state.latest:
        return {
            "status": "failed",
            "detail": f"schema at revision {state.revision or 'none'}; run `botfleet db upgrade`",
        }
    return {"status": "ok", "latency_ms": round(latency * 1000, 1), "revision": state.revision}


async def _redis_check(app: web.Application) -> dict[str, Any]:
    redis = app.get(REDIS_KEY)
    if redis is None:
        return {"status": "not configured", "detail": "the in-memory cache serves alone"}
    started = time.perf_counter()
    try:
        await asyncio.wait_for(redis.client.ping(), CHECK_TIMEOUT)
    except (OSError, TimeoutError, RedisError) as exc:
        log.warning("readiness: Redis unavailable: %r", exc)
        return {"status": "degraded", "detail": "Redis does not answer; serving from memory"}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    redis: ResilientRedis | None = None,
) -> web.Application:
    """Build the application; resources it opened itself are closed on cleanup."""
    app = web.Application()
    app[SETTINGS_KEY] = settings
    app[STARTED_KEY] = time.monotonic()
    owned_database = database is None
    app[DATABASE_KEY] = database or Database.from_settings(settings)
    owned_redis = redis is None
    chosen_redis = redis if redis is not None else ResilientRedis.from_settings(settings)
    if chosen_redis is not None:
        app[REDIS_KEY] = chosen_redis

    async def close_owned(app: web.Application) -> None:
        if owned_database:
            await app[DATABASE_KEY].dispose()
        if owned_redis and chosen_redis is not None:
            await chosen_redis.close()

    app.on_cleanup.append(close_owned)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    webhooks.register(app, settings, app[DATABASE_KEY], chosen_redis)
    return app


async def serve(settings: Settings) -> None:
    """Serve the web endpoints on ``settings.web`` until cancelled."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.web.host, settings.web.port)
    await site.start()
    log.info("web endpoints on http://%s:%s", settings.web.host, settings.web.port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
