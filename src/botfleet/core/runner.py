"""Run one bot process until Discord disconnects it or SIGTERM/SIGINT asks it to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from typing import Any

from botfleet.cache import CacheHierarchy
from botfleet.config import token_variable
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.core.definition import BotDefinition
from botfleet.core.discord_target import point_discord_at
from botfleet.database.base import Database
from botfleet.errors import BotfleetError
from botfleet.events_bus import BusUnavailableError, EventBus, bus_from_settings
from botfleet.metrics import BotHealth, FleetMetrics, HealthServer
from botfleet.metrics.log_context import install_log_context, set_log_context
from botfleet.utils.memory import release_freed_memory
from botfleet.utils.tasks import cancel_and_wait, wait_ended

log = logging.getLogger(__name__)


class MissingTokenError(BotfleetError):
    """No Discord token is configured for the bot."""

    def __init__(self, bot_name: str) -> None:
        super().__init__(
            f"no Discord token for the {bot_name} bot: set {token_variable(bot_name)} (or "
            "DISCORD_TOKEN) in the environment or .env; to try the bots without a token, run "
            "`botfleet sandbox`."
        )


async def run_bot(definition: BotDefinition, settings: Settings) -> None:
    """Log in and serve until stopped; a signal closes the bot cleanly before returning.

    With ``discord.api_base`` set, the bot talks to that Discord stand-in instead of Discord.
    """
    token = _token(definition.name, settings)
    metrics = FleetMetrics(exported=settings.health.port is not None)
    bot = FleetBot(definition, settings, metrics=metrics)
    async with _process(settings, metrics, {bot.name: bot.health}) as stop:
        await _serve(bot, token, stop, _release_memory_when_ready)


async def run_together(
    bots: Sequence[tuple[BotDefinition, Settings]], fleet: Settings
) -> dict[str, Exception | None]:
    """Run every bot in this process: one loop, database pool, cache and event bus, each bot
    its own client and token, until a signal stops them; return how each bot ended.

    ``fleet`` (the settings of no bot in particular) gives the shared pieces; a bot that fails
    to start ends with its error and the others go on.
    """
    tokens = {definition.name: _token(definition.name, settings) for definition, settings in bots}
    database = Database.from_settings(fleet)
    cache = CacheHierarchy.from_settings(fleet)
    metrics = FleetMetrics(exported=fleet.health.port is not None)
    bus = bus_from_settings(fleet, cache.redis)
    fleet_bots = [
        FleetBot(definition, settings, database=database, cache=cache, metrics=metrics, bus=bus)
        for definition, settings in bots
    ]
    late_after = fleet.bot.late_after

    async def join_bus(bot: FleetBot) -> None:
        await _consume_when_ready(bus, bot, late_after)
        await release_freed_memory()

    async def serve(bot: FleetBot) -> None:
        """Run ``bot``; when it stops on an error, say so at once (the process goes on serving
        the others, and says how each ended only when it stops)."""
        try:
            await _serve(bot, tokens[bot.name], stop, join_bus)
        except Exception as exc:
            log.error(
                "%s stopped (%s: %s); the other bots go on", bot.name, type(exc).__name__, exc
            )
            raise

    try:
        async with _process(fleet, metrics, {bot.name: bot.health for bot in fleet_bots}) as stop:
            await cache.start()
            await _start_bus(bus)
            outcomes = await asyncio.gather(
                *(serve(bot) for bot in fleet_bots),
                return_exceptions=True,
            )
    finally:
        await bus.close()
        await cache.close()
        await database.dispose()
    ended: dict[str, Exception | None] = {}
    for bot, outcome in zip(fleet_bots, outcomes, strict=True):
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome  # a cancellation or an interrupt is the process's, not the bot's
        ended[bot.name] = outcome
    return ended


async def _start_bus(bus: EventBus) -> None:
    """Connect the fleet's bus before any bot is ready: no bot waits for another."""
    try:
        await bus.start()
    except BusUnavailableError as exc:
        log.error("the event bus could not start (%s); cross-bot events wait for it", exc)


async def _release_memory_when_ready(bot: FleetBot) -> None:
    await bot.wait_until_ready()
    await release_freed_memory()


async def _consume_when_ready(bus: EventBus, bot: FleetBot, late_after: float) -> None:
    """Deliver ``bot``'s cross-bot events once it is ready (its extensions subscribed);
    a bot still not ready after ``late_after`` seconds is logged, the others go on."""
    ready = asyncio.create_task(bot.wait_until_ready(), name=f"{bot.name}-ready")
    try:
        if not (await asyncio.wait({ready}, timeout=late_after))[0]:
            log.warning(
                "%s is not ready after %.0f s; the other bots go on, its cross-bot events wait "
                "until it is",
                bot.name,
                late_after,
            )
            await ready
            log.info("%s is ready at last; its cross-bot events follow", bot.name)
    finally:
        ready.cancel()
    try:
        await bus.consume(bot.name)
    except BusUnavailableError as exc:
        log.error("%s cannot receive cross-bot events (%s)", bot.name, exc)
        return
    log.info("%s receives its cross-bot events", bot.name)


def _token(bot_name: str, settings: Settings) -> str:
    secret = settings.discord.token
    if secret is None or not secret.get_secret_value():
        raise MissingTokenError(bot_name)
    return secret.get_secret_value()


@contextlib.asynccontextmanager
async def _process(
    settings: Settings, metrics: FleetMetrics, bots: Mapping[str, Callable[[], BotHealth]]
) -> AsyncIterator[asyncio.Event]:
    """A bot process's lifetime: SIGINT/SIGTERM set the event it yields, its /health and
    /metrics listen, log lines carry their command's context, and discord.py talks to
    ``discord.api_base`` when set."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    install_log_context()
    health = None
    if settings.health.port is not None:
        health = HealthServer(metrics, bots, host=settings.health.host, port=settings.health.port)
    target: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if settings.discord.api_base:
        target = point_discord_at(settings.discord.api_base)
    try:
        if health is not None:
            await health.start()
        with target:
            yield stop
    finally:
        if health is not None:
            await health.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _serve(
    bot: FleetBot,
    token: str,
    stop: asyncio.Event,
    beside: Callable[[FleetBot], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Run the gateway until it ends or ``stop`` is set, then close the bot; ``beside`` runs
    alongside while the bot is open (and is cancelled when it closes).

    Its log lines, and those of every task it starts, carry its name (this runs in a task of
    its own, so each bot of a one-process fleet has its own context).
    """
    set_log_context(bot=bot.name)
    async with bot, _alongside(beside(bot) if beside is not None else None, bot.name):
        serving = asyncio.create_task(bot.start(token), name=f"{bot.name}-gateway")
        stopping = asyncio.create_task(stop.wait(), name=f"{bot.name}-signals")
        done, _ = await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping in done:
            log.info("%s received a stop signal", bot.name)
            await bot.close()
        else:
            stopping.cancel()
        await wait_ended(serving)


@contextlib.asynccontextmanager
async def _alongside(work: Coroutine[Any, Any, None] | None, name: str) -> AsyncIterator[None]:
    """Run ``work`` in a task for the block's duration; cancel it when the block ends."""
    if work is None:
        yield
        return
    task = asyncio.create_task(work, name=f"{name}-alongside")
    try:
        yield
    finally:
        await cancel_and_wait(task)
