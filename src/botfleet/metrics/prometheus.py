"""The Prometheus metrics of a bot process: what its commands, gateway, XP and cache do.

Counters and histograms the bot updates as things happen live in :class:`FleetMetrics`; what
is a state rather than an event (gateway latency, guilds, XP waiting to be written, cache and
XP totals kept by the services) is read from each bot when Prometheus scrapes, so the services
stay free of Prometheus. One registry per process: with several bots in one process, the
``bot`` label tells them apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

COMMAND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds: a command answers in tens of milliseconds, an AI one in seconds."""
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class BotReadings:
    """One bot's state at scrape time."""

    shard_latencies: Mapping[int, float]
    """Shard id → heartbeat round trip in seconds (NaN before the first)."""
    shard_guilds: Mapping[int, int]
    xp_events: Mapping[str, int] = field(default_factory=dict)
    """XP awards taken since the start, by source."""
    xp_queue_length: int = 0
    """XP awards buffered for the write-behind, not yet in the database."""
    cache_reads: Mapping[str, int] = field(default_factory=dict)
    """Cache reads since the start by result: memory_hit, redis_hit, miss."""
    commands_in_flight: int = 0


class _ReadingsCollector(Collector):
    """Turns every watched bot's readings into metric families at scrape time."""

    def __init__(self) -> None:
        self.sources: dict[str, Callable[[], BotReadings]] = {}

    def collect(self) -> Iterator[Metric]:
        latency = GaugeMetricFamily(
            "botfleet_gateway_latency_seconds",
            "Heartbeat round trip of each shard's gateway connection.",
            labels=["bot", "shard"],
        )
        guilds = GaugeMetricFamily(
            "botfleet_guilds", "Guilds each shard serves.", labels=["bot", "shard"]
        )
        xp_events = CounterMetricFamily(
            "botfleet_xp_events", "XP awards taken, by source.", labels=["bot", "source"]
        )
        queue = GaugeMetricFamily(
            "botfleet_write_behind_queue_length",
            "XP awards buffered and not yet written to the database.",
            labels=["bot"],
        )
        cache = CounterMetricFamily(
            "botfleet_cache_reads",
            "Cache reads by where they were answered (memory_hit, redis_hit, miss).",
            labels=["bot", "result"],
        )
        in_flight = GaugeMetricFamily(
            "botfleet_commands_in_flight",
            "Commands started and not finished: what a stop waits for.",
            labels=["bot"],
        )
        for bot, read in sorted(self.sources.items()):
            readings = read()
            for shard, seconds in sorted(readings.shard_latencies.items()):
                if math.isfinite(seconds):
                    latency.add_metric([bot, str(shard)], seconds)
            for shard, count in sorted(readings.shard_guilds.items()):
                guilds.add_metric([bot, str(shard)], count)
            for source, count in sorted(readings.xp_events.items()):
                xp_events.add_metric([bot, source], count)
            queue.add_metric([bot], readings.xp_queue_length)
            in_flight.add_metric([bot], readings.commands_in_flight)
            for result, count in sorted(readings.cache_reads.items()):
                cache.add_metric([bot, result], count)
        yield from (latency, guilds, xp_events, queue, cache, in_flight)


class FleetMetrics:
    """The metrics of one process, on a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.commands = Counter(
            "botfleet_commands",
            "Commands run, by outcome (ok, error).",
            ["bot", "command", "kind", "outcome"],
            registry=self.registry,
        )
        self.command_duration = Histogram(
            "botfleet_command_duration_seconds",
            "From the command's start to its end.",
            ["bot", "command", "kind"],
            buckets=COMMAND_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "botfleet_errors",
            "Errors answered or logged, by where they happened.",
            ["bot", "where"],
            registry=self.registry,
        )
        self._readings = _ReadingsCollector()
        self.registry.register(self._readings)

    def watch(self, bot: str, read: Callable[[], BotReadings]) -> None:
        """Read ``bot``'s state at every scrape."""
        self._readings.sources[bot] = read

    def unwatch(self, bot: str) -> None:
        self._readings.sources.pop(bot, None)

    def exposition(self) -> bytes:
        """Every metric in Prometheus's text format."""
        return generate_latest(self.registry)

    def families(self) -> dict[str, str]:
        """Each metric family this process exports and its type (counter, gauge, histogram)."""
        return {family.name: family.type for family in self.registry.collect()}


SERIES_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
}
"""The series Prometheus stores for a family of each type, which is what queries name."""


def series_names(families: Mapping[str, str]) -> set[str]:
    """The series names of the families: what a dashboard's query may use."""
    return {name + suffix for name, kind in families.items() for suffix in SERIES_SUFFIXES[kind]}
