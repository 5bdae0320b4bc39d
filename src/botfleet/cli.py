"""The ``botfleet`` command line: run bots, manage the database, inspect the configuration."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from botfleet import __version__, bot_names, get_definition, unknown_bot_message
from botfleet.config import ConfigError, load_effective_config, load_settings, token_variable
from botfleet.errors import EXIT_CONFIG_ERROR, BotfleetError

if TYPE_CHECKING:
    from pydantic import SecretStr

    from botfleet.cache import CacheHierarchy, ResilientRedis
    from botfleet.config.schema import Settings
    from botfleet.services.premium import Membership
    from botfleet.services.privacy import DeletionReport

T = TypeVar("T")


class BotChoice(click.Choice[str]):
    """A bot of the fleet, among those installed when the command runs.

    Read then rather than at import, so a broken third-party entry point does not break every
    command, and a bot installed into a running process (a test) is offered too.
    """

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return bot_names()

    @choices.setter
    def choices(self, _names: tuple[str, ...]) -> None:
        """Click's constructor sets its choices; the fleet's are never stored."""


BOT_CHOICE = BotChoice()


def _no_token_notice() -> str:
    variables = ", ".join(token_variable(name) for name in bot_names())
    return (
        "No Discord token is configured, so the bots run in the local sandbox instead "
        f"(to run them on Discord, set {variables} in .env)."
    )


def _fail(message: str, status: int = EXIT_CONFIG_ERROR) -> None:
    click.echo(f"botfleet: {message}", err=True)
    sys.exit(status)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="botfleet")
def main() -> None:
    """botfleet: Discord bots on one shared infrastructure."""


def _own_tokens() -> dict[str, SecretStr]:
    """The token of each bot that has one of its own (``<BOT>_DISCORD_TOKEN``), by bot name."""
    tokens = {}
    for name in bot_names():
        effective = load_effective_config(name)
        token = effective.settings.discord.token
        own = token_variable(name) in effective.source_of("discord.token")
        if token is not None and token.get_secret_value() and own:
            tokens[name] = token
    return tokens


def _bots_with_own_token() -> list[str]:
    return list(_own_tokens())


def _select_bots(names: Sequence[str], run_all: bool) -> list[str]:
    """Resolve the bots to start: none when no token at all is configured.

    Exits with a one-line explanation when a named bot has no token, or when only the shared
    DISCORD_TOKEN is set and no bot was named.
    """
    unknown = [name for name in names if name not in bot_names()]
    if unknown:
        _fail(unknown_bot_message(unknown[0]))
    if names and not run_all:
        for name in names:
            token = load_settings(name).discord.token
            if token is None or not token.get_secret_value():
                _fail(
                    f"no Discord token for the {name} bot: set {token_variable(name)} "
                    "(or DISCORD_TOKEN) in the environment or .env; to try it without a token, "
                    f"run `botfleet sandbox {name}`."
                )
        return list(names)
    ready = _bots_with_own_token()
    if ready:
        return ready
    shared = load_settings().discord.token
    if shared is not None and shared.get_secret_value():
        _fail(
            "DISCORD_TOKEN is one application's token, so it can run one bot: name it, e.g. "
            "`botfleet run hangman`, or set one <BOT>_DISCORD_TOKEN per bot to run them all."
        )
    return []


RELOAD_VARIABLE = "BOTFLEET_BOT__RELOAD"
"""--reload sets bot.reload through the environment, so the bot processes inherit it."""
reload_option = click.option(
    "--reload",
    is_flag=True,
    help="Development: reload a changed extension in place, keeping the connection.",
)


def _switch_on_reload(reload: bool) -> None:
    if reload:
        os.environ[RELOAD_VARIABLE] = "true"


SHARD_COUNT_VARIABLE = "BOTFLEET_BOT__SHARD_COUNT"
SHARD_IDS_VARIABLE = "BOTFLEET_BOT__SHARD_IDS"
"""--shard-count and --shards reach the bot process through the environment, as --reload does."""


def _choose_shards(shard_count: int | None, shards: str | None, bots: Sequence[str]) -> None:
    """Hand the shard options to the bot process; refuse a range without a count or bot."""
    from botfleet.core.sharding import ShardRangeError, parse_shard_range  # noqa: PLC0415

    if shards is None:
        if shard_count is not None:
            os.environ[SHARD_COUNT_VARIABLE] = str(shard_count)
        return
    if shard_count is None:
        _fail("--shards needs --shard-count: how many shards the bot has in all")
        return
    if len(bots) != 1:
        _fail("--shards splits one bot's shards: name that one bot, e.g. `botfleet run utility`")
    try:
        shard_ids = parse_shard_range(shards, shard_count)
    except ShardRangeError as exc:
        _fail(str(exc))
        return
    os.environ[SHARD_COUNT_VARIABLE] = str(shard_count)
    os.environ[SHARD_IDS_VARIABLE] = "[" + ", ".join(map(str, shard_ids)) + "]"


@main.command()
@click.argument("bots", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every bot that has its own token.")
@click.option(
    "--shard-count",
    type=click.IntRange(min=1),
    default=None,
    help="How many shards the bot has in all (default: as many as Discord recommends).",
)
@click.option(
    "--shards",
    metavar="A-B",
    default=None,
    help="Run only shards A to B of --shard-count in this process; other processes (or "
    "machines sharing the database and Redis) run the rest.",
)
@click.option(
    "--one-process",
    is_flag=True,
    help="Run the bots in this one process (one database pool, one cache; least memory, for "
    "a small community) instead of a process each.",
)
@reload_option
def run(
    bots: tuple[str, ...],
    *,
    run_all: bool,
    shard_count: int | None,
    shards: str | None,
    one_process: bool,
    reload: bool,
) -> None:
    """Run BOTS (by name), or all bots with a token when none is named.

    However many bots run, one rule keeps them up: a bot that fails on the network (Discord or
    the database unreachable) is restarted with a growing delay; one with a configuration
    error (a refused token, a missing intent switch) is reported once and left down. With no
    token at all, every bot runs in the local sandbox instead (`botfleet sandbox`).
    """
    _switch_on_reload(reload)
    _choose_shards(shard_count, shards, bots)
    try:
        selected = _select_bots(bots, run_all)
        settings = load_settings()
    except ConfigError as exc:
        _fail(str(exc))
    if not selected:
        click.echo(_no_token_notice())
        _run_sandbox(bot_names(), script=None, timeout=None)
    from botfleet.database import migrate  # noqa: PLC0415
    from botfleet.utils.logger import configure_logging  # noqa: PLC0415

    configure_logging(settings, "fleet")
    if settings.database.auto_migrate:
        _run_database_task(migrate.upgrade(settings.database.url.get_secret_value()))
    click.echo(f"starting {', '.join(selected)}" + (" in one process" if one_process else ""))
    if one_process:
        from botfleet.core.entry import run_definitions_together  # noqa: PLC0415

        sys.exit(run_definitions_together([get_definition(name) for name in selected]))
    from botfleet.config.loader import hand_over_config_files  # noqa: PLC0415
    from botfleet.core.supervisor import become_supervisor  # noqa: PLC0415

    hand_over_config_files(selected)
    become_supervisor(selected, settings.logging)


@main.command()
@click.argument("bots", nargs=-1)
@click.option(
    "--script",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run the console lines of FILE unattended; fail on the first step that fails.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=600),
    default=None,
    help="Seconds a step waits for the bots' answer (default 5).",
)
@reload_option
def sandbox(
    bots: tuple[str, ...], script: Path | None, timeout: float | None, reload: bool
) -> None:
    """Try BOTS (default: all) without a token, on a local stand-in for Discord.

    You type as a member of a local guild: messages, text commands (h!ping), slash commands
    (/about), button presses and forms; type :help inside for everything. With no terminal
    attached and no --script, a walkthrough of every bot plays and the command exits.
    """
    unknown = [name for name in bots if name not in bot_names()]
    if unknown:
        _fail(unknown_bot_message(unknown[0]))
    _switch_on_reload(reload)
    _run_sandbox(bots or bot_names(), script=script, timeout=timeout)


def _run_sandbox(bots: Sequence[str], *, script: Path | None, timeout: float | None) -> None:
    from botfleet.sandbox.console import DEFAULT_TIMEOUT, run_sandbox  # noqa: PLC0415

    sys.exit(run_sandbox(bots, script=script, timeout=timeout or DEFAULT_TIMEOUT))


@main.group()
def db() -> None:
    """Database schema migrations (Alembic)."""


def _settings() -> Settings:
    """The effective settings; a configuration error is one readable line."""
    try:
        return load_settings()
    except ConfigError as exc:
        _fail(str(exc))
        raise


def _database_url() -> str:
    return _settings().database.url.get_secret_value()


def _run_database_task(task: Coroutine[Any, Any, T]) -> T:
    """Run a database coroutine; a failure is one readable line, not a traceback."""
    from botfleet.database.base import (  # noqa: PLC0415
        DatabaseConfigError,
        DatabaseUnavailableError,
    )
    from botfleet.database.migrate import MigrationError  # noqa: PLC0415

    try:
        return asyncio.run(task)
    except (DatabaseConfigError, DatabaseUnavailableError, MigrationError, BotfleetError) as exc:
        _fail(str(exc), status=1)
        raise


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: the latest)."""
    from botfleet.database import migrate  # noqa: PLC0415
    from botfleet.database.base import display_url  # noqa: PLC0415

    url = _database_url()
    _run_database_task(migrate.upgrade(url, revision))
    click.echo(f"{display_url(url)} is at revision {_run_database_task(migrate.current(url))}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION ("base" removes every table)."""
    from botfleet.database import migrate  # noqa: PLC0415
    from botfleet.database.base import display_url  # noqa: PLC0415

    url = _database_url()
    _run_database_task(migrate.downgrade(url, revision))
    revision_now = _run_database_task(migrate.current(url))
    click.echo(f"{display_url(url)} is at revision {revision_now or 'base'}")


@db.command()
def current() -> None:
    """Show the schema revision of the configured database."""
    from botfleet.database import migrate  # noqa: PLC0415
    from botfleet.database.base import display_url  # noqa: PLC0415

    url = _database_url()
    schema = _run_database_task(migrate.schema_state(url))
    revision = schema.revision
    state = (
        "latest"
        if schema.latest
        else f"latest is {', '.join(schema.heads)}; run `botfleet db upgrade`"
    )
    click.echo(f"{display_url(url)}: revision {revision or 'none'} ({state})")


@main.group()
def config() -> None:
    """Inspect the effective configuration."""


@config.command()
@click.option("--bot", "bot_name", type=BOT_CHOICE, help="Show one bot's settings.")
def show(bot_name: str | None) -> None:
    """Print every effective value, where it came from, secrets masked.

    With --bot, the bot's own options are listed too, each with its default when not set.
    """
    try:
        effective = load_effective_config(bot_name)
        typed_sections = {}
        if bot_name is not None:
            options = get_definition(bot_name).parse_options(effective.settings.options)
            typed_sections["options"] = options
    except ConfigError as exc:
        _fail(str(exc))
    rows = list(effective.rows(typed_sections))
    width = max(len(key) for key, _, _ in rows)
    value_width = min(max(len(value) for _, value, _ in rows), 48)
    for key, value, source in rows:
        click.echo(f"{key:<{width}}  {value:<{value_width}}  [{source}]")


@main.command()
def doctor() -> None:
    """Check tokens, database, Redis, ffmpeg and the rest, with a fix for each problem."""
    from botfleet.doctor import Status, run_checks  # noqa: PLC0415

    checks = asyncio.run(run_checks())
    marks = {Status.OK: "✔", Status.WARN: "!", Status.FAIL: "✘"}
    for check in checks:
        click.echo(f"{marks[check.status]} {check.name:<20} {check.detail}")
        if check.fix:
            click.echo(f"  {'':<20} fix: {check.fix}")
    failed = sum(check.status is Status.FAIL for check in checks)
    click.echo(f"{len(checks)} checks, {failed} failed")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--host", help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: web.port, 8080).")
