"""The XP pipeline end to end, against the same machine's raw ceiling, and leaderboard reads at
a million members.

Run::

    .venv/bin/python benchmarks/xp_pipeline.py \\
        --postgres postgresql://postgres@127.0.0.1:5432/test --redis redis://127.0.0.1:6379/0

SQLite with the memory cache is always measured; PostgreSQL with Redis when both URLs are
given (a temporary database is created next to the one named, and dropped; Redis keys live
under a prefix of this run's own, and are deleted). Figures are printed, never asserted.

* **Pipeline**: realistic chat traffic (many members in many guilds, a few very chatty, the 60 s
  cooldown, some commands and game results) goes through the whole award path of one bot
  process: guild rules, cooldown, buffer, and the background saves, until the last award is
  saved. Reported: events/s, awards/s, and the latency of each award call (p50, p99).
* **Raw ceiling**, in the same run: the same saved writes without the framework, through the
  bare driver (one upsert per award and row, one transaction per batch) and, with Redis, a bare
  Redis pipeline of the same guild leases and ranking increments. The pipeline's figure reads
  as a fraction of these.
* **Crash exposure**: traffic at half the measured throughput for a few seconds; the most
  awards ever waiting in the buffer is what a SIGKILL at the worst moment would lose (the
  design bound: ``flush_interval``, 2 s, of awards).
* **A million members**: a top-10 page and one member's rank on a board of 1,000,000 members,
  from the database (ranking index) and from the Redis sorted set.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from redis.asyncio import Redis

from botfleet.cache import CacheHierarchy, MemoryCache, ResilientRedis
from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.gamification import Board, Gamification, GamificationOptions, XPAward, XPSource
from botfleet.gamification.database_rankings import DatabaseRankings
from botfleet.gamification.periods import Period, period_start
from botfleet.gamification.redis_rankings import RedisRankings

EVENTS = 60_000
MEMBERS = 20_000
GUILDS = 100
EVENTS_PER_SIMULATED_SECOND = 100
BIG_BOARD = 1_000_000
BIG_GUILD = 424_242
READ_REPEATS = 25
GAME_WIN_XP = 25
GAME_WIN_COUNTERS = {"games": 1, "wins": 1, "benchmark:win": 1}
"""A won game as ``XPSystem.report_game(..., save_now=False)`` buffers it, seen as its award."""
PACED_SECONDS = 8


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    user_id: int
    guild_id: int
    channel_id: int
    sent_at: datetime


def chat_traffic(count: int, seed: int = 7) -> list[Event]:
    """Messages (90 %), commands (8 %) and game results (2 %) from members of various zeal."""
    rng = random.Random(seed)
    homes = [(1 + rng.randrange(GUILDS), 1 + rng.randrange(GUILDS)) for _ in range(MEMBERS)]
    zeal = [rng.paretovariate(1.3) for _ in range(MEMBERS)]
    speakers = rng.choices(range(MEMBERS), weights=zeal, k=count)
    start = datetime.now(UTC)
    events = []
    for index, member in enumerate(speakers):
        roll = rng.random()
        kind = "message" if roll < 0.90 else "command" if roll < 0.98 else "game"
        guild = homes[member][0] if rng.random() < 0.8 else homes[member][1]
        sent_at = start + timedelta(seconds=index / EVENTS_PER_SIMULATED_SECOND)
        events.append(Event(kind, 10_000 + member, guild, guild * 10, sent_at))
    return events


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def line(label: str, value: str) -> None:
    print(f"  {label:<52} {value}")


@dataclass
class PipelineResult:
    awards: list[XPAward]
    events_per_second: float


@dataclass
class Feed:
    latencies: list[float]
    awards: list[XPAward]
    most_pending: int
    seconds: float


def record_awards(gamification: Gamification) -> list[XPAward]:
    """Every award the XP system buffers, in order (a message's award is buffered when its
    cooldown claim is answered, after its handler returned)."""
    awards: list[XPAward] = []
    add = gamification.xp.writer.add

    def recorded(award: XPAward) -> XPAward | None:
        kept = add(award)
        if kept is not None:
            awards.append(kept)
        return kept

    gamification.xp.writer.add = recorded  # type: ignore[method-assign]
    return awards


async def feed(gamification: Gamification, events: list[Event], pace: float | None) -> Feed:
    """Send events through the award path, as fast as possible or ``pace`` per second; a
    message as the XP cog's listener sends it (not waiting for its cooldown's verdict)."""
    latencies: list[float] = []
    awards = record_awards(gamification)
    most_pending = 0
    started = time.perf_counter()
    for index, event in enumerate(events):
        if pace is not None:
            await asyncio.sleep(max(0.0, started + index / pace - time.perf_counter()))
        before = time.perf_counter()
        if event.kind == "message":
            await gamification.xp.award_message_deferred(
                event.user_id, event.guild_id, event.channel_id, sent_at=event.sent_at.timestamp()
            )
        elif event.kind == "command":
            await gamification.xp.award_command(
                event.user_id, "play", guild_id=event.guild_id, channel_id=event.channel_id
            )
        else:
            await gamification.xp.award_xp(
                event.user_id,
                GAME_WIN_XP,
                "game:benchmark:win",
                guild_id=event.guild_id,
                channel_id=event.channel_id,
                source=XPSource.GAME,
                counters=GAME_WIN_COUNTERS,
            )
        latencies.append(time.perf_counter() - before)
        most_pending = max(most_pending, gamification.xp.pending_awards)
        await asyncio.sleep(0)
    await gamification.xp.cooldowns.settled()
    return Feed(latencies, awards, most_pending, time.perf_counter() - started)


async def run_pipeline(
    label: str, database: Database, cache: CacheHierarchy, prefix: str, events: list[Event]
) -> PipelineResult:
    gamification = Gamification(database, cache, bot_name="hangman", key_prefix=prefix)
    await gamification.start()
    started = time.perf_counter()
    fed = await feed(gamification, events, None)
    await gamification.stop()
    elapsed = time.perf_counter() - started
    rate = len(events) / elapsed
    print(f"\n{label}: {len(events):,} events, {len(fed.awards):,} awarded (the rest in cooldown)")
    line("events/s, until the last award is saved", f"{rate:>12,.0f}")
    line("awards saved/s", f"{len(fed.awards) / elapsed:>12,.0f}")
    line("hot path only (feeding the events), events/s", f"{len(events) / fed.seconds:>12,.0f}")
    line("latency per award call, p50", f"{percentile(fed.latencies, 0.50) * 1e6:>9,.0f} µs")
    line("latency per award call, p99", f"{percentile(fed.latencies, 0.99) * 1e6:>9,.0f} µs")
    line("backlog at full speed: most awards waiting", f"{fed.most_pending:>12,}")

    # Below saturation, what waits in the buffer is what a crash would lose.
    pace = rate / 2
    later = [
        Event(e.kind, e.user_id + 10 * MEMBERS, e.guild_id, e.channel_id, e.sent_at)
        for e in events[: int(pace * PACED_SECONDS)]
    ]
    paced_system = Gamification(database, cache, bot_name="hangman", key_prefix=prefix)
    await paced_system.start()
    paced = await feed(paced_system, later, pace)
    await paced_system.stop()
    award_rate = len(paced.awards) / paced.seconds
    line(
        f"crash exposure at {pace:,.0f} events/s: most awards unsaved",
        f"{paced.most_pending:>12,}  (≈ {paced.most_pending / award_rate:.2f} s of awards)",
    )
    return PipelineResult(fed.awards, rate)


def board_rows(award: XPAward) -> Iterator[tuple[int | None, str, str, date, int]]:
    """(guild, category, period, period start, value) of every leaderboard row an award adds to."""
    for category, value in (("xp", award.amount), *award.counters.items()):
        for scope in (award.guild_id, None):
            for period in Period:
                yield scope, category, period.value, period_start(period, award.occurred_at), value


UPSERT_USER = (
    "INSERT INTO users (id, username, total_xp, level, is_premium, premium_tier) "
    "VALUES ({0}, '', {1}, 1, false, 0) "
    "ON CONFLICT (id) DO UPDATE SET total_xp = users.total_xp + excluded.total_xp"
)
UPSERT_MEMBER = (
    "INSERT INTO member_xp (guild_id, user_id, xp, level) VALUES ({0}, {1}, {2}, 1) "
    "ON CONFLICT (guild_id, user_id) DO UPDATE SET xp = member_xp.xp + excluded.xp"
)
UPSERT_GUILD_ROW = (
    "INSERT INTO leaderboard_entries (user_id, guild_id, category, period, period_start, value) "
    "VALUES ({0}, {1}, {2}, {3}, {4}, {5}) "
    "ON CONFLICT (user_id, guild_id, category, period, period_start) "
    "DO UPDATE SET value = leaderboard_entries.value + excluded.value"
)
UPSERT_GLOBAL_ROW = (
    "INSERT INTO leaderboard_entries (user_id, guild_id, category, period, period_start, value) "
    "VALUES ({0}, NULL, {1}, {2}, {3}, {4}) "
    "ON CONFLICT (user_id, category, period, period_start) WHERE guild_id IS NULL "
    "DO UPDATE SET value = leaderboard_entries.value + excluded.value"
)


def raw_parameters(batch: list[XPAward]) -> dict[str, list[tuple[Any, ...]]]:
    rows: dict[str, list[tuple[Any, ...]]] = {"user": [], "member": [], "guild": [], "global": []}
    for award in batch:
        rows["user"].append((award.user_id, award.amount))
        rows["member"].append((award.guild_id, award.user_id, award.amount))
        for scope, category, period, start, value in board_rows(award):
            if scope is None:
                rows["global"].append((award.user_id, category, period, start, value))
            else:
                rows["guild"].append((award.user_id, scope, category, period, start, value))
    return rows


def batches(awards: list[XPAward], size: int) -> Iterator[list[XPAward]]:
    for start in range(0, len(awards), size):
        yield awards[start : start + size]


def sqlite_ceiling(path: Path, awards: list[XPAward], batch_size: int) -> float:
    """The same writes with the bare sqlite3 driver; returns seconds."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    statements = {
        "user": UPSERT_USER.format("?", "?"),
        "member": UPSERT_MEMBER.format("?", "?", "?"),
        "guild": UPSERT_GUILD_ROW.format("?", "?", "?", "?", "?", "?"),
        "global": UPSERT_GLOBAL_ROW.format("?", "?", "?", "?", "?"),
    }
    started = time.perf_counter()
    for batch in batches(awards, batch_size):
        rows = raw_parameters(batch)
        connection.execute("BEGIN IMMEDIATE")
        for name, statement in statements.items():
            connection.executemany(
                statement,
                (
                    [item.isoformat() if isinstance(item, date) else item for item in row]
                    for row in rows[name]
                ),
            )
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


