"""A cog's start step (re-arming its timers from the database) that fails as the bot starts is
tried again until it succeeds, instead of leaving those timers unarmed until a restart."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from discord.ext import commands

from botfleet import get_definition
from botfleet.core import start_steps
from botfleet.core.bot import FleetBot
from botfleet.core.start_steps import StartSteps
from botfleet.sandbox import DiscordSandbox
from botfleet.sandbox.fleet import fleet_test_settings


class FlakyRestore:
    """A step that fails ``failures`` times (the database restarting), then succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.tries = 0
        self.succeeded = asyncio.Event()

    async def __call__(self) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise ConnectionRefusedError("the database system is starting up")
        self.succeeded.set()


async def none_retrying(steps: StartSteps) -> None:
    """Wait until no step is being retried (a finished retry leaves on the next loop turn)."""
    async with asyncio.timeout(5):
        while steps.retrying:  # noqa: ASYNC110  (no event to await)
            await asyncio.sleep(0.001)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(start_steps, "RETRY_FIRST_SECONDS", 0.01)


async def test_a_failing_step_is_tried_again_until_it_succeeds_with_one_error_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=start_steps.log.name)
    steps, restore, cog = StartSteps(), FlakyRestore(failures=3), commands.Cog()
    await steps.add(cog, "restoring the polls' timers", restore)

    await steps.run()

    assert steps.done and steps.retrying == 1
    await asyncio.wait_for(restore.succeeded.wait(), 5)
    await none_retrying(steps)
    assert restore.tries == 4
    records = [r for r in caplog.records if r.name == start_steps.log.name]
    assert [r.levelno for r in records] == [
        logging.ERROR,
        logging.DEBUG,
        logging.DEBUG,
        logging.INFO,
    ]
    assert records[0].getMessage().startswith("restoring the polls' timers failed;")
    assert records[-1].getMessage() == "restoring the polls' timers succeeded on try 4"


async def test_a_step_failing_for_long_warns_once_when_its_tries_are_furthest_apart(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(start_steps, "RETRY_MAX_SECONDS", 0.04)
    steps, restore, cog = StartSteps(), FlakyRestore(failures=8), commands.Cog()
    await steps.add(cog, "re-arming the games' timers", restore)
    await steps.run()
    await asyncio.wait_for(restore.succeeded.wait(), 5)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.name for r in warnings] == [start_steps.log.name]


async def test_a_removed_cogs_retry_stops() -> None:
    steps, restore, cog = StartSteps(), FlakyRestore(failures=1_000), commands.Cog()
    await steps.add(cog, "re-arming the games' timers", restore)
    await steps.run()
    async with asyncio.timeout(5):
        while restore.tries < 3:  # noqa: ASYNC110  (counting the step's tries)
            await asyncio.sleep(0.005)

    steps.forget(cog)
    await none_retrying(steps)
    tried = restore.tries
    await asyncio.sleep(0.1)

    assert restore.tries == tried


async def test_a_cog_removed_while_its_step_runs_is_not_retried() -> None:
    steps, cog = StartSteps(), commands.Cog()
    running, fail = asyncio.Event(), asyncio.Event()
    tries = 0

    async def restore() -> None:
        nonlocal tries
        tries += 1
        running.set()
        await fail.wait()
        raise ConnectionRefusedError("the database system is shutting down")

    await steps.add(cog, "restoring the reminders' timers", restore)
    started = asyncio.create_task(steps.run())
    await running.wait()
    steps.forget(cog)  # an unload or reload while the step runs
    fail.set()
    await started

    assert steps.retrying == 0
    await asyncio.sleep(0.05)
    assert tries == 1


async def test_a_step_added_after_the_start_runs_at_once_and_is_retried_if_it_fails() -> None:
    steps = StartSteps()
    await steps.run()
    works, fails = FlakyRestore(failures=0), FlakyRestore(failures=1_000)

    await steps.add(commands.Cog(), "after a reload", works)
    await steps.add(commands.Cog(), "after another reload", fails)  # does not raise

    assert works.tries == 1
    assert steps.retrying == 1
    await steps.close()
    assert steps.retrying == 0
    tried = fails.tries
    await asyncio.sleep(0.05)
    assert fails.tries == tried


class Restoring(commands.Cog):
    """A cog whose timers are re-armed by ``restore`` once the bot is ready."""

    def __init__(self, bot: FleetBot, restore: FlakyRestore) -> None:
        self.bot, self.restore = bot, restore

    async def cog_load(self) -> None:
        await self.bot.before_timers_start(self, "restoring the probe's timers", self.restore)


async def test_a_bots_start_step_that_fails_is_retried_while_its_timers_run(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    """The timers start without the failing step, which succeeds once the database is back."""
    app = discord_sandbox.add_application("Utility Bot")
    discord_sandbox.create_guild("Restart Club", bots=[app])
    bot = FleetBot(get_definition("utility"), fleet_test_settings("utility", tmp_path))
    restore = FlakyRestore(failures=1_000)
    await bot.add_cog(Restoring(bot, restore))
    async with discord_sandbox.run_client(bot, app):
        async with asyncio.timeout(10):
            while not bot.scheduler.running or restore.tries < 3:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert not restore.succeeded.is_set()
        restore.failures = restore.tries  # the database is back
        await asyncio.wait_for(restore.succeeded.wait(), 10)
        await none_retrying(bot.start_steps)
