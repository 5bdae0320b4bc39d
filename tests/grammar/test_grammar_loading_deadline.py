"""A member's check is acknowledged in Discord's time while the engines load (issue 19).

Loading the engines holds the GIL in long C stretches (a JSON dictionary parsed, a model's
weights read, a full garbage collection), longer on a busy machine, and every turn of the
event loop waits for one. A check asked meanwhile was acknowledged only after the grace
(1.5 s); the loop turns its acknowledgement then took came past Discord's 3 s. Here the stand-in
allows less than the grace, as those turns left of Discord's 3 s on a loaded machine, while a
test engine's loading holds the GIL in stretches: only an acknowledgement sent at once is in
time.
"""

from __future__ import annotations

from typing import Any

import pytest
from grammar_helpers import GilHoldingEngine, grammar_cog

from botfleet.bots.grammar.services.checker import GrammarChecker
from botfleet.config.schema import Settings
from botfleet.core.answers import DEFAULT_GRACE
from botfleet.sandbox import SandboxChannel, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotStage

BAD = "Their is a error in this sentense."
DEADLINE = DEFAULT_GRACE - 0.05
"""What is left of Discord's 3 s once a loaded machine's loop turns are paid: less than the
grace, so an acknowledgement that waits for it is always late."""
STRETCH = 0.1
"""Seconds each GIL-holding stretch of the test engine's loading lasts."""


@pytest.fixture
def discord_sandbox_options() -> dict[str, Any]:
    return {"interaction_deadline": DEADLINE}


async def test_a_check_asked_while_the_engines_hold_the_gil_is_acknowledged_in_time(
    stage: FleetBotStage, settings: Settings, alice: SandboxMember, general: SandboxChannel
) -> None:
    assert settings.bot.answer_grace > DEADLINE
    async with stage.running(settings) as bot:
        cog = grammar_cog(bot)
        loaded = cog.checker
        holding = GilHoldingEngine(STRETCH)
        cog.checker = GrammarChecker(loaded.options, [*loaded.engines, holding])
        try:
            cog.checker.start_loading()
            handle = await alice.run_command(
                general, stage.app, "grammar", {"text": BAD}, subcommand="check"
            )
            thinking = await handle.wait_for_response()
            assert thinking.deferred and not thinking.embeds
            assert not cog.checker.loaded, "acknowledged while the engines were loading"
        finally:
            holding.finish()
        answer = await handle.wait_for_message()
        assert answer.embeds[0]["title"] == "📝 3 issues found"
