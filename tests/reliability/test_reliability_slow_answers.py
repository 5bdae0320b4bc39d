"""Answers held back by Discord are acknowledged in time and noted, never lost or doubled.

A member's role-menu pick changes their roles through REST calls a 429 storm or a 5xx outage
holds back past Discord's deadline for a first answer (0.5 s in the stand-in). The Utility Bot
answers through the shared reply path (``core/answers.py``): acknowledged within the grace,
told "on its way" after the note time, then the receipt in place of the note. A pick that is
not held back is answered exactly as before, with one callback.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from botfleet.bots.utility.commands.role_menus import ROLE_CHANGE
from botfleet.config.schema import Settings
from botfleet.core.answers import slow_note
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionCallbackType,
    InteractionHandle,
    Message,
    Permission,
    Role,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import DEFAULT_BOT_PERMISSIONS

ADD_ROLE_ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
DEADLINE = 0.5
GRACE = 0.2
NOTE_AFTER = 0.8
MENU = 1
WAIT = 20.0


@pytest.fixture
def discord_sandbox_options() -> dict[str, Any]:
    """Discord's deadline for a first answer, shortened to 0.5 s as the grace is."""
    return {"interaction_deadline": DEADLINE}


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, app: Application) -> SandboxGuild:
    """Red below the bot's role; the bot may manage roles."""
    built = discord_sandbox.create_guild("Slow Club")
    built.add_role("Red")
    built.add_bot(app, permissions=DEFAULT_BOT_PERMISSIONS | Permission.MANAGE_ROLES)
    return built


@pytest.fixture
def settings(stage: FleetBotStage) -> Settings:
    """The Utility Bot acknowledging after 0.2 s and noting the wait after 0.8 s."""
    settings = stage.settings()
    settings.bot.answer_grace = GRACE
    settings.bot.slow_note_after = NOTE_AFTER
    return settings


async def menu_offering(
    guild: SandboxGuild, app: Application, general: SandboxChannel, red: Role
) -> Message:
    owner = guild.owner
    for subcommand, options in (
        ("create", {"title": "Colours"}),
        ("add", {"menu": MENU, "role": red}),
    ):
        handle = await owner.run_command(general, app, "rolemenu", options, subcommand=subcommand)
        await handle.wait_for_message()
    [menu] = [m for m in general.messages() if m.author.id == app.bot_user.id and m.embeds]
    return menu


async def texts_until(handle: InteractionHandle, final: str) -> list[str]:
    """Each text the member saw in the pick's answer, in order, until one holds ``final``."""
    seen: list[str] = []
    async with asyncio.timeout(WAIT):
        while True:
            response = handle.response
            message = response.message if response is not None else None
            if message is not None:
                if not seen or seen[-1] != message.content:
                    seen.append(message.content)
                if final in message.content:
                    return seen
            await asyncio.sleep(0.01)


def holds(member: SandboxMember, role: Role) -> bool:
    return role.id in {held.id for held in member.roles}


@pytest.mark.parametrize(
    "hold_back",
    ["429 storm on the route", "global 429 storm", "503 outage"],
)
async def test_a_pick_held_back_by_discord_is_acknowledged_noted_then_answered_once(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    general: SandboxChannel,
    hold_back: str,
) -> None:
    red = guild.role("Red")
    async with stage.running(settings):
        menu = await menu_offering(guild, app, general, red)
        if hold_back == "503 outage":
            switch: object = discord_sandbox.force_outage(ADD_ROLE_ROUTE, status=503, times=1)
        else:
            switch = discord_sandbox.force_rate_limit(
                None if hold_back.startswith("global") else ADD_ROLE_ROUTE,
                retry_after=0.5,
                times=3,
                is_global=hold_back.startswith("global"),
            )
        handle = await alice.select(menu, f"rolemenu:{MENU}:pick", [str(red.id)])
        response = await handle.wait_for_response()
        seen = await texts_until(handle, f"Added <@&{red.id}>")

    assert response.deferred and response.ephemeral
    assert seen[:2] == ["", slow_note(ROLE_CHANGE)] and len(seen) == 3
    assert handle.interaction.followup_results == []
    assert getattr(switch, "hits", 0) >= 1
    assert holds(alice, red)


async def test_a_pick_not_held_back_is_answered_with_the_one_callback_as_before(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    red = guild.role("Red")
    async with stage.running(settings):
        menu = await menu_offering(guild, app, general, red)
        handle = await alice.select(menu, f"rolemenu:{MENU}:pick", [str(red.id)])
        response = await handle.wait_for_response()
        await asyncio.sleep(NOTE_AFTER + GRACE)

    assert response.type is InteractionCallbackType.CHANNEL_MESSAGE_WITH_SOURCE
    assert response.ephemeral and f"Added <@&{red.id}>" in response.content
    assert response.message is not None and response.message.edit_count == 0
    assert handle.interaction.followup_results == []
    assert holds(alice, red)