def web(host: str | None, port: int | None) -> None:
    """Serve the web endpoints (/health, /ready) until interrupted."""
    from botfleet.utils.logger import configure_logging  # noqa: PLC0415
    from botfleet.web import serve  # noqa: PLC0415

    try:
        settings = load_settings()
        settings.web.bot_tokens = _own_tokens() | settings.web.bot_tokens
        if host is not None:
            settings.web.host = host
        if port is not None:
            settings.web.port = port
    except ConfigError as exc:
        _fail(str(exc))
    configure_logging(settings, "web")
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return
    except OSError as exc:
        _fail(f"cannot listen on {settings.web.host}:{settings.web.port}: {exc}", status=1)


@main.group()
def keys() -> None:
    """The keys that encrypt members' stored Discord tokens (auth.token_keys)."""


@keys.command("generate")
def generate_key() -> None:
    """Print a new key: put it first in TOKEN_ENCRYPTION_KEYS, then run `keys rotate`."""
    from botfleet.auth.tokens import generate_key as new_key  # noqa: PLC0415

    click.echo(new_key())


@keys.command("rotate")
def rotate_keys() -> None:
    """Re-encrypt every stored token with the newest key; older keys may then be dropped."""
    from botfleet.auth.tokens import TokenCipher, TokenStore  # noqa: PLC0415
    from botfleet.database.base import Database  # noqa: PLC0415
    from botfleet.utils.wording import plural  # noqa: PLC0415

    async def rotate() -> int:
        database = Database.from_settings(settings)
        try:
            return await TokenStore(database, TokenCipher.from_settings(settings)).rotate_all()
        finally:
            await database.dispose()

    try:
        settings = load_settings()
    except ConfigError as exc:
        _fail(str(exc))
    rewritten = _run_database_task(rotate())
    click.echo(f"tokens of {plural(rewritten, 'member')} re-encrypted with the newest key")


