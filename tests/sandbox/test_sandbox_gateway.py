"""The gateway protocol spoken raw: handshake, close codes, intents, compression, resume."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from botfleet.sandbox import Application, DiscordSandbox, GatewayIntent, Permission, SandboxGuild

INTENTS_WITHOUT_PRIVILEGED = (
    GatewayIntent.GUILDS | GatewayIntent.GUILD_MESSAGES | GatewayIntent.DIRECT_MESSAGES
)
ALL_USED = INTENTS_WITHOUT_PRIVILEGED | GatewayIntent.GUILD_MEMBERS | GatewayIntent.MESSAGE_CONTENT


class RawGateway:
    """A hand-written gateway client, to check what discord.py's would not notice."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse, *, compressed: bool) -> None:
        self.websocket = websocket
        self._inflator = zlib.decompressobj() if compressed else None
        self.sequences: list[int] = []

    async def receive(self) -> dict[str, Any]:
        frame = await self.websocket.receive(timeout=5)
        if frame.type is aiohttp.WSMsgType.BINARY:
            assert self._inflator is not None
            assert frame.data.endswith(b"\x00\x00\xff\xff")
            text = self._inflator.decompress(frame.data).decode()
        else:
            assert frame.type is aiohttp.WSMsgType.TEXT, f"unexpected frame {frame!r}"
            text = frame.data
        payload: dict[str, Any] = json.loads(text)
        if payload.get("s") is not None:
            self.sequences.append(payload["s"])
        return payload

    async def send(self, op: int, data: Any) -> None:
        await self.websocket.send_str(json.dumps({"op": op, "d": data}))

    async def dispatch(self, name: str) -> dict[str, Any]:
        """Skip ahead to the next dispatch called ``name`` and return its data."""
        while True:
            payload = await self.receive()
            if payload["op"] == 0 and payload["t"] == name:
                data: dict[str, Any] = payload["d"]
                return data

    async def identify(self, token: str, intents: int, **extra: Any) -> dict[str, Any]:
        hello = await self.receive()
        assert hello["op"] == 10
        await self.send(2, {"token": token, "intents": intents, "properties": {}, **extra})
        return await self.dispatch("READY")

    async def close_code(self) -> int | None:
        frame = await self.websocket.receive(timeout=5)
        while frame.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            frame = await self.websocket.receive(timeout=5)
        return self.websocket.close_code


@pytest.fixture
async def connect(discord_sandbox: DiscordSandbox) -> AsyncIterator[Any]:
    session = aiohttp.ClientSession()
    sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def open_gateway(query: str = "v=10&encoding=json") -> RawGateway:
        websocket = await session.ws_connect(f"{discord_sandbox.gateway_url}?{query}")
        sockets.append(websocket)
        return RawGateway(websocket, compressed="zlib-stream" in query)

    yield open_gateway
    for websocket in sockets:
        await websocket.close()
    await session.close()


async def test_handshake_ready_and_guild_create(
    connect: Any,
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
) -> None:
    sandbox_guild.add_member("alice")
    gateway = await connect()
    ready = await gateway.identify(sandbox_app.token, INTENTS_WITHOUT_PRIVILEGED)
    assert ready["v"] == 10
    assert ready["user"]["id"] == str(sandbox_app.bot_user.id)
    assert ready["guilds"] == [{"id": str(sandbox_guild.id), "unavailable": True}]
    assert ready["resume_gateway_url"] == discord_sandbox.gateway_url
    assert ready["shard"] == [0, 1]
    assert ready["application"] == {"id": str(sandbox_app.id), "flags": sandbox_app.flags}
    guild = await gateway.dispatch("GUILD_CREATE")
    assert guild["id"] == str(sandbox_guild.id)
    assert guild["member_count"] == 3
    assert [m["user"]["id"] for m in guild["members"]] == [str(sandbox_app.bot_user.id)]
    assert {c["name"] for c in guild["channels"]} >= {"general", "General"}
    await gateway.send(1, 2)
    assert (await gateway.receive()) == {"op": 11, "d": None}
    assert gateway.sequences == [1, 2]


