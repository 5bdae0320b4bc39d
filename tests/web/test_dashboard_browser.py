"""The dashboard in headless Chromium: log in through the Discord stand-in, read, change a setting,
pay for premium through the Stripe stand-in's checkout page and open its billing portal, or
subscribe on the PayPal stand-in's approval page.

Debian's ``chromium`` runs it, driven by Playwright's Python package (no downloaded browser).
A screenshot of every page lands in ``BOTFLEET_TEST_SCREENSHOTS`` (a folder) when it is set,
else in the test's temporary folder, for a developer to look at.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Locator, Page, Request, async_playwright, expect
from web_helpers import record_activity, selling

from botfleet.config.schema import Settings
from botfleet.database import Database
from botfleet.sandbox.paypal_server import LocalPayPalServer
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.services.premium import PremiumService, Status, Subject
from botfleet.web.dashboard import leaderboard_is_public


@pytest.fixture
def web_settings(
    web_settings: Settings,
    stripe_stand_in: LocalStripeServer,
    paypal_stand_in: LocalPayPalServer,
) -> Settings:
    """The dashboard of the other tests, selling premium through the Stripe and PayPal
    stand-ins."""
    return selling(web_settings, stripe_stand_in, paypal_stand_in)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    chosen = os.environ.get("BOTFLEET_TEST_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def chromium(program: Callable[[str, str], str]) -> AsyncIterator[Browser]:
    executable = program("chromium", "the dashboard's browser test (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            await browser.close()


async def shoot(page: Page, folder: Path, name: str) -> bytes:
    return await page.screenshot(path=folder / f"{name}.png", full_page=True)


async def log_in(page: Page, base: str, name: str, screenshots: Path | None = None) -> None:
    """Log in as ``name`` through the Discord stand-in's consent page, from the home page."""
    await page.goto(base + "/")
    if screenshots is not None:
        await shoot(page, screenshots, "01-home")
    await page.get_by_role("main").get_by_role("link", name="Log in with Discord").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("wants to access")
    await page.get_by_label("Signed in as").select_option(label=name)
    if screenshots is not None:
        await shoot(page, screenshots, "02-discord-consent")
    await page.get_by_role("button", name="Authorize").click()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()


async def tab_to(page: Page, target: Locator, most: int = 40) -> None:
    """Press Tab until ``target`` has the focus, as a member without a mouse does."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} cannot be reached with the Tab key")


async def premium_page(
    chromium: Browser, dashboard: TestServer, stand_in: LocalStripeServer | LocalPayPalServer
) -> Page:
    """Ada on the premium page, the stand-in's webhooks sent to the dashboard."""
    provider = "paypal" if isinstance(stand_in, LocalPayPalServer) else "stripe"
    stand_in.webhooks.url = str(dashboard.make_url(f"/webhooks/{provider}"))
    page = await chromium.new_page()
    await log_in(page, str(dashboard.make_url("/")).rstrip("/"), "ada")
    await page.get_by_role("link", name="Premium").click()
    return page


async def test_log_in_read_the_profile_change_a_setting_and_open_the_leaderboard(
    chromium: Browser,
    dashboard: TestServer,
    community: SandboxGuild,
    web_database: Database,
    screenshots: Path,
) -> None:
    await record_activity(web_database, community)
    base = str(dashboard.make_url("/")).rstrip("/")
    page = await chromium.new_page()
    await log_in(page, base, "ada", screenshots)

    await page.get_by_role("link", name="ada").click()
    await expect(page.get_by_role("heading", name="ada")).to_be_visible()
    await expect(page.get_by_text("First Word")).to_be_visible()
    await expect(page.get_by_role("cell", name="Readers' Club")).to_be_visible()
    await shoot(page, screenshots, "03-profile")

    await page.get_by_role("link", name="Your servers").click()
    await shoot(page, screenshots, "04-servers")
    await page.get_by_role("link", name="Settings of Readers' Club").click()
    await page.get_by_label("XP for a command").fill("9")
    await page.get_by_label("Where level-ups are announced").select_option("chosen_channel")
    await page.get_by_label("Announcement channel").select_option(label="#general")
    await page.get_by_label("Show this server's leaderboard on the web").check()
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved")
    await expect(page.get_by_label("XP for a command")).to_have_value("9")
    general = str(community.channel("general").id)
    await expect(page.get_by_label("Announcement channel")).to_have_value(general)
    await shoot(page, screenshots, "05-settings-saved")
    assert await leaderboard_is_public(web_database, community.id)

    await page.goto(f"{base}/guilds/{community.id}/leaderboard")
    rows = page.get_by_role("row")
    await expect(rows.nth(1)).to_contain_text("ada")
    await expect(rows.nth(2)).to_contain_text("bert")
    assert (await shoot(page, screenshots, "06-leaderboard")).startswith(b"\x89PNG")


