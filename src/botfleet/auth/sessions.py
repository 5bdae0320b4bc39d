"""Server-side dashboard sessions: the browser holds only an opaque id, the data stays here.

Sessions live in Redis (every web process behind the load balancer sees them, and a restart
keeps members logged in), or in this process's memory without Redis. While Redis is away the
memory store serves, so the dashboard keeps working; members logged in before the outage log
in again, which loses nothing.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis

from botfleet.cache.memory import Clock
from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis

SESSION_ID_BYTES = 32
"""256 random bits: an id cannot be guessed, so it may stand for the login itself."""


@dataclass
class PendingLogin:
    """A login on its way through Discord: the ``state`` and PKCE verifier it must come back to."""

    state: str
    code_verifier: str
    next_path: str


@dataclass
class Session:
    """One browser's session: its CSRF token, and the member once logged in."""

    id: str
    csrf_token: str
    user_id: int | None = None
    username: str | None = None
    pending_login: PendingLogin | None = None
    changed: bool = field(default=False, compare=False)

    def to_json(self) -> str:
        data = asdict(self)
        del data["id"], data["changed"]
        return json.dumps(data)

    @classmethod
    def from_json(cls, session_id: str, raw: str) -> Session:
        data: dict[str, Any] = json.loads(raw)
        pending = data.pop("pending_login", None)
        return cls(
            id=session_id,
            pending_login=PendingLogin(**pending) if pending is not None else None,
            **data,
        )


def new_session() -> Session:
    """A fresh anonymous session, unsaved until something is kept in it."""
    return Session(
        id=secrets.token_urlsafe(SESSION_ID_BYTES),
        csrf_token=secrets.token_urlsafe(SESSION_ID_BYTES),
    )


class SessionBackend(Protocol):
    """Where serialised sessions are kept, each with a lifetime."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, lifetime: float) -> None: ...

    async def delete(self, key: str) -> None: ...


class MemorySessionBackend:
    """Sessions in this process's memory, at most ``max_entries`` of them.

    Expired ones are dropped when met or swept; when the store is full, the session written
    longest ago is evicted (the first to expire; a member still using it logs in again), so
    visitors who never come back cannot grow it without bound.
    """

    SWEEP_EVERY = 1000
    """Writes between sweeps of expired sessions (abandoned ones are never met again)."""
    MAX_ENTRIES = 100_000
    """About 40 MB of sessions; a larger dashboard keeps them in Redis."""

    def __init__(self, clock: Clock = time.monotonic, *, max_entries: int = MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("the session store must hold at least one session")
        self._entries: dict[str, tuple[str, float]] = {}
        self._clock = clock
        self._writes = 0
        self.max_entries = max_entries

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._entries[key]
            return None
        return entry[0]

    async def set(self, key: str, value: str, lifetime: float) -> None:
        now = self._clock()
        self._writes += 1
        self._entries.pop(key, None)
        if self._writes % self.SWEEP_EVERY == 0:
            self._entries = {name: entry for name, entry in self._entries.items() if entry[1] > now}
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (value, now + lifetime)

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)


class RedisSessionBackend:
    """Sessions in Redis with their lifetime as TTL; memory serves while Redis is away."""

    def __init__(self, redis: ResilientRedis, fallback: MemorySessionBackend) -> None:
        self.redis = redis
        self.fallback = fallback

    async def get(self, key: str) -> str | None:
        async def operation(client: Redis) -> str | None:
            value = await client.get(key)
            return value if isinstance(value, str) else None

        try:
            return await self.redis.call(operation)
        except RedisUnavailableError:
            return await self.fallback.get(key)

    async def set(self, key: str, value: str, lifetime: float) -> None:
        async def operation(client: Redis) -> None:
            await client.set(key, value, px=max(1, round(lifetime * 1000)))

        try:
            await self.redis.call(operation)
        except RedisUnavailableError:
            await self.fallback.set(key, value, lifetime)

    async def delete(self, key: str) -> None:
        async def operation(client: Redis) -> None:
            await client.delete(key)

        with contextlib.suppress(RedisUnavailableError):
            await self.redis.call(operation)
        await self.fallback.delete(key)


class SessionStore:
    """Loads, saves and ends sessions by their opaque id."""

    def __init__(self, backend: SessionBackend, *, lifetime: float, key_prefix: str) -> None:
        self.backend = backend
        self.lifetime = lifetime
        self.key_prefix = key_prefix

    @classmethod
    def for_cache(
        cls, redis: ResilientRedis | None, *, lifetime: float, key_prefix: str
    ) -> SessionStore:
        """Sessions in ``redis`` when there is one, else in memory."""
        memory = MemorySessionBackend()
        backend: SessionBackend = (
            memory if redis is None else RedisSessionBackend(redis, fallback=memory)
        )
        return cls(backend, lifetime=lifetime, key_prefix=key_prefix + "session:")

    async def load(self, session_id: str) -> Session | None:
        """The session of ``session_id``; None when unknown, expired or malformed."""
        if not session_id or len(session_id) > 128:
            return None
        raw = await self.backend.get(self.key_prefix + session_id)
        if raw is None:
            return None
        try:
            return Session.from_json(session_id, raw)
        except (ValueError, TypeError):
            return None

    async def save(self, session: Session) -> None:
        """Store ``session`` for a full lifetime from now (a login, a change of its data)."""
        await self.backend.set(self.key_prefix + session.id, session.to_json(), self.lifetime)
        session.changed = False

    async def end(self, session: Session) -> None:
        """Forget ``session``: its id no longer opens anything."""
        await self.backend.delete(self.key_prefix + session.id)

    async def renew(self, session: Session) -> Session:
        """The same data under a new id and CSRF token, the old id ended (after a login, so
        an id planted before it never becomes a logged-in session)."""
        await self.end(session)
        renewed = new_session()
        renewed.user_id, renewed.username = session.user_id, session.username
        return renewed
