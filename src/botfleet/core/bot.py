"""FleetBot: the one bot class every bot of the fleet runs on.

It opens the shared services (database, cache, rate limiter, scheduler) in ``setup_hook``,
loads the bot's extensions (a broken one is logged and skipped, never fatal), answers every
command error in plain words, syncs slash commands only when they changed, and closes
everything in order on shutdown. It is an ``AutoShardedBot``: one shard for a small community,
as many as Discord recommends (or ``bot.shard_count``) for a large one.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Generic

import discord
from discord import app_commands
from discord.ext import commands

from botfleet import __version__
from botfleet.cache import CacheHierarchy
from botfleet.config.schema import Settings
from botfleet.core import extension_modules
from botfleet.core.definition import BotDefinition, OptionsT_co
from botfleet.core.drain import InFlightCommands
from botfleet.core.errors import CommandRateLimited, handle_context_error, handle_interaction_error
from botfleet.core.gateway_guard import GatewayParseGuard
from botfleet.core.heartbeat import Heartbeat, Vitals
from botfleet.core.help import FleetHelpCommand
from botfleet.core.http_retry import retry_dropped_requests
from botfleet.core.interaction_replay import InteractionReplayFilter
from botfleet.core.login import (
    RedisSetUp,
    hear_identify_concurrency,
    learn_identify_concurrency,
)
from botfleet.core.message_hooks import MessageHooks
from botfleet.core.option_limits import replace_nul_characters
from botfleet.core.reload import ExtensionReloader
from botfleet.core.sharding import IdentifyGate
from botfleet.core.stale_forms import answer_stale_forms
from botfleet.core.start_steps import StartSteps
from botfleet.core.tree_sync import TreeSyncer
from botfleet.database import migrate
from botfleet.database.base import Database, display_url
from botfleet.events_bus import (
    BusUnavailableError,
    Delivery,
    EventBus,
    MemberDataDeleted,
    bus_from_settings,
)
from botfleet.gamification import Gamification
from botfleet.gamification.options import GamificationOptions
from botfleet.metrics import BotHealth, BotReadings, FleetMetrics
from botfleet.metrics.log_context import set_log_context
from botfleet.services.premium import PremiumService
from botfleet.services.privacy import forget_cached_member, forget_every_cached_member
from botfleet.services.rate_limit import RateLimited, RateLimiter
from botfleet.services.scheduler import Scheduler
from botfleet.utils.tasks import finish_within

log = logging.getLogger(__name__)

XP_EXTENSION = "botfleet.gamification.discord.extension"
"""Earns XP from chat and commands and announces level-ups: loaded by every bot."""
GAMIFICATION_COMMANDS_EXTENSION = "botfleet.gamification.discord.commands"
"""/rank, /leaderboard, /achievements, /xp and /levels: loaded by the configured host bot only,
so six bots in one guild show these commands once."""

FORM_OPENERS_KEPT = 1024
"""Members whose last form-opening command is remembered, for the logs (oldest forgotten)."""

SETTLE_AFTER_READY = 0.25
"""Seconds between ready and the background loads of data only some commands need (word
lists): a thread started at the ready instant took the interpreter from the start's last steps
(ready seen 20-30 ms later); a command that needs the data before then loads it at once."""

SHUTDOWN_STEP_TIMEOUT = 10.0
"""Longest wait for one shutdown step (e.g. timer handlers still running) before moving on."""


class FleetCommandTree(app_commands.CommandTree["FleetBot"]):
    """Applies the bot's rate limit to every slash command and routes errors to one handler;
    NUL characters in its text options are replaced before any command reads them."""

    async def interaction_check(self, interaction: discord.Interaction[FleetBot], /) -> bool:
        if interaction.data is not None:
            replace_nul_characters(interaction.data)
        command = interaction.command
        if command is None or interaction.type is not discord.InteractionType.application_command:
            return True
        bot = interaction.client
        bot.command_started(interaction.id, command.qualified_name, interaction.guild_id)
        await bot.enforce_rate_limit(interaction.user, command.qualified_name)
        return True

    async def on_error(
        self, interaction: discord.Interaction[FleetBot], error: app_commands.AppCommandError, /
    ) -> None:
        command = interaction.command
        if command is not None:
            interaction.client.command_finished(
                interaction.id, command.qualified_name, "slash", error=error
            )
        if command is not None and answers_its_own_errors(command):
            return  # the command or its cog answered already
        await handle_interaction_error(interaction, error)


def answers_its_own_errors(
    command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
) -> bool:
    """Whether the command, a group above it or its cog has an error handler of its own.

    Read from discord.py's public attributes: a command's ``on_error``, a group class or cog
    class that overrides ``on_error`` or ``cog_app_command_error``.
    """
    if command.on_error is not None:
        return True
    if isinstance(command, app_commands.ContextMenu):
        return False
    group = command.parent
    while group is not None:
        if type(group).on_error is not app_commands.Group.on_error:
            return True
        group = group.parent
    cog = command.binding
    return (
        isinstance(cog, commands.Cog)
        and type(cog).cog_app_command_error is not commands.Cog.cog_app_command_error
    )


class FleetBot(commands.AutoShardedBot, Generic[OptionsT_co]):
    """A bot of the fleet, configured by its definition and its effective settings.

    Generic over the bot's options model: ``FleetBot[HangmanOptions]`` reads its own options.
    """

    def __init__(
        self,
        definition: BotDefinition[OptionsT_co],
        settings: Settings,
        *,
        database: Database | None = None,
        state_dir: Path | None = None,
        cache: CacheHierarchy | None = None,
        metrics: FleetMetrics | None = None,
        bus: EventBus | None = None,
        **options: Any,
    ) -> None:
        self.options: OptionsT_co = definition.parse_options(settings.options)
        self.gamification_options = GamificationOptions.from_settings(settings)
        if settings.bot.shard_ids is not None:
            options.setdefault("shard_ids", settings.bot.shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned_or(settings.bot.prefix or definition.prefix),
            intents=definition.intents(),
            description=settings.bot.description,
            tree_cls=FleetCommandTree,
            help_command=FleetHelpCommand(
                bot_name=definition.display_name, color=settings.colors.primary, dm_help=None
            ),
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
            guild_ready_timeout=settings.bot.guild_ready_timeout,
            shard_count=settings.bot.shard_count,
            **options,
        )
        self.definition = definition
        self.settings = settings
        self.started_at = time.time()
        self.version = __version__
        self.failed_extensions: dict[str, BaseException] = {}
        self.form_openers: OrderedDict[int, str] = OrderedDict()
        self._extension_cogs: dict[str, list[str]] = {}
        """The cogs each extension's setup added, by extension: discord.py removes only the
        cogs defined under the extension's own module, not those of a bot's events/."""
        """Member id → the slash command that last answered them with a form (a modal)."""
        self.tree_syncer: TreeSyncer | None = None
        self.reloader: ExtensionReloader | None = None
        self._timers_task: asyncio.Task[None] | None = None
        self.start_steps = StartSteps()
        """The cogs' steps re-arming their timers once ready (failures retried meanwhile)."""
        self.state_dir = state_dir or Path(settings.bot.data_dir)
        self._owns_database = database is None
        self.database: Database = database or Database.from_settings(settings)
        self._owns_cache = cache is None
        self.cache: CacheHierarchy = cache or CacheHierarchy.from_settings(settings)
        self._redis_set_up = RedisSetUp(self.cache)
        self.identify_gate = IdentifyGate(
            redis=self.cache.redis, key_prefix=settings.cache.key_prefix
        )
        self.rate_limiter: RateLimiter = RateLimiter.from_settings(
            settings, redis=self.cache.redis, scope=definition.name
        )
        self.scheduler = Scheduler(
            self.database,
            self.dispatch,
            bot_name=definition.name,
            memory_threshold=settings.scheduler.memory_threshold,
            max_sleep=settings.scheduler.max_sleep,
        )
        self.gamification = Gamification.for_bot(self, self.gamification_options)
        self.heartbeat = Heartbeat(
            self.database,
            self.vitals,
            bot_name=definition.name,
            version=self.version,
            interval=settings.bot.heartbeat_interval,
        )
        self._owns_bus = bus is None
        self.bus: EventBus = bus or bus_from_settings(settings, self.cache.redis)
        """Cross-bot events; the extensions subscribe in ``cog_load``, it starts after them."""
        self.premium = PremiumService(
            self.database, self.cache, bus=self.bus, source=definition.name
        )
        self.premium.follow_changes(self.name)
        self.bus.subscribe(
            MemberDataDeleted,
            self._forget_deleted_member,
            consumer=self.name,
            name="deleted-member-cache",
            delivery=Delivery.BROADCAST,
        )
        self.bus.on_reconnect(self._forget_every_cached_member)
        self.metrics = metrics or FleetMetrics()
        self.metrics.watch(self.name, self.readings)
        self.message_hooks = MessageHooks(self.name, partial(self.metrics.error, self.name))
        """Called on each message as it arrives, without a task each (XP's cooldowns)."""
        self.gateway_guard = GatewayParseGuard(self.name, self._count_unparsable_event)
        self.gateway_guard.install(self._connection.parsers)
        answer_stale_forms(self, self._connection.parsers)
        self.interaction_replays = InteractionReplayFilter(self.name)
        self.interaction_replays.install(self._connection.parsers)  # outermost: sees all first
        retry_dropped_requests(self.http)
        hear_identify_concurrency(self.http, self.identify_gate)
        self.in_flight = InFlightCommands()
        self.add_check(self._admit_prefix_command, call_once=True)

    async def _forget_deleted_member(self, event: MemberDataDeleted) -> None:
        """Drop what this process still holds of a member whose data another process deleted
        (``botfleet data delete-user``): its memory cache hears no Redis without Redis, and
        buffered XP would otherwise be saved again after the deletion."""
        await forget_cached_member(self.cache, event.user_id)
        await self.gamification.forget_user(event.user_id)
        log.info(
            "forgot the cached data of member %d, deleted by %s", event.user_id, event.source_bot
        )

    async def _forget_every_cached_member(self) -> None:
        """After the bus reconnected: the member deletions announced meanwhile were missed."""
        forget_every_cached_member(self.cache)

    def _count_unparsable_event(self, event_type: str) -> None:
        self.metrics.error(self.name, f"gateway {event_type}")

    @property
    def name(self) -> str:
        """The bot's fleet name ("hangman"), used in logs, keys and the CLI."""
        return self.definition.name

    async def setup_hook(self) -> None:
        if self._owns_cache:
            self._redis_set_up.begin()
        try:
            await self._set_up()
        except BaseException:
            await self._redis_set_up.abandon()
            raise
        await self._redis_set_up.finish()  # a refusal other than an outage ends the login here
        self._timers_task = asyncio.create_task(self._start_timers_when_ready())

    async def _set_up(self) -> None:
        """Open the services and load the extensions, while Redis's set-up goes on."""
        if self.application_id is not None:
            self.tree_syncer = TreeSyncer(
                self.state_dir, self.application_id, self.settings.bot.sync_guild
            )
            if self.settings.bot.sync_commands == "auto":
                self.tree_syncer.recall()
        await learn_identify_concurrency(
            self.http, self.identify_gate, self.settings.bot.shard_count
        )
        await self._open_database()
        await self.gamification.start()
        for extension in self.extensions_to_load:
            try:
                await self.load_extension(extension)
            except commands.ExtensionError as exc:
                self.failed_extensions[extension] = exc
                log.exception("extension %s failed to load; the bot goes on without it", extension)
        if self._owns_bus:
            await self._start_bus()
        await self.sync_commands()
        if self.settings.bot.reload:
            self.reloader = ExtensionReloader(self, after_reload=self.sync_commands)
            self.reloader.start()

    async def load_extension(self, name: str, *, package: str | None = None) -> None:
        """Load an extension; one this process executed already is not executed again.

        discord.py executes an extension's module at every load (see
        :mod:`botfleet.core.extension_modules`): reused, a login skips defining every cog and
        command again. A reload, or a file changed since, executes the code anew.
        """
        name = self._resolve_name(name, package)
        before = set(self.cogs)
        spec = extension_modules.executed_spec(name)
        if spec is None or name in self.extensions:
            await super().load_extension(name)
            extension_modules.remember(name)
        else:
            await self._load_from_module_spec(spec, name)
        self._extension_cogs[name] = [cog for cog in self.cogs if cog not in before]

    async def unload_extension(self, name: str, *, package: str | None = None) -> None:
        """Unload an extension; its module stays imported for the next load to reuse."""
        await super().unload_extension(name, package=package)
        extension_modules.keep_imported(self._resolve_name(name, package))

    async def reload_extension(self, name: str, *, package: str | None = None) -> None:
        """Reload an extension from its files as they are now."""
        name = self._resolve_name(name, package)
        previous = self._extension_cogs.get(name, [])
        extension_modules.forget(name)
        try:
            await super().reload_extension(name)
        except Exception:
            # discord.py ran the old setup again: its cogs are the extension's again.
            self._extension_cogs[name] = [cog for cog in previous if cog in self.cogs]
            raise

    async def _remove_module_references(self, name: str) -> None:
        """Remove, with what discord.py removes, every cog the extension's setup added."""
        for cog in self._extension_cogs.pop(name, []):
            await self.remove_cog(cog)
        await super()._remove_module_references(name)

    async def wait_until_settled(self) -> None:
        """Return :data:`SETTLE_AFTER_READY` seconds after the bot is ready."""
        await self.wait_until_ready()
        await asyncio.sleep(SETTLE_AFTER_READY)

    async def before_timers_start(
        self, cog: commands.Cog, what: str, step: Callable[[], Awaitable[object]]
    ) -> None:
        """Run ``step`` (``cog`` re-arming its timers from the database) once the bot is ready,
        just before the timers start; run it now if they started already (a reload).

        Readiness does not wait for the database, and a timer that fell due meanwhile still
        fires once: overdue timers fire when the scheduler starts, after every step. A step
        that fails is tried again in the background (:mod:`botfleet.core.start_steps`). A cog
        removed takes its step with it (see :meth:`remove_cog`).
        """
        await self.start_steps.add(cog, what, step)

    async def remove_cog(
        self,
        name: str,
        /,
        *,
        guild: discord.abc.Snowflake | None = discord.utils.MISSING,
        guilds: Sequence[discord.abc.Snowflake] = discord.utils.MISSING,
    ) -> commands.Cog | None:
        """Remove a cog and the step it left for readiness or is retrying: a cog unloaded or
        reloaded before ready would otherwise still run its old step (a reloaded one, twice)."""
        cog = await super().remove_cog(name, guild=guild, guilds=guilds)
        if cog is not None:
            self.start_steps.forget(cog)
        return cog

    async def _start_bus(self) -> None:
        """Connect the event bus; without the broker, events take the slower ways they had."""
        try:
            await self.bus.start()
        except BusUnavailableError as exc:
            log.error("the event bus could not start (%s); cross-bot events wait for it", exc)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for the shard's identify bucket, shared with the bot's other processes."""
        await self.identify_gate.wait_turn(self.application_id, shard_id or 0)

    @property
    def extensions_to_load(self) -> tuple[str, ...]:
        """The definition's extensions, the XP extension, and the gamification commands when
        the configuration names this bot their host."""
        extensions = (*self.definition.all_extensions, XP_EXTENSION)
        if self.gamification_options.host_bot == self.name:
            extensions = (*extensions, GAMIFICATION_COMMANDS_EXTENSION)
        return extensions

    async def sync_commands(self) -> None:
        """Sync the slash commands per ``bot.sync_commands``: at the start and after a reload."""
        if self.tree_syncer is None:
            return  # no application id yet: the start syncs once logged in
        if self.failed_extensions:
            log.warning(
                "not syncing slash commands: %d extension(s) failed to load, and a sync now "
                "would delete their commands from every server",
                len(self.failed_extensions),
            )
            return
        try:
            await self.tree_syncer.sync_if_changed(self.tree, self.settings.bot.sync_commands)
        except discord.HTTPException:
            log.exception("slash command sync failed; commands may be out of date")

    async def _start_timers_when_ready(self) -> None:
        """Dispatch timers only once handlers are loaded and the guild cache is filled.

        Overdue timers fire at start; a temporary ban's handler needs its guild to exist. Nobody
        awaits this task, so a failure is logged here rather than lost with it.
        """
        await self.wait_until_ready()
        await self.start_steps.run()
        try:
            await self.scheduler.start()
        except Exception:
            log.exception("timers could not start; reminders and other timers wait for a restart")
        self.heartbeat.start()

    def readings(self) -> BotReadings:
        """This bot's state for the metrics, read when Prometheus scrapes."""
        guilds_per_shard = Counter(guild.shard_id for guild in self.guilds)
        cache = self.cache.stats
        xp = self.gamification.xp
        return BotReadings(
            shard_latencies={shard_id: shard.latency for shard_id, shard in self.shards.items()},
            shard_guilds={shard_id: guilds_per_shard[shard_id] for shard_id in self.shards},
            xp_events={str(source): count for source, count in xp.awards_by_source.items()},
            xp_queue_length=xp.pending_awards,
            cache_reads={
                "memory_hit": cache.memory_hits,
                "redis_hit": cache.redis_hits,
                "miss": cache.misses,
            },
            commands_in_flight=len(self.in_flight),
        )

    def health(self) -> BotHealth:
        """What the process's ``/health`` says of this bot."""
        return BotHealth(
            ready=self.is_ready(),
            shards=sorted(self.shards),
            guild_ids=sorted(guild.id for guild in self.guilds),
            draining=self.in_flight.draining,
        )

    def vitals(self) -> Vitals:
        """What this process's heartbeat reports: latency, guilds and shards."""
        latency = self.latency
        return Vitals(
            latency_ms=round(latency * 1000) if math.isfinite(latency) else None,
            guild_count=len(self.guilds),
            shard_count=self.shard_count or 1,
        )

    async def _open_database(self) -> None:
        await self.database.prepare()
        if self.settings.database.auto_migrate:
            url = self.database.url.render_as_string(hide_password=False)
            if not (await migrate.schema_state(url)).latest:
                log.info("upgrading the database schema of %s", display_url(self.database.url))
                await migrate.upgrade(url)

    async def enforce_rate_limit(self, user: discord.abc.Snowflake, command: str) -> None:
        """Raise :class:`CommandRateLimited` when ``user`` spent the budget for ``command``."""
        try:
            await self.rate_limiter.enforce(user.id, command)
        except RateLimited as exc:
            log.info("rate limited user %s on %s for %.1fs", user.id, command, exc.retry_after)
            raise CommandRateLimited(exc.retry_after) from exc

    async def _admit_prefix_command(self, ctx: commands.Context[Any]) -> bool:
        """Count a text command in (refused while a stop drains) and apply the rate limit."""
        if ctx.command is not None and ctx.interaction is None:
            name = ctx.command.qualified_name
            self.command_started(ctx.message.id, name, ctx.guild.id if ctx.guild else None)
            await self.enforce_rate_limit(ctx.author, name)
        return True

    def command_started(self, key: int, command: str, guild_id: int | None) -> None:
        """Time the command, tag this task's log lines with it, and refuse it while draining."""
        shard_id = (guild_id >> 22) % (self.shard_count or 1) if guild_id is not None else 0
        set_log_context(shard=shard_id, guild=guild_id, command=command)
        self.in_flight.start(key)

    def command_finished(
        self, key: int, command: str, kind: str, *, error: BaseException | None = None
    ) -> None:
        """Count the command out, with its duration and outcome."""
        seconds = self.in_flight.finish(key)
        if seconds is None:
            return  # never counted in: refused while draining, or not a command
        self.metrics.command_finished(
            self.name, command, kind, seconds=seconds, failed=error is not None
        )

    async def on_command_completion(self, context: commands.Context[Any], /) -> None:
        self._context_finished(context)

    async def on_command_error(
        self, context: commands.Context[Any], exception: commands.CommandError, /
    ) -> None:
        self._context_finished(context, exception)
        await handle_context_error(context, exception)

    def _context_finished(
        self, context: commands.Context[Any], error: BaseException | None = None
    ) -> None:
        """Count out a text command, or a hybrid one used as a slash command (whose errors
        come here rather than to the tree's handler)."""
        if context.command is None:
            return
        name = context.command.qualified_name
        if context.interaction is None:
            self.command_finished(context.message.id, name, "text", error=error)
        else:
            self.command_finished(context.interaction.id, name, "slash", error=error)

    async def on_app_command_completion(
        self,
        interaction: discord.Interaction[FleetBot],
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        """Count the command out; remember which command opened a member's form, since its
        submission does not say."""
        self.command_finished(interaction.id, command.qualified_name, "slash")
        if interaction.response.type is not discord.InteractionResponseType.modal:
            return
        self.form_openers[interaction.user.id] = command.qualified_name
        self.form_openers.move_to_end(interaction.user.id)
        while len(self.form_openers) > FORM_OPENERS_KEPT:
            self.form_openers.popitem(last=False)

    async def on_message(self, message: discord.Message, /) -> None:
        """Run the message hooks, then look for a prefix command."""
        self.message_hooks.run(message)
        await self.process_commands(message)

    async def on_interaction(self, interaction: discord.Interaction[FleetBot], /) -> None:
        """A pressed button means the member's last form is closed: a form that follows it was
        opened by that button, not by the remembered command."""
        if interaction.type is discord.InteractionType.component:
            self.form_openers.pop(interaction.user.id, None)

    async def on_ready(self) -> None:
        log.info(
            "%s ready as %s in %d guilds (%d shards)",
            self.definition.display_name,
            self.user,
            len(self.guilds),
            self.shard_count or 1,
        )

    async def is_owner(self, user: discord.abc.User, /) -> bool:
        """Configured owner ids count, and so do the application's owner and team."""
        if user.id in self.settings.bot.owner_ids:
            return True
        return await super().is_owner(user)

    def live_views(self) -> list[discord.ui.view.BaseView]:
        """Every view and form still listening for presses, with a timeout or not.

        discord.py lists only the persistent ones publicly (``persistent_views``); the others
        live in its view store alone, read here for want of a public way.
        """
        store = self._connection._view_store
        views: dict[str, discord.ui.view.BaseView] = {}
        for items in store._views.values():
            for item in items.values():
                if item.view is not None:
                    views[item.view.id] = item.view
        for view in (*store._synced_message_views.values(), *store._modals.values()):
            views[view.id] = view
        return [view for view in views.values() if not view.is_finished()]

    async def _close_bus(self) -> None:
        if self._owns_bus:
            await self.bus.close()

    async def _drain_commands(self) -> None:
        """Let the running commands answer; new ones are told the bot is restarting."""
        running = len(self.in_flight)
        if running:
            log.info("waiting for %d command(s) in flight before stopping", running)
        unfinished = await self.in_flight.drain()
        if unfinished:
            log.warning("stopping with %d command(s) still running after the drain", unfinished)

    async def _expire_views(self) -> None:
        """Stop every view while the HTTP session is open, and time out those with a timeout.

        Their buttons cannot outlive this process; timed out now, they are disabled on screen,
        instead of a timer editing a message after the session closed ("Session is closed").
        """
        views = self.live_views()
        for view in views:
            view.stop()
        expiring = [view for view in views if view.timeout is not None]
        outcomes = await asyncio.gather(
            *(view.on_timeout() for view in expiring), return_exceptions=True
        )
        for view, outcome in zip(expiring, outcomes, strict=True):
            if isinstance(outcome, Exception):
                log.warning(
                    "%s could not be timed out at shutdown",
                    type(view).__name__,
                    exc_info=outcome,
                )

    async def _unload_extensions(self) -> None:
        """Unload the extensions, then remove the cogs added without one; a ``cog_unload``
        saves its state (the Music Bot's players) and one that fails stops none of the others."""
        for extension in tuple(self.extensions):
            try:
                await self.unload_extension(extension)
            except Exception:
                log.exception("extension %s failed to unload; stopping anyway", extension)
        for cog in tuple(self.cogs):
            try:
                await self.remove_cog(cog)
            except Exception:
                log.exception("cog %s failed to unload; stopping anyway", cog)

    async def close(self) -> None:
        """Time out the views, stop the timers, unload the extensions, save the buffered XP,
        close the cache and database, then disconnect.

        Timers stop first, so none fires into a cog already gone; the extensions unload while
        the database, the XP write-behind and the bus still work, so their ``cog_unload`` can
        save state; the message hooks' work still running (a guild's first message waiting
        for its XP rules) ends before XP's last save, so what it awards is saved.

        Each step is bounded and isolated: one that fails or hangs is logged, and the others
        still run, so a database outage at shutdown never leaks the Redis connection.
        """
        log.info("%s shutting down", self.definition.display_name)
        if self._timers_task is not None:
            self._timers_task.cancel()
        self._redis_set_up.cancel()
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("commands in flight", self._drain_commands),
            ("views", self._expire_views),
            ("retried start steps", self.start_steps.close),
            ("timers", self.scheduler.stop),
            ("extensions", self._unload_extensions),
            ("heartbeat", self.heartbeat.stop),
            ("message hooks' work", self.message_hooks.close),
            ("gamification", self.gamification.stop),
            ("event bus", self._close_bus),
            ("rate limiter", self.rate_limiter.close),
        ]
        if self._owns_cache:
            steps.append(("cache", self.cache.close))
        if self.reloader is not None:
            steps.insert(0, ("extension watcher", self.reloader.stop))
        if self._owns_database:
            steps.append(("database", self.database.dispose))
        for what, step in steps:
            try:
                await finish_within(step(), SHUTDOWN_STEP_TIMEOUT)
            except Exception:
                log.exception("closing the %s failed; shutting down anyway", what)
        await super().close()