@main.command()
@click.argument("bot", required=False, type=BOT_CHOICE)
def status(bot: str | None) -> None:
    """Which bots of the fleet are up, from the heartbeats they write to the database.

    Exits with status 1 when a bot that was running stopped answering, for monitoring scripts.
    With BOT, reports that bot alone and exits 1 unless it is online: the health check of a
    container or service that runs it.
    """
    from botfleet.core.heartbeat import (  # noqa: PLC0415
        BotState,
        describe_status,
        fleet_status_at,
    )

    statuses = _run_database_task(fleet_status_at(_database_url()))
    if bot is not None:
        statuses = [item for item in statuses if item.bot_name == bot]
    now = datetime.now(UTC)
    width = max(len(get_definition(item.bot_name).display_name) for item in statuses)
    for item in statuses:
        name = get_definition(item.bot_name).display_name
        click.echo(f"{name:<{width}}  {describe_status(item, now)}")
    if any(item.state is BotState.NOT_RESPONDING for item in statuses):
        sys.exit(1)
    if bot is not None and statuses[0].state is not BotState.ONLINE:
        sys.exit(1)


@main.group()
def data() -> None:
    """Members' data: deletion on request (Discord requires bots to honour it)."""


@data.command("delete-user")
@click.argument("user_id", type=click.IntRange(min=1))
@click.confirmation_option(prompt="Delete every record of this user in every bot?")
def delete_user(user_id: int) -> None:
    """Delete everything botfleet stores about USER_ID."""
    from botfleet.services.privacy import delete_user_everywhere  # noqa: PLC0415
    from botfleet.utils.wording import plural  # noqa: PLC0415

    settings = _settings()

    async def delete_and_forget() -> tuple[DeletionReport, str]:
        report = await delete_user_everywhere(settings.database.url.get_secret_value(), user_id)
        return report, await _forget_in_running_bots(settings, user_id)

    report, told = _run_database_task(delete_and_forget())
    for service, count in report.items():
        click.echo(f"{service:<24} {plural(count, 'row')} deleted")
    for service, count in report.anonymised.items():
        kept = plural(count, "row")
        click.echo(f"{service:<24} {kept} kept, the member's name and messages replaced")
    click.echo(f"user {user_id}: {plural(report.total, 'row')} deleted in all")
    click.echo(told)


