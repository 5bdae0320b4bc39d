"""Fixtures of the gamification tests: caches with and without the real Redis, a factory of
gamification services (one per "process"), and a guild where two bots of the fleet play."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from gamification_helpers import GamificationFactory, Recorder

from botfleet.cache import CacheHierarchy, MemoryCache, ResilientRedis
from botfleet.database import Database
from botfleet.gamification import Gamification, GamificationOptions
from botfleet.sandbox import Application, DiscordSandbox, Permission, SandboxGuild
from botfleet.sandbox.scripting import DEFAULT_BOT_PERMISSIONS


@pytest.fixture
def redis_settings(redis_url: str, redis_prefix: str) -> tuple[str, str]:
    return redis_url, redis_prefix


@pytest.fixture
async def make_gamification() -> AsyncIterator[GamificationFactory]:
    """Builds gamification services; each is stopped, and its database closed, afterwards.

    ``redis=(url, prefix)`` gives it a cache and rankings on the real Redis.
    """
    made: list[tuple[Gamification, CacheHierarchy, Database | None]] = []

    def make(
        database: Database | str,
        *,
        bot_name: str = "hangman",
        options: GamificationOptions | None = None,
        dispatch: Recorder | None = None,
        redis: tuple[str, str] | None = None,
    ) -> Gamification:
        owned = Database(database) if isinstance(database, str) else None
        resolved = owned or database
        assert isinstance(resolved, Database)
        prefix = ""
        if redis is not None:
            url, prefix = redis
            connection = ResilientRedis.from_url(url, retry_interval=0.5)
            cache = CacheHierarchy(
                MemoryCache(10_000), connection, key_prefix=prefix, owns_redis=True
            )
        else:
            cache = CacheHierarchy(MemoryCache(10_000))
        gamification = Gamification(
            resolved,
            cache,
            bot_name=bot_name,
            options=options,
            key_prefix=prefix,
            dispatch=dispatch,
        )
        made.append((gamification, cache, owned))
        return gamification

    yield make
    for gamification, cache, owned in made:
        await gamification.stop()
        await cache.close()
        if owned is not None:
            await owned.dispose()


@pytest.fixture
def utility_app(discord_sandbox: DiscordSandbox) -> Application:
    return discord_sandbox.add_application("Utility Bot")


@pytest.fixture
def mod_app(discord_sandbox: DiscordSandbox) -> Application:
    return discord_sandbox.add_application("Mod Bot")


@pytest.fixture
def guild(
    discord_sandbox: DiscordSandbox, utility_app: Application, mod_app: Application
) -> SandboxGuild:
    """The Utility Bot may manage roles (for role rewards); the Mod Bot has the defaults."""
    created = discord_sandbox.create_guild("Word Games")
    created.add_bot(utility_app, permissions=DEFAULT_BOT_PERMISSIONS | Permission.MANAGE_ROLES)
    created.add_bot(mod_app)
    return created
