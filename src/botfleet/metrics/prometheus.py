"""The Prometheus side of :class:`~botfleet.metrics.fleet_metrics.FleetMetrics`: one registry
per process, its counters and histograms, and the collector that turns every watched bot's
readings into metric families at scrape time. Imported only by exported metrics.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from botfleet.metrics.fleet_metrics import BotReadings

COMMAND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds: a command answers in tens of milliseconds, an AI one in seconds."""


class _ReadingsCollector(Collector):
    """Turns every watched bot's readings into metric families at scrape time."""

    def __init__(self, sources: Mapping[str, Callable[[], BotReadings]]) -> None:
        self.sources = sources

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


class PrometheusMetrics:
    """The counters and histograms of one process, on a registry of its own."""

    def __init__(self, sources: Mapping[str, Callable[[], BotReadings]]) -> None:
        self.registry = CollectorRegistry()
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
        self.registry.register(_ReadingsCollector(sources))

    def command_finished(
        self, bot: str, command: str, kind: str, *, seconds: float, failed: bool
    ) -> None:
        self.commands.labels(bot, command, kind, "error" if failed else "ok").inc()
        self.command_duration.labels(bot, command, kind).observe(seconds)
        if failed:
            self.errors.labels(bot, f"{kind} command").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def families(self) -> dict[str, str]:
        return {family.name: family.type for family in self.registry.collect()}
