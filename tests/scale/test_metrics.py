"""Per-process metrics and health: a real bot's commands show on /metrics, the dashboard
asks only for metrics we export, log lines carry the command's context, a stop drains."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from botfleet.core.drain import BotRestarting, InFlightCommands
from botfleet.metrics import FleetMetrics, HealthServer, series_names
from botfleet.metrics.fleet_metrics import MetricsNotExportedError
from botfleet.metrics.log_context import install_log_context, set_log_context
from botfleet.sandbox.pytest_plugin import FleetBotFactory
from botfleet.utils.logger import JsonFormatter

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "botfleet.json"
SERIES = re.compile(r"\bbotfleet_[a-z_]+\b")


async def test_a_bot_process_reports_its_commands_xp_and_shards(
    fleet_bot: FleetBotFactory,
) -> None:
    stage = fleet_bot("hangman")
    alice = stage.guild.add_member("alice")
    general = stage.guild.channel("general")
    async with stage.running() as bot:
        server = HealthServer(bot.metrics, {bot.name: bot.health}, host="127.0.0.1", port=0)
        await server.start()
        try:
            await alice.send(general, "good morning, word gamers")
            await alice.send(general, "h!ping")
            await general.wait_for_message(author=stage.app)
            await _until(lambda: bool(bot.gamification.xp.awards_by_source))  # saved in a task
            await (await alice.run_command(general, stage.app, "ping")).wait_for_response()
            base = f"http://127.0.0.1:{server.port}"
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{base}/health") as response:
                    health = await response.json()
                    assert response.status == 200
                async with session.get(f"{base}/metrics") as response:
                    exposition = await response.text()
        finally:
            await server.stop()
    assert health == {
        "bot": "hangman",
        "status": "ok",
        "ready": True,
        "draining": False,
        "shards": [0],
        "guild_ids": [stage.guild.guild.id],
    }
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted({"bot": "hangman", **labels}.items())))]

    assert value("botfleet_commands_total", command="ping", kind="text", outcome="ok") == 1
    assert value("botfleet_commands_total", command="ping", kind="slash", outcome="ok") == 1
    assert value("botfleet_command_duration_seconds_count", command="ping", kind="slash") == 1
    assert value("botfleet_xp_events_total", source="message") >= 1
    assert value("botfleet_guilds", shard="0") == 1
    assert value("botfleet_commands_in_flight") == 0
    assert ("botfleet_write_behind_queue_length", (("bot", "hangman"),)) in samples


async def _until(condition: Callable[[], bool]) -> None:
    """Wait (bounded) for work the bot does in a task of its own."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110  (the listener task offers nothing to await)
            await asyncio.sleep(0.02)


def test_every_dashboard_query_names_a_metric_we_export_and_every_metric_is_shown() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exported = series_names(FleetMetrics().families())
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    used: set[str] = set()
    for panel in panels:
        assert panel["title"] and panel["datasource"]["uid"] == "${datasource}"
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys()
        assert panel["targets"], f"{panel['title']} queries nothing"
        for target in panel["targets"]:
            names = set(SERIES.findall(target["expr"]))
            assert names, f"{panel['title']}: {target['expr']} names no botfleet metric"
            assert names <= exported, f"{panel['title']} asks for {names - exported}"
            used |= names
    families = {name.removesuffix("_total") for name in used} | {
        re.sub(r"_(bucket|sum|count)$", "", name) for name in used
    }
    assert set(FleetMetrics().families()) <= families, "a metric no panel shows"
    variables = {variable["name"] for variable in dashboard["templating"]["list"]}
    assert {"datasource", "bot"} <= variables


def test_unexported_metrics_count_nothing_and_exported_ones_count_a_failure_as_an_error() -> None:
    unexported = FleetMetrics(exported=False)
    unexported.command_finished("hangman", "ping", "text", seconds=0.1, failed=True)
    unexported.error("hangman", "gateway MESSAGE_CREATE")
    with pytest.raises(MetricsNotExportedError):
        unexported.exposition()
    exported = FleetMetrics()
    exported.command_finished("hangman", "ping", "text", seconds=0.1, failed=True)
    assert b'botfleet_errors_total{bot="hangman",where="text command"} 1.0' in (
        exported.exposition()
    )


def test_log_lines_carry_the_shard_guild_and_command() -> None:
    install_log_context()
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("botfleet.test.context")
    handler = Keep()
    logger.addHandler(handler)
    try:

        async def command() -> None:
            set_log_context(shard=1, guild=4242, command="rank")
            logger.warning("answered")

        asyncio.run(command())
        logger.warning("outside any command")
    finally:
        logger.removeHandler(handler)
    line = json.loads(JsonFormatter("utility").format(records[0]))
    assert (line["bot"], line["shard"], line["guild"], line["command"]) == (
        "utility",
        1,
        4242,
        "rank",
    )
    assert "command" not in json.loads(JsonFormatter("utility").format(records[1]))


async def test_a_stop_waits_for_running_commands_and_refuses_new_ones() -> None:
    commands = InFlightCommands(drain_timeout=5)
    commands.start(1)
    draining = asyncio.create_task(commands.drain())
    await asyncio.sleep(0)  # the drain begins
    with pytest.raises(BotRestarting):
        commands.start(2)
    assert not draining.done()
    assert commands.finish(1) is not None
    assert await draining == 0


async def test_a_drain_gives_up_after_its_timeout() -> None:
    commands = InFlightCommands(drain_timeout=0.05)
    commands.start(1)
    assert await commands.drain() == 1