async def postgres_ceiling(url: str, awards: list[XPAward], batch_size: int) -> float:
    """The same writes with bare asyncpg ``executemany``; returns seconds."""
    connection = await asyncpg.connect(url)
    statements = {
        "user": UPSERT_USER.format("$1", "$2"),
        "member": UPSERT_MEMBER.format("$1", "$2", "$3"),
        "guild": UPSERT_GUILD_ROW.format("$1", "$2", "$3", "$4", "$5", "$6"),
        "global": UPSERT_GLOBAL_ROW.format("$1", "$2", "$3", "$4", "$5"),
    }
    started = time.perf_counter()
    try:
        for batch in batches(awards, batch_size):
            rows = raw_parameters(batch)
            async with connection.transaction():
                for name, statement in statements.items():
                    await connection.executemany(statement, rows[name])
    finally:
        await connection.close()
    return time.perf_counter() - started


async def redis_ceiling(url: str, prefix: str, events: list[Event], awards: list[XPAward]) -> float:
    """A bare Redis pipeline of the same lease requests (one per guild: who awards its chat
    XP) and ranking increments; seconds."""
    client = Redis.from_url(url, decode_responses=True)
    started = time.perf_counter()
    try:
        async with client.pipeline(transaction=False) as pipe:
            for guild_id in dict.fromkeys(e.guild_id for e in events if e.kind == "message"):
                pipe.set(f"{prefix}raw:lease:{guild_id}", "raw", px=6000, nx=True)
            await pipe.execute()
            for count, award in enumerate(awards):
                for scope, category, period, start, value in board_rows(award):
                    pipe.zincrby(
                        f"{prefix}raw:lb:{scope}:{category}:{period}:{start}",
                        value,
                        f"{award.user_id:020d}",
                    )
                if count % 100 == 99:
                    await pipe.execute()
            await pipe.execute()
    finally:
        await client.aclose()
    return time.perf_counter() - started


