"""Hostile member input on every parser that reads what a member typed or attached: values past
their limits, unicode and zero-width characters, markdown and mention injection, very long words.
Each parser gives a value or a ``UserError`` (the member's friendly message), never another
exception, which would reach the member as an unexpected error."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.bots.grammar.services.daily import parse_post_time
from botfleet.bots.mod.services.automod_rules import parse_actions
from botfleet.bots.mod.services.native_automod import parse_keywords
from botfleet.bots.mod.services.word_filter import parse_entry
from botfleet.bots.music.services.control import parse_position
from botfleet.bots.music.services.http_sources import parse_m3u, parse_pls
from botfleet.bots.music.services.playlists import parse_export
from botfleet.bots.spelling_bee.services.game import parse_daily_time
from botfleet.errors import UserError

HOSTILE_PIECES = [
    "@everyone",
    "@here",
    "<@&123456789012345678>",
    "<@!123456789012345678>",
    "```",
    "**",
    "||",
    "\u200b",
    "\u200d",
    "\u202e",
    "\ufeff",
    "\x00",
    "ǅ",
    "İ",
    "9" * 40,
    "-1",
    "1e309",
    "nan",
    "24:60",
    "99:99:99",
    "timeout 99999999d",
    "[playlist]",
    "File1=",
    "NumberOfEntries=1000000",
    "#EXTINF:-1,",
    '{"tracks": [',
    "x" * 5000,
    " ",
    ",",
    ":",
    "\n",
    "=",
]
hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(max_size=8), max_size=16).map("".join),
)


def anything(_: object) -> bool:
    return True


def a_time_of_day(value: object) -> bool:
    return isinstance(value, time)


def a_position(value: object) -> bool:
    return isinstance(value, float) and math.isfinite(value) and value >= 0


TEXT_PARSERS: dict[str, tuple[Callable[[str], Any], Callable[[Any], bool]]] = {
    "grammar daily time": (parse_post_time, a_time_of_day),
    "spelling bee daily time": (parse_daily_time, a_time_of_day),
    "mod automod actions": (parse_actions, anything),
    "mod native automod keywords": (parse_keywords, anything),
    "mod word filter entry": (parse_entry, anything),
    "music position": (parse_position, a_position),
    "music .m3u": (parse_m3u, anything),
    "music .pls": (parse_pls, anything),
    "music playlist file": (
        lambda text: parse_export(text.encode("utf-8", "surrogatepass")),
        anything,
    ),
}


@pytest.mark.parametrize(("parse", "valid"), TEXT_PARSERS.values(), ids=TEXT_PARSERS.keys())
@given(text=hostile_text)
def test_a_parser_answers_hostile_text_with_a_value_or_a_friendly_error(
    parse: Callable[[str], Any], valid: Callable[[Any], bool], text: str
) -> None:
    try:
        value = parse(text)
    except UserError as error:
        assert str(error).strip()
    else:
        assert valid(value), value


@given(data=st.binary(max_size=2000))
def test_an_attached_playlist_of_any_bytes_is_read_or_refused_kindly(data: bytes) -> None:
    try:
        parse_export(data)
    except UserError as error:
        assert str(error).strip()
