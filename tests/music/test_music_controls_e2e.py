"""The Music Bot end to end, continued: files, playlists, the controller's buttons, leaving."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from music_helpers import AudioFactory, Room, command, current_source, in_voice, wait_for

from botfleet.bots.music.player import TrackedSource
from botfleet.config.schema import Settings
from botfleet.sandbox import Message, SandboxChannel
from botfleet.sandbox.scripting import SandboxFile


def controller(channel: SandboxChannel, bot_id: int) -> Message | None:
    """The bot's now-playing message (the newest with buttons)."""
    found = [m for m in channel.messages() if m.author.id == bot_id and m.components]
    return found[-1] if found else None


def paused_controller(channel: SandboxChannel, bot_id: int) -> Message | None:
    message = controller(channel, bot_id)
    return message if message is not None and message.embeds[0]["title"] == "⏸️ Paused" else None


def left_controller(channel: SandboxChannel, bot_id: int) -> Message | None:
    message = controller(channel, bot_id)
    footer = message.embeds[0].get("footer", {}).get("text", "") if message else ""
    return message if message is not None and "Left the voice channel" in footer else None


@pytest.mark.usefixtures("fast")
async def test_an_attached_file_plays_with_its_tags(
    room: Room,
    make_settings: Callable[..., Settings],
    library: Path,
    make_audio: AudioFactory,
) -> None:
    stage, app, general, _, alice = room
    upload = make_audio("upload.ogg", seconds=0.5, title="Homemade", artist="Alice")
    settings = make_settings(library_path=str(library), allow_private_addresses=True)
    async with stage.running(settings) as bot:
        file = SandboxFile("upload.ogg", upload.read_bytes())
        assert "Playing **Alice — Homemade**" in await command(
            alice, general, app, "play", file=file
        )
        voice = await in_voice(stage, bot)
        playback = await voice.wait_for_playback()
        assert playback.finished and playback.error is None and playback.frames > 20
        handle = await alice.run_command(general, app, "play", {"query": "no such song"})
        refusal = await handle.wait_for_message()
        assert refusal.ephemeral and "Nothing in the library matches" in refusal.content


@pytest.mark.usefixtures("real_time")
async def test_playlists_save_export_import_and_load(
    room: Room,
    settings: Settings,
) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="long road")
        await command(alice, general, app, "play", query="first light")
        assert "Saved “Evening” (2 tracks)" in await command(
            alice, general, app, "playlist", subcommand="save", name="Evening"
        )
        handle = await alice.run_command(
            general, app, "playlist", {"name": "evening"}, subcommand="export"
        )
        exported = (await handle.wait_for_response()).message
        assert exported is not None and exported.attachments
        document = json.loads(exported.attachments[0].data)
        assert [t["title"] for t in document["tracks"]] == ["Long Road", "First Light"]
        file = SandboxFile("evening.json", exported.attachments[0].data)
        assert "Imported “Copy” (2 tracks)" in await command(
            alice, general, app, "playlist", subcommand="import", file=file, name="Copy"
        )
        document["tracks"][0]["location"] = "/etc/hostname"
        forged = SandboxFile("forged.json", json.dumps(document).encode())
        assert "not in this bot's library" in await command(
            alice, general, app, "playlist", subcommand="import", file=forged, name="Forged"
        )
        listed = await command(alice, general, app, "playlist", subcommand="list")
        assert listed.splitlines() == ["• Copy", "• Evening"]
        assert "Queued “Copy” (2 tracks)" in await command(
            alice, general, app, "playlist", subcommand="load", name="copy"
        )
        voice = await in_voice(stage, bot)
        queue = await command(alice, general, app, "queue")
        assert queue.count("Long Road") == 2  # playing, and queued again from the playlist
        assert voice.is_playing()


@pytest.mark.usefixtures("real_time")
async def test_the_controller_pauses_and_a_lonely_bot_leaves(
    room: Room,
    make_settings: Callable[..., Settings],
    library: Path,
) -> None:
    stage, app, general, lounge, alice = room
    settings = make_settings(library_path=str(library), alone_timeout=1)
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="long road")
        voice = await in_voice(stage, bot)
        message = await wait_for(stage, lambda: controller(general, voice.user.id), "controller")
        assert message.embeds[0]["title"] == "▶️ Now playing"
        handle = await alice.click(message, "music:control:toggle")
        assert (await handle.wait_for_message()).content == "⏸️ Paused."
        assert voice.is_paused()
        paused_at = current_source(voice).frames
        edited = await wait_for(
            stage,
            lambda: paused_controller(general, voice.user.id),
            "the controller to show the pause",
        )
        assert edited
        assert current_source(voice).frames == paused_at
        await alice.leave_voice()
        await wait_for(stage, lambda: not voice.is_connected() or None, "the bot to leave")
        assert lounge.voice_members == []
        ended = await wait_for(
            stage,
            lambda: left_controller(general, voice.user.id),
            "the controller to say it left",
        )
        assert all(
            button.get("disabled") for row in ended.components for button in row["components"]
        )


@pytest.mark.usefixtures("fast")
async def test_history_feeds_stats_achievements_and_autoplay(
    room: Room,
    settings: Settings,
) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        await command(alice, general, app, "play", query="first light")
        voice = await in_voice(stage, bot)
        await voice.wait_for_playback()
        await command(alice, general, app, "play", query="second wind")
        await wait_for(
            stage,
            lambda: (len(voice.playbacks) == 2 and voice.playbacks[1].finished) or None,
            "the second track to end",
        )
        await bot.gamification.xp.flush()
        unlocked = await bot.gamification.achievements.unlocked(alice.id)
        assert "First Spin" in {item.definition.name for item in unlocked}
        stats = await command(alice, general, app, "music", subcommand="stats")
        assert stats.startswith("**2 plays**") and "You queued 2 of them." in stats
        assert "Tones — First Light — 1 play" in stats
        assert await command(alice, general, app, "music", subcommand="autoplay", enabled=True) == (
            "♾️ Autoplay on."
        )
        await command(alice, general, app, "play", query="second wind")
        third = await wait_for(
            stage,
            lambda: voice.playbacks[3] if len(voice.playbacks) > 3 else None,
            "autoplay to pick a track",
        )
        assert isinstance(third.source, TrackedSource)
        # Second Wind is the most played (2), but it just ended: autoplay picks First Light.
        assert third.source.track.title == "First Light"
        assert third.source.track.requester_id == 0


@pytest.mark.usefixtures("fast")
async def test_a_track_ffmpeg_cannot_open_is_reported_and_skipped(
    room: Room, settings: Settings, library: Path
) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        (library / "second.mp3").unlink()  # gone since the library was scanned
        await command(alice, general, app, "play", query="second wind")
        voice = await in_voice(stage, bot)
        warning = await wait_for(
            stage,
            lambda: next((m for m in general.messages() if "could not play" in m.content), None),
            "the failure to be reported",
        )
        assert "**Second Wind**" in warning.content
        failed = await voice.wait_for_playback()
        assert failed.frames == 0 and failed.source.track.title == "Second Wind"  # type: ignore[attr-defined]
        await command(alice, general, app, "play", query="first light")
        await wait_for(stage, lambda: len(voice.playbacks) == 2 or None, "the next track")
        played = await voice.wait_for_playback()
        assert played.finished and played.error is None and played.frames > 40
