"""The dashboard in headless Chromium: log in through the Discord stand-in, read, change a setting.

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
from playwright.async_api import Browser, Page, async_playwright, expect
from web_helpers import record_activity

from botfleet.database import Database
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.web.dashboard import leaderboard_is_public


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

    await page.goto(base + "/")
    await shoot(page, screenshots, "01-home")
    await page.get_by_role("main").get_by_role("link", name="Log in with Discord").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("wants to access")
    await page.get_by_label("Signed in as").select_option(label="ada")
    await shoot(page, screenshots, "02-discord-consent")
    await page.get_by_role("button", name="Authorize").click()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()

    await page.get_by_role("link", name="ada").click()
    await expect(page.get_by_role("heading", name="ada")).to_be_visible()
    await expect(page.get_by_text("First Word")).to_be_visible()
    await shoot(page, screenshots, "03-profile")

    await page.get_by_role("link", name="Your servers").click()
    await shoot(page, screenshots, "04-servers")
    await page.get_by_role("link", name="Settings of Readers' Club").click()
    await page.get_by_label("XP for a command").fill("9")
    await page.get_by_label("Show this server's leaderboard on the web").check()
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved")
    await expect(page.get_by_label("XP for a command")).to_have_value("9")
    await shoot(page, screenshots, "05-settings-saved")
    assert await leaderboard_is_public(web_database, community.id)

    await page.goto(f"{base}/guilds/{community.id}/leaderboard")
    rows = page.get_by_role("row")
    await expect(rows.nth(1)).to_contain_text("ada")
    await expect(rows.nth(2)).to_contain_text("bert")
    assert (await shoot(page, screenshots, "06-leaderboard")).startswith(b"\x89PNG")
