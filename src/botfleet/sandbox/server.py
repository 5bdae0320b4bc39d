"""``DiscordSandbox``: Discord's HTTP API and gateway on one loopback port, plus its controls.

The real, unpatched discord.py client is pointed at the sandbox by its two URLs
(``point_discord_at``) and logs in, receives READY and GUILD_CREATE, runs commands and answers
interactions exactly as against Discord. Tests drive the world through the scripting handles
(``create_guild`` → ``SandboxGuild`` → ``SandboxMember``) and await what the bots do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import yarl
from aiohttp import web

from botfleet.core.discord_target import GATEWAY_PATH, point_discord_at
from botfleet.sandbox.flags import PRIVILEGED_INTENTS, GatewayIntent
from botfleet.sandbox.gateway import (
    DEFAULT_HEARTBEAT_INTERVAL_MS,
    HEARTBEAT_ACK_DELAY,
    CloseCode,
    GatewayHub,
)
from botfleet.sandbox.models import Application, User
from botfleet.sandbox.ratelimits import (
    GLOBAL_LIMIT_PER_SECOND,
    ForcedOutage,
    ForcedRateLimit,
    RateLimiter,
    RecordedRateLimit,
    RouteLimit,
)
from botfleet.sandbox.rest import (
    MAX_REQUEST_BYTES,
    AuditedRequest,
    RecordedHTTPError,
    RestApi,
    UnhandledRequest,
)
from botfleet.sandbox.scripting import (
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
    SandboxScriptError,
)
from botfleet.sandbox.state import (
    INTERACTION_RESPONSE_DEADLINE,
    INTERACTION_TOKEN_LIFETIME,
    POLL_HOUR,
    SandboxState,
)
from botfleet.utils.tasks import wait_ended

if TYPE_CHECKING:
    import discord

    from botfleet.sandbox.models import Message

log = logging.getLogger(__name__)

READY_TIMEOUT = 30.0
"""How long a bot may take to log in and get ready: a loaded laptop starting six bots and the
Grammar Bot's engines can need well over ten seconds. A start that fails raises at once."""