async def _forget_in_running_bots(settings: Settings, user_id: int) -> str:
    """Drop the deleted member's cached data through Redis and announce the deletion on the
    broker; say plainly what running bots may still show, and for how long."""
    from botfleet.cache import CacheHierarchy  # noqa: PLC0415
    from botfleet.services.privacy import longest_cached_for  # noqa: PLC0415
    from botfleet.utils.wording import plural  # noqa: PLC0415

    told: list[str] = []
    heard = False
    async with CacheHierarchy.from_settings(settings) as cache:
        if cache.redis is not None:
            heard = await _forget_through_redis(settings, cache, cache.redis, user_id)
            told.append(
                "cached copies dropped through Redis, in every bot that uses it"
                if heard
                else "Redis could not be reached: its cached copies and rankings of the "
                "member stay until they expire or are rebuilt"
            )
        if settings.bus.backend == "rabbitmq":
            announced, line = await _announce_deletion(settings, cache, user_id)
            heard = heard or announced
            told.append(line)
    if not heard:
        minutes = plural(round(longest_cached_for(settings.cache.ttl) / 60), "minute")
        told.append(
            f"running bots may show the member's cached data for up to {minutes}, or until "
            "they restart: neither Redis nor a broker (bus.backend: rabbitmq) told them"
        )
    return "\n".join(told)


