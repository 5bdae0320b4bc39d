"""The fleet's bots running against a local stand-in for Discord, ready for a person to try.

``SandboxSession.open`` starts a sandbox on a free loopback port, registers one application per
bot, builds the "botfleet sandbox" guild (channels, a plain member "you", a moderator and an
admin) and runs each bot as a real :class:`FleetBot` in this process, on a throwaway SQLite
file and the in-memory cache: nothing reaches Discord, Redis or the developer's own database.
Each bot joins with a managed role holding exactly the permissions its invite link asks for
(``BotDefinition.permissions``), so what works here works on a server that used that link.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import logging.handlers
import queue
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
from pydantic import SecretStr

from botfleet.config import load_settings
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.core.definition import BotDefinition
from botfleet.core.errors import CommandRateLimited
from botfleet.database import migrate
from botfleet.database.base import Database
from botfleet.errors import BotfleetError
from botfleet.sandbox.flags import Permission
from botfleet.sandbox.models import Application
from botfleet.sandbox.scripting import SandboxChannel, SandboxGuild, SandboxMember
from botfleet.sandbox.server import READY_TIMEOUT, DiscordSandbox
from botfleet.services.rate_limit import RateLimitRule
from botfleet.utils.logger import HumanFormatter, RedactingFilter

log = logging.getLogger(__name__)

GUILD_NAME = "botfleet sandbox"
PERSON = "you"
MODERATOR = "moderator"
ADMIN = "admin"
"""The guild's owner, and the owner of every bot application (so owner commands work)."""
TEXT_CHANNELS = ("general", "games", "mod-log")
"""#general comes with every new guild; the others give games and moderation a place."""
MODERATOR_PERMISSIONS = (
    Permission.KICK_MEMBERS
    | Permission.BAN_MEMBERS
    | Permission.MANAGE_MESSAGES
    | Permission.MANAGE_NICKNAMES
    | Permission.MODERATE_MEMBERS
)
GUILD_READY_TIMEOUT = 0.05
"""Seconds a bot waits for more guilds after READY; the sandbox sends them all at once."""
LOG_FILE_MAX_BYTES = 5 * 1024 * 1024

BeforeStart = Callable[[FleetBot], Awaitable[None]]


class SandboxStartError(BotfleetError):
    """A bot could not log in to the sandbox or get ready; the message names it and says why."""


@dataclass(frozen=True)
class RateLimitTrip:
    """A member ran one of a bot's commands more often than its rate limit allows."""

    user_id: int
    command: str
    rule: RateLimitRule
    retry_after: float


class SandboxFleetBot(FleetBot):
    """A fleet bot that notes each rate-limit trip, so the console can say why a bot refused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rate_limit_trips: list[RateLimitTrip] = []

    async def enforce_rate_limit(self, user: discord.abc.Snowflake, command: str) -> None:
        """The bot's own rate limit, with each refusal noted."""
        try:
            await super().enforce_rate_limit(user, command)
        except CommandRateLimited as refusal:
            rule = self.rate_limiter.rule_for(command)
            self.rate_limit_trips.append(RateLimitTrip(user.id, command, rule, refusal.retry_after))
            raise


@dataclass(frozen=True)
class SandboxBot:
    """One bot of the session: its definition, its settings, its application, its client."""

    definition: BotDefinition
    settings: Settings
    application: Application
    client: SandboxFleetBot

    @property
    def name(self) -> str:
        """The fleet name, e.g. ``hangman``."""
        return self.definition.name

    @property
    def display_name(self) -> str:
        """The name members see, e.g. ``Hangman Bot``."""
        return self.definition.display_name

    @property
    def prefix(self) -> str:
        """The prefix of the bot's text commands: the configured one, else the bot's own."""
        return self.settings.bot.prefix or self.definition.prefix


