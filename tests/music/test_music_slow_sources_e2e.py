"""Controls that restart the audio answer within Discord's deadline when a source is slow to start.

A new FFmpeg process, or a web page's stream looked up again by yt-dlp, can take longer than
the few seconds Discord gives a first answer. Here every source takes longer than the
stand-in's (shortened) deadline to start: each command must acknowledge first, keep its
refusals private, and then say what it did.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from music_helpers import (
    RealTimeVoiceClient,
    Room,
    command,
    current_source,
    in_voice,
    play_two,
    wait_for,
)

from botfleet.bots.music.player import VoiceBackend, ffmpeg_source_factory, use_backend
from botfleet.bots.music.services.ffmpeg import SourcePlan
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import SandboxChannel, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import InteractionHandle

DEADLINE = 0.5
SOURCE_START = 1.2
"""Seconds each source takes to start: more than the deadline, as a slow lookup would."""

pytestmark = pytest.mark.parametrize(
    "discord_sandbox_options", [{"interaction_deadline": DEADLINE}]
)


@pytest.fixture
def settings(make_settings: Callable[..., Settings], library: Path) -> Settings:
    """The music tests' settings, answers not ready after 0.2 s acknowledged (the deadline is
    0.5 s here)."""
    settings = make_settings(library_path=str(library), alone_timeout=60, idle_timeout=60)
    settings.bot.answer_grace = 0.2
    return settings


@pytest.fixture
def slow_sources() -> Iterator[None]:
    """Players whose every source (FFmpeg) starts only after ``SOURCE_START`` seconds."""
    ffmpeg = ffmpeg_source_factory("ffmpeg")

    def make(plan: SourcePlan) -> discord.AudioSource:
        time.sleep(SOURCE_START)  # runs in the player's worker thread, as FFmpeg's start does
        return ffmpeg(plan)

    with use_backend(VoiceBackend(voice_client_class=RealTimeVoiceClient, source_factory=make)):
        yield


async def acknowledged(handle: InteractionHandle) -> str:
    """The answer's text, after checking the command showed "thinking" first."""
    response = await handle.wait_for_response()
    assert response.deferred, "answered without acknowledging first"
    return (await handle.wait_for_message()).content


async def run(
    member: SandboxMember, channel: SandboxChannel, room: Room, name: str, **options: Any
) -> InteractionHandle:
    return await member.run_command(channel, room.app, name, options)


@pytest.mark.usefixtures("slow_sources")
async def test_controls_that_restart_the_audio_acknowledge_first(
    room: Room, settings: Settings
) -> None:
    stage, _, general, _, alice = room
    async with stage.running(settings) as bot:
        voice = await play_two(room, bot)
        await wait_for(stage, voice.is_playing, "the first track to play")

        refused = await run(alice, general, room, "back")
        answer = (await refused.wait_for_response()).message
        assert answer is not None and answer.ephemeral and "Nothing has played" in answer.content

        assert "Jumped to 0:20" in await acknowledged(
            await run(alice, general, room, "seek", position="0:20")
        )
        assert current_source(voice).plan.start == 20
        assert "Now at" in await acknowledged(await run(alice, general, room, "forward"))
        assert "From the start" in await acknowledged(await run(alice, general, room, "replay"))
        assert "Volume 50%" in await acknowledged(
            await run(alice, general, room, "volume", percent=50)
        )
        assert "Nightcore" in await acknowledged(
            await run(alice, general, room, "filter", effect="nightcore")
        )
        assert current_source(voice).plan.start < 5  # the swap kept the position

        assert "Skipped **Long Road**" in await acknowledged(
            await run(alice, general, room, "skip")
        )
        assert current_source(voice).track.title == "First Light"
        assert "Back to **Long Road**" in await acknowledged(
            await run(alice, general, room, "back")
        )
        assert current_source(voice).track.title == "Long Road"


@pytest.mark.usefixtures("slow_sources")
async def test_the_controllers_skip_and_a_loaded_playlist_acknowledge_first(
    room: Room, settings: Settings
) -> None:
    stage, app, general, _, alice = room
    async with stage.running(settings) as bot:
        voice = await play_two(room, bot)
        await command(alice, general, app, "playlist", subcommand="save", name="Both")
        controller = await wait_for(
            stage,
            lambda: next(
                (m for m in reversed(general.messages()) if m.components and m.author.bot), None
            ),
            "the controller",
        )
        assert "Skipped **Long Road**" in await acknowledged(
            await alice.click(controller, "music:control:skip")
        )
        assert current_source(voice).track.title == "First Light"

        await command(alice, general, app, "leave")
        await wait_for(stage, lambda: not voice.is_connected() or None, "the bot to leave")
        handle = await alice.run_command(
            general, app, "playlist", {"name": "both"}, subcommand="load"
        )
        answer = await handle.wait_for_response()
        assert answer.deferred
        loaded = await handle.wait_for_message()
        assert loaded.ephemeral and "Queued “Both” (2 tracks)" in loaded.content
        rejoined = await in_voice(stage, bot)
        await wait_for(stage, rejoined.is_playing, "the playlist to play")


async def test_a_setup_that_fails_halfway_closes_its_link_session(
    stage: FleetBotStage, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions: list[aiohttp.ClientSession] = []

    def failing(session: aiohttp.ClientSession, *_: object, **__: object) -> object:
        sessions.append(session)
        raise RuntimeError("a part of the extension could not be built")

    # The name the extension's module uses (the bot reuses the module as imported).
    extension = importlib.import_module("botfleet.bots.music.commands")
    monkeypatch.setattr(extension, "HttpSources", failing)
    bot = FleetBot(stage.definition, settings)
    async with stage.sandbox.run_client(bot, stage.app):  # running() refuses a failed extension
        assert "botfleet.bots.music.commands" in bot.failed_extensions
    [session] = sessions
    assert session.closed
