"""A member's Discord access token, renewed when it is about to expire, once at a time.

Discord rotates refresh tokens: a refresh answers a new pair and the old refresh token is spent,
so a second refresh with it is ``invalid_grant``. Two requests of one member renewing at once
would therefore log the member out. :class:`RefreshClaims` lets one renewal per member run at
a time: an asyncio lock within the process, and a claim key in Redis that every web process
honours; whoever waited reads the stored tokens again and finds them renewed.

Only ``invalid_grant`` means the member's authorisation is gone (:class:`LoginExpiredError`,
tokens forgotten). A 5xx, a 429, a malformed answer or an unreachable Discord keeps the stored
tokens: the access token is used while it is still valid, and otherwise the member is asked to
try again shortly (:class:`DiscordUnavailableError`); the next request renews again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

import aiohttp

from botfleet.auth.oauth2 import REFRESH_MARGIN, DiscordOAuth2Client, OAuth2Error
from botfleet.auth.tokens import DiscordTokens, TokenStore
from botfleet.cache.memory import Clock
from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis
from botfleet.errors import BotfleetError

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

CLAIM_SECONDS: Final = 15.0
"""How long a renewal may hold a member's claim: longer than a token request may take (10 s),
so a claim is never lost mid-renewal; a process that died holding one frees it by then."""
CLAIM_POLL: Final = 0.05
"""Seconds between looks at a claim another process holds (a renewal takes ~100 ms)."""
DEAD_GRANT: Final = "invalid_grant"
_RELEASE: Final = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
"""Delete the claim only if it is still ours (it may have lapsed and gone to another)."""


class LoginExpiredError(BotfleetError):
    """The member's Discord authorisation is gone (revoked, or the refresh token is dead)."""


class DiscordUnavailableError(BotfleetError):
    """Discord could not renew the member's token just now; their tokens are kept."""


@dataclass
class _LocalClaim:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class RefreshClaims:
    """One token renewal per member at a time, across every web process sharing ``redis``."""

    def __init__(
        self,
        redis: ResilientRedis | None,
        key_prefix: str,
        *,
        hold: float = CLAIM_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.redis = redis
        self.key_prefix = key_prefix + "token-refresh:"
        self.hold = hold
        self.clock = clock
        self._local: dict[int, _LocalClaim] = {}

    @contextlib.asynccontextmanager
    async def claim(self, user_id: int) -> AsyncIterator[None]:
        """Hold the member's renewal while the block runs, waiting for a holder to finish.

        :class:`DiscordUnavailableError` when another process held it all along (its renewal
        is stuck on Discord: this request would be no luckier).
        """
        local = self._local.setdefault(user_id, _LocalClaim())
        local.users += 1
        try:
            async with local.lock:
                holder = await self._claim_shared(user_id)
                try:
                    yield
                finally:
                    if holder is not None and self.redis is not None:
                        await self._release_shared(self.redis, user_id, holder)
        finally:
            local.users -= 1
            if local.users == 0:
                del self._local[user_id]

    async def _claim_shared(self, user_id: int) -> str | None:
        """Take the member's claim in Redis; None when there is no Redis to agree through."""
        if self.redis is None:
            return None
        key, holder = f"{self.key_prefix}{user_id}", secrets.token_hex(8)
        hold_ms = round(self.hold * 1000)

        async def take(client: Redis) -> bool:
            return bool(await client.set(key, holder, nx=True, px=hold_ms))

        deadline = self.clock() + self.hold
        while True:
            try:
                if await self.redis.call(take):
                    return holder
            except RedisUnavailableError:
                log.warning(
                    "Redis is unreachable: the Discord token of user %s is renewed under this "
                    "process's lock only",
                    user_id,
                )
                return None
            if self.clock() >= deadline:
                log.warning("another process has renewed user %s's token for too long", user_id)
                raise DiscordUnavailableError("another renewal of this member's token is stuck")
            await asyncio.sleep(CLAIM_POLL)

    async def _release_shared(self, redis: ResilientRedis, user_id: int, holder: str) -> None:
        key = f"{self.key_prefix}{user_id}"

        async def release(client: Redis) -> None:
            await redis.script(_RELEASE)(keys=[key], args=[holder], client=client)

        # Unreleased, the claim lapses after ``hold`` seconds; waiters then renew nothing twice,
        # since they read the renewed tokens first.
        with contextlib.suppress(RedisUnavailableError):
            await redis.call(release)


def _fresh(tokens: DiscordTokens, now: datetime) -> bool:
    return tokens.expires_at - now > REFRESH_MARGIN


async def usable_access_token(
    client: DiscordOAuth2Client,
    store: TokenStore,
    claims: RefreshClaims,
    user_id: int,
) -> str:
    """The member's access token, renewed first when it expires within a day.

    :class:`LoginExpiredError` when the member has no tokens or Discord declared them dead;
    :class:`DiscordUnavailableError` when they could not be renewed now and no longer work.
    """
    tokens = await store.load(user_id)
    if tokens is None:
        raise LoginExpiredError(f"user {user_id} has no stored Discord tokens")
    if _fresh(tokens, client.clock()):
        return tokens.access_token
    async with claims.claim(user_id):
        # Whoever held the claim before may have renewed them: read what they stored.
        tokens = await store.load(user_id)
        if tokens is None:
            raise LoginExpiredError(f"user {user_id}'s Discord tokens were just forgotten")
        if _fresh(tokens, client.clock()):
            return tokens.access_token
        try:
            renewed = await client.refresh(tokens.refresh_token)
        except OAuth2Error as exc:
            if exc.error == DEAD_GRANT:
                log.info("Discord declared user %s's refresh token dead: %s", user_id, exc)
                if await store.forget(user_id, only=tokens):
                    raise LoginExpiredError(str(exc)) from exc
                # Another process renewed them meanwhile (spending this refresh token).
                return await _stored_access_token(client, store, user_id, exc)
            log.warning("Discord did not renew user %s's token (%s); tokens kept", user_id, exc)
            return _still_valid(client, tokens, user_id)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("Discord could not be reached to renew user %s's token: %r", user_id, exc)
            return _still_valid(client, tokens, user_id)
        if not await store.renew(user_id, renewed, replacing=tokens):
            log.info("user %s's tokens changed during the renewal; the stored ones stay", user_id)
        return renewed.access_token


async def _stored_access_token(
    client: DiscordOAuth2Client, store: TokenStore, user_id: int, dead: OAuth2Error
) -> str:
    """The access token another process stored after renewing, if it still works."""
    stored = await store.load(user_id)
    if stored is None or stored.expires_at <= client.clock():
        raise LoginExpiredError(str(dead)) from dead
    return stored.access_token


def _still_valid(client: DiscordOAuth2Client, tokens: DiscordTokens, user_id: int) -> str:
    """The old access token while it lasts (the renewal is tried again at the next request)."""
    if tokens.expires_at > client.clock():
        return tokens.access_token
    raise DiscordUnavailableError(f"user {user_id}'s token expired and could not be renewed")
