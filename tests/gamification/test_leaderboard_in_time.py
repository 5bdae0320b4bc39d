"""/leaderboard answers within Discord's deadline when ranking the board takes longer (issue 19).

The stand-in's deadline is shortened to 1.5 s and a page held back 2 s: the member's command
(or press) is acknowledged in time, then the page replaces the acknowledgement (or the page
shown), with its buttons.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import fleet, shared_file_settings

from botfleet.bots.utility.bot import DEFINITION as UTILITY
from botfleet.gamification.leaderboard_pages import LeaderboardPage, LeaderboardService
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionCallbackType,
    InteractionHandle,
    Message,
    SandboxGuild,
)
from botfleet.sandbox.scripting import wait_until

DEADLINE = 1.5
HELD_BACK = 2.0


@pytest.fixture
def discord_sandbox_options() -> dict[str, Any]:
    return {"interaction_deadline": DEADLINE}


def hold_back(
    monkeypatch: pytest.MonkeyPatch, leaderboards: LeaderboardService, method: str
) -> None:
    """Make the leaderboard service's ``method`` take :data:`HELD_BACK` seconds longer."""
    ranked = getattr(leaderboards, method)

    async def held_back(*args: Any, **kwargs: Any) -> LeaderboardPage:
        await asyncio.sleep(HELD_BACK)
        return await ranked(*args, **kwargs)

    monkeypatch.setattr(leaderboards, method, held_back)


async def board_shown(sandbox: DiscordSandbox, handle: InteractionHandle) -> Message:
    """The board the command answered with, once shown (in place of any acknowledgement)."""

    def shown() -> Message | None:
        message = handle.response.message if handle.response is not None else None
        with_board = message is not None and message.embeds and message.custom_ids
        return message if with_board else None

    return await wait_until(
        sandbox,
        shown,
        timeout=HELD_BACK + 5,
        describe_failure=lambda: "waiting for the leaderboard in place of the acknowledgement",
    )


async def test_a_slow_leaderboard_is_acknowledged_in_time_then_given_in_place(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = guild.add_member("alice")
    general = guild.channel("general")
    settings = shared_file_settings(tmp_path, "utility", {})
    settings.bot.answer_grace = 0.2
    settings.bot.slow_note_after = 0.8
    async with fleet(discord_sandbox, (UTILITY, utility_app, settings)) as [bot]:
        await bot.gamification.xp.give_xp(guild.id, alice.id, 500, actor_id=guild.owner.id)
        hold_back(monkeypatch, bot.gamification.leaderboards, "page")
        handle = await alice.run_command(general, utility_app, "leaderboard")
        first = await handle.wait_for_response()
        assert first.type is InteractionCallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE

        board = await board_shown(discord_sandbox, handle)
        [embed] = board.embeds
        assert f"<@{alice.id}> — 500 XP" in embed["description"]


async def test_a_slow_page_turn_is_acknowledged_in_time_then_shown(
    discord_sandbox: DiscordSandbox,
    utility_app: Application,
    guild: SandboxGuild,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = [guild.add_member(f"player{number}") for number in range(12)]
    general = guild.channel("general")
    settings = shared_file_settings(tmp_path, "utility", {})
    settings.bot.answer_grace = 0.2
    settings.bot.slow_note_after = 0.8
    async with fleet(discord_sandbox, (UTILITY, utility_app, settings)) as [bot]:
        for number, member in enumerate(members):
            await bot.gamification.xp.give_xp(
                guild.id, member.id, 1000 - number * 10, actor_id=guild.owner.id
            )
        handle = await members[0].run_command(general, utility_app, "leaderboard")
        # Under a loaded machine this first board may itself come late (acknowledged first).
        board = await board_shown(discord_sandbox, handle)
        assert "Page 1/2" in board.embeds[0]["footer"]["text"]
        hold_back(monkeypatch, bot.gamification.leaderboards, "turn")
        _, next_id = board.custom_ids
        press = await members[0].click(board, next_id)
        first = await press.wait_for_response()
        assert first.type is InteractionCallbackType.DEFERRED_UPDATE_MESSAGE

        def second_page() -> Message | None:
            shown = discord_sandbox.state.messages.get(board.id)
            on_page_two = shown is not None and "Page 2/2" in shown.embeds[0]["footer"]["text"]
            return shown if on_page_two else None

        shown = await wait_until(
            discord_sandbox,
            second_page,
            timeout=HELD_BACK + 5,
            describe_failure=lambda: "waiting for the second page in place of the first",
        )
        assert f"<@{members[-1].id}>" in shown.embeds[0]["description"]
