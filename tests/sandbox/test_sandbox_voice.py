"""Voice: members and bots joining and leaving, and a VoiceProtocol stand-in that plays."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import ClassVar

import discord
import pytest
from discord.ext import commands

from botfleet.sandbox import Application, DiscordSandbox, Permission, SandboxGuild
from botfleet.sandbox.scripting import DEFAULT_BOT_PERMISSIONS, SandboxScriptError
from botfleet.sandbox.voice import SandboxVoiceClient
from waiting import until

BotFactory = Callable[..., commands.Bot]
FRAME = 3840
"""Bytes of one 20 ms frame of 48 kHz stereo 16-bit PCM, what discord.py's sources read."""


class RealTimeVoiceClient(SandboxVoiceClient):
    frame_interval: ClassVar[float] = 0.02


class BrokenSource(discord.AudioSource):
    def __init__(self) -> None:
        self.reads = 0

    def read(self) -> bytes:
        self.reads += 1
        if self.reads > 2:
            raise OSError("the stream broke")
        return b"\x00" * FRAME


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, sandbox_app: Application) -> SandboxGuild:
    guild = discord_sandbox.create_guild("Voice")
    guild.add_bot(sandbox_app, permissions=DEFAULT_BOT_PERMISSIONS | Permission.MOVE_MEMBERS)
    return guild


@pytest.fixture
async def bot(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    guild: SandboxGuild,
    make_bot: BotFactory,
) -> AsyncIterator[commands.Bot]:
    client = make_bot()
    async with discord_sandbox.run_client(client, sandbox_app):
        yield client


def voice_channel(bot: commands.Bot, guild: SandboxGuild, name: str) -> discord.VoiceChannel:
    channel = bot.get_channel(guild.channel(name).id)
    assert isinstance(channel, discord.VoiceChannel)
    return channel


