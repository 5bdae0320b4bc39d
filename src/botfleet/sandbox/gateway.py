"""The gateway: a websocket per connected bot, speaking Discord's gateway protocol.

A connection says HELLO, takes IDENTIFY (token, intents, shard) or RESUME, answers heartbeats
(and closes the connection when they stop, as Discord does), and streams dispatch events with
sequence numbers. Sessions outlive their connection so a bot whose socket dropped can RESUME
and receive what it missed, as on Discord. Events are filtered by the intents the bot
identified with and by its shard, and message content is hidden from a bot without the
MESSAGE_CONTENT intent (see ``SandboxState``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yarl
from aiohttp import WSMsgType, web

from botfleet.sandbox import payloads
from botfleet.sandbox.flags import ALL_INTENTS, PRIVILEGED_INTENTS, GatewayIntent
from botfleet.sandbox.models import Application
from botfleet.sandbox.state import GatewayEvent, SandboxState

if TYPE_CHECKING:
    from discord.types.gateway import GuildMembersChunkEvent, ReadyEvent

log = logging.getLogger(__name__)

DEFAULT_HEARTBEAT_INTERVAL_MS = 41_250
HEARTBEAT_TOLERANCE = 1.0
"""How many heartbeat intervals late a heartbeat may be before its connection is closed.

Discord closes a connection whose heartbeats stopped and leaves "tolerance in the
heartbeat_interval" for lateness without saying how much; one interval more keeps the
heartbeats of a busy test machine in time."""
HEARTBEAT_TIMEOUT_CLOSE_CODE = 1000
"""The close code of a connection closed for missing heartbeats.

Discord documents no code for it, only that the connection is closed and the session must be
resumed, so it is not 4009 (a session that timed out cannot be resumed). Bot libraries'
maintainers saw a 1000 from Discord when their heartbeats stopped; discord.py takes a 1000 it
did not send as a dropped connection, reconnects and resumes."""
HEARTBEAT_ACK_DELAY = 0.05
"""Seconds before a heartbeat's ACK goes out: the network round trip to Discord.

Discord's ACK crosses the network, so it always arrives after discord.py's keep-alive thread
woke up from sending the heartbeat and recorded when it did. An ACK sent at once can beat that
thread on a busy process; discord.py then measures from the previous heartbeat and reports a
whole interval (41 s) as the latency, with "Can't keep up" warnings. 50 ms is an ordinary
gateway latency."""
REPLAY_BUFFER_SIZE = 2000
"""Dispatches a session keeps for a RESUME; an older sequence number cannot be resumed."""
DISCORD_IDENTIFY_WINDOW = 5.0
"""Discord's seconds in which each identify bucket (``shard_id % max_concurrency``) may
identify once. The sandbox enforces it when started with ``identify_window`` (tests of shard
pacing do); by default it is 0, so tests that reconnect one bot many times stay fast."""
SUPPORTED_API_VERSIONS = frozenset({9, 10})
CLEAN_CLOSE_CODES = frozenset({1000, 1001})
"""A client closing with these ends its session: it can no longer be resumed, as on Discord."""
_CLOSING_FRAMES = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR})


class Op:
    """Gateway opcodes."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class CloseCode:
    """Gateway close codes the sandbox uses, with Discord's meanings."""

    UNKNOWN_ERROR = 4000
    UNKNOWN_OPCODE = 4001
    DECODE_ERROR = 4002
    NOT_AUTHENTICATED = 4003
    AUTHENTICATION_FAILED = 4004
    ALREADY_AUTHENTICATED = 4005
    SESSION_TIMED_OUT = 4009
    INVALID_SHARD = 4010
    SHARDING_REQUIRED = 4011
    INVALID_API_VERSION = 4012
    INVALID_INTENTS = 4013
    DISALLOWED_INTENTS = 4014


