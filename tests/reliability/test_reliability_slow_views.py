"""Views answer in time too: a quick press is one callback, a slow one acknowledged and noted.

The ``/massban`` confirmation bans through REST calls a 429 storm holds back; the Grammar Bot's
Explain button waits on the local OpenAI-compatible server, held back on purpose. Both answer
through the shared reply path (``core/answers.py``) with a grace and a note time scaled to the
stand-in's 0.5 s deadline: the answer is the first response when it is quick, else it fills
the acknowledgement, past the note that it is taking longer. Never a second answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from component_fuzzing import WAIT, Scene
from pydantic import SecretStr

from botfleet.bots.mod.views.massban import REPORT
from botfleet.config.schema import AISection, Settings
from botfleet.core.answers import slow_note
from botfleet.sandbox import (
    DiscordSandbox,
    InteractionCallbackType,
    InteractionHandle,
    Message,
    SandboxMember,
)
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.openai_server import LocalOpenAIServer
from botfleet.sandbox.pytest_plugin import FleetBotStage

BAN_ROUTE = "PUT /guilds/{guild_id}/bans/{user_id}"
DEADLINE = 1.5
"""Discord's deadline for a first answer, shortened (it is 3 s) but room for a loaded machine
to reach the acknowledgement."""
GRACE = 0.2
NOTE_AFTER = 0.8
QUICK = pytest.param({}, False, id="quick")
"""Discord's own deadline and the bot's own grace: the answer is the first response."""
HELD_BACK = pytest.param({"interaction_deadline": DEADLINE}, True, id="held back")
API_KEY = "sk-slow-views-0123456789abcdef"
EXPLAINED = "“Their” shows belonging; you mean “They're”."


@pytest.fixture
async def openai_server() -> AsyncIterator[LocalOpenAIServer]:
    async with LocalOpenAIServer(api_key=API_KEY) as server:
        yield server


def paced(stage: FleetBotStage, held_back: bool, **sections: Any) -> Settings:
    """The bot's settings; held back, it acknowledges after 0.2 s and notes after 0.8 s."""
    settings = fleet_test_settings(stage.definition.name, stage.directory, **sections)
    if held_back:
        settings.bot.answer_grace = GRACE
        settings.bot.slow_note_after = NOTE_AFTER
    return settings


async def texts_until(handle: InteractionHandle, done: Callable[[Message], bool]) -> list[str]:
    """Each text the member saw in the press's answer, in order, until ``done``."""
    seen: list[str] = []
    async with asyncio.timeout(WAIT):
        while True:
            response = handle.response
            message = response.message if response is not None else None
            if message is not None:
                shown = message.content + "".join(e.get("title", "") for e in message.embeds)
                if not seen or seen[-1] != shown:
                    seen.append(shown)
                if done(message):
                    return seen
            await asyncio.sleep(0.01)


async def massban_dry_run(on: Scene) -> tuple[Message, list[SandboxMember]]:
    raiders = [on.stage.guild.add_member(f"raider_{n}") for n in range(3)]
    asked = await on.stage.guild.owner.run_command(
        on.general, on.stage.app, "massban", {"name": "^raider_"}
    )
    return await asked.wait_for_message(), raiders


def reported(message: Message) -> bool:
    return "3 member(s) banned" in message.content


@pytest.mark.parametrize(("discord_sandbox_options", "held_back"), [QUICK, HELD_BACK])
async def test_the_massban_confirmation_answers_in_time_once(
    scene: Callable[[str], Scene], discord_sandbox: DiscordSandbox, held_back: bool
) -> None:
    """Held back by a 429 storm on the bans."""
    on = scene("mod")
    async with on.stage.running(paced(on.stage, held_back)):
        dry_run, raiders = await massban_dry_run(on)
        if held_back:
            discord_sandbox.force_rate_limit(BAN_ROUTE, retry_after=0.5, times=3)
        handle = await on.stage.guild.owner.click(dry_run, "mod:massban")
        response = await handle.wait_for_response()
        seen = await texts_until(handle, reported)

    assert {ban.user.id for ban in on.stage.guild.bans} == {raider.id for raider in raiders}
    assert handle.interaction.followup_results == []
    assert not response.ephemeral
    if held_back:
        assert response.deferred
        assert seen[:2] == ["", slow_note(REPORT)] and len(seen) == 3
    else:
        assert response.type is InteractionCallbackType.CHANNEL_MESSAGE_WITH_SOURCE
        assert len(seen) == 1 and response.message is not None
        assert response.message.edit_count == 0
    assert all(c.get("disabled") for c in dry_run.iter_components() if c["type"] == 2)
    on.watch.check(asked=[on.stage.guild.owner])


@pytest.mark.parametrize(("discord_sandbox_options", "held_back"), [QUICK, HELD_BACK])
async def test_the_grammar_explain_button_answers_in_time_once(
    scene: Callable[[str], Scene], openai_server: LocalOpenAIServer, held_back: bool
) -> None:
    """Held back by the AI, which takes 2 s."""
    on = scene("grammar")
    ai = AISection(
        api_key=SecretStr(API_KEY),
        base_url=openai_server.base_url,
        timeout=5,
        max_retries=0,
        retry_base_delay=0.1,
        max_retry_wait=1,
    )
    async with on.stage.running(paced(on.stage, held_back, ai=ai)):
        checked = await on.alice.run_command(
            on.general,
            on.stage.app,
            "grammar",
            {"text": "Their going tomorow."},
            subcommand="check",
        )
        result = await checked.wait_for_message()
        while "grammar:explain" not in result.custom_ids:  # past a note on a loaded machine
            result = await checked.wait_for_edit(timeout=WAIT)
        if held_back:
            openai_server.queue_delay(2.0)
        else:
            openai_server.queue_reply(EXPLAINED)
        handle = await on.alice.click(result, "grammar:explain")
        response = await handle.wait_for_response()
        seen = await texts_until(handle, lambda message: bool(message.embeds))

    assert response.ephemeral and handle.interaction.followup_results == []
    if held_back:
        assert response.deferred
        assert seen[:2] == ["", slow_note("explanation")] and len(seen) == 3
    else:
        assert response.type is InteractionCallbackType.CHANNEL_MESSAGE_WITH_SOURCE
        assert len(seen) == 1 and response.message is not None
        assert EXPLAINED in response.message.embeds[0].get("description", "")
    on.watch.check(asked=[on.alice])
