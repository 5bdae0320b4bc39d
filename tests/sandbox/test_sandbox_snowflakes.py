"""Snowflakes carry the time they were made, as discord.py assumes."""

from __future__ import annotations

import datetime

import discord
from hypothesis import given
from hypothesis import strategies as st

from botfleet.sandbox.snowflakes import SnowflakeGenerator, iso_timestamp, snowflake_time


def test_ids_encode_the_current_time_the_way_discord_py_reads_it() -> None:
    before = datetime.datetime.now(datetime.UTC)
    snowflake = SnowflakeGenerator().next()
    after = datetime.datetime.now(datetime.UTC)
    encoded = discord.utils.snowflake_time(snowflake)
    assert before - datetime.timedelta(milliseconds=1) <= encoded <= after
    assert snowflake_time(snowflake) == encoded


def test_ids_are_unique_and_increasing_even_within_one_millisecond() -> None:
    generator = SnowflakeGenerator()
    ids = [generator.next() for _ in range(10_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


@given(st.integers(min_value=0, max_value=31), st.integers(min_value=0, max_value=31))
def test_worker_and_process_ids_are_encoded(worker_id: int, process_id: int) -> None:
    snowflake = SnowflakeGenerator(worker_id=worker_id, process_id=process_id).next()
    assert (snowflake >> 17) & 0x1F == worker_id
    assert (snowflake >> 12) & 0x1F == process_id


def test_timestamps_are_discord_iso_strings() -> None:
    moment = datetime.datetime(2025, 12, 21, 10, 30, tzinfo=datetime.UTC)
    assert iso_timestamp(moment) == "2025-12-21T10:30:00.000000+00:00"
    assert discord.utils.parse_time(iso_timestamp(moment)) == moment
