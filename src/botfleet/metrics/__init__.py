"""Observability of a bot process: Prometheus metrics, the health endpoint, log context."""

from botfleet.metrics.fleet_metrics import BotReadings, FleetMetrics, series_names
from botfleet.metrics.server import BotHealth, HealthServer

__all__ = ["BotHealth", "BotReadings", "FleetMetrics", "HealthServer", "series_names"]