def pcm(frames: int) -> discord.PCMAudio:
    return discord.PCMAudio(io.BytesIO(bytes(range(256)) * (FRAME * frames // 256)))


async def test_members_join_move_and_leave_and_ready_lists_who_is_in_voice(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    lounge = guild.channel("General")
    stage = guild.add_voice_channel("Stage")
    early = guild.add_member("early")
    await early.join_voice(lounge, self_deaf=True)
    alice = guild.add_member("alice")
    moves: list[tuple[str | None, str | None]] = []
    bot = make_bot()

    async def on_voice_state_update(
        member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.id == alice.id:
            moves.append(
                (getattr(before.channel, "name", None), getattr(after.channel, "name", None))
            )

    bot.add_listener(on_voice_state_update)
    async with discord_sandbox.run_client(bot, sandbox_app):
        cached = bot.get_guild(guild.id).get_member(early.id)  # type: ignore[union-attr]
        assert cached is not None
        assert cached.voice is not None
        assert (cached.voice.channel.id, cached.voice.self_deaf) == (lounge.id, True)  # type: ignore[union-attr]
        await alice.join_voice(lounge)
        await until(lambda: len(moves) == 1)
        await alice.join_voice(stage)
        await until(lambda: len(moves) == 2)
        await alice.leave_voice()
        await until(lambda: len(moves) == 3)
    assert moves == [(None, "General"), ("General", "Stage"), ("Stage", None)]
    assert alice.voice_channel is None
    assert [member.id for member in lounge.voice_members] == [early.id]


async def test_members_are_kept_out_of_voice_as_discord_would(guild: SandboxGuild) -> None:
    lounge = guild.channel("General")
    alice = guild.add_member("alice")
    await lounge.set_permissions(guild.guild.everyone_role, deny=Permission.CONNECT)
    with pytest.raises(SandboxScriptError, match="alice lacks CONNECT in General"):
        await alice.join_voice(lounge)
    await lounge.clear_permissions(guild.guild.everyone_role)
    lounge.channel.user_limit = 1
    await alice.join_voice(lounge)
    with pytest.raises(SandboxScriptError, match="General is full"):
        await guild.add_member("bob").join_voice(lounge)
    with pytest.raises(SandboxScriptError, match="not a voice channel"):
        await alice.join_voice(guild.channel("general"))


async def test_the_bot_connects_plays_and_leaves_through_the_stand_in(
    bot: commands.Bot, discord_sandbox: DiscordSandbox, guild: SandboxGuild
) -> None:
    channel = voice_channel(bot, guild, "General")
    voice = await channel.connect(cls=SandboxVoiceClient, self_deaf=True)
    assert voice.is_connected()
    assert channel.guild.voice_client is voice
    assert voice.endpoint == discord_sandbox.url.removeprefix("http://")
    assert voice.session_id in discord_sandbox.gateway.sessions
    assert [m.id for m in guild.channel("General").voice_members] == [voice.user.id]
    assert guild.guild.voice_states[voice.user.id].self_deaf
    finished: list[tuple[Exception | None, str]] = []
    voice.play(
        pcm(5), after=lambda error: finished.append((error, threading.current_thread().name))
    )
    playback = await voice.wait_for_playback()
    assert (playback.frames, playback.finished, playback.stopped) == (5, True, False)
    assert bytes(playback.data) == bytes(range(256)) * (FRAME * 5 // 256)
    [(error, thread_name)] = finished
    assert error is None
    assert thread_name.startswith("sandbox-audio-player"), "after runs in the player thread"
    assert not voice.is_playing()
    await voice.disconnect()
    assert not voice.is_connected()
    assert bot.voice_clients == []
    await until(lambda: guild.channel("General").voice_members == [])
    with pytest.raises(discord.ClientException, match="Not connected"):
        voice.play(pcm(1))


async def test_pause_resume_stop_and_a_failing_source(
    bot: commands.Bot, guild: SandboxGuild, caplog: pytest.LogCaptureFixture
) -> None:
    voice = await voice_channel(bot, guild, "General").connect(cls=RealTimeVoiceClient)
    voice.play(pcm(500))
    with pytest.raises(discord.ClientException, match="Already playing"):
        voice.play(pcm(1))
    await until(lambda: voice.playbacks[0].frames >= 2)
    voice.pause()
    assert voice.is_paused()
    assert not voice.is_playing()
    await asyncio.sleep(0.05)
    paused_at = voice.playbacks[0].frames
    await asyncio.sleep(0.1)
    assert voice.playbacks[0].frames <= paused_at + 1
    voice.resume()
    assert voice.is_playing()
    voice.stop()
    stopped = await voice.wait_for_playback()
    assert (stopped.stopped, stopped.finished) == (True, False)
    assert 2 <= stopped.frames < 500
    broken = BrokenSource()
    failures: list[Exception | None] = []
    voice.play(broken, after=failures.append)
    failed = await voice.wait_for_playback()
    assert isinstance(failed.error, OSError)
    assert failed.frames == 2
    assert failures == [failed.error]
    with pytest.raises(TypeError, match="AudioSource"):
        voice.play(b"not a source")  # type: ignore[arg-type]
    await voice.disconnect()


async def test_swapping_the_source_resumes_a_paused_player_as_discord_py_does(
    bot: commands.Bot, guild: SandboxGuild
) -> None:
    voice = await voice_channel(bot, guild, "General").connect(cls=RealTimeVoiceClient)
    first = pcm(500)
    voice.play(first)
    await until(lambda: voice.playbacks[0].frames >= 2)
    voice.pause()
    second = pcm(3)
    voice.source = second
    assert voice.source is second
    assert voice.is_playing()  # discord.py's AudioPlayer.set_source pauses, swaps, resumes
    playback = await voice.wait_for_playback()
    assert playback.finished and len(voice.playbacks) == 1
    assert 5 <= playback.frames < 500  # a few of the first source's frames, then all 3 of these
    await voice.disconnect()


async def test_a_moderator_disconnecting_the_bot_ends_its_voice_client(
    bot: commands.Bot, guild: SandboxGuild
) -> None:
    voice = await voice_channel(bot, guild, "General").connect(cls=RealTimeVoiceClient)
    voice.play(pcm(500))
    await guild.disconnect_voice(guild.member("test_bot"))
    playback = await voice.wait_for_playback()
    assert playback.stopped
    await until(lambda: not voice.is_connected())
    assert bot.get_guild(guild.id).voice_client is None  # type: ignore[union-attr]


async def test_the_bot_moves_and_server_mutes_members(
    bot: commands.Bot, discord_sandbox: DiscordSandbox, guild: SandboxGuild
) -> None:
    lounge, stage = guild.channel("General"), guild.add_voice_channel("Stage")
    alice = guild.add_member("alice")
    discord_guild = bot.get_guild(guild.id)
    assert discord_guild is not None
    await until(lambda: discord_guild.get_member(alice.id) is not None)
    member = discord_guild.get_member(alice.id)
    assert member is not None
    await until(lambda: bot.get_channel(stage.id) is not None)
    target = voice_channel(bot, guild, "Stage")
    with pytest.raises(discord.HTTPException) as not_in_voice:
        await member.move_to(target)
    assert (not_in_voice.value.status, not_in_voice.value.code) == (400, 40032)
    await alice.join_voice(lounge)
    await until(lambda: member.voice is not None)
    await member.move_to(target)
    assert alice.voice_channel is not None
    assert alice.voice_channel.id == stage.id
    with pytest.raises(discord.Forbidden):
        await member.edit(mute=True)
    guild.role("Test Bot").permissions |= Permission.MUTE_MEMBERS
    await member.edit(mute=True)
    await until(lambda: member.voice is not None and member.voice.mute)
    await member.move_to(None)
    assert alice.voice_channel is None


async def test_a_join_discord_would_ignore_times_out(
    bot: commands.Bot, guild: SandboxGuild, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="botfleet.sandbox")
    await guild.channel("General").set_permissions(guild.role("Test Bot"), deny=Permission.CONNECT)
    channel = voice_channel(bot, guild, "General")
    await until(lambda: not channel.permissions_for(channel.guild.me).connect)
    with pytest.raises(TimeoutError):
        await channel.connect(cls=SandboxVoiceClient, timeout=0.2)
    assert "Ignoring Test Bot's voice state update: test_bot lacks CONNECT" in caplog.text
    assert channel.guild.voice_client is None
    assert guild.channel("General").voice_members == []
