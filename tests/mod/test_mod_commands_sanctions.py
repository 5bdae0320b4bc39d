"""Sanctions end to end: the real discord.py client against the local Discord stand-in."""

from __future__ import annotations

import pytest
from mod_commands_helpers import ModGuild, answer, audited, build_mod_guild

from botfleet.config.schema import Settings
from botfleet.sandbox import Application, DiscordSandbox
from botfleet.sandbox.pytest_plugin import FleetBotStage


@pytest.fixture
def world(discord_sandbox: DiscordSandbox, app: Application) -> ModGuild:
    return build_mod_guild(discord_sandbox, app)


async def test_a_kick_is_a_case_with_its_audit_reason_and_a_dm_first(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    world: ModGuild,
) -> None:
    async with stage.running(settings):
        kicked = await answer(
            world.moderator, world.general, app, "kick", {"member": world.alice, "reason": "spam"}
        )
        assert "Kicked **alice** (case #1)" in kicked.content, kicked.content
        assert world.alice.id not in world.guild.guild.members
        [request] = audited(discord_sandbox, "DELETE", f"/members/{world.alice.id}")
        assert request.reason == "mia, case #1: spam"
        dm = world.alice.dm_with(app).messages()
        assert "You were kicked from **Moderated**" in dm[-1].content
        assert "Reason: spam" in dm[-1].content
