"""Snowflake ids that encode the moment they were made, exactly as Discord's do.

discord.py reads meaning out of ids: an interaction expires 15 minutes after the time its id
encodes, and a message younger than 10 seconds is deleted under another rate-limit bucket. A
sandbox that handed out small counters would send every interaction back to 2015, so each id
here carries the current time in its top bits.
"""

from __future__ import annotations

import datetime
import time

DISCORD_EPOCH_MS = 1_420_070_400_000
"""Milliseconds since the Unix epoch of 2015-01-01T00:00:00Z, where Discord's ids start."""

_INCREMENT_BITS = 12
_PROCESS_SHIFT = 12
_WORKER_SHIFT = 17
_TIMESTAMP_SHIFT = 22
_MAX_INCREMENT = (1 << _INCREMENT_BITS) - 1


class SnowflakeGenerator:
    """Hands out unique ids that grow with time, like Discord's id workers.

    Ids made within the same millisecond differ by their increment; after 4096 of them the
    generator borrows the next millisecond, so ids stay unique and increasing even when the
    clock stands still or steps back.
    """

    def __init__(self, *, worker_id: int = 1, process_id: int = 0) -> None:
        if not 0 <= worker_id < 32 or not 0 <= process_id < 32:
            raise ValueError("worker_id and process_id must be between 0 and 31")
        self._worker_id = worker_id
        self._process_id = process_id
        self._last_ms = 0
        self._increment = 0

    def next(self) -> int:
        """A new id encoding the current time."""
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if now_ms > self._last_ms:
            self._last_ms = now_ms
            self._increment = 0
        else:
            self._increment += 1
            if self._increment > _MAX_INCREMENT:
                self._last_ms += 1
                self._increment = 0
        return (
            (self._last_ms << _TIMESTAMP_SHIFT)
            | (self._worker_id << _WORKER_SHIFT)
            | (self._process_id << _PROCESS_SHIFT)
            | self._increment
        )

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A new id whose guild Discord would route to ``shard_id`` of ``shard_count``.

        Discord routes a guild by ``(guild_id >> 22) % shard_count``: its millisecond. The id
        takes the first millisecond from now on that lands on the shard, at most
        ``shard_count - 1`` ms ahead, so ids stay unique and increasing.
        """
        if not 0 <= shard_id < shard_count:
            raise ValueError(f"shard {shard_id} is not among the {shard_count} shards")
        snowflake = self.next()
        ahead = (shard_id - (snowflake >> _TIMESTAMP_SHIFT)) % shard_count
        if ahead:
            self._last_ms += ahead
            self._increment = 0
            snowflake = self.next()
        return snowflake

    def at(self, moment: datetime.datetime) -> int:
        """A new id encoding a past ``moment`` (an account made back then), still unique."""
        self._increment = (self._increment + 1) & _MAX_INCREMENT
        milliseconds = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
        return (
            (milliseconds << _TIMESTAMP_SHIFT)
            | (self._worker_id << _WORKER_SHIFT)
            | (31 << _PROCESS_SHIFT)
            | self._increment
        )


def snowflake_time(snowflake: int) -> datetime.datetime:
    """The UTC moment a snowflake id was made."""
    milliseconds = (snowflake >> _TIMESTAMP_SHIFT) + DISCORD_EPOCH_MS
    return datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.UTC)


def iso_timestamp(moment: datetime.datetime) -> str:
    """A timestamp in the ISO 8601 form Discord writes (microseconds, +00:00 offset)."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")