class SandboxSession:
    """A running sandbox, its guild and members, and the bots connected to it."""

    def __init__(
        self, sandbox: DiscordSandbox, guild: SandboxGuild, bots: Sequence[SandboxBot]
    ) -> None:
        self.sandbox = sandbox
        self.guild = guild
        self.bots: dict[str, SandboxBot] = {bot.name: bot for bot in bots}

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls,
        definitions: Sequence[BotDefinition],
        *,
        settings_loader: Callable[[str], Settings] = load_settings,
        before_start: BeforeStart | None = None,
        ready_timeout: float = READY_TIMEOUT,
    ) -> AsyncIterator[SandboxSession]:
        """Start the sandbox and the bots; stop everything and delete its files on exit.

        ``settings_loader`` gives each bot's configured settings (its prefix, description,
        rate limits; it reads files, so it runs in a thread); the database, cache and Discord
        settings are replaced by the sandbox's.
        ``before_start`` may change a bot before it logs in (add a cog, for instance). A bot
        that cannot start raises :class:`SandboxStartError` naming it.
        """
        async with contextlib.AsyncExitStack() as stack:
            workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="botfleet-sandbox-"))
            stack.push_async_callback(
                asyncio.to_thread, functools.partial(shutil.rmtree, workdir, ignore_errors=True)
            )
            sandbox = await DiscordSandbox.start()
            stack.push_async_callback(sandbox.stop)
            stack.enter_context(sandbox.point_discord())
            database_url = f"sqlite+aiosqlite:///{workdir / 'sandbox.db'}"
            await migrate.upgrade(database_url)
            database = Database(database_url)
            stack.push_async_callback(database.dispose)
            configured = [
                await asyncio.to_thread(settings_loader, definition.name)
                for definition in definitions
            ]
            session = cls._build(
                sandbox,
                list(zip(definitions, configured, strict=True)),
                database_url=database_url,
                workdir=workdir,
                database=database,
            )
            for bot in session.bots.values():
                if before_start is not None:
                    await before_start(bot.client)
                try:
                    await stack.enter_async_context(
                        sandbox.run_client(bot.client, bot.application, ready_timeout=ready_timeout)
                    )
                except (RuntimeError, TimeoutError) as error:
                    raise SandboxStartError(
                        f"the {bot.name} bot could not start in the sandbox: {error}"
                    ) from error
            yield session

    @classmethod
    def _build(
        cls,
        sandbox: DiscordSandbox,
        configured: Sequence[tuple[BotDefinition, Settings]],
        *,
        database_url: str,
        workdir: Path,
        database: Database,
    ) -> SandboxSession:
        guild = sandbox.create_guild(GUILD_NAME, owner_name=ADMIN)
        for name in TEXT_CHANNELS:
            if name != "general":
                guild.add_text_channel(name)
        moderators = guild.add_role("Moderators", permissions=MODERATOR_PERMISSIONS, hoist=True)
        bots = []
        for definition, configured_settings in configured:
            settings = sandbox_settings(configured_settings, database_url, workdir)
            application = sandbox.add_application(
                definition.display_name,
                owner=guild.owner.user,
                description=settings.bot.description,
            )
            guild.add_bot(application, permissions=definition.permissions())
            client = SandboxFleetBot(definition, settings, database=database, state_dir=workdir)
            bots.append(SandboxBot(definition, settings, application, client))
        guild.add_member(PERSON)
        guild.add_member(MODERATOR, roles=[moderators])
        return cls(sandbox, guild, bots)

    # -- the people and places of the guild ------------------------------------------------

    @property
    def member_names(self) -> list[str]:
        """The people a person can act as, the plain member first."""
        return [PERSON, MODERATOR, ADMIN]

    def member(self, name: str) -> SandboxMember:
        """A person of the guild by name."""
        return self.guild.member(name)

    def text_channels(self) -> list[SandboxChannel]:
        """The guild's text channels in creation order."""
        return [self.guild.channel(name) for name in TEXT_CHANNELS]


def sandbox_settings(settings: Settings, database_url: str, workdir: Path) -> Settings:
    """``settings`` with everything outside the bot's own behaviour pointed at the sandbox.

    The bot keeps its prefix, description, colors, rate limits and options; it gets the
    session's SQLite file (already migrated), the in-memory cache, no token and a tiny guild
    ready timeout.
    """
    database = settings.database.model_copy(
        update={"url": SecretStr(database_url), "auto_migrate": False}
    )
    cache = settings.cache.model_copy(update={"redis_url": None})
    bot = settings.bot.model_copy(
        update={"guild_ready_timeout": GUILD_READY_TIMEOUT, "data_dir": str(workdir)}
    )
    discord = settings.discord.model_copy(
        update={"token": None, "api_base": None}  # nosec B105  # clears the token
    )
    logging_section = settings.logging.model_copy(update={"sentry_dsn": None})
    return settings.model_copy(
        update={
            "database": database,
            "cache": cache,
            "bot": bot,
            "discord": discord,
            "logging": logging_section,
        }
    )


@contextlib.contextmanager
def logs_to_file(path: Path, level: str = "INFO") -> Iterator[None]:
    """Send every log record to ``path`` while active, so none reaches the console.

    The console belongs to the transcript: bot logs interleaved with it would make it
    unreadable, and with no handler at all Python prints warnings to stderr.
    Records go through a queue to a writer thread, so logging never blocks the event loop;
    secrets are redacted as in the bots' own log files.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_FILE_MAX_BYTES, backupCount=1, encoding="utf-8"
    )
    file_handler.setFormatter(HumanFormatter("sandbox"))
    file_handler.addFilter(RedactingFilter())
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, file_handler)
    queue_handler = logging.handlers.QueueHandler(records)
    root = logging.getLogger()
    levels = {
        "": logging.INFO,
        "botfleet": logging.getLevelNamesMapping()[level.upper()],
        "discord": logging.INFO,
        "discord.gateway": logging.WARNING,
    }
    previous = {name: logging.getLogger(name).level for name in levels}
    for name, number in levels.items():
        logging.getLogger(name).setLevel(number)
    listener.start()
    root.addHandler(queue_handler)
    try:
        yield
    finally:
        root.removeHandler(queue_handler)
        listener.stop()
        file_handler.close()
        for name, number in previous.items():
            logging.getLogger(name).setLevel(number)
