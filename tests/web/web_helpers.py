"""A dashboard under test: the web app on a real port, logging in through the Discord stand-in."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from botfleet.cache import ResilientRedis
from botfleet.config.schema import (
    CacheSection,
    DatabaseSection,
    PaymentsSection,
    Settings,
    WebSection,
)
from botfleet.database import Database
from botfleet.database.models import (
    Achievement,
    LeaderboardEntry,
    User,
    UserAchievement,
    UserBotStats,
)
from botfleet.database.models.gamification import MemberXP
from botfleet.gamification.periods import ALL_TIME_START
from botfleet.sandbox.paypal_server import LocalPayPalServer
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.server import DiscordSandbox
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.web import create_app

CLIENT_ID = 777000111
CLIENT_SECRET = "stand-in-client-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def limited_web(
    database: Database, redis_url: str, redis_prefix: str, limits: WebSection
) -> AsyncIterator[TestClient[Any, Any]]:
    """The web app on ``database`` and the test's Redis prefix, with the per-client budgets
    of ``limits``."""
    settings = Settings(
        database=DatabaseSection(url=SecretStr(str(database.url))),
        cache=CacheSection(key_prefix=redis_prefix),
        web=limits,
    )
    redis = ResilientRedis.from_url(redis_url, retry_interval=5)
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings, database=database, redis=redis))
    )
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        await redis.close()


def local_path(url: str) -> str:
    """The path and query of ``url``, for the test client of the dashboard."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class LoginTrip:
    """Where one login went: the consent page's URL and the callback Discord redirected to."""

    authorize_url: str
    callback_url: str


class Browser:
    """One browser (its own cookie jar) on the dashboard, and its visits to the stand-in."""

    def __init__(self, base_url: str, sandbox: DiscordSandbox) -> None:
        self.base_url = base_url
        self.sandbox = sandbox
        jar = CookieJar(unsafe=True, treat_as_secure_origin=[base_url])
        self.client: TestClient[Any, Any] | None = None
        self.jar = jar

    async def start(self, server: TestServer) -> None:
        self.client = TestClient(server, cookie_jar=self.jar)
        await self.client.start_server()

    @property
    def http(self) -> TestClient[Any, Any]:
        assert self.client is not None
        return self.client

    async def go_to_discord(self, next_path: str = "/profile") -> str:
        """``/login``: the consent page URL the dashboard redirects to."""
        response = await self.http.get(f"/login?next={next_path}", allow_redirects=False)
        assert response.status == 303, await response.text()
        return response.headers["Location"]

    async def consent(self, authorize_url: str, user_id: int, *, approve: bool = True) -> str:
        """Approve (or cancel) on the stand-in's consent page; the callback URL it sends to."""
        fields = dict(parse_qsl(urlsplit(authorize_url).query))
        async with aiohttp.ClientSession() as discord:
            async with discord.get(authorize_url) as page:
                assert page.status == 200, await page.text()
            fields.update(user_id=str(user_id), authorize="true" if approve else "false")
            async with discord.post(
                self.sandbox.url + "/oauth2/authorize", data=fields, allow_redirects=False
            ) as answer:
                assert answer.status == 302, await answer.text()
                return answer.headers["Location"]

    async def log_in(self, user_id: int, next_path: str = "/profile") -> LoginTrip:
        """The whole login; the dashboard's answer to the callback must be the redirect."""
        authorize_url = await self.go_to_discord(next_path)
        callback = await self.consent(authorize_url, user_id)
        response = await self.http.get(local_path(callback), allow_redirects=False)
        assert response.status == 303, await response.text()
        assert response.headers["Location"] == next_path
        return LoginTrip(authorize_url, callback)

    async def csrf_token(self) -> str:
        """The CSRF token of this browser's session, read from a page's logout form."""
        page = await (await self.http.get("/")).text()
        marker = 'name="csrf_token" value="'
        start = page.index(marker) + len(marker)
        return page[start : page.index('"', start)]

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


BrowserFactory = Callable[[], Awaitable[Browser]]