async def _forget_through_redis(
    settings: Settings, cache: CacheHierarchy, redis: ResilientRedis, user_id: int
) -> bool:
    """Drop the member's cached copies and Redis rankings; whether Redis was reached."""
    from botfleet.cache import RedisUnavailableError  # noqa: PLC0415
    from botfleet.database import Database  # noqa: PLC0415
    from botfleet.gamification.redis_rankings import RedisRankings  # noqa: PLC0415
    from botfleet.services.privacy import forget_cached_member  # noqa: PLC0415

    await forget_cached_member(cache, user_id)
    database = Database.from_settings(settings)
    rankings = RedisRankings(redis, settings.cache.key_prefix, database)
    try:
        await rankings.forget_user(user_id)
    except RedisUnavailableError:
        return False
    finally:
        await database.dispose()
    return not redis.in_outage


async def _announce_deletion(
    settings: Settings, cache: CacheHierarchy, user_id: int
) -> tuple[bool, str]:
    """Publish :class:`MemberDataDeleted` on RabbitMQ; whether it went, and what to say."""
    from botfleet.events_bus import (  # noqa: PLC0415
        BusUnavailableError,
        MemberDataDeleted,
        publish_once,
    )

    deleted = MemberDataDeleted(source_bot="cli", user_id=user_id)
    try:
        await publish_once(settings, cache.redis, deleted)
    except BusUnavailableError as exc:
        return False, f"the deletion was not announced to running bots: {exc}"
    return True, f"announced on RabbitMQ (exchange {settings.bus.exchange}) to every bot"


@main.group()
def premium() -> None:
    """Grant or revoke premium by hand (each change leaves an audit row)."""


SUBJECT_ARGUMENTS = (
    click.argument("scope", type=click.Choice(["user", "guild"])),
    click.argument("subject_id", metavar="ID", type=click.IntRange(min=1)),
)


def _override(scope: str, subject_id: int, reason: str, until: datetime | None, tier: int) -> str:
    """Apply an operator's override with the configured cache, and tell the running bots."""
    import getpass  # noqa: PLC0415

    from botfleet.cache import CacheHierarchy  # noqa: PLC0415
    from botfleet.database import Database  # noqa: PLC0415
    from botfleet.services.premium import PremiumService, Scope, Subject  # noqa: PLC0415

    settings = load_settings()
    subject = Subject(Scope(scope), subject_id)

    async def apply() -> str:
        database = Database.from_settings(settings)
        try:
            async with CacheHierarchy.from_settings(settings) as cache:
                service = PremiumService(database, cache)
                actor = f"cli:{getpass.getuser()}"
                changed = await service.override(
                    subject, actor=actor, reason=reason, until=until, tier=tier
                )
                if changed is None:
                    return f"{subject}: nothing to change"
                told = await _tell_running_bots(settings, cache, changed)
        finally:
            await database.dispose()
        active = changed.is_active(datetime.now(UTC))
        state = (
            f"premium until {changed.premium_until:%Y-%m-%d %H:%M} UTC" if active else "no premium"
        )
        return f"{subject}: {state}\n{told}"

    return _run_database_task(apply())