class DiscordSandbox:
    """A local stand-in for Discord that real discord.py clients connect to."""

    def __init__(
        self,
        *,
        interaction_deadline: float = INTERACTION_RESPONSE_DEADLINE,
        interaction_token_lifetime: float = INTERACTION_TOKEN_LIFETIME,
        heartbeat_interval_ms: int = DEFAULT_HEARTBEAT_INTERVAL_MS,
        heartbeat_ack_delay: float = HEARTBEAT_ACK_DELAY,
        route_limits: Mapping[str, RouteLimit] | None = None,
        forced_rate_limits: Iterable[ForcedRateLimit] = (),
        global_rate_limit: int = GLOBAL_LIMIT_PER_SECOND,
        poll_hour: float = POLL_HOUR,
        identify_window: float = 0.0,
    ) -> None:
        self._url = ""
        self.state = SandboxState(
            base_url=lambda: self._url,
            interaction_deadline=interaction_deadline,
            interaction_token_lifetime=interaction_token_lifetime,
            poll_hour=poll_hour,
        )
        self.unhandled: list[UnhandledRequest] = []
        self.gateway = GatewayHub(
            self.state,
            gateway_url=lambda: self.gateway_url,
            on_unhandled=self._record_unhandled,
            heartbeat_interval_ms=heartbeat_interval_ms,
            heartbeat_ack_delay=heartbeat_ack_delay,
            identify_window=identify_window,
        )
        self.rest = RestApi(
            self.state,
            gateway_url=lambda: self.gateway_url,
            on_unhandled=self._record_unhandled,
            rate_limiter=RateLimiter(
                route_limits, forced=forced_rate_limits, global_limit=global_rate_limit
            ),
        )
        self._runner: web.AppRunner | None = None
        self._clients: list[tuple[discord.Client, asyncio.Task[None]]] = []
        self._channel_cursors: dict[int, int] = {}

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def start(
        cls,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        interaction_deadline: float = INTERACTION_RESPONSE_DEADLINE,
        interaction_token_lifetime: float = INTERACTION_TOKEN_LIFETIME,
        heartbeat_interval_ms: int = DEFAULT_HEARTBEAT_INTERVAL_MS,
        heartbeat_ack_delay: float = HEARTBEAT_ACK_DELAY,
        route_limits: Mapping[str, RouteLimit] | None = None,
        forced_rate_limits: Iterable[ForcedRateLimit] = (),
        global_rate_limit: int = GLOBAL_LIMIT_PER_SECOND,
        poll_hour: float = POLL_HOUR,
        identify_window: float = 0.0,
    ) -> DiscordSandbox:
        """Start a sandbox listening on ``host:port`` (port 0 picks a free one).

        ``route_limits`` sets the limit of some routes (keys like
        ``"POST /channels/{channel_id}/messages"``; ``DISCORD_ROUTE_LIMITS`` are Discord's own,
        the default is a roomy 50 a second); ``forced_rate_limits`` are 429 switches on from
        the start (see ``force_rate_limit``). ``heartbeat_interval_ms`` is the interval HELLO
        announces; a gateway connection that sends no heartbeat for two intervals is closed,
        as Discord closes one whose heartbeats stopped, and has to resume. Each heartbeat's
        ACK comes ``heartbeat_ack_delay`` seconds later, the network round trip.
        ``poll_hour`` is how many real seconds an hour of a poll lasts: a test that sets it to
        0.1 sees a one-hour poll end on its own timer (its ``expiry`` still reads an hour after
        it was sent). ``identify_window`` enforces Discord's pacing of identifies (5 s per
        bucket, ``DISCORD_IDENTIFY_WINDOW``): one too soon gets an invalid session.
        """
        sandbox = cls(
            interaction_deadline=interaction_deadline,
            interaction_token_lifetime=interaction_token_lifetime,
            heartbeat_interval_ms=heartbeat_interval_ms,
            heartbeat_ack_delay=heartbeat_ack_delay,
            route_limits=route_limits,
            forced_rate_limits=forced_rate_limits,
            global_rate_limit=global_rate_limit,
            poll_hour=poll_hour,
            identify_window=identify_window,
        )
        await sandbox._listen(host, port)
        return sandbox

    async def _listen(self, host: str, port: int) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        self.rest.install(app)
        app.router.add_get(GATEWAY_PATH, self.gateway.handle)
        app.router.add_get(GATEWAY_PATH + "/", self.gateway.handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self._url = f"http://{bound_host}:{bound_port}"
        log.info("Discord sandbox listening on %s", self._url)

    async def stop(self) -> None:
        """Close connected clients started by ``run_client``, the gateway and the server."""
        for client, task in reversed(self._clients):
            await _close_client(client, task)
        self._clients.clear()
        self.state.close()
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """``async with DiscordSandbox() as sandbox``: listen on a free loopback port."""
        if self._runner is None:
            await self._listen("127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- addresses -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:53211``."""
        if not self._url:
            raise RuntimeError("the sandbox is not listening; use `await DiscordSandbox.start()`")
        return self._url

    @property
    def api_base(self) -> str:
        """What discord.py's ``Route.BASE`` is set to."""
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The websocket URL of the gateway."""
        return str(yarl.URL(self.url).with_scheme("ws").with_path(GATEWAY_PATH))

    def point_discord(self) -> contextlib.AbstractContextManager[None]:
        """``point_discord_at(self.url)``."""
        return point_discord_at(self.url)

    # -- building the world ----------------------------------------------------------------

    def add_application(
        self,
        name: str,
        *,
        privileged_intents: GatewayIntent = PRIVILEGED_INTENTS,
        owner: User | None = None,
        description: str = "",
    ) -> Application:
        """Register a bot application (its own token, bot user, id and owner).

        ``privileged_intents`` are the privileged intents enabled for it "in the developer
        portal"; identifying with another one is refused with close code 4014.
        """
        return self.state.create_application(
            name, owner=owner, privileged_intents=privileged_intents, description=description
        )

    def create_guild(
        self,
        name: str = "Sandbox",
        *,
        owner_name: str = "owner",
        bots: Sequence[Application] = (),
        default_channels: bool = True,
        locale: str = "en-US",
        shard: tuple[int, int] | None = None,
    ) -> SandboxGuild:
        """Create a guild with an owner, Discord's default channels and the given bots.

        Default channels are a "Text Channels" category with #general and a "Voice Channels"
        category with the "General" voice channel, as in a new Discord server. ``shard``
        ``(id, count)`` gives it an id that Discord routes to that shard of ``count``.
        """
        owner = self.state.create_user(owner_name)
        guild = SandboxGuild(
            self, self.state.create_guild(name, owner=owner, locale=locale, shard=shard)
        )
        if default_channels:
            text = guild.add_category("Text Channels")
            guild.add_text_channel("general", category=text)
            voice = guild.add_category("Voice Channels")
            guild.add_voice_channel("General", category=voice)
        for app in bots:
            guild.add_bot(app)
        return guild

    def user(self, name: str) -> User:
        """A registered user by username."""
        for user in self.state.users.values():
            if user.username == name:
                return user
        raise KeyError(f"no sandbox user {name!r}")

    def dm_channel(self, member: SandboxMember, app: Application) -> SandboxChannel:
        """The DM channel between a member and a bot."""
        return member.dm_with(app)

    def channel(self, channel_id: int) -> SandboxChannel:
        """A channel handle by id (e.g. one a bot created a DM in)."""
        return SandboxChannel(self, self.state.channels[channel_id])

    async def end_poll(self, message: Message) -> Message:
        """Let a poll's time run out now, as its timer would: the poll message's results become
        final (MESSAGE_UPDATE) and Discord's POLL_RESULT message, returned, is posted under it.
        """
        poll = message.poll
        if message.deleted or poll is None or poll.finalized:
            raise SandboxScriptError(f"there is no open poll to end in {message.describe()}")
        result = self.state.end_poll(message)
        await asyncio.sleep(0)
        return result

    # -- running clients -------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def run_client(
        self, client: discord.Client, app: Application, *, ready_timeout: float = READY_TIMEOUT
    ) -> AsyncIterator[discord.Client]:
        """Log ``client`` in as ``app`` and wait for on_ready; close it on exit.

        Start-up failures (a refused token, disallowed intents, an exception in setup_hook)
        are raised here instead of hanging until the timeout.
        """
        with self.point_discord():
            task = asyncio.create_task(client.start(app.token), name=f"sandbox client {app.name}")
            entry = (client, task)
            self._clients.append(entry)
            try:
                await self._wait_ready(client, task, app, ready_timeout)
                yield client
            finally:
                if entry in self._clients:
                    self._clients.remove(entry)
                    await _close_client(client, task)

    async def _wait_ready(
        self, client: discord.Client, task: asyncio.Task[None], app: Application, within: float
    ) -> None:
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {ready, task}, timeout=within, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ready.cancel()
        if ready in done and not ready.cancelled():
            return
        if task in done:
            error = task.exception()
            raise RuntimeError(f"{app.name} stopped before it was ready: {error!r}") from error
        raise TimeoutError(
            f"{app.name} was not ready after {within:.1f}s (is guild_ready_timeout small?)"
            f"{self.diagnostics()}"
        )

    async def drop_gateway(self, app: Application, *, code: int = CloseCode.UNKNOWN_ERROR) -> int:
        """Drop the application's gateway connections; discord.py will RESUME (or, after a
        4009, identify again)."""
        return await self.gateway.drop_connections(app, code=code)

    def request_reconnect(self, app: Application) -> int:
        """Send the application's connections a RECONNECT (opcode 7)."""
        return self.gateway.request_reconnect(app)

    def half_open_gateway(self, app: Application) -> int:
        """Keep the application's sockets open but silent: no heartbeat ACK, no event."""
        return self.gateway.go_half_open(app)

    def send_raw_event(self, app: Application, name: str, data: Any) -> int:
        """Dispatch an unchecked payload (malformed, changed) to the application's sessions."""
        return self.gateway.send_raw_event(app, name, data)

    # -- rate limits -----------------------------------------------------------------------

    def force_rate_limit(
        self,
        route: str | None = None,
        *,
        retry_after: float = 1.0,
        times: int | None = 1,
        is_global: bool = False,
        application: Application | None = None,
    ) -> ForcedRateLimit:
        """Make requests answer 429 with ``retry_after``, as Discord does when limiting a bot.

        ``route`` is a key such as ``"POST /channels/{channel_id}/messages"`` (``None``: every
        route but the interaction endpoints); ``times`` is how many requests are refused
        (``None``: until ``clear_rate_limits``); ``is_global`` answers with the global limit,
        which makes discord.py hold back every request of the bot. The returned switch counts
        its ``hits``.
        """
        self._check_route(route)
        forced = ForcedRateLimit(
            route=route,
            retry_after=retry_after,
            times=times,
            is_global=is_global,
            application=application.name if application is not None else None,
        )
        self.rest.rate_limiter.forced.append(forced)
        return forced

    def force_outage(
        self,
        route: str | None = None,
        *,
        status: int = 502,
        times: int | None = 1,
        application: Application | None = None,
        after_applying: bool = False,
    ) -> ForcedOutage:
        """Make requests fail with ``status`` (a 5xx), as Discord's API does in an outage.

        ``route`` and ``times`` as in ``force_rate_limit``; ``None`` for the route fails every
        route, interaction endpoints too. Switched off by ``clear_rate_limits``; the failures
        are listed in ``http_errors``. ``after_applying`` carries each request out first (its
        events sent) and fails only the answer: a retry then meets what it already did.
        """
        self._check_route(route)
        outage = ForcedOutage(
            route=route,
            status=status,
            times=times,
            application=application.name if application is not None else None,
            after_applying=after_applying,
        )
        self.rest.outages.append(outage)
        return outage

    def clear_rate_limits(self) -> None:
        """Switch off every forced 429 and outage."""
        self.rest.rate_limiter.forced.clear()
        self.rest.outages.clear()

    def _check_route(self, route: str | None) -> None:
        if route is not None and route not in self.rest.route_keys:
            known = "\n".join(f"  {key}" for key in sorted(self.rest.route_keys))
            raise ValueError(f"the sandbox has no route {route!r}; its routes are:\n{known}")

    @property
    def rate_limit_hits(self) -> list[RecordedRateLimit]:
        """Every 429 the sandbox answered, oldest first."""
        return self.rest.rate_limiter.hits

    # -- what went wrong -------------------------------------------------------------------

    @property
    def http_errors(self) -> list[RecordedHTTPError]:
        """Every error answer the REST API gave, oldest first."""
        return self.rest.errors

    @property
    def audited_requests(self) -> list[AuditedRequest]:
        """Every request that carried an audit-log reason, oldest first."""
        return self.rest.audited

    def _record_unhandled(self, method: str, path: str, app: Application | None) -> None:
        request = UnhandledRequest(app.name if app is not None else None, method, path)
        self.unhandled.append(request)
        log.warning(
            "Discord sandbox has no handler for %s: answered as an unknown route. "
            "Build the endpoint in botfleet.sandbox or stop calling it.",
            request.describe(),
        )

    def assert_no_unhandled_requests(self) -> None:
        """Fail if a bot called an endpoint (or gateway feature) the sandbox lacks.

        Requests the sandbox itself failed on count too: their tracebacks are in the log.
        """
        problems = [f"  - {request.describe()}" for request in self.unhandled]
        problems += [
            f"  - {what}: the sandbox failed (see its log)" for what in self.rest.internal_errors
        ]
        if problems:
            listing = "\n".join(problems)
            raise AssertionError(f"Bots wandered off the sandbox's map:\n{listing}")

    def diagnostics(self) -> str:
        """Recent refused requests and unhandled routes, appended to timeout failures."""
        lines: list[str] = []
        if self.rest.errors:
            lines.append("\nError answers the sandbox gave (most recent last):")
            lines.extend(f"  - {error.describe()}" for error in self.rest.errors[-10:])
        if self.rate_limit_hits:
            lines.append("\nRate limits the sandbox answered (most recent last):")
            lines.extend(f"  - {hit.describe()}" for hit in self.rate_limit_hits[-10:])
        if self.unhandled:
            lines.append("\nRequests the sandbox has no route for:")
            lines.extend(f"  - {request.describe()}" for request in self.unhandled[-10:])
        return "\n".join(lines)

    # -- cursors for scripted waits --------------------------------------------------------

    def channel_cursor(self, channel_id: int) -> int:
        """The id of the last message a wait in this channel handed out (or skipped past)."""
        return self._channel_cursors.get(channel_id, 0)

    def move_channel_cursor(self, channel_id: int, message_id: int) -> None:
        """Make later waits in the channel look only at messages after ``message_id``."""
        self._channel_cursors[channel_id] = max(self.channel_cursor(channel_id), message_id)


async def _close_client(client: discord.Client, task: asyncio.Task[None]) -> None:
    if not client.is_closed():
        await client.close()
    if not task.done():
        task.cancel()
    try:
        await wait_ended(task)
    except Exception:
        log.exception("A sandbox client ended with an error")