async def test_pay_for_premium_through_the_stripe_checkout_page_then_open_the_portal(
    chromium: Browser,
    dashboard: TestServer,
    community: SandboxGuild,
    stripe_stand_in: LocalStripeServer,
    web_database: Database,
    screenshots: Path,
) -> None:
    page = await premium_page(chromium, dashboard, stripe_stand_in)
    await expect(page.locator("#own-premium")).to_have_text("You: no premium.")
    await expect(page.get_by_label("Server", exact=True)).to_contain_text("Readers' Club")
    await shoot(page, screenshots, "07-premium")
    await page.get_by_role("button", name="Monthly for you with Stripe").click()

    await expect(page.get_by_role("heading", level=1)).to_contain_text("billed every month")
    await shoot(page, screenshots, "08-stripe-checkout")
    await page.get_by_role("button", name="Pay").click()

    await expect(page.get_by_role("status")).to_contain_text("your payment went through")
    await expect(page.locator("#own-premium")).to_contain_text("You: premium, renews on")
    await shoot(page, screenshots, "09-premium-paid")
    ada = community.member("ada").id
    membership = await PremiumService(web_database).membership(Subject.user(ada))
    assert membership is not None and membership.status is Status.ACTIVE
    assert membership.purchaser_id == ada

    await page.get_by_role("button", name="Manage or cancel your subscription").click()
    await expect(page.get_by_role("heading", name="Your subscriptions")).to_be_visible()
    await shoot(page, screenshots, "10-stripe-portal")
    await page.get_by_role("button", name="Cancel subscription").click()
    await expect(page.locator("#own-premium")).to_contain_text("it will not renew")
    assert (await shoot(page, screenshots, "11-premium-canceled")).startswith(b"\x89PNG")


async def test_subscribe_to_premium_on_the_paypal_approval_page(
    chromium: Browser,
    dashboard: TestServer,
    community: SandboxGuild,
    paypal_stand_in: LocalPayPalServer,
    web_database: Database,
    screenshots: Path,
) -> None:
    page = await premium_page(chromium, dashboard, paypal_stand_in)
    await page.get_by_role("button", name="Monthly for you with PayPal").click()

    await expect(page.get_by_role("heading", level=1)).to_contain_text("Approve subscription")
    await shoot(page, screenshots, "12-paypal-approval")
    await page.get_by_role("button", name="Agree & Subscribe").click()

    await expect(page.get_by_role("status")).to_contain_text("your payment went through")
    await expect(page.locator("#own-premium")).to_contain_text("You: premium, renews on")
    assert (await shoot(page, screenshots, "13-premium-paypal")).startswith(b"\x89PNG")
    ada = community.member("ada").id
    membership = await PremiumService(web_database).membership(Subject.user(ada))
    assert membership is not None and membership.provider == "paypal"
    assert membership.status is Status.ACTIVE and membership.purchaser_id == ada


async def test_a_member_logs_in_and_reaches_a_checkout_from_the_keyboard(
    chromium: Browser,
    dashboard: TestServer,
    community: SandboxGuild,
    stripe_stand_in: LocalStripeServer,
) -> None:
    page = await chromium.new_page()
    await page.goto(str(dashboard.make_url("/")))
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    focus_ring = "getComputedStyle(document.activeElement).outlineStyle"
    assert await page.evaluate(focus_ring) == "solid", "the focus must show"

    await tab_to(page, page.get_by_role("banner").get_by_role("link", name="Log in with Discord"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("wants to access")
    await page.get_by_label("Signed in as").select_option(label="ada")  # Discord's own page
    await page.get_by_role("button", name="Authorize").click()
    await tab_to(page, page.get_by_role("link", name="Premium"))
    await page.keyboard.press("Enter")
    await tab_to(page, page.get_by_role("button", name="Monthly for you with Stripe"))
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", level=1)).to_contain_text("billed every month")


async def test_no_page_loads_anything_from_elsewhere(
    chromium: Browser, dashboard: TestServer, community: SandboxGuild, web_database: Database
) -> None:
    """Every page, its stylesheet and icon come from the dashboard itself, and its policy
    forbids anything else: nothing loads from the internet (no CDN, no web font)."""
    await record_activity(web_database, community)
    base = str(dashboard.make_url("/")).rstrip("/")
    page = await chromium.new_page()
    await log_in(page, base, "ada")
    requested: list[str] = []

    def record(request: Request) -> None:
        requested.append(request.url)

    page.on("request", record)
    for path in (
        "/",
        "/profile",
        "/guilds",
        f"/guilds/{community.id}/settings",
        f"/guilds/{community.id}/leaderboard",
        "/premium",
    ):
        response = await page.goto(base + path)
        assert response is not None
        policy = await response.header_value("Content-Security-Policy")
        assert policy is not None and "default-src 'none'" in policy, path

    assert any(url.endswith("/static/style.css") for url in requested)
    assert [url for url in requested if not url.startswith(base + "/")] == []
