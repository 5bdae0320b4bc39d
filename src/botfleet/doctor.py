"""``botfleet doctor``: check every prerequisite and say how to fix what is missing."""

from __future__ import annotations

import asyncio
import importlib.util
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import redis.asyncio as redis_asyncio

from botfleet import bot_names, get_definition
from botfleet.bots.mod.services import text_scan
from botfleet.bots.music.config import MusicOptions
from botfleet.bots.music.services.programs import (
    INSTALL_HINT,
    FFmpegMissingError,
    FFmpegOrigin,
    resolve_ffmpeg,
)
from botfleet.config import (
    ConfigError,
    EffectiveConfig,
    load_effective_config,
    load_settings,
    token_variable,
)
from botfleet.config.schema import Settings
from botfleet.database import migrate
from botfleet.database.base import (
    Database,
    DatabaseConfigError,
    DatabaseUnavailableError,
    display_url,
)
from botfleet.database.migrate import MigrationError

DOCTOR_TIMEOUT = 5.0


class Status(Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, and the fix when it did not."""

    name: str
    status: Status
    detail: str
    fix: str | None = None


def check_python() -> Check:
    """Report the interpreter (botfleet cannot even import on Python older than 3.11)."""
    return Check("python", Status.OK, f"Python {platform.python_version()} at {sys.executable}")


def check_tokens(
    settings_by_bot: dict[str, Settings], shared_token_users: set[str]
) -> Iterable[Check]:
    for name, settings in settings_by_bot.items():
        token = settings.discord.token
        if token is None or not token.get_secret_value():
            yield Check(
                f"token {name}",
                Status.WARN,
                "no token: this bot will not connect to Discord",
                f"set {token_variable(name)} in .env (or try the bots with `botfleet sandbox`)",
            )
        elif token.get_secret_value().count(".") != 2:
            yield Check(
                f"token {name}",
                Status.FAIL,
                "the token does not look like a Discord bot token",
                "copy the token from the Bot page of the application in the developer portal",
            )
        elif name in shared_token_users and len(shared_token_users) > 1:
            yield Check(
                f"token {name}",
                Status.WARN,
                "only the shared DISCORD_TOKEN: one application can run one bot",
                f"set {token_variable(name)} for this bot's own application",
            )
        else:
            yield Check(f"token {name}", Status.OK, "set")


def bots_that_run(settings_by_bot: dict[str, Settings]) -> set[str]:
    """The bots ``botfleet run --all`` starts: those with a token, or every one in the local
    sandbox when none has one. What only one bot needs (FFmpeg, espeak-ng, the compiled
    automod scans) is checked for that bot alone: a fleet without it is not warned."""
    with_token = {
        name
        for name, settings in settings_by_bot.items()
        if settings.discord.token is not None and settings.discord.token.get_secret_value()
    }
    return with_token or set(settings_by_bot)


def check_options(configs: dict[str, EffectiveConfig]) -> Iterable[Check]:
    """Validate each bot's ``options`` as the bot will at start, where it would refuse them."""
    broken = 0
    for name, effective in configs.items():
        try:
            get_definition(name).parse_options(effective.settings.options)
        except ConfigError as exc:
            broken += 1
            origins = sorted(
                {source for key, source in effective.sources.items() if key.startswith("options")}
            )
            yield Check(
                f"options {name}",
                Status.FAIL,
                str(exc),
                f"correct it in {' or '.join(origins) or f'config/bots/{name}.yaml'}; "
                f"`botfleet config show --bot {name}` lists the bot's options",
            )
    if not broken:
        yield Check("options", Status.OK, "every bot accepts its options")


def check_module(module: str, why: str, extra: str) -> Check:
    if importlib.util.find_spec(module) is not None:
        return Check(f"package {module}", Status.OK, f"installed ({why})")
    return Check(
        f"package {module}",
        Status.FAIL,
        f"missing, needed for {why}",
        f"make install EXTRAS=dev,{extra} in a checkout, or pip install 'botfleet[{extra}]'",
    )


async def check_database(settings: Settings) -> list[Check]:
    try:
        database = Database.from_settings(settings)
    except DatabaseConfigError as exc:
        return [Check("database", Status.FAIL, str(exc), "fix DATABASE_URL")]
    where = display_url(database.url)
    if database.backend == "postgresql" and importlib.util.find_spec("asyncpg") is None:
        return [check_module("asyncpg", "PostgreSQL", "postgres")]
    url = database.url.render_as_string(hide_password=False)
    if not await migrate.database_exists(url):
        await database.dispose()
        return [Check("database", Status.OK, f"{where}: created at the first start")]
    try:
        async with asyncio.timeout(DOCTOR_TIMEOUT):
            latency = await database.ping()
    except (DatabaseUnavailableError, TimeoutError, OSError) as exc:
        return [
            Check(
                "database",
                Status.FAIL,
                f"{where}: {exc}",
                "check DATABASE_URL and that the server runs",
            )
        ]
    finally:
        await database.dispose()
    checks = [Check("database", Status.OK, f"{where} answers in {latency * 1000:.0f} ms")]
    try:
        state = await migrate.schema_state(url)
    except (MigrationError, DatabaseUnavailableError) as exc:
        return [*checks, Check("schema", Status.FAIL, str(exc), "run `botfleet db upgrade`")]
    current, heads = state.revision, state.heads
    if state.latest:
        checks.append(Check("schema", Status.OK, f"at revision {current} (latest)"))
    elif settings.database.auto_migrate:
        checks.append(
            Check(
                "schema", Status.WARN, f"at revision {current or 'none'}; bots upgrade it on start"
            )
        )
    else:
        checks.append(
            Check(
                "schema",
                Status.FAIL,
                f"at revision {current or 'none'}, latest is {', '.join(heads)}",
                "run `botfleet db upgrade`",
            )
        )
    return checks


async def check_redis(settings: Settings) -> Check:
    if settings.cache.redis_url is None:
        return Check("redis", Status.OK, "not configured: the in-memory cache serves alone")
    client = redis_asyncio.from_url(
        settings.cache.redis_url.get_secret_value(), socket_connect_timeout=DOCTOR_TIMEOUT
    )
    try:
        async with asyncio.timeout(DOCTOR_TIMEOUT):
            await client.ping()
    except (OSError, TimeoutError, redis_asyncio.RedisError) as exc:
        return Check(
            "redis", Status.FAIL, f"unreachable: {exc}", "check REDIS_URL and that Redis runs"
        )
    finally:
        await client.aclose()
    return Check("redis", Status.OK, "answers")


def check_program(name: str, missing: str, fix: str, program: str | None = None) -> Check:
    """A program the bots run (``program``, by default ``name``): where it is, or what lacks
    without it and how to install it."""
    path = shutil.which(program or name)
    if path:
        return Check(name, Status.OK, path)
    return Check(name, Status.WARN, f"not found: {missing}", fix)


def check_ffmpeg(configured: str = "ffmpeg") -> Check:
    """The FFmpeg the Music Bot plays with: the configured one, else imageio-ffmpeg's binary."""
    try:
        program = resolve_ffmpeg(configured)
    except FFmpegMissingError:
        return Check(
            "ffmpeg",
            Status.WARN,
            f"not found: `{configured}` is not on PATH, imageio-ffmpeg is not installed; "
            "the Music Bot cannot play audio",
            INSTALL_HINT,
        )
    if program.origin is FFmpegOrigin.IMAGEIO:
        return Check(
            "ffmpeg",
            Status.OK,
            f"imageio-ffmpeg's binary {program.path} (`{configured}` is not on PATH)",
        )
    return Check("ffmpeg", Status.OK, program.path)


def check_ffprobe(configured: str = "ffprobe") -> Check:
    """The Music Bot reads the length and codec of every link and attachment with ffprobe."""
    return check_program(
        "ffprobe",
        "the Music Bot cannot play links or attached files "
        "(imageio-ffmpeg's binary plays the library, but it has no ffprobe)",
        "install ffmpeg, which ships ffprobe (apt install ffmpeg, brew install ffmpeg)",
        configured,
    )


def music_programs(configs: dict[str, EffectiveConfig]) -> tuple[str, str]:
    """The FFmpeg and ffprobe the Music Bot's options name (the defaults while they are broken,
    which ``check_options`` reports)."""
    effective = configs.get("music")
    try:
        options = get_definition("music").parse_options(
            effective.settings.options if effective else {}
        )
    except ConfigError:
        options = None
    if not isinstance(options, MusicOptions):
        return "ffmpeg", "ffprobe"
    return options.ffmpeg_executable, options.ffprobe_executable


def check_speech() -> Check:
    """The Spelling Bee's classic mode speaks words with espeak-ng; ffmpeg makes them small."""
    if shutil.which("espeak-ng") is None:
        return Check(
            "espeak-ng",
            Status.WARN,
            "not found: the Spelling Bee's classic mode gives no audio, only written clues",
            "install espeak-ng (apt install espeak-ng, brew install espeak-ng)",
        )
    if shutil.which("ffmpeg") is None:
        return Check(
            "espeak-ng",
            Status.OK,
            "installed; without ffmpeg the Spelling Bee sends its words as WAV, not OGG",
        )
    return Check("espeak-ng", Status.OK, "installed (the Spelling Bee speaks its words)")


def check_voice() -> Check:
    """The Music Bot needs discord.py's voice extra (PyNaCl and the DAVE library davey)."""
    missing = [name for name in ("nacl", "davey") if importlib.util.find_spec(name) is None]
    if not missing:
        return Check("voice", Status.OK, "PyNaCl and davey installed")
    return Check(
        "voice",
        Status.WARN,
        f"missing {', '.join(missing)}: the Music Bot cannot join voice channels",
        "make install (a checkout installs the music extra), or pip install 'botfleet[music]'",
    )


def check_compiled_scans() -> Check:
    """The Mod Bot's automod scans run in C where the install could compile them (issue 13)."""
    if text_scan.COMPILED:
        return Check("automod scans", Status.OK, "compiled (the Mod Bot's automod)")
    return Check(
        "automod scans",
        Status.WARN,
        "not compiled: the Mod Bot judges long messages about three times as slowly",
        "install a C compiler and Python's headers (Debian: apt-get install build-essential "
        "python3-dev), then make install (make install-production on a server)",
    )


def check_writable(directory: str, what: str) -> Check:
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        return Check(
            what, Status.FAIL, f"{path} is not writable: {exc}", f"fix the permissions of {path}"
        )
    return Check(what, Status.OK, f"{path.resolve()} writable")


async def run_checks() -> list[Check]:
    """Every check, in the order a newcomer should fix them."""
    checks = [check_python()]
    per_bot: dict[str, EffectiveConfig] = {}
    shared_token_users: set[str] = set()
    try:
        shared = load_settings()
        for name in bot_names():
            effective = load_effective_config(name)
            per_bot[name] = effective
            if effective.source_of("discord.token").endswith(" DISCORD_TOKEN"):
                shared_token_users.add(name)
    except ConfigError as exc:
        checks.append(
            Check("config", Status.FAIL, str(exc), "fix the file or variable named above")
        )
        return checks
    checks.append(Check("config", Status.OK, f"environment {shared.environment}"))
    settings_by_bot = {name: config.settings for name, config in per_bot.items()}
    checks.extend(check_tokens(settings_by_bot, shared_token_users))
    checks.extend(check_options(per_bot))
    checks.extend(await check_database(shared))
    checks.append(await check_redis(shared))
    if shared.logging.sentry_dsn is not None:
        checks.append(check_module("sentry_sdk", "Sentry error reports", "sentry"))
    if shared.ai.api_key is not None:
        checks.append(check_module("openai", "the AI service", "ai"))
    running = bots_that_run(settings_by_bot)
    if "music" in running:
        ffmpeg, ffprobe = music_programs(per_bot)
        checks.extend((check_ffmpeg(ffmpeg), check_ffprobe(ffprobe), check_voice()))
    if "spelling_bee" in running:
        checks.append(check_speech())
    if "mod" in running:
        checks.append(check_compiled_scans())
    checks.append(check_writable(shared.logging.directory, "logs"))
    checks.append(check_writable(shared.bot.data_dir, "data"))
    return checks
