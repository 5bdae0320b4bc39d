"""The Music Bot end to end, continued: an idle bot leaves, listening earns XP by the minute,
playlists are renamed and deleted, and the queue pages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from music_helpers import Room, command, in_voice, voice_of, wait_for

from botfleet.bots.music.players import XP_PER_MINUTE
from botfleet.bots.music.services.queue import QueueLimits, TrackQueue
from botfleet.bots.music.services.tracks import SourceKind, Track
from botfleet.bots.music.views.controller import queue_page
from botfleet.config.schema import Settings


@pytest.mark.usefixtures("fast")
async def test_a_bot_with_nothing_left_to_play_leaves_after_the_idle_timeout(
    room: Room, make_settings: Callable[..., Settings], library: Path
) -> None:
    stage, app, general, lounge, alice = room
    settings = make_settings(library_path=str(library), idle_timeout=1, alone_timeout=60)
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="first light")
        voice = await in_voice(stage, bot)
        await wait_for(stage, lambda: not voice.is_connected() or None, "the idle bot to leave")
        assert voice_of(bot, stage.guild) is None
        assert [member.user.id for member in lounge.voice_members] == [alice.id]


@pytest.mark.usefixtures("fast")
async def test_listeners_earn_xp_by_the_minute(room: Room, settings: Settings) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="first light")  # one second
        voice = await in_voice(stage, bot)
        await voice.wait_for_playback()
        await bot.gamification.xp.flush()
        before = (await bot.gamification.xp.profile(alice.id, stage.guild.id)).progress.total_xp
        await command(alice, general, app, "play", query="long road")  # a minute
        await wait_for(
            stage,
            lambda: (len(voice.playbacks) == 2 and voice.playbacks[1].finished) or None,
            "the minute-long track to end",
        )
        await bot.gamification.xp.flush()
        after = (await bot.gamification.xp.profile(alice.id, stage.guild.id)).progress.total_xp
        assert after - before >= XP_PER_MINUTE


@pytest.mark.usefixtures("fast")
async def test_playlists_are_renamed_and_deleted(room: Room, settings: Settings) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings):
        await command(alice, general, app, "play", query="long road")
        await command(alice, general, app, "playlist", subcommand="save", name="Evening")
        renamed = await command(
            alice, general, app, "playlist", subcommand="rename", name="evening", new_name="Night"
        )
        assert "Renamed to “Night”" in renamed
        assert await command(alice, general, app, "playlist", subcommand="list") == "• Night"
        gone = await command(
            alice, general, app, "playlist", subcommand="rename", name="Evening", new_name="x"
        )
        assert "Night" not in gone and "Renamed" not in gone
        assert "Deleted “Night”" in await command(
            alice, general, app, "playlist", subcommand="delete", name="night"
        )
        listed = await command(alice, general, app, "playlist", subcommand="list")
        assert "No playlists" in listed


def test_the_queue_pages_by_ten_and_clamps_the_page() -> None:
    queue = TrackQueue(QueueLimits())
    tracks = [
        Track(title=f"Song {n}", location=f"/m/{n}.ogg", kind=SourceKind.FILE, duration=60.0)
        for n in range(1, 26)
    ]
    queue.add(tracks)
    queue.advance()  # Song 1 plays; 24 wait
    second, pages = queue_page(queue, 2)
    assert pages == 3
    assert "`11.` " in second and "Song 12" in second and "`21.`" not in second
    last, _ = queue_page(queue, 99)
    assert "`21.` " in last and "Song 25" in last and "Page 3/3" in last


@pytest.mark.usefixtures("real_time")
async def test_a_moved_bot_plays_on_for_the_listeners_of_its_new_channel(
    room: Room, make_settings: Callable[..., Settings], library: Path
) -> None:
    stage, app, general, _, alice = room
    settings = make_settings(library_path=str(library), alone_timeout=1)
    stage_channel = stage.guild.add_voice_channel("Stage")
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="long road")
        voice = await in_voice(stage, bot)
        await alice.join_voice(stage_channel)  # the bot is alone: its countdown starts
        await stage.guild.move_voice(stage.guild.member(voice.user.name), stage_channel)
        await wait_for(stage, lambda: voice.channel.id == stage_channel.id, "the move")
        await asyncio.sleep(1.5)  # past the alone countdown the move must have stopped
        assert voice.is_connected() and voice.is_playing()
        assert {m.user.id for m in stage_channel.voice_members} == {alice.id, voice.user.id}


@pytest.mark.usefixtures("real_time")
async def test_a_button_that_fails_unexpectedly_still_answers_the_member(
    room: Room, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="long road")
        voice = await in_voice(stage, bot)
        cog = bot.get_cog("Music")

        async def broken(*_: object) -> str:
            raise RuntimeError("a bug in the controller")

        monkeypatch.setattr(type(cog), "_press", broken)
        controller = await wait_for(
            stage,
            lambda: next(
                (m for m in general.messages() if m.author.id == voice.user.id and m.components),
                None,
            ),
            "the controller",
        )
        pressed = await alice.click(controller, "music:control:toggle")
        answer = await pressed.wait_for_message()
        assert (
            "Something went wrong on our side" in answer.content and "reference" in answer.content
        )