@dataclass
class GatewaySession:
    """An identified bot session; it survives a dropped connection until resumed."""

    session_id: str
    app: Application
    intents: int
    shard_id: int
    shard_count: int
    sequence: int = 0
    replay: deque[tuple[int, str, Any]] = field(
        default_factory=lambda: deque(maxlen=REPLAY_BUFFER_SIZE)
    )
    connection: GatewayConnection | None = None

    def wants(self, event: GatewayEvent) -> bool:
        """Whether this session receives the event (audience, intents and shard)."""
        if self.app not in event.recipients:
            return False
        if event.required_intent is not None and not self.intents & event.required_intent:
            return False
        if event.guild_id is None:
            return self.shard_id == 0
        return (event.guild_id >> 22) % self.shard_count == self.shard_id

    def dispatch(self, name: str, data: Any) -> None:
        """Number the event, keep it for a resume and send it if connected."""
        self.sequence += 1
        self.replay.append((self.sequence, name, data))
        if self.connection is not None:
            self.connection.send({"op": Op.DISPATCH, "t": name, "s": self.sequence, "d": data})


class GatewayConnection:
    """One websocket: its outgoing queue, its compression and its protocol state."""

    def __init__(self, websocket: web.WebSocketResponse, *, compress: bool) -> None:
        self.websocket = websocket
        self._compressor = zlib.compressobj() if compress else None
        self._outgoing: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.session: GatewaySession | None = None
        self.silent = False
        """Half-open: the socket stays up but nothing reaches the client any more."""
        self.last_heartbeat = asyncio.get_running_loop().time()
        """When the client last heartbeated (at first: when it connected and got HELLO)."""
        self.writer = asyncio.create_task(self._write_loop())

    def send(self, payload: dict[str, Any]) -> None:
        """Queue a payload; frames go out in order from the writer task."""
        if not self.silent:
            self._outgoing.put_nowait(payload)

    async def close(self, code: int, reason: str) -> None:
        """Flush what is queued, then close with a gateway close code."""
        self._outgoing.put_nowait(None)
        with contextlib.suppress(Exception):
            await self.writer
        await self.websocket.close(code=code, message=reason.encode())

    async def _write_loop(self) -> None:
        while True:
            payload = await self._outgoing.get()
            if payload is None or self.websocket.closed:
                return
            text = json.dumps(payload, separators=(",", ":"))
            try:
                if self._compressor is None:
                    await self.websocket.send_str(text)
                else:
                    data = self._compressor.compress(text.encode())
                    data += self._compressor.flush(zlib.Z_SYNC_FLUSH)
                    await self.websocket.send_bytes(data)
            except (ConnectionError, RuntimeError):
                log.debug("Gateway connection closed while sending; dropping the rest")
                return


