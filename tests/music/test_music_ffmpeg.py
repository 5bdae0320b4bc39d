"""FFmpeg's arguments: passthrough when nothing changes the audio, filters from a position."""

from __future__ import annotations

import shlex

import pytest

from botfleet.bots.music.services.ffmpeg import EFFECTS, Effect, plan_source
from botfleet.bots.music.services.tracks import SourceKind, Track

OPUS_FILE = Track(title="a", location="/m/a.ogg", kind=SourceKind.FILE, duration=60, codec="opus")
MP3_LINK = Track(title="b", location="https://x/b.mp3", kind=SourceKind.HTTP, codec="mp3")
RADIO = Track(title="r", location="https://x/live", kind=SourceKind.STREAM)


def test_an_opus_file_without_effect_is_copied_untouched() -> None:
    plan = plan_source(OPUS_FILE, start=0, volume=100, effect=Effect.NONE)
    assert plan.passthrough
    assert plan.filters is None
    assert "-reconnect" not in plan.before_options
    assert "-ss" not in plan.before_options


def test_other_codecs_are_encoded_by_ffmpeg_without_filters() -> None:
    plan = plan_source(MP3_LINK, start=0, volume=100, effect=Effect.NONE)
    assert (plan.passthrough, plan.codec, plan.filters) == (False, None, None)
    assert "-reconnect 1" in plan.before_options


def test_volume_and_effect_filters_start_at_the_position() -> None:
    plan = plan_source(OPUS_FILE, start=12.5, volume=50, effect=Effect.NIGHTCORE)
    assert not plan.passthrough
    assert plan.filters == "asetrate=48000*1.25,aresample=48000,volume=0.50"
    assert shlex.split(plan.before_options)[-2:] == ["-ss", "12.500"]
    assert plan.rate == 1.25
    assert plan.start == 12.5


@pytest.mark.parametrize("effect", list(Effect))
def test_every_effect_has_a_label_and_filters_unless_none(effect: Effect) -> None:
    spec = EFFECTS[effect]
    assert spec.label
    assert bool(spec.filters) is (effect is not Effect.NONE)


def test_a_stream_is_never_seeked() -> None:
    plan = plan_source(RADIO, start=30, volume=100, effect=Effect.NONE)
    assert "-ss" not in plan.before_options
    assert plan.start == 0


def test_volume_outside_the_range_is_a_bug() -> None:
    with pytest.raises(ValueError, match="outside"):
        plan_source(OPUS_FILE, start=0, volume=201, effect=Effect.NONE)
