"""Rate limits: Discord's headers on every answer, 429s the real discord.py client waits out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from botfleet.sandbox import Application, DiscordSandbox, SandboxGuild
from botfleet.sandbox.ratelimits import (
    DISCORD_ROUTE_LIMITS,
    INTERACTION_ROUTES,
    ForcedRateLimit,
    RateLimiter,
    RouteLimit,
    bucket_hash,
)

BotFactory = Callable[..., commands.Bot]
MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"


class Api:
    def __init__(self, sandbox: DiscordSandbox, session: aiohttp.ClientSession) -> None:
        self.sandbox = sandbox
        self.session = session

    async def post(self, app: Application, path: str, body: Any) -> tuple[int, Any, Any]:
        async with self.session.post(
            self.sandbox.api_base + path, headers={"Authorization": f"Bot {app.token}"}, json=body
        ) as response:
            return response.status, response.headers, await response.json()


@pytest.fixture
async def api(discord_sandbox: DiscordSandbox) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(discord_sandbox, session)


@pytest.mark.parametrize("discord_sandbox_options", [{"route_limits": DISCORD_ROUTE_LIMITS}])
async def test_every_answer_carries_the_bucket_headers_counted_per_channel(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    general = sandbox_guild.channel("general")
    games = sandbox_guild.add_text_channel("games")
    path = f"/channels/{general.id}/messages"
    status, first, _ = await api.post(sandbox_app, path, {"content": "one"})
    assert status == 200
    assert first["X-RateLimit-Limit"] == "5"
    assert first["X-RateLimit-Remaining"] == "4"
    assert first["X-RateLimit-Bucket"] == bucket_hash(MESSAGES_ROUTE)
    assert 0 < float(first["X-RateLimit-Reset-After"]) <= 5
    assert float(first["X-RateLimit-Reset"]) > 1_700_000_000
    assert first["Via"] == "1.1 google"
    _, second, _ = await api.post(sandbox_app, path, {"content": "two"})
    assert second["X-RateLimit-Remaining"] == "3"
    _, elsewhere, _ = await api.post(
        sandbox_app, f"/channels/{games.id}/messages", {"content": "x"}
    )
    assert elsewhere["X-RateLimit-Remaining"] == "4", "each channel has a bucket of its own"
    status, refused, body = await api.post(sandbox_app, path, {})
    assert (status, body["code"]) == (400, 50006)
    assert refused["X-RateLimit-Remaining"] == "2", "error answers count and carry headers too"


def test_limit_tables_name_routes_the_sandbox_serves(discord_sandbox: DiscordSandbox) -> None:
    served = discord_sandbox.rest.route_keys
    assert set(DISCORD_ROUTE_LIMITS) - served == set()
    assert INTERACTION_ROUTES - served == set()


async def test_by_default_buckets_are_roomy_so_tests_never_wait(
    api: Api, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    path = f"/channels/{sandbox_guild.channel('general').id}/messages"
    _, headers, _ = await api.post(sandbox_app, path, {"content": "one"})
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == ("50", "49")
    assert float(headers["X-RateLimit-Reset-After"]) <= 1.0


@pytest.mark.parametrize(
    "discord_sandbox_options", [{"route_limits": {MESSAGES_ROUTE: RouteLimit(2, 30.0)}}]
)
async def test_a_client_ignoring_the_headers_gets_429_with_retry_after(
    api: Api, discord_sandbox: DiscordSandbox, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    path = f"/channels/{sandbox_guild.channel('general').id}/messages"
    for _ in range(2):
        status, _, _ = await api.post(sandbox_app, path, {"content": "spam"})
        assert status == 200
    status, headers, body = await api.post(sandbox_app, path, {"content": "spam"})
    assert status == 429
    assert set(body) == {"message", "retry_after", "global"}
    assert body["message"] == "You are being rate limited."
    assert body["global"] is False
    assert 29 < body["retry_after"] <= 30
    assert headers["X-RateLimit-Scope"] == "user"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["Retry-After"] == "30"
    assert headers["Via"] == "1.1 google"
    [hit] = discord_sandbox.rate_limit_hits
    assert (hit.route, hit.forced, hit.application) == (MESSAGES_ROUTE, False, "Test Bot")
    assert [m.content for m in sandbox_guild.channel("general").messages()] == ["spam", "spam"]


async def test_forced_and_global_429s_have_discords_shape(
    api: Api, discord_sandbox: DiscordSandbox, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    path = f"/channels/{sandbox_guild.channel('general').id}/messages"
    switch = discord_sandbox.force_rate_limit(MESSAGES_ROUTE, retry_after=0.25, times=1)
    status, headers, body = await api.post(sandbox_app, path, {"content": "x"})
    assert (status, body) == (
        429,
        {"message": "You are being rate limited.", "retry_after": 0.25, "global": False},
    )
    assert headers["X-RateLimit-Scope"] == "user"
    assert headers["X-RateLimit-Bucket"] == bucket_hash(MESSAGES_ROUTE)
    assert not switch.active
    assert (await api.post(sandbox_app, path, {"content": "x"}))[0] == 200
    discord_sandbox.force_rate_limit(is_global=True, retry_after=0.5, times=None)
    status, headers, body = await api.post(sandbox_app, path, {"content": "x"})
    assert (status, body["global"], body["retry_after"]) == (429, True, 0.5)
    assert headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"
    assert "X-RateLimit-Bucket" not in headers
    assert (await api.post(sandbox_app, path, {"content": "x"}))[0] == 429
    discord_sandbox.clear_rate_limits()
    assert (await api.post(sandbox_app, path, {"content": "x"}))[0] == 200
    assert [hit.is_global for hit in discord_sandbox.rate_limit_hits] == [False, True, True]
    with pytest.raises(ValueError, match="no route 'POST /channels/messages'"):
        discord_sandbox.force_rate_limit("POST /channels/messages")


def test_the_global_limit_spares_interaction_routes_and_windows_refill() -> None:
    now = [0.0]
    limiter = RateLimiter(global_limit=2, clock=lambda: now[0], wall_clock=lambda: 1e9)

    def admit(route: str, major: tuple[str, ...] = ("1",)) -> bool:
        answer = limiter.admit(
            method="GET",
            path="/x",
            route=route,
            major=major,
            application_id=7,
            application="bot",
        )
        return answer.refusal is None

    assert admit("GET /users/@me")
    assert admit("GET /guilds/{guild_id}")
    assert not admit("GET /channels/{channel_id}"), "the third request in a second is global"
    assert limiter.hits[-1].is_global
    callback = "POST /interactions/{interaction_id}/{token}/callback"
    assert admit(callback), "interaction endpoints are not bound to the global limit"
    now[0] = 1.0
    assert admit("GET /channels/{channel_id}")


@pytest.mark.parametrize(
    "discord_sandbox_options",
    [{"forced_rate_limits": [ForcedRateLimit(route=MESSAGES_ROUTE, retry_after=0.2)]}],
)
async def test_discord_py_waits_out_a_429_and_the_message_still_arrives(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = make_bot()

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pong")

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    caplog.set_level(logging.WARNING, logger="discord.http")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await alice.send(general, "!ping")
        answer = await general.wait_for_message(author=sandbox_app)
    assert answer.content == "pong"
    [hit] = discord_sandbox.rate_limit_hits
    assert (hit.route, hit.forced, hit.retry_after) == (MESSAGES_ROUTE, True, 0.2)
    assert any("Retrying in 0.20 seconds" in r.getMessage() for r in caplog.records)
    assert [m.content for m in general.messages()] == ["!ping", "pong"]


async def test_a_global_429_holds_back_the_bot_then_everything_goes_through(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = make_bot()

    @bot.command()
    async def both(ctx: commands.Context[commands.Bot]) -> None:
        await asyncio.gather(ctx.send("first"), ctx.message.add_reaction("✅"))

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    caplog.set_level(logging.WARNING, logger="discord.http")
    async with discord_sandbox.run_client(bot, sandbox_app):
        switch = discord_sandbox.force_rate_limit(is_global=True, retry_after=0.3, times=1)
        command = await alice.send(general, "!both")
        answer = await general.wait_for_message(author=sandbox_app)
        await _until(lambda: bool(command.reactions))
    assert answer.content == "first"
    assert switch.hits == 1
    assert discord_sandbox.rate_limit_hits[0].is_global
    assert any("Global rate limit has been hit" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "discord_sandbox_options", [{"route_limits": {MESSAGES_ROUTE: RouteLimit(2, 0.3)}}]
)
async def test_discord_py_paces_itself_by_the_headers_and_never_hits_429(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    bot = make_bot()

    @bot.command()
    async def count(ctx: commands.Context[commands.Bot]) -> None:
        await asyncio.gather(*(ctx.send(str(n)) for n in range(5)))

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await alice.send(general, "!count")
        for _ in range(5):
            await general.wait_for_message(author=sandbox_app)
    assert sorted(m.content for m in general.messages()[1:]) == ["0", "1", "2", "3", "4"]
    assert discord_sandbox.rate_limit_hits == []


async def test_followups_through_the_interaction_webhook_are_retried(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    other = discord_sandbox.add_application("Other Bot")
    sandbox_guild.add_bot(other)
    bot = make_bot()

    @bot.tree.command(description="Two answers")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        await interaction.followup.send("second")

    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        discord_sandbox.force_rate_limit(
            "POST /webhooks/{application_id}/{token}", retry_after=0.1, application=other
        )
        switch = discord_sandbox.force_rate_limit(
            "POST /webhooks/{application_id}/{token}", retry_after=0.1, application=sandbox_app
        )
        handle = await alice.run_command(general, sandbox_app, "twice")
        followup = await handle.wait_for_followup()
    assert followup.content == "second"
    assert switch.hits == 1
    assert [hit.application for hit in discord_sandbox.rate_limit_hits] == ["Test Bot"]


async def _until(condition: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)