class GatewayHub:
    """Accepts gateway websockets and routes the world's events to the right sessions."""

    def __init__(
        self,
        state: SandboxState,
        *,
        gateway_url: Callable[[], str],
        on_unhandled: Callable[[str, str, Application | None], None],
        heartbeat_interval_ms: int = DEFAULT_HEARTBEAT_INTERVAL_MS,
        heartbeat_ack_delay: float = HEARTBEAT_ACK_DELAY,
        identify_window: float = 0.0,
    ) -> None:
        self._state = state
        self.identify_window = identify_window
        self._gateway_url = gateway_url
        self._on_unhandled = on_unhandled
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.heartbeat_ack_delay = heartbeat_ack_delay
        self.sessions: dict[str, GatewaySession] = {}
        self._connections: set[GatewayConnection] = set()
        self._last_identify: dict[tuple[int, int], float] = {}
        """(application id, identify bucket) → when that bucket last identified."""
        self.identifies_too_soon: list[tuple[str, int]] = []
        """(application, shard) of every IDENTIFY refused for coming too soon in its bucket."""
        state.subscribe(self)

    # -- events from the world -------------------------------------------------------------

    def deliver(self, event: GatewayEvent) -> None:
        """Send an event to every session that should receive it."""
        for session in self.sessions.values():
            if session.wants(event):
                session.dispatch(event.name, event.render(session.app, session.intents))

    # -- controls for tests ----------------------------------------------------------------

    def connected_sessions(self, app: Application) -> list[GatewaySession]:
        """The application's sessions that currently have a live connection."""
        return [
            session
            for session in self.sessions.values()
            if session.app is app and session.connection is not None
        ]

    async def drop_connections(
        self, app: Application, *, code: int = CloseCode.UNKNOWN_ERROR
    ) -> int:
        """Close the application's gateway connections as a network failure would.

        The sessions stay resumable, so discord.py reconnects and resumes them; with
        ``SESSION_TIMED_OUT`` (4009) they are forgotten first, as Discord forgets a session that
        timed out, so the RESUME is refused and the client identifies anew.
        """
        dropped = 0
        for session in self.connected_sessions(app):
            connection = session.connection
            if connection is None:
                continue
            session.connection = None
            if code == CloseCode.SESSION_TIMED_OUT:
                del self.sessions[session.session_id]
            await connection.close(code, "Connection dropped by the sandbox")
            dropped += 1
        return dropped

    def request_reconnect(self, app: Application) -> int:
        """Ask the application's connections to reconnect (opcode 7), as Discord does."""
        sessions = self.connected_sessions(app)
        for session in sessions:
            if session.connection is not None:
                session.connection.send({"op": Op.RECONNECT, "d": None})
        return len(sessions)

    def go_half_open(self, app: Application) -> int:
        """Leave the application's connections open but send nothing more on them.

        A half-open socket, as a dead route or a stalled proxy leaves it: no heartbeat ACK, no
        event. The sessions stay resumable and keep what is dispatched meanwhile, so a client
        that notices the silence, closes and resumes receives it.
        """
        sessions = self.connected_sessions(app)
        for session in sessions:
            if session.connection is not None:
                session.connection.silent = True
                session.connection = None
        return len(sessions)

    def send_raw_event(self, app: Application, name: str, data: Any) -> int:
        """Dispatch ``data`` as event ``name`` to the application's sessions, unchecked.

        For payloads Discord or another server implementation may send and a library may not
        parse: a changed field, a missing one, a ``d`` of the wrong type.
        """
        sessions = [session for session in self.sessions.values() if session.app is app]
        for session in sessions:
            session.dispatch(name, data)
        return len(sessions)

    def invalidate_sessions(self, app: Application) -> None:
        """Forget the application's sessions so a RESUME is refused."""
        for session_id in [sid for sid, s in self.sessions.items() if s.app is app]:
            del self.sessions[session_id]

    async def close(self) -> None:
        """Close every connection (server shutdown)."""
        for connection in list(self._connections):
            await connection.close(1001, "Sandbox shutting down")
        self.sessions.clear()

    # -- the websocket handler -------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one gateway connection until it closes."""
        websocket = web.WebSocketResponse(autoping=True, max_msg_size=4 * 1024 * 1024)
        await websocket.prepare(request)
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream"):
            log.warning(
                "Gateway asked for %s compression, which the sandbox does not offer; "
                "sending uncompressed text frames",
                compress,
            )
        connection = GatewayConnection(websocket, compress=compress == "zlib-stream")
        self._connections.add(connection)
        try:
            if not await self._check_query(request, connection):
                return websocket
            connection.send(
                {"op": Op.HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            await self._read_loop(connection)
        finally:
            self._connections.discard(connection)
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
                if websocket.close_code in CLEAN_CLOSE_CODES:
                    self.sessions.pop(session.session_id, None)
            if not websocket.closed:
                await connection.close(1000, "")
            connection.writer.cancel()
        return websocket

    async def _check_query(self, request: web.Request, connection: GatewayConnection) -> bool:
        version = request.query.get("v", "10")
        if not version.isdigit() or int(version) not in SUPPORTED_API_VERSIONS:
            await connection.close(CloseCode.INVALID_API_VERSION, "Invalid API version.")
            return False
        encoding = request.query.get("encoding", "json")
        if encoding != "json":
            self._on_unhandled("GATEWAY", f"encoding={encoding}", None)
            await connection.close(CloseCode.DECODE_ERROR, "Only JSON encoding is offered.")
            return False
        return True

    async def _read_loop(self, connection: GatewayConnection) -> None:
        loop = asyncio.get_running_loop()
        allowed_silence = self.heartbeat_interval_ms / 1000 * (1 + HEARTBEAT_TOLERANCE)
        while True:
            remaining = connection.last_heartbeat + allowed_silence - loop.time()
            if remaining <= 0:
                await self._close_for_missed_heartbeat(connection, allowed_silence)
                return
            try:
                frame = await connection.websocket.receive(timeout=remaining)
            except TimeoutError:
                continue
            if frame.type in _CLOSING_FRAMES:
                return
            if frame.type is not WSMsgType.TEXT:
                if frame.type is WSMsgType.BINARY:
                    await connection.close(CloseCode.DECODE_ERROR, "Error while decoding payload.")
                    return
                continue
            try:
                message = json.loads(frame.data)
                op = message["op"]
            except (ValueError, KeyError, TypeError):
                await connection.close(CloseCode.DECODE_ERROR, "Error while decoding payload.")
                return
            if not await self._handle_op(connection, op, message.get("d")):
                return

    async def _close_for_missed_heartbeat(
        self, connection: GatewayConnection, allowed_silence: float
    ) -> None:
        """Close a connection whose heartbeats stopped; its session stays resumable."""
        session = connection.session
        who = session.app.name if session is not None else "An unidentified gateway client"
        log.warning(
            "%s sent no heartbeat for %.2fs (heartbeat interval %dms); closing its gateway "
            "connection as Discord does, so it has to resume",
            who,
            allowed_silence,
            self.heartbeat_interval_ms,
        )
        if session is not None and session.connection is connection:
            session.connection = None
        await connection.close(HEARTBEAT_TIMEOUT_CLOSE_CODE, "Heartbeat timed out")

    async def _handle_op(self, connection: GatewayConnection, op: Any, data: Any) -> bool:
        """Act on one received payload; False once the connection was closed."""
        if op == Op.HEARTBEAT:
            loop = asyncio.get_running_loop()
            connection.last_heartbeat = loop.time()
            loop.call_later(
                self.heartbeat_ack_delay, connection.send, {"op": Op.HEARTBEAT_ACK, "d": None}
            )
            return True
        if op == Op.IDENTIFY:
            return await self._identify(connection, data)
        if op == Op.RESUME:
            return await self._resume(connection, data)
        session = connection.session
        if session is None:
            await connection.close(CloseCode.NOT_AUTHENTICATED, "Not authenticated.")
            return False
        if op == Op.PRESENCE_UPDATE:
            return True
        if op == Op.REQUEST_GUILD_MEMBERS:
            self._send_member_chunks(session, data)
            return True
        if op == Op.VOICE_STATE_UPDATE:
            self._update_voice_state(session, data)
            return True
        await connection.close(CloseCode.UNKNOWN_OPCODE, "Unknown opcode.")
        return False

    async def _identify(self, connection: GatewayConnection, data: Any) -> bool:
        if connection.session is not None:
            await connection.close(CloseCode.ALREADY_AUTHENTICATED, "Already authenticated.")
            return False
        if not isinstance(data, dict):
            await connection.close(CloseCode.DECODE_ERROR, "Error while decoding payload.")
            return False
        app = self._state.application_by_token(str(data.get("token", "")))
        if app is None:
            log.warning("Gateway IDENTIFY with an unknown token; closing with 4004")
            await connection.close(CloseCode.AUTHENTICATION_FAILED, "Authentication failed.")
            return False
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents & ~int(ALL_INTENTS):
            await connection.close(CloseCode.INVALID_INTENTS, "Invalid intent(s).")
            return False
        disallowed = intents & int(PRIVILEGED_INTENTS) & ~int(app.allowed_privileged_intents)
        if disallowed:
            log.warning(
                "%s asked for privileged intents it is not allowed (%s); closing with 4014",
                app.name,
                GatewayIntent(disallowed),
            )
            await connection.close(CloseCode.DISALLOWED_INTENTS, "Disallowed intent(s).")
            return False
        shard = data.get("shard") or [0, 1]
        if (
            not isinstance(shard, list)
            or len(shard) != 2
            or not all(isinstance(part, int) for part in shard)
            or not 0 <= shard[0] < shard[1]
        ):
            await connection.close(CloseCode.INVALID_SHARD, "Invalid shard.")
            return False
        guilds = [
            guild for guild in self._state.guilds_of(app) if (guild.id >> 22) % shard[1] == shard[0]
        ]
        if len(guilds) > app.max_guilds_per_shard:
            log.warning(
                "%s identified shard %s with %d guilds, over %d; closing with 4011",
                app.name,
                shard,
                len(guilds),
                app.max_guilds_per_shard,
            )
            await connection.close(CloseCode.SHARDING_REQUIRED, "Sharding required.")
            return False
        if not self._identify_allowed(app, shard[0]):
            connection.send({"op": Op.INVALID_SESSION, "d": False})
            return True
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            app=app,
            intents=intents,
            shard_id=shard[0],
            shard_count=shard[1],
            connection=connection,
        )
        connection.session = session
        self.sessions[session.session_id] = session
        ready: ReadyEvent = {
            "v": 10,
            "user": payloads.user_payload(app.bot_user),
            "guilds": [
                {"id": payloads.snowflake(guild.id), "unavailable": True} for guild in guilds
            ],
            "session_id": session.session_id,
            "resume_gateway_url": self._gateway_url(),
            "shard": [session.shard_id, session.shard_count],
            "application": {"id": payloads.snowflake(app.id), "flags": app.flags},
        }
        if app.holds_ready:
            log.info("%s identified; holding its READY back as asked", app.name)
            return True
        session.dispatch("READY", ready)
        if intents & GatewayIntent.GUILDS:
            for guild in guilds:
                session.dispatch(
                    "GUILD_CREATE", payloads.guild_payload(guild, for_app=app, intents=intents)
                )
        log.info("%s identified on the sandbox gateway (intents %s)", app.name, intents)
        return True

    def _identify_allowed(self, app: Application, shard_id: int) -> bool:
        """Whether the shard's identify bucket is free: one IDENTIFY per bucket per window.

        Discord answers one that comes too soon with an invalid session; the sandbox also keeps
        it in ``identifies_too_soon`` so a test can check a bot paced its shards.
        """
        bucket = (app.id, shard_id % app.max_concurrency)
        now = asyncio.get_running_loop().time()
        last = self._last_identify.get(bucket)
        if last is not None and now - last < self.identify_window:
            log.warning(
                "%s identified shard %d %.2fs after the last identify of its bucket (max "
                "concurrency %d); answering with an invalid session as Discord does",
                app.name,
                shard_id,
                now - last,
                app.max_concurrency,
            )
            self.identifies_too_soon.append((app.name, shard_id))
            return False
        self._last_identify[bucket] = now
        return True

    async def _resume(self, connection: GatewayConnection, data: Any) -> bool:
        session = None
        if isinstance(data, dict):
            candidate = self.sessions.get(str(data.get("session_id")))
            app = self._state.application_by_token(str(data.get("token", "")))
            if candidate is not None and candidate.app is app:
                session = candidate
        last_seen = data.get("seq") if isinstance(data, dict) else None
        if (
            session is None
            or not isinstance(last_seen, int)
            or not self._can_replay(session, last_seen)
        ):
            connection.send({"op": Op.INVALID_SESSION, "d": False})
            return True
        previous = session.connection
        if previous is not None and previous is not connection:
            session.connection = None
            await previous.close(CloseCode.UNKNOWN_ERROR, "Session resumed elsewhere")
        session.connection = connection
        connection.session = session
        for sequence, name, payload in session.replay:
            if sequence > last_seen:
                connection.send({"op": Op.DISPATCH, "t": name, "s": sequence, "d": payload})
        session.dispatch("RESUMED", {})
        log.info("%s resumed its gateway session from sequence %s", session.app.name, last_seen)
        return True

    @staticmethod
    def _can_replay(session: GatewaySession, last_seen: int) -> bool:
        if last_seen > session.sequence:
            return False
        oldest = session.replay[0][0] if session.replay else session.sequence + 1
        return last_seen >= oldest - 1

    def _update_voice_state(self, session: GatewaySession, data: Any) -> None:
        """Opcode 4: the bot joins, moves in or leaves voice.

        Like Discord, the sandbox answers with the bot's VOICE_STATE_UPDATE and, when it
        joins or moves, a VOICE_SERVER_UPDATE naming a voice server (here the sandbox's own
        loopback address, where no voice gateway listens: a ``VoiceProtocol`` stand-in such as
        ``SandboxVoiceClient`` takes the place of the real voice connection). A request Discord
        would ignore (no CONNECT permission, a full channel) is ignored with a warning, and the
        bot's connect times out as it would on Discord.
        """
        app = session.app
        guild_id = _snowflake_of(data.get("guild_id")) if isinstance(data, dict) else None
        guild = self._state.guilds.get(guild_id or 0)
        if guild is None or app.bot_user.id not in guild.members:
            log.warning("%s sent a voice state update for a guild it is not in", app.name)
            return
        if data.get("channel_id") is None:
            self._state.set_voice_state(guild, app.bot_user, None)
            return
        channel_id = _snowflake_of(data["channel_id"]) or 0
        channel = guild.channels.get(channel_id)
        refusal = (
            f"there is no channel {channel_id} in {guild.name}"
            if channel is None
            else self._state.voice_refusal(guild, app.bot_user, channel)
        )
        if channel is None or refusal is not None:
            log.warning("Ignoring %s's voice state update: %s", app.name, refusal)
            return
        self._state.set_voice_state(
            guild,
            app.bot_user,
            channel,
            session_id=session.session_id,
            self_mute=bool(data.get("self_mute")),
            self_deaf=bool(data.get("self_deaf")),
        )
        endpoint = yarl.URL(self._gateway_url())
        self._state.announce_voice_server(app, guild, endpoint=f"{endpoint.host}:{endpoint.port}")

    def _send_member_chunks(self, session: GatewaySession, data: Any) -> None:
        if not isinstance(data, dict):
            return
        raw_ids = data.get("guild_id")
        guild_ids = raw_ids if isinstance(raw_ids, list) else [raw_ids]
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0)
        wanted_ids = {int(user_id) for user_id in data.get("user_ids") or []}
        for raw_guild_id in guild_ids:
            guild = self._state.guilds.get(int(raw_guild_id or 0))
            if guild is None or session.app.bot_user.id not in guild.members:
                continue
            members = [
                member
                for member in guild.members.values()
                if (member.user.id in wanted_ids if wanted_ids else True)
                and (
                    not query
                    or member.user.username.lower().startswith(query)
                    or (member.nick or "").lower().startswith(query)
                )
            ]
            if not session.intents & GatewayIntent.GUILD_MEMBERS and not wanted_ids:
                members = []
            if limit:
                members = members[:limit]
            chunk: GuildMembersChunkEvent = {
                "guild_id": payloads.snowflake(guild.id),
                "members": [payloads.member_with_user_payload(member) for member in members],
                "chunk_index": 0,
                "chunk_count": 1,
            }
            found = {member.user.id for member in members}
            if wanted_ids - found:
                chunk["not_found"] = [payloads.snowflake(user_id) for user_id in wanted_ids - found]
            if data.get("nonce"):
                chunk["nonce"] = str(data["nonce"])
            session.dispatch("GUILD_MEMBERS_CHUNK", chunk)


def _snowflake_of(raw: Any) -> int | None:
    """An id from a gateway payload, which discord.py sends as an int and Discord as a string."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return None
