"""Sharding: shard ranges, the stand-in's gateway rules for shards, and identify pacing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from scale_processes import BotProcess

from botfleet.cache.resilience import ResilientRedis
from botfleet.cli import main
from botfleet.config.schema import BotSection
from botfleet.core.sharding import IdentifyGate, ShardRangeError, parse_shard_range
from botfleet.errors import EXIT_CONFIG_ERROR
from botfleet.sandbox import Application, DiscordSandbox
from botfleet.sandbox.gateway import CloseCode, Op


def test_a_shard_range_names_its_shards() -> None:
    assert parse_shard_range("0-1", 4) == [0, 1]
    assert parse_shard_range("3", 4) == [3]
    for wrong in ("2-1", "0-4", "a-b", "-1", "1-"):
        with pytest.raises(ShardRangeError):
            parse_shard_range(wrong, 4)


def test_shard_ids_need_a_count_and_must_fit_in_it() -> None:
    assert BotSection(shard_count=4, shard_ids=[2, 3]).shard_ids == [2, 3]
    for wrong in ({"shard_ids": [0]}, {"shard_count": 2, "shard_ids": [2]}):
        with pytest.raises(ValidationError):
            BotSection.model_validate(wrong)


def test_run_refuses_shards_without_a_count() -> None:
    result = CliRunner().invoke(main, ["run", "hangman", "--shards", "0-1"])
    assert result.exit_code != 0
    assert "--shards needs --shard-count" in result.output


async def test_gateway_bot_recommends_shards_and_tells_the_identify_concurrency(
    discord_sandbox: DiscordSandbox,
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    app.max_concurrency = 16
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{discord_sandbox.api_base}/gateway/bot",
            headers={"Authorization": f"Bot {app.token}"},
        ) as response,
    ):
        body = await response.json()
    assert body["shards"] == 1
    assert body["session_start_limit"]["max_concurrency"] == 16


async def test_each_shard_gets_its_own_guilds_and_dms_go_to_shard_zero(
    discord_sandbox: DiscordSandbox,
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    app.max_concurrency = 2
    guilds = [
        discord_sandbox.create_guild(f"Guild {shard}", bots=[app], shard=(shard, 2))
        for shard in (0, 1)
    ]
    async with _Gateway(discord_sandbox) as first, _Gateway(discord_sandbox) as second:
        ready = [await first.identify(app, [0, 2]), await second.identify(app, [1, 2])]
        assert [[int(guild["id"]) for guild in event["guilds"]] for event in ready] == [
            [guilds[0].guild.id],
            [guilds[1].guild.id],
        ]
        member = guilds[1].add_member("alice")
        await member.send_dm(app, "hello")
        assert (await first.next_dispatch("MESSAGE_CREATE"))["content"] == "hello"


async def test_a_shard_outside_the_count_is_closed_with_4010(
    discord_sandbox: DiscordSandbox,
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    async with _Gateway(discord_sandbox) as gateway:
        assert await gateway.identify_refused(app, [2, 2]) == CloseCode.INVALID_SHARD


async def test_too_many_guilds_on_one_shard_is_closed_with_4011(
    discord_sandbox: DiscordSandbox,
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    app.max_guilds_per_shard = 1
    for name in ("One", "Two"):
        discord_sandbox.create_guild(name, bots=[app])
    client = discord.AutoShardedClient(intents=discord.Intents.default(), shard_count=1)
    with pytest.raises(discord.ConnectionClosed) as closed:
        await asyncio.wait_for(client.start(app.token), 30)
    await client.close()
    assert closed.value.code == CloseCode.SHARDING_REQUIRED


async def test_an_identify_too_soon_in_its_bucket_is_an_invalid_session(
    discord_sandbox: DiscordSandbox,
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    app.max_concurrency = 2
    async with (
        _Gateway(discord_sandbox) as first,
        _Gateway(discord_sandbox) as second,
        _Gateway(discord_sandbox) as third,
    ):
        await first.identify(app, [0, 4])
        await second.identify(app, [1, 4])  # another bucket: at once is fine
        await third.send(Op.IDENTIFY, _identify_payload(app, [2, 4]))  # bucket 0 again
        assert await third.receive_op() == {"op": Op.INVALID_SESSION, "d": False}
    assert discord_sandbox.gateway.identifies_too_soon == [("Hangman Bot", 2)]


async def test_identify_gates_of_two_processes_share_buckets_through_redis(
    redis_url: str, redis_prefix: str
) -> None:
    window = 0.3
    first, second = (
        IdentifyGate(
            redis=ResilientRedis.from_url(redis_url, retry_interval=5),
            key_prefix=redis_prefix,
            window=window,
        )
        for _ in range(2)
    )
    try:
        for gate in (first, second):
            gate.max_concurrency = 2
        loop = asyncio.get_running_loop()
        started = loop.time()
        await first.wait_turn(42, 0)
        await second.wait_turn(42, 1)  # the other bucket: no wait
        assert loop.time() - started < window
        await second.wait_turn(42, 2)  # bucket 0, taken by the first process
        assert loop.time() - started >= window
    finally:
        for gate in (first, second):
            assert gate.redis is not None
            await gate.redis.close()


async def test_an_identify_gate_alone_paces_its_own_shards() -> None:
    gate = IdentifyGate(window=0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await gate.wait_turn(None, 0)
    await gate.wait_turn(None, 1)
    assert loop.time() - started >= 0.2


def _identify_payload(app: Application, shard: list[int]) -> dict[str, Any]:
    return {
        "token": app.token,
        "intents": int(discord.Intents.default().value),
        "properties": {},
        "shard": shard,
    }


class _Gateway:
    """A raw gateway connection, to see the stand-in's answers a library would hide."""

    def __init__(self, sandbox: DiscordSandbox) -> None:
        self._url = sandbox.gateway_url + "?v=10&encoding=json"
        self._session = aiohttp.ClientSession()
        self._socket: aiohttp.ClientWebSocketResponse | None = None

    async def __aenter__(self) -> _Gateway:
        self._socket = await self._session.ws_connect(self._url)
        assert (await self.receive_op())["op"] == Op.HELLO
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._socket is not None
        await self._socket.close()
        await self._session.close()

    async def send(self, op: int, data: dict[str, Any]) -> None:
        assert self._socket is not None
        await self._socket.send_str(json.dumps({"op": op, "d": data}))

    async def receive_op(self) -> dict[str, Any]:
        assert self._socket is not None
        message = await self._socket.receive(timeout=10)
        if message.type is not aiohttp.WSMsgType.TEXT:
            return {"closed": self._socket.close_code}
        payload: dict[str, Any] = json.loads(message.data)
        return payload

    async def next_dispatch(self, name: str) -> dict[str, Any]:
        while True:
            payload = await self.receive_op()
            assert "closed" not in payload, payload
            if payload.get("t") == name:
                data: dict[str, Any] = payload["d"]
                return data

    async def identify(self, app: Application, shard: list[int]) -> dict[str, Any]:
        await self.send(Op.IDENTIFY, _identify_payload(app, shard))
        return await self.next_dispatch("READY")

    async def identify_refused(self, app: Application, shard: list[int]) -> int | None:
        await self.send(Op.IDENTIFY, _identify_payload(app, shard))
        payload = await self.receive_op()
        code: int | None = payload.get("closed")
        return code


async def test_a_bot_with_too_few_shards_stops_saying_what_to_change(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    app.max_guilds_per_shard = 1
    for name in ("One", "Two"):
        discord_sandbox.create_guild(name, bots=[app])
    process = await BotProcess.start(
        ("run", "hangman", "--shard-count", "1"),
        discord_sandbox.url,
        tmp_path,
        {"HANGMAN_DISCORD_TOKEN": app.token},
    )
    try:
        status = await process.finish()
    finally:
        await process.kill()
    assert status == EXIT_CONFIG_ERROR, process.text  # a restart cannot help: none is tried
    assert "close code 4011" in process.text
    assert "raise --shard-count" in process.text
    assert "Traceback" not in process.text
