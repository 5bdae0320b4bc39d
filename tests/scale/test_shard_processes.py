"""One bot split over two processes by shard: each guild served once, its XP saved once.

Two `botfleet run hangman --shard-count 4 --shards a-b` processes share the real PostgreSQL and
Redis and connect to the stand-in, which routes each guild's events to the shard
``(guild_id >> 22) % 4`` as Discord does and refuses an identify that comes too soon in its
bucket.
"""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as redis_asyncio
from scale_processes import BotProcess, unused_port
from sqlalchemy import select

from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.database.models.gamification import MemberXP
from botfleet.sandbox import Application, DiscordSandbox

pytestmark = pytest.mark.postgres

SHARD_COUNT = 4
MESSAGE_XP = 20


async def test_two_processes_split_the_shards_and_save_xp_once(
    discord_sandbox: DiscordSandbox,
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    redis_prefix: str,
) -> None:
    app: Application = discord_sandbox.add_application("Hangman Bot")
    app.max_concurrency = 2  # shards 0 and 1 identify together; 2 and 3 wait 5 s for them
    guilds = [
        discord_sandbox.create_guild(f"Guild {index}", bots=[app], shard=(index % 4, 4))
        for index in range(8)
    ]
    members = [guild.add_member(f"player{index}") for index, guild in enumerate(guilds)]
    await upgrade(postgres_url)
    ports = [unused_port(), unused_port()]
    shared = {
        "HANGMAN_DISCORD_TOKEN": app.token,
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "BOTFLEET_CACHE__KEY_PREFIX": redis_prefix,
        "BOTFLEET_GAMIFICATION__COMMAND_XP": "0",
        "BOTFLEET_GAMIFICATION__MESSAGE_XP_MIN": str(MESSAGE_XP),
        "BOTFLEET_GAMIFICATION__MESSAGE_XP_MAX": str(MESSAGE_XP),
    }
    processes = [
        await BotProcess.start(
            ("run", "hangman", "--shard-count", str(SHARD_COUNT), "--shards", shards),
            discord_sandbox.url,
            tmp_path / shards,
            {**shared, "BOTFLEET_HEALTH__PORT": str(port)},
        )
        for shards, port in (("0-1", ports[0]), ("2-3", ports[1]))
    ]
    try:
        for process in processes:
            await process.wait_for_output("ready as")
        assert sorted(
            session.shard_id for session in discord_sandbox.gateway.connected_sessions(app)
        ) == [0, 1, 2, 3]
        assert discord_sandbox.gateway.identifies_too_soon == []
        served = [await _health(port) for port in ports]
        assert [sorted(health["shards"]) for health in served] == [[0, 1], [2, 3]]
        first_guilds, second_guilds = (set(health["guild_ids"]) for health in served)
        assert first_guilds.isdisjoint(second_guilds)
        assert first_guilds | second_guilds == {guild.guild.id for guild in guilds}

        for member, guild in zip(members, guilds, strict=True):
            general = guild.channel("general")
            await member.send(general, "hello everyone, nice server")
            await member.send(general, "h!ping")
            await general.wait_for_message(author=app, timeout=20)
        for guild in guilds:
            replies = [
                message
                for message in guild.channel("general").messages()
                if message.author.id == app.bot_user.id
            ]
            assert len(replies) == 1, f"{guild.guild.name} was answered {len(replies)} times"
        statuses = [await process.stop() for process in processes]
    finally:
        for process in processes:
            await process.kill()
    assert statuses == [0, 0], [process.text for process in processes]

    database = Database(postgres_url)
    try:
        async with database.session() as session:
            rows = (await session.scalars(select(MemberXP))).all()
    finally:
        await database.dispose()
    earned = {(row.guild_id, row.user_id): row.xp for row in rows}
    assert earned == {
        (guild.guild.id, member.user.id): MESSAGE_XP
        for guild, member in zip(guilds, members, strict=True)
    }
    client = redis_asyncio.from_url(redis_url)
    try:
        for guild, member in zip(guilds, members, strict=True):
            keys = [
                key
                async for key in client.scan_iter(
                    match=f"{redis_prefix}lb:{guild.guild.id}:xp:all_time:*"
                )
            ]
            assert len(keys) == 1
            assert await client.zscore(keys[0], f"{member.user.id:020d}") == MESSAGE_XP
    finally:
        await client.aclose()


async def _health(port: int) -> dict[str, list[int]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/health") as response,
    ):
        assert response.status == 200
        body: dict[str, list[int]] = json.loads(await response.text())
        return body
