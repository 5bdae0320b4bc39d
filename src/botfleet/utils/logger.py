"""Logging for every bot: console and rotating file, JSON or readable lines, secrets redacted.

Loggers hand a redacted copy of each record to a queue; a writer thread formats and writes it,
so a slow disk or terminal never stalls the event loop. The console and file handlers carry a
:class:`RedactingFilter` and the formatters redact again, and Sentry events pass the same
redaction, so a token, API key or password never leaves the process, whether it sits in the
message, its arguments, a traceback or an extra field."""

from __future__ import annotations

import atexit
import copy
import json
import logging
import logging.handlers
import queue
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from pydantic import BaseModel, SecretStr
    from sentry_sdk.types import Event, Hint

    from botfleet.config.schema import Settings

__all__ = [
    "DEFAULT_BACKUP_COUNT",
    "DEFAULT_LOG_DIRECTORY",
    "DEFAULT_MAX_BYTES",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "HumanFormatter",
    "JsonFormatter",
    "RedactingFilter",
    "configure_logging",
    "get_log_filename",
    "log_to",
    "one_line",
    "redact",
    "redact_sentry_event",
    "redact_value",
    "register_secret",
    "setup_logger",
    "shutdown_logging",
]

log = logging.getLogger(__name__)

DEFAULT_LOG_DIRECTORY = "logs"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_BACKUP_COUNT = 5
REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 6
"""Shorter registered values are ignored: redacting them would garble ordinary words."""

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Discord bot token: base64 of the bot's id (a snowflake, so it starts with M, N or O),
    # then base64 of a timestamp, then an HMAC.
    (re.compile(r"[MNO][A-Za-z0-9_-]{20,30}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"), REDACTED),
    (re.compile(r"mfa\.[A-Za-z0-9_-]{20,}"), REDACTED),
    # Stripe secret and restricted keys, webhook signing secrets.
    (re.compile(r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"), REDACTED),
    (re.compile(r"whsec_[A-Za-z0-9+/=]{10,}"), REDACTED),
    # OpenAI keys: sk-..., sk-proj-..., sk-svcacct-...
    (re.compile(r"sk-[A-Za-z0-9_-]{20,}"), REDACTED),
    # Credentials of an Authorization header.
    (re.compile(r"\b((?i:bearer|basic)|Bot)\s+[A-Za-z0-9._~+/-]{16,}=*"), rf"\1 {REDACTED}"),
    # The password of a URL's user info: scheme://user:PASSWORD@host.
    (re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s/]+@"), rf"\1{REDACTED}@"),
    # The token of a Discord webhook URL.
    (
        re.compile(r"(discord(?:app)?\.com/api/(?:v\d+/)?webhooks/\d+/)[A-Za-z0-9_-]+"),
        rf"\1{REDACTED}",
    ),
    # password=... in connection strings.
    (
        re.compile(r"\b(password|passwd|pwd)(\s*[=:]\s*)[^\s&;,'\"]+", re.IGNORECASE),
        rf"\1\2{REDACTED}",
    ),
)

_STANDARD_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
}
"""Attributes every LogRecord has; anything else on a record came from ``extra=``."""

_LINE_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters and Unicode line separators: in a log line they would forge a new line
or rewrite the terminal, so member-supplied text could pose as a record of its own."""
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

_SAFE_FILE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_TRACEBACK_FORMATTER = logging.Formatter()


class _SecretRegistry:
    """Exact values to redact, matched longest first by one compiled pattern."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        with self._lock:
            if value in self._values:
                return
            self._values.add(value)
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(secret) for secret in ordered))

    def redact(self, text: str) -> str:
        pattern = self._pattern
        return text if pattern is None else pattern.sub(REDACTED, text)


_registered_secrets = _SecretRegistry()


def register_secret(value: str | SecretStr | None) -> None:
    """Redact this exact value from every log record and Sentry event from now on.

    A URL registers only its credentials (``scheme://user:password@host`` gives the password),
    or nothing when it has none: a host and a path are addresses, worth keeping readable.
    Values under :data:`MIN_SECRET_LENGTH` characters are ignored.
    """
    if not isinstance(value, str | None):  # a SecretStr (pydantic stays out of the supervisor)
        value = value.get_secret_value()
    if not value:
        return
    credentials = _url_credentials(value)
    for secret in credentials if credentials is not None else [value]:
        if len(secret) >= MIN_SECRET_LENGTH:
            _registered_secrets.add(secret)


def _url_credentials(value: str) -> list[str] | None:
    """The password (else the user name) of a URL, raw and percent-decoded, or an empty list
    when the URL has no user info; None when ``value`` is not a URL."""
    if "://" not in value:
        return None
    try:
        netloc = urlsplit(value).netloc
    except ValueError:
        return None
    userinfo, at, _ = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    secret = password or user
    return [secret, unquote(secret)] if at and secret else []