async def _tell_running_bots(settings: Settings, cache: CacheHierarchy, changed: Membership) -> str:
    """Announce a grant or revocation on the configured broker; what running bots learn, and
    when. The in-process bus reaches no bot from this process, so with it bots learn the change
    at their next premium check."""
    from botfleet.events_bus import BusUnavailableError, publish_once  # noqa: PLC0415
    from botfleet.services.premium.service import CACHE_TTL, change_event  # noqa: PLC0415

    if cache.redis is not None:
        next_check = "their cached answers were dropped through Redis"
    else:
        minutes = round(CACHE_TTL / 60)
        next_check = f"within {minutes} minutes: without Redis each keeps its cached answer"
    later = f"running bots see the change at their next premium check ({next_check})"
    event = change_event(changed, source="cli")
    if event is None:
        return later
    if settings.bus.backend == "memory":
        return f"not announced: bus.backend is memory, which reaches no other process; {later}"
    try:
        await publish_once(settings, cache.redis, event)
    except BusUnavailableError as exc:
        click.echo(f"botfleet: the change is saved but was not announced: {exc}", err=True)
        return later
    return f"announced on RabbitMQ (exchange {settings.bus.exchange}); {later}"


@premium.command("grant")
@SUBJECT_ARGUMENTS[0]
@SUBJECT_ARGUMENTS[1]
@click.option("--days", type=click.IntRange(min=1, max=36_600), required=True, help="From now.")
@click.option("--tier", type=click.IntRange(min=1, max=10), default=1, show_default=True)
@click.option("--reason", required=True, help="Why, for the audit.")
def premium_grant(scope: str, subject_id: int, days: int, tier: int, reason: str) -> None:
    """Give a user or guild premium for DAYS from now (never shortens a longer one)."""
    until = datetime.now(UTC) + timedelta(days=days)
    click.echo(_override(scope, subject_id, reason, until, tier))


@premium.command("revoke")
@SUBJECT_ARGUMENTS[0]
@SUBJECT_ARGUMENTS[1]
@click.option("--reason", required=True, help="Why, for the audit.")
def premium_revoke(scope: str, subject_id: int, reason: str) -> None:
    """End a user's or guild's premium now (their subscription is not canceled)."""
    click.echo(_override(scope, subject_id, reason, None, 1))


@main.command()
@click.argument("bot_name", metavar="BOT", type=BOT_CHOICE)
@click.option(
    "--client-id",
    type=click.IntRange(min=1),
    help="The application's id (developer portal, General Information); default: from the token.",
)
def invite(bot_name: str, client_id: int | None) -> None:
    """Print the link that adds BOT to a server with exactly the permissions it needs."""
    from botfleet.core.invite import invite_url  # noqa: PLC0415

    application_id = client_id if client_id is not None else _application_id_of(bot_name)
    if isinstance(application_id, str):
        _fail(application_id)
    else:
        click.echo(invite_url(get_definition(bot_name), application_id))


def _application_id_of(bot_name: str) -> int | str:
    """The application id in the bot's token, or why there is none."""
    from botfleet.core.invite import application_id_from_token  # noqa: PLC0415

    ask = "pass --client-id (the application id on the developer portal's General Information page)"
    try:
        token = load_settings(bot_name).discord.token
    except ConfigError as exc:
        return str(exc)
    secret = token.get_secret_value() if token is not None else ""
    if not secret:
        return (
            f"no Discord token for the {bot_name} bot to read its application id from: "
            f"set {token_variable(bot_name)}, or {ask}"
        )
    application_id = application_id_from_token(secret)
    if application_id is None:
        return f"the {bot_name} bot's token does not look like a Discord bot token: {ask}"
    return application_id
