"""What a bot process counts for Prometheus: its commands, errors, and the state it is read for.

Counters and histograms the bot updates as things happen go through :class:`FleetMetrics`;
what is a state rather than an event (gateway latency, guilds, XP waiting to be written, cache
and XP totals kept by the services) is read from each bot when Prometheus scrapes, so the
services stay free of Prometheus. One set of metrics per process: with several bots in one
process, the ``bot`` label tells them apart.

prometheus_client (about 1.5 MB resident) is imported only by metrics that are exported: a
process without ``health.port`` serves no ``/metrics``, so nothing could read what it counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botfleet.metrics.prometheus import PrometheusMetrics

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""Prometheus's text format, as ``/metrics`` serves it."""


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


class MetricsNotExportedError(RuntimeError):
    """Metrics made with ``exported=False`` were asked for what they never counted."""


class FleetMetrics:
    """The metrics of one process; ``exported=False`` counts nothing and loads no Prometheus."""

    def __init__(self, *, exported: bool = True) -> None:
        self.sources: dict[str, Callable[[], BotReadings]] = {}
        """Each watched bot's readings, read at every scrape."""
        self._prometheus: PrometheusMetrics | None = None
        if exported:
            from botfleet.metrics.prometheus import (  # noqa: PLC0415  (only when exported)
                PrometheusMetrics,
            )

            self._prometheus = PrometheusMetrics(self.sources)

    @property
    def exported(self) -> bool:
        return self._prometheus is not None

    def watch(self, bot: str, read: Callable[[], BotReadings]) -> None:
        """Read ``bot``'s state at every scrape."""
        self.sources[bot] = read

    def unwatch(self, bot: str) -> None:
        self.sources.pop(bot, None)

    def command_finished(
        self, bot: str, command: str, kind: str, *, seconds: float, failed: bool
    ) -> None:
        """Count one command with its duration; a failed one counts as an error too."""
        if self._prometheus is not None:
            self._prometheus.command_finished(bot, command, kind, seconds=seconds, failed=failed)

    def error(self, bot: str, where: str) -> None:
        """Count an error answered or logged ``where`` (a command kind, a gateway event)."""
        if self._prometheus is not None:
            self._prometheus.errors.labels(bot, where).inc()

    def exposition(self) -> bytes:
        """Every metric in Prometheus's text format."""
        return self._exported().exposition()

    def families(self) -> dict[str, str]:
        """Each metric family this process exports and its type (counter, gauge, histogram)."""
        return self._exported().families()

    def _exported(self) -> PrometheusMetrics:
        if self._prometheus is None:
            raise MetricsNotExportedError("these metrics are not exported (health.port unset)")
        return self._prometheus


SERIES_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
}
"""The series Prometheus stores for a family of each type, which is what queries name."""


def series_names(families: Mapping[str, str]) -> set[str]:
    """The series names of the families: what a dashboard's query may use."""
    return {name + suffix for name, kind in families.items() for suffix in SERIES_SUFFIXES[kind]}