def redact(text: str) -> str:
    """``text`` with registered secrets and anything shaped like a token, key or password
    replaced by ``[REDACTED]``."""
    text = _registered_secrets.redact(text)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``, ``\\x1b``)."""
    return _LINE_BREAKERS.sub(_escape_character, text)


def _escape_character(match: re.Match[str]) -> str:
    character = match.group()
    named = _NAMED_ESCAPES.get(character)
    if named is not None:
        return named
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def redact_value(value: Any) -> Any:
    """A copy of ``value`` with every string inside dicts, lists and tuples redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


def redact_sentry_event(event: Event, hint: Hint) -> Event | None:
    """Sentry ``before_send``: the event with every string in it redacted like a log line."""
    return cast("Event", redact_value(event))


class RedactingFilter(logging.Filter):
    """Rewrites each record so no secret reaches the handler: the message with its arguments
    merged in, the traceback, the stack and string ``extra`` fields all pass :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string still deserves a (redacted) line
        message = f"{record.msg} (arguments that do not fit the message: {record.args!r})"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = _TRACEBACK_FORMATTER.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_RECORD_FIELDS and isinstance(value, str):
            setattr(record, key, redact(value))


class HumanFormatter(logging.Formatter):
    """One readable line per record: UTC time, level, bot, logger, message, then traceback.

    The message is kept on its line (:func:`one_line`); only a traceback spans several.
    """

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self, bot_name: str | None = None) -> None:
        super().__init__(
            "%(asctime)s %(levelname)-8s %(bot)s %(name)s: %(message)s",
            defaults={"bot": bot_name or "-"},
        )

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  (logging's name)
        return one_line(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors: time (UTC, ISO 8601), level, logger,
    message, bot, exc_info and stack_info when present, then the record's ``extra`` fields."""

    def __init__(self, bot_name: str | None = None) -> None:
        super().__init__()
        self.bot_name = bot_name

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "bot": getattr(record, "bot", self.bot_name),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_FIELDS:
                entry.setdefault(key, value)
        line = json.dumps(redact_value(entry), ensure_ascii=False, default=_redacted_text)
        return _LINE_BREAKERS.sub(_json_escape, line)


def _json_escape(match: re.Match[str]) -> str:
    """JSON's escape for a character json.dumps leaves raw (it escapes only those below 0x20)."""
    return f"\\u{ord(match.group()):04x}"


def _redacted_text(value: object) -> str:
    """How JSON lines show an ``extra`` value that JSON cannot hold."""
    return redact(str(value))


class _QueueHandler(logging.handlers.QueueHandler):
    """Hands the writer thread a redacted copy of each record, its traceback rendered to text.

    The caller's record stays as it was: other consumers, such as Sentry's logging integration,
    read it after the handlers and group events by the unformatted message.
    """

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        prepared = copy.copy(record)
        _redact_record(prepared)
        prepared.exc_info = None
        return prepared


@dataclass
class _Installation:
    """What :func:`setup_logger` attached to one logger, to undo it on the next call."""

    logger: logging.Logger
    handler: logging.Handler
    listener: logging.handlers.QueueListener
    prints: bool


_installations: dict[str, _Installation] = {}
_installations_lock = threading.Lock()


def setup_logger(
    name: str,
    log_file: str | None = None,
    level: str | int = "INFO",
    *,
    json_format: bool = False,
    bot_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    backup_count: int = DEFAULT_BACKUP_COUNT,
) -> logging.Logger:
    """Send ``name``'s records to the console and, given ``log_file``, to a rotating file.

    ``name`` "" is the root logger. Calling it again for the same logger replaces what the
    previous call installed. The console is left out when an ancestor logger already prints
    (after :func:`configure_logging`, for instance), so no line is printed twice.
    """
    logger = logging.getLogger(name)
    logger.setLevel(_level_number(level))
    formatter = JsonFormatter(bot_name) if json_format else HumanFormatter(bot_name)
    handlers: list[logging.Handler] = []
    prints = not _ancestor_prints(logger)
    if prints:
        handlers.append(logging.StreamHandler(sys.stderr))
    if log_file is not None:
        path = Path(log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())
    with _installations_lock:
        _uninstall(logger.name)
        if handlers:
            _install(logger, handlers, prints=prints)
    return logger


def get_log_filename(bot_name: str, directory: str = DEFAULT_LOG_DIRECTORY) -> str:
    """The log file of one bot: ``<directory>/<bot_name>.log``."""
    if not _SAFE_FILE_STEM.fullmatch(bot_name):
        raise ValueError(
            f"{bot_name!r} cannot name a log file: use letters, digits, '_' and '-' only"
        )
    return str(Path(directory) / f"{bot_name}.log")