async def test_with_the_members_intent_guild_create_lists_everyone(
    connect: Any, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    sandbox_guild.add_member("alice")
    gateway = await connect()
    await gateway.identify(sandbox_app.token, ALL_USED)
    guild = await gateway.dispatch("GUILD_CREATE")
    assert len(guild["members"]) == guild["member_count"] == 3


@pytest.mark.parametrize(
    ("query", "identify", "expected_code"),
    [
        ("v=10&encoding=json", {"token": "nope", "intents": 1}, 4004),
        ("v=10&encoding=json", {"intents": 1 << 30}, 4013),
        ("v=10&encoding=json", {"intents": 1, "shard": [2, 2]}, 4010),
        ("v=8&encoding=json", None, 4012),
        ("v=10&encoding=etf", None, 4002),
    ],
)
async def test_refusals_close_with_discord_codes(
    connect: Any,
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    query: str,
    identify: dict[str, Any] | None,
    expected_code: int,
) -> None:
    gateway = await connect(query)
    if identify is not None:
        assert (await gateway.receive())["op"] == 10
        await gateway.send(2, {"token": sandbox_app.token, "properties": {}, **identify})
    assert await gateway.close_code() == expected_code
    discord_sandbox.unhandled.clear()


async def test_disallowed_privileged_intents_close_with_4014(
    connect: Any, discord_sandbox: DiscordSandbox
) -> None:
    app = discord_sandbox.add_application("Limited", privileged_intents=GatewayIntent(0))
    gateway = await connect()
    assert (await gateway.receive())["op"] == 10
    await gateway.send(2, {"token": app.token, "intents": int(GatewayIntent.MESSAGE_CONTENT)})
    assert await gateway.close_code() == 4014


@pytest.mark.parametrize(("op", "expected_code"), [(8, 4003), (42, 4003)])
async def test_payloads_before_identify_close_with_4003(
    connect: Any, op: int, expected_code: int
) -> None:
    gateway = await connect()
    assert (await gateway.receive())["op"] == 10
    await gateway.send(op, {})
    assert await gateway.close_code() == expected_code


async def test_unknown_opcode_and_second_identify(connect: Any, sandbox_app: Application) -> None:
    gateway = await connect()
    await gateway.identify(sandbox_app.token, 1)
    await gateway.send(42, None)
    assert await gateway.close_code() == 4001
    again = await connect()
    await again.identify(sandbox_app.token, 1)
    await again.send(2, {"token": sandbox_app.token, "intents": 1})
    assert await again.close_code() == 4005


async def test_zlib_stream_compression(
    connect: Any, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    gateway = await connect("v=10&encoding=json&compress=zlib-stream")
    ready = await gateway.identify(sandbox_app.token, 1)
    assert ready["user"]["id"] == str(sandbox_app.bot_user.id)
    assert (await gateway.dispatch("GUILD_CREATE"))["id"] == str(sandbox_guild.id)


async def test_events_follow_intents_and_message_content(
    connect: Any, discord_sandbox: DiscordSandbox, sandbox_guild: SandboxGuild
) -> None:
    reader = discord_sandbox.add_application("Reader")
    blind = discord_sandbox.add_application("Blind")
    deaf = discord_sandbox.add_application("Deaf")
    for app in (reader, blind, deaf):
        sandbox_guild.add_bot(app)
    alice = sandbox_guild.add_member("alice")
    gateways = {}
    for app, intents in (
        (reader, INTENTS_WITHOUT_PRIVILEGED | GatewayIntent.MESSAGE_CONTENT),
        (blind, INTENTS_WITHOUT_PRIVILEGED),
        (deaf, GatewayIntent.GUILDS),
    ):
        gateways[app.name] = await connect()
        await gateways[app.name].identify(app.token, intents)
        await gateways[app.name].dispatch("GUILD_CREATE")
    await alice.send(sandbox_guild.channel("general"), "secret words")
    await alice.send(sandbox_guild.channel("general"), f"hey <@{blind.bot_user.id}>")
    full = await gateways["Reader"].dispatch("MESSAGE_CREATE")
    hidden = await gateways["Blind"].dispatch("MESSAGE_CREATE")
    mentioned = await gateways["Blind"].dispatch("MESSAGE_CREATE")
    assert full["content"] == "secret words"
    assert full["member"]["roles"] == []
    assert full["guild_id"] == str(sandbox_guild.id)
    assert hidden["content"] == ""
    assert hidden["author"]["id"] == str(alice.id)
    assert mentioned["content"] == f"hey <@{blind.bot_user.id}>"
    assert mentioned["mentions"][0]["id"] == str(blind.bot_user.id)
    await gateways["Deaf"].send(1, None)
    assert (await gateways["Deaf"].receive())["op"] == 11, "no MESSAGE_CREATE without the intent"


async def test_resume_replays_missed_events_and_bad_resumes_are_invalid(
    connect: Any, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    first = await connect()
    ready = await first.identify(sandbox_app.token, ALL_USED)
    await first.dispatch("GUILD_CREATE")
    last_seen = first.sequences[-1]
    await first.websocket.close(code=4000)
    await alice.send(sandbox_guild.channel("general"), "while you were away")
    second = await connect()
    assert (await second.receive())["op"] == 10
    resume = {"token": sandbox_app.token, "session_id": ready["session_id"], "seq": last_seen}
    await second.send(6, resume)
    missed = await second.receive()
    assert (missed["t"], missed["s"]) == ("MESSAGE_CREATE", last_seen + 1)
    assert missed["d"]["content"] == "while you were away"
    resumed = await second.receive()
    assert (resumed["t"], resumed["s"]) == ("RESUMED", last_seen + 2)
    stranger = await connect()
    assert (await stranger.receive())["op"] == 10
    await stranger.send(6, {**resume, "session_id": "unknown"})
    assert (await stranger.receive()) == {"op": 9, "d": False}
    await second.websocket.close(code=1000)
    after_clean_close = await connect()
    assert (await after_clean_close.receive())["op"] == 10
    await after_clean_close.send(6, {**resume, "seq": resumed["s"]})
    assert (await after_clean_close.receive()) == {"op": 9, "d": False}


@pytest.mark.parametrize("discord_sandbox_options", [{"heartbeat_interval_ms": 150}])
async def test_a_connection_whose_heartbeats_stop_is_closed_and_its_session_resumes(
    connect: Any,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    caplog: pytest.LogCaptureFixture,
) -> None:
    never_identified = await connect()
    gateway = await connect()
    hello = await gateway.receive()
    assert hello == {"op": 10, "d": {"heartbeat_interval": 150}}
    await gateway.send(2, {"token": sandbox_app.token, "intents": ALL_USED, "properties": {}})
    ready = await gateway.dispatch("READY")
    await gateway.dispatch("GUILD_CREATE")
    for _ in range(4):
        await asyncio.sleep(0.1)
        await gateway.send(1, gateway.sequences[-1])
        assert (await gateway.receive()) == {"op": 11, "d": None}, "beating in time, it stays"
    assert await gateway.close_code() == 1000
    assert (await never_identified.receive())["op"] == 10
    assert await never_identified.close_code() == 1000
    assert "Test Bot sent no heartbeat for 0.30s" in caplog.text

    await sandbox_guild.add_member("alice").send(sandbox_guild.channel("general"), "missed")
    again = await connect()
    assert (await again.receive())["op"] == 10
    resume = {"token": sandbox_app.token, "session_id": ready["session_id"], "seq": 2}
    await again.send(6, resume)
    assert (await again.dispatch("MESSAGE_CREATE"))["content"] == "missed"
    assert (await again.receive())["t"] == "RESUMED", "the session outlived the connection"


async def test_member_chunks_and_voice_state_updates(
    connect: Any,
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
) -> None:
    alice = sandbox_guild.add_member("alice")
    sandbox_guild.add_member("albert")
    sandbox_guild.add_member("bob")
    gateway = await connect()
    await gateway.identify(sandbox_app.token, ALL_USED)
    await gateway.dispatch("GUILD_CREATE")
    await gateway.send(
        8, {"guild_id": str(sandbox_guild.id), "query": "al", "limit": 0, "nonce": "n1"}
    )
    chunk = await gateway.dispatch("GUILD_MEMBERS_CHUNK")
    assert sorted(m["user"]["username"] for m in chunk["members"]) == ["albert", "alice"]
    assert (chunk["chunk_index"], chunk["chunk_count"], chunk["nonce"]) == (0, 1, "n1")
    await gateway.send(8, {"guild_id": str(sandbox_guild.id), "user_ids": [str(alice.id), "1"]})
    chunk = await gateway.dispatch("GUILD_MEMBERS_CHUNK")
    assert [m["user"]["id"] for m in chunk["members"]] == [str(alice.id)]
    assert chunk["not_found"] == ["1"]


async def test_voice_state_updates_join_move_and_leave(
    connect: Any,
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lounge = sandbox_guild.channel("General")
    stage = sandbox_guild.add_voice_channel("Stage")
    alice = sandbox_guild.add_member("alice")
    await alice.join_voice(lounge, self_mute=True)
    gateway = await connect()
    ready = await gateway.identify(sandbox_app.token, ALL_USED | GatewayIntent.GUILD_VOICE_STATES)
    guild = await gateway.dispatch("GUILD_CREATE")
    [listed] = guild["voice_states"]
    assert (listed["user_id"], listed["channel_id"]) == (str(alice.id), str(lounge.id))
    assert listed["self_mute"] is True
    await gateway.send(4, {"guild_id": sandbox_guild.id, "channel_id": lounge.id})
    joined = await gateway.dispatch("VOICE_STATE_UPDATE")
    assert joined["user_id"] == str(sandbox_app.bot_user.id)
    assert joined["channel_id"] == str(lounge.id)
    assert joined["guild_id"] == str(sandbox_guild.id)
    assert joined["session_id"] == ready["session_id"]
    assert joined["member"]["user"]["id"] == str(sandbox_app.bot_user.id)
    server = await gateway.dispatch("VOICE_SERVER_UPDATE")
    address = discord_sandbox.url.removeprefix("http://")
    assert server == {
        "token": server["token"],
        "guild_id": str(sandbox_guild.id),
        "endpoint": address,
    }
    await gateway.send(4, {"guild_id": str(sandbox_guild.id), "channel_id": str(stage.id)})
    assert (await gateway.dispatch("VOICE_STATE_UPDATE"))["channel_id"] == str(stage.id)
    await gateway.send(4, {"guild_id": str(sandbox_guild.id), "channel_id": None})
    left = await gateway.dispatch("VOICE_STATE_UPDATE")
    assert (left["channel_id"], left["session_id"]) == (None, ready["session_id"])
    assert stage.voice_members == []
    await lounge.set_permissions(sandbox_guild.role("Test Bot"), deny=Permission.CONNECT)
    await gateway.send(4, {"guild_id": str(sandbox_guild.id), "channel_id": str(lounge.id)})
    await gateway.send(1, None)
    assert (await gateway.dispatch("CHANNEL_UPDATE"))["id"] == str(lounge.id)
    assert (await gateway.receive())["op"] == 11, "a refused join is ignored, as on Discord"
    assert "lacks CONNECT in General" in caplog.text
    assert [m.id for m in lounge.voice_members] == [alice.id]


async def test_shards_receive_only_their_guilds(
    connect: Any, discord_sandbox: DiscordSandbox, sandbox_app: Application
) -> None:
    guilds = [discord_sandbox.create_guild(f"g{index}", bots=[sandbox_app]) for index in range(4)]
    for shard_id in (0, 1):
        gateway = await connect()
        ready = await gateway.identify(sandbox_app.token, 1, shard=[shard_id, 2])
        expected = [str(g.id) for g in guilds if (g.id >> 22) % 2 == shard_id]
        assert [g["id"] for g in ready["guilds"]] == expected
        assert ready["shard"] == [shard_id, 2]
