"""How many Music Bot players one CPU core holds, with Opus passthrough and with an effect.

Run::

    .venv/bin/python benchmarks/music_players.py [--seconds 6] [--steps 10,25,50,75,100]

Each player is the bot's own audio path: ``plan_source`` and ``ffmpeg_source_factory`` make
an FFmpeg producing Opus from a generated file, read through ``TrackedSource`` by
discord.py's real ``AudioPlayer`` thread (its 20 ms pacing), whose ``send_audio_packet`` is
discord.py's own: RTP header and ``aead_xchacha20_poly1305_rtpsize`` encryption with PyNaCl,
then one UDP datagram to a local sink socket. Only the voice gateway and DAVE's end-to-end
layer are absent (DAVE needs a session negotiated with Discord's voice server).

The process and its FFmpeg children are pinned to one core. For each count of players the
run reports CPU time per player per second of audio (the bot process and FFmpeg apart) and
the frames sent more than 20 ms after their due time (after FFmpeg's first 0.5 s); "per
core" is how many players that CPU cost fits in one core's second. Passthrough copies Opus
packets; the effect (nightcore) makes FFmpeg decode, filter and encode. The baseline, measured
in the same run, is one player alone. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import secrets
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from discord.player import AudioPlayer
from discord.voice_client import VoiceClient

from botfleet.bots.music.player import TrackedSource, ffmpeg_source_factory
from botfleet.bots.music.services.ffmpeg import Effect, plan_source
from botfleet.bots.music.services.tracks import SourceKind, Track

FRAME = 0.02
LATE = 0.02
WARM_UP_FRAMES = 25


class _Speaker:
    async def speak(self, _state: Any) -> None:
        return None


class _Connection:
    """The UDP side of a voice connection: every packet goes to a local sink."""

    def __init__(self, sink: tuple[str, int]) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sink = sink
        self.dave_session = None
        self.can_encrypt = False
        self.ssrc = secrets.randbits(32)
        self.mode = "aead_xchacha20_poly1305_rtpsize"
        self.secret_key = list(secrets.token_bytes(32))
        self.ws = _Speaker()
        self.timeout = 30.0

    def send_packet(self, packet: bytes) -> None:
        self.socket.sendto(packet, self.sink)


class LoopbackVoiceClient(VoiceClient):
    """discord.py's VoiceClient with its packet path intact and no voice gateway."""

    def __init__(self, sink: tuple[str, int], loop: asyncio.AbstractEventLoop) -> None:
        self.sequence = 0
        self.timestamp = 0
        self._incr_nonce = 0
        self._connection = _Connection(sink)  # type: ignore[assignment]
        self.client = type("LoopHolder", (), {"loop": loop})()  # type: ignore[assignment]

    def is_connected(self) -> bool:
        return True


@dataclass
class Timed(discord.AudioSource):
    """Notes when each frame is read, to count the late ones."""

    inner: TrackedSource
    reads: list[float] = field(default_factory=list)

    def read(self) -> bytes:
        self.reads.append(time.perf_counter())
        return self.inner.read()

    def is_opus(self) -> bool:
        return True

    def cleanup(self) -> None:
        self.inner.cleanup()

    def late_frames(self) -> int:
        if len(self.reads) < 2:
            return 0
        start = self.reads[1]  # the first read waits for FFmpeg to start
        return sum(1 for n, at in enumerate(self.reads[1:]) if at - (start + n * FRAME) > LATE)


@dataclass
class RoundResult:
    players: int
    bot_cpu: float
    ffmpeg_cpu: float
    audio_seconds: float
    late: int
    frames: int

    @property
    def bot_ms_per_player_second(self) -> float:
        return 1000 * self.bot_cpu / (self.players * self.audio_seconds)

    @property
    def ffmpeg_ms_per_player_second(self) -> float:
        return 1000 * self.ffmpeg_cpu / (self.players * self.audio_seconds)

    @property
    def players_per_core(self) -> float:
        """Players one core's CPU time covers at this cost (bot and FFmpeg together)."""
        return 1000 / (self.bot_ms_per_player_second + self.ffmpeg_ms_per_player_second)


def generate(path: Path, seconds: float) -> None:
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-ac",
            "2",
            "-c:a",
            "libopus",
            "-b:a",
            "128k",
            str(path),
        ],
        check=True,
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_round(
    track: Track,
    players: int,
    effect: Effect,
    sink: tuple[str, int],
    loop: asyncio.AbstractEventLoop,
) -> RoundResult:
    factory = ffmpeg_source_factory("ffmpeg")
    done = threading.Barrier(players + 1)
    sources: list[Timed] = []
    threads: list[AudioPlayer] = []
    cpu_before, children_before = time.process_time(), children_cpu()
    for _ in range(players):
        plan = plan_source(track, start=0.0, volume=100, effect=effect)
        source = Timed(TrackedSource(factory(plan), plan, track))
        sources.append(source)
        client = LoopbackVoiceClient(sink, loop)
        threads.append(AudioPlayer(source, client, after=lambda _error: done.wait()))
    for thread in threads:
        thread.start()
    done.wait()
    for thread in threads:
        thread.join()
    result = RoundResult(
        players=players,
        bot_cpu=time.process_time() - cpu_before,
        ffmpeg_cpu=children_cpu() - children_before,
        audio_seconds=track.duration or 0.0,
        late=sum(source.late_frames() for source in sources),
        frames=sum(len(source.reads) for source in sources),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="audio per player")
    parser.add_argument("--steps", default="10,25,50,75,100", help="player counts to try")
    parser.add_argument("--core", type=int, default=0, help="the CPU core to pin to")
    arguments = parser.parse_args()
    os.sched_setaffinity(0, {arguments.core})
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    drain = threading.Thread(target=lambda: [sink.recv(2048) for _ in iter(int, 1)], daemon=True)
    drain.start()
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "tone.ogg")
        generate(path, arguments.seconds)
        track = Track(
            title="tone",
            location=str(path),
            kind=SourceKind.FILE,
            duration=arguments.seconds,
            codec="opus",
        )
        print(f"one core (#{arguments.core}), {arguments.seconds:.0f} s of audio per player")
        print(
            f"{'mode':<12}{'players':>8}{'bot ms/s':>10}{'ffmpeg ms/s':>13}"
            f"{'per core':>10}{'late':>7}{'frames':>8}"
        )
        for effect in (Effect.NONE, Effect.NIGHTCORE):
            mode = "passthrough" if effect is Effect.NONE else "nightcore"
            counts = [1, *(int(step) for step in arguments.steps.split(","))]
            held = 0
            for count in counts:
                result = run_round(track, count, effect, sink.getsockname(), loop)
                print(
                    f"{mode:<12}{count:>8}{result.bot_ms_per_player_second:>10.2f}"
                    f"{result.ffmpeg_ms_per_player_second:>13.2f}"
                    f"{result.players_per_core:>10.0f}{result.late:>7}"
                    f"{result.frames:>8}"
                )
                if result.late:
                    print(f"{mode:<12}{'':>8}  late frames from {count} players on: stop")
                    break
                held = count
            print(f"{mode}: the most players one core held without a late frame: {held}")
    loop.call_soon_threadsafe(loop.stop)


if __name__ == "__main__":
    main()
