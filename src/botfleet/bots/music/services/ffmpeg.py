"""How FFmpeg is asked to play a track: where to start, which filters, whether to re-encode.

Every source is an Opus stream FFmpeg produces (discord.py's ``FFmpegOpusAudio``), so the bot
process never encodes audio. With no effect and full volume a track whose codec is already Opus
is copied packet by packet (true passthrough); anything else is encoded once, inside FFmpeg,
with the filters in the same pass. A change of effect or volume starts a new FFmpeg at the
position reached, which ``-ss`` before the input makes a fast seek.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from enum import StrEnum

from botfleet.bots.music.services.tracks import SourceKind, Track

SAMPLE_RATE = 48_000
MAX_VOLUME = 200
RECONNECT_OPTIONS = (
    "-reconnect",
    "1",
    "-reconnect_streamed",
    "1",
    "-reconnect_on_network_error",
    "1",
    "-reconnect_delay_max",
    "5",
)
"""FFmpeg's HTTP options that reopen a dropped connection (radio streams, long files)."""


class Effect(StrEnum):
    """The effects a member may choose, one at a time."""

    NONE = "none"
    BASS_BOOST = "bassboost"
    NIGHTCORE = "nightcore"
    SPEED = "speed"
    VAPORWAVE = "vaporwave"
    LOW_PASS = "lowpass"  # noqa: S105  # nosec B105  # an effect's name
    NORMALISE = "normalise"


@dataclass(frozen=True, slots=True)
class EffectSpec:
    """An effect's FFmpeg filter chain and how fast it plays through the source."""

    label: str
    filters: tuple[str, ...]
    rate: float = 1.0
    """Seconds of the source heard per second played (nightcore is faster, vaporwave slower)."""


EFFECTS: dict[Effect, EffectSpec] = {
    Effect.NONE: EffectSpec("No effect", ()),
    Effect.BASS_BOOST: EffectSpec("Bass boost", ("bass=g=8:f=110:w=0.6",)),
    Effect.NIGHTCORE: EffectSpec(
        "Nightcore", (f"asetrate={SAMPLE_RATE}*1.25", f"aresample={SAMPLE_RATE}"), rate=1.25
    ),
    Effect.SPEED: EffectSpec("Speed ×1.25", ("atempo=1.25",), rate=1.25),
    Effect.VAPORWAVE: EffectSpec(
        "Vaporwave", (f"asetrate={SAMPLE_RATE}*0.8", f"aresample={SAMPLE_RATE}"), rate=0.8
    ),
    Effect.LOW_PASS: EffectSpec("Low-pass", ("lowpass=f=800",)),
    Effect.NORMALISE: EffectSpec(
        "Normalise", ("loudnorm=I=-16:TP=-1.5:LRA=11", f"aresample={SAMPLE_RATE}")
    ),
}


@dataclass(frozen=True, slots=True)
class SourcePlan:
    """The arguments of one FFmpeg run, in the shape ``FFmpegOpusAudio`` takes them."""

    location: str
    before_options: str
    options: str
    codec: str | None
    """``"opus"`` makes discord.py copy the packets; None lets FFmpeg encode with libopus."""
    rate: float
    start: float

    @property
    def passthrough(self) -> bool:
        """Whether FFmpeg only remuxes (no decoding, no encoding)."""
        return self.codec == "opus"

    @property
    def filters(self) -> str | None:
        """The ``-af`` chain, if any (for logs and tests)."""
        arguments = shlex.split(self.options)
        return arguments[arguments.index("-af") + 1] if "-af" in arguments else None


def filter_chain(effect: Effect, volume: int) -> tuple[str, ...]:
    """The filters for an effect at a volume (percent); empty when the audio is untouched."""
    filters = list(EFFECTS[effect].filters)
    if volume != 100:
        filters.append(f"volume={volume / 100:.2f}")
    return tuple(filters)


def plan_source(track: Track, *, start: float, volume: int, effect: Effect) -> SourcePlan:
    """The FFmpeg run that plays ``track`` from ``start`` seconds with volume and effect."""
    if not 0 <= volume <= MAX_VOLUME:
        raise ValueError(f"volume {volume} is outside 0..{MAX_VOLUME}")
    before: list[str] = ["-nostdin"]
    if track.kind is not SourceKind.FILE:
        before.extend(RECONNECT_OPTIONS)
    if start > 0 and track.is_seekable:
        before.extend(("-ss", f"{start:.3f}"))
    filters = filter_chain(effect, volume)
    options: list[str] = ["-vn", "-sn", "-dn"]
    if filters:
        options.extend(("-af", ",".join(filters)))
    codec = "opus" if not filters and track.codec == "opus" else None
    return SourcePlan(
        location=track.location,
        before_options=shlex.join(before),
        options=shlex.join(options),
        codec=codec,
        rate=EFFECTS[effect].rate,
        start=start if track.is_seekable else 0.0,
    )
