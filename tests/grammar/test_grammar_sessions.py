"""A new gateway session: the objects of the previous one are freed despite the engines' freeze."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from grammar_helpers import SlowEngine, grammar_cog

from botfleet.bots.grammar.services import checker as checker_module
from botfleet.bots.grammar.services.checker import GrammarChecker
from botfleet.config.schema import Settings
from botfleet.sandbox import SandboxGuild
from botfleet.sandbox.pytest_plugin import FleetBotStage

WAIT = 10.0
GRAMMAR_COMMANDS = "botfleet.bots.grammar.commands"


class Marker:
    """Held only by an old Guild (which takes no weak reference): it dies when the Guild does."""


async def until(condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` holds within ``WAIT`` seconds, asked after a full collection."""
    async with asyncio.timeout(WAIT):
        while True:
            gc.collect()
            if condition():
                return True
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("reloaded", [False, True], ids=["started", "reloaded"])
async def test_a_new_session_frees_the_guilds_frozen_with_the_engines(
    stage: FleetBotStage,
    settings: Settings,
    guild: SandboxGuild,
    monkeypatch: pytest.MonkeyPatch,
    reloaded: bool,
) -> None:
    """Also after the extension was reloaded: its new cog has seen no session of its own."""
    slow = SlowEngine()  # the engines finish loading after ready, as real ones do
    build = checker_module.build_checker

    def build_slowly(*args: Any, **kwargs: Any) -> GrammarChecker:
        checker = build(*args, **kwargs)
        checker.engines.append(slow)
        return checker

    monkeypatch.setattr(checker_module, "build_checker", build_slowly)
    async with FleetBotStage.running(stage, settings) as bot:
        slow.may_finish.set()
        await grammar_cog(bot).checker.wait_until_loaded()  # frozen, the guild with the engines
        if reloaded:
            await bot.reload_extension(GRAMMAR_COMMANDS)
            await grammar_cog(bot).checker.wait_until_loaded()
        old_guild = bot.get_guild(guild.id)
        assert old_guild is not None
        marker = Marker()
        old_guild._voice_states[0] = marker  # type: ignore[assignment]
        old = weakref.ref(marker)
        del marker, old_guild  # the test keeps no hold on the old Guild
        identified = asyncio.create_task(bot.wait_for("shard_ready", timeout=WAIT))

        assert await stage.sandbox.drop_gateway(stage.app, code=4009) == 1
        await identified

        new_guild = bot.get_guild(guild.id)
        assert new_guild is not None and 0 not in new_guild._voice_states
        assert await until(lambda: old() is None)
        assert await until(lambda: gc.get_freeze_count() > 0), "the engines are frozen again"
