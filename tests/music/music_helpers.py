"""Names shared by the Music tests (kept out of conftest.py, which is not importable)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from botfleet.bots.music.player import TrackedSource
from botfleet.core.bot import FleetBot
from botfleet.sandbox import Application, SandboxChannel, SandboxGuild, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until
from botfleet.sandbox.voice import SandboxVoiceClient

AudioFactory = Callable[..., Path]
"""``make_audio(name, seconds=..., frequency=..., folder=..., **tags)`` of ``conftest.py``."""

FRAMES_PER_SECOND = 50


class Room(NamedTuple):
    """The bot's stage with its text channel, its voice channel and alice listening there."""

    stage: FleetBotStage
    app: Application
    text: SandboxChannel
    lounge: SandboxChannel
    alice: SandboxMember


class RealTimeVoiceClient(SandboxVoiceClient):
    """Reads a frame every 20 ms, as Discord plays it, for tests that act while a track plays."""

    frame_interval: ClassVar[float] = 0.02


def voice_of(bot: FleetBot, guild: SandboxGuild) -> SandboxVoiceClient | None:
    """The bot's voice client in the guild, if connected."""
    found = bot.get_guild(guild.id)
    voice = found.voice_client if found else None
    return voice if isinstance(voice, SandboxVoiceClient) else None


def playing_voice(
    bot: FleetBot, guild: SandboxGuild, *, other_than: SandboxVoiceClient | None = None
) -> SandboxVoiceClient | None:
    """The voice client once it plays (a new one, when ``other_than`` is the old)."""
    voice = voice_of(bot, guild)
    if voice is None or voice is other_than or not voice.is_playing():
        return None
    return voice


def current_source(voice: SandboxVoiceClient) -> TrackedSource:
    """The source the voice client reads now."""
    source = voice.source
    assert isinstance(source, TrackedSource)
    return source


async def in_voice(stage: FleetBotStage, bot: FleetBot) -> SandboxVoiceClient:
    """The bot's voice client, once it joined."""
    voice: SandboxVoiceClient = await wait_for(
        stage, lambda: voice_of(bot, stage.guild), "the bot in voice"
    )
    return voice


async def wait_for(stage: FleetBotStage, check: Callable[[], Any], what: str) -> Any:
    """``check()``'s first truthy result, re-checked as the stand-in's world changes."""
    return await wait_until(
        stage.sandbox, check, timeout=10.0, describe_failure=lambda: f"waiting for {what}"
    )


async def command(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    name: str,
    /,
    *,
    subcommand: str | None = None,
    **options: Any,
) -> str:
    """Run a command and return the text of its answer (deferred ones: the followup)."""
    handle = await member.run_command(channel, app, name, options, subcommand=subcommand)
    return (await handle.wait_for_message()).content


async def play_two(room: Room, bot: FleetBot) -> SandboxVoiceClient:
    """Alice queues "Long Road" (a minute long) then "First Light"; the bot's voice client."""
    for query in ("long road", "first light"):
        await command(room.alice, room.text, room.app, "play", query=query)
    return await in_voice(room.stage, bot)
