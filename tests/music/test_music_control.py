"""Positions members type, seek and forward arithmetic, and vote-skip counting."""

from __future__ import annotations

import pytest

from botfleet.bots.music.services.control import (
    SkipVote,
    parse_position,
    seek_target,
    shifted_position,
    votes_needed,
)
from botfleet.bots.music.services.tracks import SourceKind, Track, format_clock
from botfleet.errors import UserError

SONG = Track(title="Song", location="/m/song.ogg", kind=SourceKind.FILE, duration=200.0)
RADIO = Track(title="Radio", location="http://radio/live", kind=SourceKind.STREAM)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1:23", 83),
        ("01:02:03", 3723),
        ("83", 83),
        ("83s", 83),
        ("1m23s", 83),
        ("2m", 120),
        ("1h", 3600),
        (" 0:05 ", 5),
        ("12.5", 12.5),
    ],
)
def test_positions_members_type(text: str, seconds: float) -> None:
    assert parse_position(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1:99", "1::2", "-5", "1:2:3:4", "9" * 20])
def test_positions_that_are_not_times_are_explained(text: str) -> None:
    with pytest.raises(UserError, match="1:23"):
        parse_position(text)


def test_seek_stays_inside_the_track_and_refuses_streams() -> None:
    assert seek_target(SONG, 42) == 42
    with pytest.raises(UserError, match="only 3:20 long"):
        seek_target(SONG, 200)
    with pytest.raises(UserError, match="live stream"):
        seek_target(RADIO, 1)


def test_forward_and_rewind_clamp_to_the_bounds() -> None:
    assert shifted_position(SONG, 100, 30) == 130
    assert shifted_position(SONG, 190, 30) == 200
    assert shifted_position(SONG, 10, -30) == 0
    with pytest.raises(UserError, match="live stream"):
        shifted_position(RADIO, 0, 10)


def test_votes_needed_rounds_up_and_is_never_zero() -> None:
    assert votes_needed(0, 0.5) == 1
    assert votes_needed(3, 0.5) == 2
    assert votes_needed(4, 0.5) == 2
    assert votes_needed(5, 1.0) == 5


def test_a_vote_counts_present_listeners_once_and_restarts_with_a_new_track() -> None:
    vote = SkipVote(ratio=0.5)
    listeners = {1, 2, 3, 4}
    assert vote.cast("t1", 1, listeners) == (1, 2)
    with pytest.raises(UserError, match="already voted"):
        vote.cast("t1", 1, listeners)
    with pytest.raises(UserError, match="Join the bot's voice channel"):
        vote.cast("t1", 9, listeners)
    assert vote.cast("t1", 2, {2, 3, 4}) == (1, 2)  # member 1 left: their vote is gone
    assert vote.cast("t2", 3, listeners) == (1, 2)


def test_clock_format() -> None:
    assert format_clock(0) == "0:00"
    assert format_clock(83.9) == "1:23"
    assert format_clock(3723) == "1:02:03"
