"""The Music Bot's controller pressed by members who may not steer another member's track.

Alice plays a minute-long track; the server named a DJ role she does not hold (the owner set
it, and may steer). Bob listens with her and holds no DJ role; Mallory is not in the voice
channel. Every button Bob may not use, and every button pressed by Mallory, is refused
privately, logged once with the member's id, and leaves the player as it was: the same track
at the same place in the queue, playing, looping as before, the bot still in voice. Bob's skip
is a vote (the Music Bot's rule for listeners), which with three listeners does not decide.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from botfleet.core.bot import FleetBot
from botfleet.core.errors import log as errors_log
from botfleet.sandbox import Message, SandboxChannel, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotFactory
from botfleet.sandbox.scripting import wait_until

WAIT = 10.0
REFUSED_TO_LISTENER = ("toggle", "back", "loop", "leave")


def snapshot(bot: FleetBot, guild_id: int) -> tuple[Any, ...]:
    """What a press could change: the track, the queue, pause, loop, volume, voice."""
    cog: Any = bot.get_cog("Music")
    player = cog.manager.players[guild_id]
    queue = player.queue
    return (
        queue.current.display_title if queue.current else None,
        [track.display_title for track in queue.upcoming],
        player.paused,
        queue.loop,
        player.settings.volume,
        player.connected,
    )


def refusals_of(caplog: pytest.LogCaptureFixture, member: SandboxMember) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == errors_log.name and f"refused for user {member.id}" in record.getMessage()
    ]


def controller(channel: SandboxChannel, bot_id: int) -> Message | None:
    found = [m for m in channel.messages() if m.author.id == bot_id and m.components]
    return found[-1] if found else None


@pytest.mark.usefixtures("real_time")
async def test_controller_buttons_pressed_by_a_non_dj_are_refused_and_change_nothing(
    fleet_bot: FleetBotFactory, library: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stage = fleet_bot("music")
    guild, owner = stage.guild, stage.guild.owner
    djs = guild.add_role("DJs")
    alice, bob, carol, mallory = (guild.add_member(name) for name in ("alice", "bob", "carol", "x"))
    general, lounge = guild.channel("general"), guild.channel("General")
    for listener in (alice, bob, carol):
        await listener.join_voice(lounge)
    settings = stage.settings(
        library_path=str(library), web_search=None, alone_timeout=60, idle_timeout=60
    )
    caplog.set_level(logging.INFO, logger=errors_log.name)
    async with stage.running(settings) as bot:
        dj = await owner.run_command(general, stage.app, "music", {"role": djs}, subcommand="dj")
        await dj.wait_for_message(timeout=WAIT)
        for query in ("long road", "first light"):
            played = await alice.run_command(general, stage.app, "play", {"query": query})
            await played.wait_for_message(timeout=WAIT)
        board = await wait_until(
            stage.sandbox,
            lambda: controller(general, stage.app.bot_user.id),
            timeout=WAIT,
            describe_failure=lambda: "waiting for the controller",
        )
        before = snapshot(bot, guild.id)
        answers = {}
        for member, actions in ((bob, REFUSED_TO_LISTENER), (mallory, ("skip", "toggle"))):
            for action in actions:
                pressed = await member.click(board, f"music:control:{action}")
                answers[member.name, action] = await pressed.wait_for_response(timeout=WAIT)
        after_refusals = snapshot(bot, guild.id)
        voted = await bob.click(board, "music:control:skip")
        vote = await voted.wait_for_message(timeout=WAIT)
        after_vote = snapshot(bot, guild.id)

    assert before[0] == "Long Road" and before[2] is False and before[5], before
    for (name, action), answer in answers.items():
        assert answer.ephemeral, (name, action, answer.content)
        assert "went wrong" not in answer.content and "Traceback" not in answer.content
    assert all(
        "(DJs) can do that" in answers["bob", action].content for action in REFUSED_TO_LISTENER
    )
    assert all(
        "Join the voice channel" in answers["x", action].content for action in ("skip", "toggle")
    )
    assert len(refusals_of(caplog, bob)) == len(REFUSED_TO_LISTENER), refusals_of(caplog, bob)
    assert len(refusals_of(caplog, mallory)) == 2, refusals_of(caplog, mallory)
    assert after_refusals == before
    assert "Vote to skip: 1/2" in vote.content, vote.content
    assert after_vote == before
