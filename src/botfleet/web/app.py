"""The web application behind the reverse proxy: health checks, Discord login, the dashboard.

It runs as its own process (``botfleet web``) beside the bots, on the same database and cache,
so it scales apart from them. Each part registers its routes with a ``setup_*`` function of
:data:`SETUPS`; resources it opened itself are closed on cleanup.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from importlib.resources import files

import aiohttp
from aiohttp import web

from botfleet.auth.oauth2 import DiscordOAuth2Client, OAuth2Config, OAuth2ConfigError
from botfleet.auth.refresh import RefreshClaims
from botfleet.auth.sessions import SessionStore
from botfleet.auth.tokens import TokenCipher, TokenKeyError, TokenStore
from botfleet.cache import CacheHierarchy, ResilientRedis
from botfleet.config.schema import Settings
from botfleet.database.base import Database
from botfleet.services.rate_limit import RateLimiter, RateLimitRule
from botfleet.web.api import setup_api
from botfleet.web.channels import BotChannelReader
from botfleet.web.health import setup_health
from botfleet.web.keys import (
    CACHE_KEY,
    CHANNELS_KEY,
    DATABASE_KEY,
    HTTP_KEY,
    OAUTH_KEY,
    REDIS_KEY,
    REFRESH_CLAIMS_KEY,
    SESSIONS_KEY,
    SETTINGS_KEY,
    STARTED_KEY,
    TEMPLATES_KEY,
    TOKENS_KEY,
    WEB_LIMITER_KEY,
)
from botfleet.web.login import setup_login
from botfleet.web.pages import setup_pages
from botfleet.web.premium import setup_premium
from botfleet.web.rendering import page_error_middleware, template_environment
from botfleet.web.sessions import session_middleware
from botfleet.web.webhooks import setup_webhooks

log = logging.getLogger(__name__)

SETUPS: list[Callable[[web.Application], None]] = [
    setup_health,
    setup_login,
    setup_pages,
    setup_api,
    setup_webhooks,
    setup_premium,
]
"""Every part of the application, each adding its routes."""


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    redis: ResilientRedis | None = None,
) -> web.Application:
    """Build the application; resources it opened itself are closed on cleanup."""
    app = web.Application(middlewares=[session_middleware, page_error_middleware])
    app[SETTINGS_KEY] = settings
    app[STARTED_KEY] = time.monotonic()
    owned_database = database is None
    app[DATABASE_KEY] = database or Database.from_settings(settings)
    owned_redis = redis is None
    chosen_redis = redis if redis is not None else ResilientRedis.from_settings(settings)
    if chosen_redis is not None:
        app[REDIS_KEY] = chosen_redis
    app[CACHE_KEY] = CacheHierarchy.from_settings(settings, redis=chosen_redis)
    app[SESSIONS_KEY] = SessionStore.for_cache(
        chosen_redis,
        lifetime=settings.web.session_lifetime,
        key_prefix=settings.cache.key_prefix + "web:",
    )
    app[REFRESH_CLAIMS_KEY] = RefreshClaims(
        chosen_redis, key_prefix=settings.cache.key_prefix + "web:"
    )
    app[TEMPLATES_KEY] = template_environment()
    app[WEB_LIMITER_KEY] = RateLimiter(
        RateLimitRule(settings.web.api_requests_per_minute, 60.0),
        redis=chosen_redis,
        key_prefix=settings.cache.key_prefix,
    )
    try:
        app[TOKENS_KEY] = TokenStore(app[DATABASE_KEY], TokenCipher.from_settings(settings))
    except TokenKeyError as exc:
        log.warning("Discord login is off: %s", exc)

    async def outside_resources(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            app[HTTP_KEY] = http
            app[CHANNELS_KEY] = BotChannelReader(
                http, settings.auth.api_base, settings.web.bot_tokens, app[CACHE_KEY]
            )
            try:
                app[OAUTH_KEY] = DiscordOAuth2Client(OAuth2Config.from_settings(settings), http)
            except OAuth2ConfigError as exc:
                log.warning("%s", exc)
            yield
        await app[WEB_LIMITER_KEY].close()  # its last hits to Redis before Redis closes
        await app[CACHE_KEY].close()
        if owned_database:
            await app[DATABASE_KEY].dispose()
        if owned_redis and chosen_redis is not None:
            await chosen_redis.close()

    app.cleanup_ctx.append(outside_resources)
    app.router.add_static("/static", str(files("botfleet.web") / "static"), name="static")
    for setup in SETUPS:
        setup(app)
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