def report_ceiling(label: str, seconds: float, events: int, pipeline_rate: float) -> None:
    rate = events / seconds
    line(label, f"{rate:>12,.0f}  (pipeline = {pipeline_rate / rate:.0%} of it)")


async def timed(operation: Callable[[], Awaitable[object]]) -> float:
    """Median seconds of ``operation`` over READ_REPEATS runs."""
    samples = []
    for _ in range(READ_REPEATS):
        started = time.perf_counter()
        await operation()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def fill_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN")
    connection.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT OR IGNORE INTO users (id, username, total_xp, level, is_premium, premium_tier) "
        "SELECT i, 'member', 0, 1, 0, 0 FROM n",
        (BIG_BOARD,),
    )
    connection.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO leaderboard_entries (user_id, guild_id, category, period, period_start, value)"
        " SELECT i, ?, 'xp', 'all_time', '1970-01-01', 1 + (i * 7919) % 1000003 FROM n",
        (BIG_BOARD, BIG_GUILD),
    )
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()


async def fill_postgres(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO users (id, username) SELECT g, 'member' FROM generate_series(1, $1) g "
            "ON CONFLICT DO NOTHING",
            BIG_BOARD,
        )
        await connection.execute(
            "INSERT INTO leaderboard_entries "
            "(user_id, guild_id, category, period, period_start, value) "
            "SELECT g, $2, 'xp', 'all_time', DATE '1970-01-01', 1 + (g::bigint * 7919) % 1000003 "
            "FROM generate_series(1, $1) g",
            BIG_BOARD,
            BIG_GUILD,
        )
        # What autovacuum does soon after a bulk load: statistics and the visibility map.
        await connection.execute("VACUUM (ANALYZE) users, leaderboard_entries")
    finally:
        await connection.close()


