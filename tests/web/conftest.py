"""A dashboard on a migrated SQLite database, its Discord login pointed at the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from web_helpers import CLIENT_ID, CLIENT_SECRET, Browser, BrowserFactory, free_port

from botfleet.auth.tokens import TokenCipher, TokenStore, generate_key
from botfleet.config.schema import AuthSection, DatabaseSection, Settings, WebSection
from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.sandbox.models import Application
from botfleet.sandbox.paypal_server import LocalPayPalServer
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.server import DiscordSandbox
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.web import create_app


@pytest.fixture
async def web_database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path}/web.db"
    await upgrade(url)
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def web_port() -> int:
    return free_port()


@pytest.fixture
def fleet_apps(discord_sandbox: DiscordSandbox) -> dict[str, Application]:
    """The bot applications whose tokens the dashboard holds: the host bot and the Grammar Bot."""
    return {name: discord_sandbox.add_application(name) for name in ("utility", "grammar")}


@pytest.fixture
def web_settings(
    discord_sandbox: DiscordSandbox,
    web_database: Database,
    web_port: int,
    fleet_apps: dict[str, Application],
) -> Settings:
    public_url = f"http://127.0.0.1:{web_port}"
    discord_sandbox.rest.register_oauth2_client(
        CLIENT_ID, [public_url + "/oauth2/callback"], CLIENT_SECRET
    )
    return Settings(
        database=DatabaseSection(url=SecretStr(str(web_database.url))),
        web=WebSection(
            public_url=public_url,
            port=web_port,
            bot_tokens={name: SecretStr(app.token) for name, app in fleet_apps.items()},
        ),
        auth=AuthSection(
            client_id=CLIENT_ID,
            client_secret=SecretStr(CLIENT_SECRET),
            authorize_url=discord_sandbox.url + "/oauth2/authorize",
            token_url=discord_sandbox.url + "/api/oauth2/token",
            api_base=discord_sandbox.api_base,
            token_keys=SecretStr(generate_key()),
        ),
    )


@pytest.fixture
def token_store(web_settings: Settings, web_database: Database) -> TokenStore:
    """The dashboard's store of members' tokens, with its keys."""
    return TokenStore(web_database, TokenCipher.from_settings(web_settings))


@pytest.fixture
async def dashboard(
    web_settings: Settings, web_database: Database, web_port: int
) -> AsyncIterator[TestServer]:
    app: web.Application = create_app(web_settings, database=web_database)
    server = TestServer(app, host="127.0.0.1", port=web_port)
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def browser_for(
    dashboard: TestServer, discord_sandbox: DiscordSandbox
) -> AsyncIterator[BrowserFactory]:
    """``await browser_for()``: a new browser with cookies of its own."""
    browsers: list[Browser] = []

    async def open_browser() -> Browser:
        browser = Browser(str(dashboard.make_url("/")).rstrip("/"), discord_sandbox)
        await browser.start(dashboard)
        browsers.append(browser)
        return browser

    yield open_browser
    for browser in browsers:
        await browser.close()


@pytest.fixture
def community(discord_sandbox: DiscordSandbox, fleet_apps: dict[str, Application]) -> SandboxGuild:
    """A guild with an admin (Manage Server), a plain member and the fleet's bots."""
    guild = discord_sandbox.create_guild(
        "Readers' Club", owner_name="olive", bots=list(fleet_apps.values())
    )
    guild.add_member("ada", permissions=1 << 5)
    guild.add_member("bert")
    return guild


@pytest.fixture
async def stripe_stand_in() -> AsyncIterator[LocalStripeServer]:
    """Stripe on 127.0.0.1, for modules whose dashboard sells premium (see ``selling``)."""
    async with LocalStripeServer() as stripe:
        yield stripe


@pytest.fixture
async def paypal_stand_in() -> AsyncIterator[LocalPayPalServer]:
    """PayPal on 127.0.0.1, for modules whose dashboard sells premium through it too."""
    async with LocalPayPalServer() as paypal:
        yield paypal
