"""The Music Bot's player commands and controller buttons, fuzzed where the player is out of reach.

The command fuzz (``test_reliability_fuzz_commands.py``) runs every command with nobody in
voice, so the player's own paths are left out. Here each player command gets values hypothesis
draws from its declared options (``command_fuzzing``), and every controller button is pressed,
in three places: nobody in voice and no player; the bot alone in its channel, playing, the
member out of voice; and the member in another voice channel than the bot's. The same checks as
every fuzz test: an answer within Discord's deadline (a deferral's answer arrives), no traceback
or internal error shown, nothing logged at ERROR, nobody pinged; and the bot's track and voice
channel are what they were. Then a listener beside the bot, with a track playing and a queue,
runs every command and presses every button for real: the same checks, and a player left
whole.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from command_fuzzing import FuzzedCommand, FuzzWorld, command_leaves, options_strategy
from component_fuzzing import WAIT, Scene, answered, drawn

from botfleet.bots.music.services.ffmpeg import MAX_VOLUME
from botfleet.bots.music.services.tracks import Track
from botfleet.bots.music.views.controller import ACTIONS
from botfleet.config.schema import Settings
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
BESIDE_EXAMPLES = 4
"""Drawn option sets per command run by a listener beside the bot (each runs for real)."""


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


def fuzzing(on: Scene, library: Path, *channels: SandboxChannel) -> tuple[FuzzWorld, Settings]:
    """Alice runs the commands, naming Bob, @everyone and ``channels``; the player keeps
    going while she is away, and plays from ``library`` only."""
    world = FuzzWorld(
        staff=[],
        member=on.alice,
        targets=[on.bob],
        roles=[on.stage.guild.role("@everyone")],
        channels=[on.general, *channels],
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
    return world, settings


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
    world, settings = fuzzing(on, library, lounge, hall)
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


def loaded(bot: FleetBot, guild_id: int) -> Any:
    """The guild's player when it is in voice with a track and a queue, else None."""
    cog: Any = bot.get_cog("Music")
    player = cog.manager.players.get(guild_id)
    if player is None or not player.connected or player.queue.current is None:
        return None
    return player if len(player.queue) >= 2 else None


def whole(bot: FleetBot, guild_id: int, channel_id: int) -> list[str]:
    """What is wrong with the player after a command or a press of a listener beside it."""
    cog: Any = bot.get_cog("Music")
    player = cog.manager.players.get(guild_id)
    if player is None:
        return []
    problems = []
    if player.connected and player.voice.channel.id != channel_id:
        problems.append(f"moved to {player.voice.channel}")
    if not 0 <= player.settings.volume <= MAX_VOLUME:
        problems.append(f"volume {player.settings.volume}")
    current = player.queue.current
    if current is not None and current.duration is not None and player.position < 0:
        problems.append(f"at {player.position} s of {current.display_title}")
    if not all(isinstance(track, Track) for track in player.queue.upcoming):
        problems.append("a queue entry that is no track")
    if len(player.queue) > player.queue.limits.max_size:
        problems.append(f"{len(player.queue)} queued")
    return problems


@pytest.mark.usefixtures("real_time")
async def test_player_commands_and_buttons_of_a_listener_beside_the_bot_run_and_stay_whole(
    scene: Callable[[str], Scene], library: Path
) -> None:
    """Alice listens in the bot's channel while her track plays with two more queued (the
    queue is filled again, and the player brought back, before each command or press): every
    player command with values hypothesis draws, and every controller button, runs its real
    path. Each answers in time, shows no traceback, logs nothing at ERROR and pings nobody,
    and the player stays in its channel with a volume, position and queue it can have."""
    on = scene("music")
    lounge = on.stage.guild.channel("General")
    world, settings = fuzzing(on, library, lounge)
    guild_id = on.stage.guild.id
    tried = 0
    async with on.stage.running(settings) as bot:
        await on.alice.join_voice(lounge)

        async def beside_a_playing_queue() -> None:
            for query in ("long road", "long road", "first light", "long road"):
                if loaded(bot, guild_id) is not None:
                    return
                played = await run(on, on.alice, "play", {"query": query})
                assert "went wrong" not in played.content, played.describe()
            assert loaded(bot, guild_id) is not None, "the player did not come back"

        for command in player_commands(on.stage):
            for options in drawn(options_strategy(world, command), BESIDE_EXAMPLES):
                await beside_a_playing_queue()
                await run(on, on.alice, command.name, options)
                tried += 1
                on.watch.check(asked=[on.alice, on.bob])
                assert whole(bot, guild_id, lounge.id) == [], (command.name, options)
        for action in ACTIONS:
            await beside_a_playing_queue()
            custom_id = f"music:control:{action}"

            def live_controller(wanted: str = custom_id) -> Message | None:
                board = controller(on.general, on.stage.app.bot_user.id)
                button = board.find_component(wanted) if board is not None else None
                return board if button is not None and not button.get("disabled") else None

            board = await wait_until(
                on.stage.sandbox,
                live_controller,
                timeout=WAIT,
                describe_failure=lambda: "waiting for a controller to press",
            )
            pressed = await on.alice.click(board, custom_id)
            answer = await pressed.wait_for_response(timeout=WAIT)
            tried += 1
            assert "Join the voice channel" not in answer.content, (action, answer.content)
            on.watch.check(asked=[on.alice])
            assert whole(bot, guild_id, lounge.id) == [], action
    assert tried >= len(PLAYER_COMMANDS) + len(ACTIONS)
