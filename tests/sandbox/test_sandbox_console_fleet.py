"""`botfleet sandbox` with the fleet's own bots: what a newcomer tries first must work."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from botfleet import get_definition
from botfleet.config.schema import Settings
from botfleet.sandbox.console import SandboxConsole, ScriptLines, TranscriptWriter
from botfleet.sandbox.session import SandboxSession


@pytest.fixture
async def fleet() -> AsyncIterator[SandboxSession]:
    definitions = [get_definition("utility"), get_definition("grammar")]
    async with SandboxSession.open(
        definitions, settings_loader=lambda name: Settings(bot_name=name)
    ) as opened:
        yield opened
    opened.sandbox.assert_no_unhandled_requests()


async def play(session: SandboxSession, lines: list[str]) -> tuple[int, str]:
    stream = io.StringIO()
    console = SandboxConsole(session, TranscriptWriter(stream))
    status = await console.run(ScriptLines(lines, "script.txt"))
    return status, stream.getvalue()


async def test_each_bots_role_holds_the_permissions_its_invite_asks_for(
    fleet: SandboxSession,
) -> None:
    roles = fleet.guild.guild.roles.values()
    for bot in fleet.bots.values():
        [managed] = [role for role in roles if role.bot_id == bot.application.bot_user.id]
        assert managed.permissions == bot.definition.permissions().value, bot.name


async def test_an_admin_creates_a_role_menu(fleet: SandboxSession) -> None:
    status, transcript = await play(
        fleet,
        [
            ":as admin",
            '/rolemenu create title:"Pick your games"',
            ":expect is posted in #general",
        ],
    )
    assert status == 0, transcript
    assert "Pick your games" in transcript