def all_time_xp(user_id: int, guild_id: int, xp: int) -> LeaderboardEntry:
    """A member's row on a guild's all-time XP board."""
    return LeaderboardEntry(
        user_id=user_id,
        guild_id=guild_id,
        category="xp",
        value=xp,
        period="all_time",
        period_start=ALL_TIME_START,
    )


async def record_activity(database: Database, guild: SandboxGuild) -> None:
    """Some XP, a command count, an achievement and premium, as the bots would have left them."""
    ada, bert = guild.member("ada"), guild.member("bert")
    async with database.session() as session:
        await session.merge(User(id=ada.id, username="ada", total_xp=1250, level=4))
        session.add(User(id=bert.id, username="bert", total_xp=300, level=2))
        await session.flush()
        ada_row = await session.get(User, ada.id)
        assert ada_row is not None
        ada_row.is_premium, ada_row.premium_tier = True, 1
        ada_row.premium_since = datetime(2026, 11, 1, tzinfo=UTC)
        session.add_all(
            [
                MemberXP(guild_id=guild.id, user_id=ada.id, xp=1250, level=4),
                MemberXP(guild_id=guild.id, user_id=bert.id, xp=300, level=2),
                UserBotStats(user_id=ada.id, bot_name="hangman", command_count=42),
                Achievement(id=900, name="First Word", description="Win a game", rarity="rare"),
            ]
        )
        for member, xp in ((ada, 1250), (bert, 300)):
            session.add(all_time_xp(member.id, guild.id, xp))
        await session.flush()
        session.add(UserAchievement(user_id=ada.id, achievement_id=900))
        await session.commit()


async def logged_in(browser_for: BrowserFactory, guild: SandboxGuild, name: str) -> Browser:
    browser = await browser_for()
    await browser.log_in(guild.member(name).id)
    return browser


def selling(
    settings: Settings, stripe: LocalStripeServer, paypal: LocalPayPalServer | None = None
) -> Settings:
    """``settings`` of a dashboard selling premium through the Stripe stand-in (and PayPal's)."""
    fields: dict[str, Any] = {
        "stripe_api_key": SecretStr(stripe.api_key),
        "stripe_webhook_secret": SecretStr(stripe.webhook_secret),
        "stripe_api_base": stripe.base_url,
        "stripe_prices": {"user_monthly": "price_monthly", "guild_yearly": "price_yearly"},
    }
    if paypal is not None:
        fields |= {
            "paypal_client_id": paypal.client_id,
            "paypal_client_secret": SecretStr(paypal.client_secret),
            "paypal_api_base": paypal.base_url,
            "paypal_webhook_id": paypal.webhook_id,
            "paypal_plans": {"user_monthly": "P-MONTHLY"},
            "paypal_cert_hosts": ["127.0.0.1"],
            "paypal_ca_file": paypal.ca_file,
        }
    payments = PaymentsSection(**fields)
    return settings.model_copy(update={"payments": payments})


async def checkout(browser: Browser, **fields: str) -> Any:
    """The member presses a plan's pay button (the monthly plan for them, with Stripe, unless
    ``fields`` say otherwise); the dashboard's answer, not followed."""
    form = {
        "csrf_token": await browser.csrf_token(),
        "attempt": "attempt-1",
        "provider": "stripe",
        "plan": "user_monthly",
        **fields,
    }
    return await browser.http.post("/premium/checkout", data=form, allow_redirects=False)


def settings_form(csrf_token: str, **changes: str) -> dict[str, str]:
    """A guild settings form as the page posts it; a change to "-" leaves that field out."""
    form = {
        "csrf_token": csrf_token,
        "enabled": "on",
        "message_xp_min": "10",
        "message_xp_max": "20",
        "message_cooldown_seconds": "30",
        "command_xp": "7",
        "announcement_mode": "dm",
        "announcement_channel_id": "",
        "no_xp_channel_ids": "-",
        "public_leaderboard": "on",
    }
    form.update(changes)
    return {name: value for name, value in form.items() if value != "-"}
