"""The Music Bot's player commands and controller buttons, fuzzed where the player is out of reach.

The command fuzz (``test_reliability_fuzz_commands.py``) runs every command with nobody in
voice, so the player's own paths are left out. Here each player command gets values hypothesis
draws from its declared options (``command_fuzzing``), and every controller button is pressed,
in three places: nobody in voice and no player; the bot alone in its channel, playing, the
member out of voice; and the member in another voice channel than the bot's. The same checks as
every fuzz test: an answer within Discord's deadline (a deferral's answer arrives), no traceback
or internal error shown, nothing logged at ERROR, nobody pinged; and the bot's track and voice
channel are what they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from command_fuzzing import FuzzedCommand, FuzzWorld, command_leaves, options_strategy
from component_fuzzing import WAIT, Scene, answered, drawn

from botfleet.bots.music.views.controller import ACTIONS
from botfleet.core.bot import FleetBot
from botfleet.sandbox import Message, SandboxChannel, SandboxMember
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until

PLAYER_COMMANDS = frozenset(
    {
        "play",
        "queue",
        "nowplaying",
        "pause",
        "resume",
        "skip",
        "back",
        "seek",
        "forward",
        "rewind",
        "replay",
        "loop",
        "volume",
        "filter",
        "shuffle",
        "remove",
        "move",
        "swap",
        "clear",
        "dedupe",
        "leave",
    }
)
EXAMPLES = 2
"""Drawn option sets per command in each place."""
PLACES = ("nobody in voice", "the bot alone", "the member elsewhere")


def player_commands(stage: FleetBotStage) -> list[FuzzedCommand]:
    registered = list(stage.app.global_commands.values())
    for commands in stage.app.guild_commands.values():
        registered.extend(commands.values())
    found = [leaf for leaf in command_leaves(registered) if leaf.name in PLAYER_COMMANDS]
    assert {leaf.name for leaf in found} == PLAYER_COMMANDS
    return found


def where_the_bot_is(bot: FleetBot, guild_id: int) -> tuple[Any, ...]:
    """What no press or command from outside the bot's channel may change."""
    cog: Any = bot.get_cog("Music")
    player = cog.manager.players.get(guild_id)
    if player is None:
        return (None,)
    current = player.queue.current
    return (current.display_title if current else None, player.connected, player.paused)


def controller(channel: SandboxChannel, bot_id: int) -> Message | None:
    found = [m for m in channel.messages() if m.author.id == bot_id and m.components]
    return found[-1] if found else None


async def run(on: Scene, member: SandboxMember, name: str, options: dict[str, Any]) -> Message:
    handle = await member.run_command(on.general, on.stage.app, name, options)
    return await answered(handle)


@pytest.mark.usefixtures("real_time")
async def test_player_commands_and_buttons_out_of_the_players_reach_answer_and_change_nothing(
    scene: Callable[[str], Scene], library: Path
) -> None:
    on = scene("music")
    lounge, hall = on.stage.guild.channel("General"), on.stage.guild.add_voice_channel("Hall")
    dj = on.stage.guild.add_member("dj")
    world = FuzzWorld(
        staff=[],
        member=on.alice,
        targets=[on.bob],
        roles=[on.stage.guild.role("@everyone")],
        channels=[on.general, lounge, hall],
    )
    settings = fleet_test_settings(
        "music",
        on.stage.directory,
        options={
            "library_path": str(library),
            "web_search": None,
            "alone_timeout": 600,
            "idle_timeout": 600,
        },
    )
    tried = 0
    async with on.stage.running(settings) as bot:
        commands = player_commands(on.stage)
        board: Message | None = None
        for place in PLACES:
            if place != "nobody in voice" and board is None:
                await dj.join_voice(lounge)
                played = await run(on, dj, "play", {"query": "long road"})
                assert "Long Road" in played.content, played.describe()
                board = await wait_until(
                    on.stage.sandbox,
                    lambda: controller(on.general, on.stage.app.bot_user.id),
                    timeout=WAIT,
                    describe_failure=lambda: "waiting for the controller",
                )
                await dj.leave_voice()  # the bot stays, alone, playing
            if place == "the member elsewhere":
                await on.alice.join_voice(hall)
            before = where_the_bot_is(bot, on.stage.guild.id)
            for command in commands:
                for options in drawn(options_strategy(world, command), EXAMPLES):
                    await run(on, on.alice, command.name, options)
                    tried += 1
                    on.watch.check(asked=[on.alice, on.bob])
                    assert where_the_bot_is(bot, on.stage.guild.id) == before, (place, command)
            if board is not None:
                for action in ACTIONS:
                    pressed = await on.alice.click(board, f"music:control:{action}")
                    refusal = await pressed.wait_for_response(timeout=WAIT)
                    tried += 1
                    assert refusal.ephemeral and "Join the voice channel" in refusal.content
                    on.watch.check(asked=[on.alice])
                    assert where_the_bot_is(bot, on.stage.guild.id) == before, (place, action)
    assert tried >= len(PLACES) * len(PLAYER_COMMANDS)  # one example of a command without options
