"""The Music Bot between tracks, end to end: dismissing an idle bot, a refused first track,
24/7 mode against a running countdown, DJs with no player, forwarding past the end, effects
that keep a located stream, and autocomplete picks that play."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from music_helpers import (
    AudioFactory,
    Room,
    command,
    current_source,
    in_voice,
    play_two,
    voice_of,
    wait_for,
)

from botfleet.bots.music.players import PlayerManager
from botfleet.bots.music.services.tracks import Track
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import SandboxChannel


def manager_of(bot: FleetBot) -> PlayerManager:
    cog = bot.get_cog("Music")
    assert cog is not None
    manager: PlayerManager = cog.manager  # type: ignore[attr-defined]
    return manager


def bot_in(channel: SandboxChannel, bot: FleetBot) -> bool:
    assert bot.user is not None
    return any(member.user.id == bot.user.id for member in channel.voice_members)


@pytest.mark.usefixtures("fast")
async def test_a_refused_first_track_leaves_and_an_idle_bot_can_be_dismissed(
    room: Room, make_settings: Callable[..., Settings], library: Path, make_audio: AudioFactory
) -> None:
    stage, app, general, lounge, alice = room
    make_audio("longer.ogg", folder=library, seconds=75.0, title="Longer Road")
    settings = make_settings(library_path=str(library), max_track_minutes=1, idle_timeout=60)
    async with stage.running(settings) as bot:
        handle = await alice.run_command(general, app, "play", {"query": "longer road"})
        refusal = await handle.wait_for_message()
        assert refusal.ephemeral and "at most 1:00" in refusal.content
        assert not bot_in(lounge, bot)  # it joined for the track, and left when refused it
        assert stage.guild.id not in manager_of(bot).players

        await command(alice, general, app, "play", query="first light")
        voice = await in_voice(stage, bot)
        player = manager_of(bot).players[stage.guild.id]
        await wait_for(stage, lambda: player.queue.current is None, "the track to end")
        assert "Left the voice channel" in await command(alice, general, app, "leave")
        await wait_for(stage, lambda: not voice.is_connected(), "the bot to leave")


@pytest.mark.usefixtures("fast")
async def test_24_7_mode_stops_a_countdown_already_running(
    room: Room, make_settings: Callable[..., Settings], library: Path
) -> None:
    stage, app, general, lounge, alice = room
    settings = make_settings(library_path=str(library), idle_timeout=1)
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="first light")
        await in_voice(stage, bot)
        player = manager_of(bot).players[stage.guild.id]
        await wait_for(stage, lambda: player.queue.current is None, "the track to end")
        owner = stage.guild.owner
        assert "24/7 mode on" in await command(
            owner, general, app, "music", subcommand="stay", enabled=True
        )
        await asyncio.sleep(1.5)  # past the idle countdown started when the track ended
        assert bot_in(lounge, bot)


@pytest.mark.usefixtures("fast")
async def test_the_stored_dj_role_rules_when_no_player_runs(room: Room, settings: Settings) -> None:
    stage, app, general, _, alice = room
    djs = stage.guild.add_role("DJs")
    dee = stage.guild.add_member("dee", roles=[djs])
    async with stage.running(settings):
        owner = stage.guild.owner
        assert "DJ role" in await command(owner, general, app, "music", subcommand="dj", role=djs)
        refused = await command(alice, general, app, "music", subcommand="autoplay", enabled=True)
        assert "(DJs) can do that" in refused
        assert "Autoplay on" in await command(
            dee, general, app, "music", subcommand="autoplay", enabled=True
        )
        options = {"name": "nothing", "server": True}
        refused = await command(alice, general, app, "playlist", subcommand="delete", **options)
        assert "Only DJs" in refused
        answer = await command(dee, general, app, "playlist", subcommand="delete", **options)
        assert "Only DJs" not in answer


@pytest.mark.usefixtures("real_time")
async def test_forwarding_past_the_end_moves_on_without_a_failure(
    room: Room, settings: Settings
) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        voice = await play_two(room, bot)
        assert "Now at 1:00" in await command(alice, general, app, "forward", seconds=3600)
        await wait_for(
            stage, lambda: current_source(voice).track.title == "First Light", "the next track"
        )
        texts = [message.content for message in general.messages()]
        assert not any("could not play" in text for text in texts), texts


@pytest.mark.usefixtures("real_time")
async def test_rewinding_is_answered_with_a_rewind(room: Room, settings: Settings) -> None:
    """/rewind answered "⏩ Now at …", the fast-forward sign (seen in the listener fuzz)."""
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        await play_two(room, bot)
        assert (await command(alice, general, app, "forward", seconds=30)).startswith("⏩")
        assert (await command(alice, general, app, "rewind", seconds=20)).startswith("⏪ Now at")


@pytest.mark.usefixtures("real_time")
async def test_an_effect_keeps_the_stream_the_track_was_located_at(
    room: Room, settings: Settings
) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        voice = await play_two(room, bot)
        player = manager_of(bot).players[stage.guild.id]
        lookups: list[str] = []

        async def locate(track: Track) -> Track:
            lookups.append(track.title)
            return track

        player.locate = locate
        await command(alice, general, app, "volume", percent=50)
        await command(alice, general, app, "seek", position="0:10")
        assert current_source(voice).plan.start == 10
        assert lookups == []  # the running source's address served both
        await command(alice, general, app, "skip")
        assert lookups == ["First Light"]  # a new track is looked up when it starts


@pytest.mark.usefixtures("fast")
async def test_an_autocomplete_pick_plays(room: Room, settings: Settings) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        handle = await alice.autocomplete(general, app, "play", {"query": "first"}, focused="query")
        [choice] = await handle.wait_for_choices()
        assert choice["value"] == "Tones — First Light"
        assert "Playing **Tones — First Light**" in await command(
            alice, general, app, "play", query=choice["value"]
        )
        assert voice_of(bot, stage.guild) is not None


@pytest.mark.usefixtures("real_time")
async def test_a_seek_into_a_track_that_cannot_play_any_more_says_so(
    room: Room, settings: Settings, library: Path
) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        voice = await play_two(room, bot)
        (library / "long.ogg").unlink()  # the running FFmpeg keeps it open; a new one cannot
        await command(alice, general, app, "seek", position="0:20")
        await wait_for(
            stage,
            lambda: any("could not play **Long Road**" in m.content for m in general.messages()),
            "the failure to be told",
        )
        await wait_for(
            stage, lambda: current_source(voice).track.title == "First Light", "the next track"
        )


@pytest.mark.usefixtures("real_time")
async def test_a_track_longer_than_allowed_once_located_is_skipped_with_the_reason(
    room: Room, make_settings: Callable[..., Settings], library: Path
) -> None:
    stage, app, general, _, alice = room
    settings = make_settings(library_path=str(library), max_track_minutes=1)
    async with stage.running(settings) as bot:
        await play_two(room, bot)
        player = manager_of(bot).players[stage.guild.id]

        async def locate(track: Track) -> Track:
            return replace(track, duration=36_000.0)  # the page now holds a 10-hour video

        player.locate = locate
        await command(alice, general, app, "skip")
        told = await wait_for(
            stage,
            lambda: next((m for m in general.messages() if "could not play" in m.content), None),
            "the skip to be told",
        )
        assert "First Light" in told.content and "at most 1:00" in told.content
        await wait_for(stage, lambda: player.queue.current is None, "the queue to end")