def configure_logging(settings: Settings, bot_name: str) -> None:
    """Set up logging for one bot process; call it once at start, before the event loop runs.

    The root logger writes to the console and to ``<logging.directory>/<bot_name>.log``, as JSON
    lines when ``logging.json_format`` is set. botfleet logs at ``logging.level``; discord.py at
    INFO with its gateway at WARNING (both at DEBUG when the level is DEBUG); other libraries at
    WARNING. Every secret in ``settings`` is registered for redaction, and Sentry reporting
    starts when ``logging.sentry_dsn`` is set. Calling it again replaces the previous set-up.
    """
    for secret in _secrets_of(settings):
        register_secret(secret)
    config = settings.logging
    log_to(
        get_log_filename(bot_name, config.directory),
        config.level,
        json_format=config.json_format,
        bot_name=bot_name,
        max_bytes=config.max_bytes,
        backup_count=config.backup_count,
    )
    _start_sentry(settings, bot_name)


def log_to(
    log_file: str,
    level: str | int,
    *,
    json_format: bool,
    bot_name: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    backup_count: int = DEFAULT_BACKUP_COUNT,
) -> None:
    """The levels and handlers of :func:`configure_logging`, without settings: the supervisor
    process sets them from its command line."""
    number = _level_number(level)
    setup_logger(
        "",
        log_file,
        max(number, logging.WARNING),
        json_format=json_format,
        bot_name=bot_name,
        max_bytes=max_bytes,
        backup_count=backup_count,
    )
    debug = number <= logging.DEBUG
    logging.getLogger("botfleet").setLevel(number)
    logging.getLogger("discord").setLevel(number if debug else max(number, logging.INFO))
    logging.getLogger("discord.gateway").setLevel(number if debug else max(number, logging.WARNING))


def shutdown_logging() -> None:
    """Write out every queued record and close what :func:`setup_logger` installed.

    Runs at interpreter exit; call it sooner to be sure the files are complete (in tests, say).
    """
    with _installations_lock:
        for name in list(_installations):
            _uninstall(name)


def _install(logger: logging.Logger, handlers: list[logging.Handler], *, prints: bool) -> None:
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    queue_handler = _QueueHandler(records)
    listener = logging.handlers.QueueListener(records, *handlers, respect_handler_level=True)
    listener.start()
    logger.addHandler(queue_handler)
    _installations[logger.name] = _Installation(logger, queue_handler, listener, prints)


def _uninstall(name: str) -> None:
    installation = _installations.pop(name, None)
    if installation is None:
        return
    installation.logger.removeHandler(installation.handler)
    installation.listener.stop()
    for handler in installation.listener.handlers:
        handler.close()


def _ancestor_prints(logger: logging.Logger) -> bool:
    parent = logger.parent
    while parent is not None:
        installation = _installations.get(parent.name)
        if installation is not None and installation.prints:
            return True
        parent = parent.parent
    return False


def _level_number(level: str | int) -> int:
    if isinstance(level, int):
        return level
    number = logging.getLevelNamesMapping().get(level.upper())
    if number is None:
        raise ValueError(
            f"unknown log level {level!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )
    return number


def _secrets_of(model: BaseModel) -> Iterator[SecretStr]:
    """Every SecretStr value in a settings model, however deeply nested."""
    from pydantic import BaseModel, SecretStr  # noqa: PLC0415  (the supervisor logs without)

    for field_name in type(model).model_fields:
        value = getattr(model, field_name)
        if isinstance(value, SecretStr):
            yield value
        elif isinstance(value, BaseModel):
            yield from _secrets_of(value)


def _start_sentry(settings: Settings, bot_name: str) -> None:
    dsn = settings.logging.sentry_dsn
    if dsn is None or not dsn.get_secret_value():
        return
    from botfleet import __version__  # noqa: PLC0415  (importlib.metadata: not in the supervisor)

    try:
        import sentry_sdk  # noqa: PLC0415  (an optional extra)
    except ImportError:
        log.warning(
            "logging.sentry_dsn is set but sentry-sdk is not installed, so errors are not sent "
            "to Sentry; install the 'sentry' extra: pip install 'botfleet[sentry]'"
        )
        return
    sentry_sdk.init(
        dsn=dsn.get_secret_value(),
        environment=settings.environment,
        release=f"botfleet@{__version__}",
        before_send=redact_sentry_event,
        send_default_pii=False,
    )
    sentry_sdk.set_tag("bot", bot_name)
    log.info("Sentry error reporting is on for %s (%s)", bot_name, settings.environment)


atexit.register(shutdown_logging)