async def big_board(label: str, database: Database, rankings: RedisRankings | None) -> None:
    board = Board.current("xp", "all_time", BIG_GUILD)
    middle = BIG_BOARD // 2
    from_database = DatabaseRankings(database)
    print(f"\n{label}: a board of {BIG_BOARD:,} members")
    top = await timed(lambda: from_database.top(board, 0, 10))
    size = await timed(lambda: from_database.size(board))
    rank = await timed(lambda: from_database.rank(board, middle))
    line("database: top 10", f"{top * 1000:>9.2f} ms")
    line("database: member count (for the page count)", f"{size * 1000:>9.2f} ms")
    line("database: one member's rank (middle of the board)", f"{rank * 1000:>9.2f} ms")
    if rankings is None:
        return
    started = time.perf_counter()
    await rankings.hydrate(board)
    line(
        "Redis: building the sorted set from the database",
        f"{time.perf_counter() - started:>9.2f} s",
    )
    top = await timed(lambda: rankings.read(board, 0, 10))
    rank = await timed(lambda: rankings.rank(board, middle))
    line("Redis: top 10 and member count", f"{top * 1000:>9.2f} ms")
    line("Redis: one member's rank", f"{rank * 1000:>9.2f} ms")


async def sqlite_run(events: list[Event], batch_size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/pipeline.db"
        await upgrade(url)
        database = Database(url)
        try:
            result = await run_pipeline(
                "SQLite + memory cache", database, CacheHierarchy(MemoryCache(10_000)), "", events
            )
        finally:
            await database.dispose()
        ceiling_path = Path(folder) / "ceiling.db"
        await upgrade(f"sqlite+aiosqlite:///{ceiling_path}")
        seconds = await asyncio.to_thread(sqlite_ceiling, ceiling_path, result.awards, batch_size)
        report_ceiling(
            "raw ceiling: same writes, bare sqlite3, events/s",
            seconds,
            len(events),
            result.events_per_second,
        )

        big_path = Path(folder) / "big.db"
        await upgrade(f"sqlite+aiosqlite:///{big_path}")
        await asyncio.to_thread(fill_sqlite, big_path)
        big = Database(f"sqlite+aiosqlite:///{big_path}")
        try:
            await big_board("SQLite", big, None)
        finally:
            await big.dispose()


@dataclass
class Scratch:
    """Migrated temporary PostgreSQL databases and a Redis key prefix of one run's own."""

    urls: list[str]
    redis: ResilientRedis
    cache: CacheHierarchy
    prefix: str


@asynccontextmanager
async def scratch_backends(
    admin_url: str, redis_url: str, label: str, databases: int = 1
) -> AsyncIterator[Scratch]:
    """Databases created next to ``admin_url`` and keys under a fresh prefix; all removed after."""
    stem = f"botfleet_{label}_{uuid.uuid4().hex[:8]}"
    names = [stem, *(f"{stem}_{index}" for index in range(1, databases))]
    base = admin_url.rpartition("/")[0]
    prefix = f"botfleet-{label}:{uuid.uuid4().hex[:8]}:"
    redis = ResilientRedis.from_url(redis_url, retry_interval=5)
    cache = CacheHierarchy(MemoryCache(10_000), redis, key_prefix=prefix, owns_redis=True)
    admin = await asyncpg.connect(admin_url)
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
            await upgrade(f"{base}/{name}")
        yield Scratch([f"{base}/{name}" for name in names], redis, cache, prefix)
    finally:
        client = redis.client
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.unlink(*keys[start : start + 1000])  # freed in the background
        await cache.close()
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def postgres_run(
    admin_url: str, redis_url: str, events: list[Event], batch_size: int
) -> None:
    async with scratch_backends(admin_url, redis_url, "bench", databases=2) as scratch:
        url, raw_url = scratch.urls
        database = Database(url)
        try:
            result = await run_pipeline(
                "PostgreSQL + Redis", database, scratch.cache, scratch.prefix, events
            )
            raw = await postgres_ceiling(raw_url, result.awards, batch_size)
            report_ceiling(
                "raw ceiling: same writes, bare asyncpg, events/s",
                raw,
                len(events),
                result.events_per_second,
            )
            raw = await redis_ceiling(redis_url, scratch.prefix, events, result.awards)
            report_ceiling(
                "raw ceiling: same leases and ranks, bare Redis pipeline",
                raw,
                len(events),
                result.events_per_second,
            )
            await fill_postgres(url)
            rankings = RedisRankings(scratch.redis, scratch.prefix, database)
            await big_board("PostgreSQL + Redis", database, rankings)
        finally:
            await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres", help="an admin URL of PostgreSQL (a database is created next to it)"
    )
    parser.add_argument("--redis", help="Redis URL (needed with --postgres)")
    parser.add_argument("--events", type=int, default=EVENTS)
    args = parser.parse_args()
    events = chat_traffic(args.events)
    batch_size = GamificationOptions().flush_batch_size
    print(
        f"{args.events:,} events from {MEMBERS:,} members in {GUILDS} guilds, "
        f"{EVENTS_PER_SIMULATED_SECOND}/s of simulated chat time; one bot process"
    )
    await sqlite_run(events, batch_size)
    if args.postgres and args.redis:
        await postgres_run(args.postgres, args.redis, events, batch_size)


if __name__ == "__main__":
    asyncio.run(main())
