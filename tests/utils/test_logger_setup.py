"""Logging set-up: files, rotation, JSON lines, levels, no duplicate handlers, Sentry."""

from __future__ import annotations

import gzip
import http.server
import json
import logging
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from botfleet import __version__
from botfleet.config.schema import Settings
from botfleet.utils.logger import (
    REDACTED,
    configure_logging,
    get_log_filename,
    setup_logger,
    shutdown_logging,
)

pytestmark = pytest.mark.usefixtures("clean_logging")

TOKEN = "NDEyMzQ1Njc4OTAxMjM0NTY3.GhIjKl.aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5oQ"
STRIPE_KEY = "sk_live_51HxYz51HxYz51HxYz51HxYz"


def make_settings(directory: Path, **logging_options: Any) -> Settings:
    return Settings.model_validate(
        {
            "environment": "staging",
            "logging": {"directory": str(directory), **logging_options},
            "discord": {"token": "registered-token-value-0042"},
            "database": {"url": "postgresql+asyncpg://fleet:db-pass-7731@db:5432/fleet"},
        }
    )


def read_log(directory: Path, bot: str = "hangman") -> str:
    shutdown_logging()
    return (directory / f"{bot}.log").read_text(encoding="utf-8")


def test_log_filename_is_the_bot_name_under_the_directory() -> None:
    assert get_log_filename("hangman") == str(Path("logs") / "hangman.log")
    assert (
        get_log_filename("spelling_bee", "/var/log/botfleet")
        == "/var/log/botfleet/spelling_bee.log"
    )
    for bad in ("", "../etc/passwd", "a/b", ".hidden"):
        with pytest.raises(ValueError, match="cannot name a log file"):
            get_log_filename(bad)


def test_human_lines_reach_the_bot_file_in_utc_with_secrets_redacted(tmp_path: Path) -> None:
    configure_logging(make_settings(tmp_path), "hangman")
    log = logging.getLogger("botfleet.tests")
    log.info("token %s, database password %s", "registered-token-value-0042", "db-pass-7731")
    log.debug("not at INFO")
    try:
        raise ConnectionError(f"login failed for {TOKEN}")
    except ConnectionError:
        log.exception("gateway error with key %s", STRIPE_KEY)
    content = read_log(tmp_path)
    lines = content.splitlines()
    assert lines[0].endswith(
        f"INFO     hangman botfleet.tests: token {REDACTED}, database password {REDACTED}"
    )
    stamp = datetime.strptime(lines[0].split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs(stamp.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(hours=1)
    assert "not at INFO" not in content
    assert f"ERROR    hangman botfleet.tests: gateway error with key {REDACTED}" in content
    assert "Traceback (most recent call last):" in content
    assert f"ConnectionError: login failed for {REDACTED}" in content
    for secret in ("registered-token-value-0042", "db-pass-7731", TOKEN, STRIPE_KEY):
        assert secret not in content


def test_the_callers_record_is_left_intact_for_other_handlers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging(make_settings(tmp_path), "hangman")
    with caplog.at_level(logging.INFO, logger="botfleet.tests"):
        logging.getLogger("botfleet.tests").info("connected with %s", TOKEN)
    (record,) = [record for record in caplog.records if record.name == "botfleet.tests"]
    assert (record.msg, record.args) == ("connected with %s", (TOKEN,))
    assert f"connected with {REDACTED}" in read_log(tmp_path)


def test_json_lines_parse_and_carry_context(tmp_path: Path) -> None:
    configure_logging(make_settings(tmp_path, json_format=True), "grammar")
    log = logging.getLogger("botfleet.tests")
    log.warning("slow reply", extra={"guild_id": 42, "command": "check", "auth": f"Bearer {TOKEN}"})
    try:
        raise ValueError(f"bad key {STRIPE_KEY}")
    except ValueError:
        log.error("charge failed", exc_info=True, extra={"payload": {"key": STRIPE_KEY}})
    content = read_log(tmp_path, "grammar")
    first, second = (json.loads(line) for line in content.splitlines())
    moment = datetime.fromisoformat(first["time"])
    assert moment.utcoffset() == timedelta(0)
    assert {key: first[key] for key in ("level", "logger", "message", "bot")} == {
        "level": "WARNING",
        "logger": "botfleet.tests",
        "message": "slow reply",
        "bot": "grammar",
    }
    assert (first["guild_id"], first["command"], first["auth"]) == (
        42,
        "check",
        f"Bearer {REDACTED}",
    )
    assert "exc_info" not in first
    assert second["level"] == "ERROR"
    assert second["exc_info"].startswith("Traceback (most recent call last):")
    assert second["exc_info"].endswith(f"ValueError: bad key {REDACTED}")
    assert second["payload"] == {"key": REDACTED}
    assert STRIPE_KEY not in content
    assert TOKEN not in content


FORGED = (
    "hello\n2026-01-01T00:00:00.000Z INFO     hangman botfleet: admin granted\r\x1b[2J\u2028\x85end"
)
"""Member text that tries to forge a second record and clear the operator's terminal."""


@pytest.mark.parametrize("json_format", [False, True], ids=["human", "json"])
def test_member_text_stays_on_its_records_line(tmp_path: Path, json_format: bool) -> None:
    configure_logging(make_settings(tmp_path, json_format=json_format), "hangman")
    log = logging.getLogger("botfleet.tests")
    log.info("member guessed %r", "word")
    log.info("member wrote %s", FORGED)
    log.info("member guessed %s", "last")
    lines = read_log(tmp_path).splitlines()
    assert len(lines) == 3, lines
    assert "\x1b" not in lines[1]
    if json_format:
        assert json.loads(lines[1])["message"] == f"member wrote {FORGED}"
    else:
        assert lines[1].endswith(
            "member wrote hello\\n2026-01-01T00:00:00.000Z INFO     hangman botfleet: "
            "admin granted\\r\\x1b[2J\\u2028\\x85end"
        )


def test_the_file_rotates_and_keeps_backup_count_old_files(tmp_path: Path) -> None:
    configure_logging(make_settings(tmp_path, max_bytes=2000, backup_count=2), "mod")
    log = logging.getLogger("botfleet.tests")
    for number in range(200):
        log.warning("line %03d %s", number, "x" * 60)
    shutdown_logging()
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["mod.log", "mod.log.1", "mod.log.2"]
    for path in tmp_path.iterdir():
        assert 0 < path.stat().st_size <= 2000
    assert "line 199" in (tmp_path / "mod.log").read_text(encoding="utf-8")


def test_configuring_twice_adds_no_duplicate_handler(tmp_path: Path) -> None:
    root = logging.getLogger()
    handlers_before = len(root.handlers)
    settings = make_settings(tmp_path)
    configure_logging(settings, "utility")
    configure_logging(settings, "utility")
    assert len(root.handlers) == handlers_before + 1
    logging.getLogger("botfleet.tests").warning("only once")
    assert read_log(tmp_path, "utility").count("only once") == 1


def test_console_gets_each_line_once_even_with_a_second_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(tmp_path / "fleet"), "music")
    setup_logger("botfleet.tests", str(tmp_path / "extra" / "tests.log"), "DEBUG")
    logging.getLogger("botfleet.tests").debug("debug detail %s", TOKEN)
    shutdown_logging()
    console = capsys.readouterr().err
    assert console.count("debug detail") == 1
    assert TOKEN not in console
    assert f"debug detail {REDACTED}" in (tmp_path / "extra" / "tests.log").read_text(
        encoding="utf-8"
    )
    assert "debug detail" in (tmp_path / "fleet" / "music.log").read_text(encoding="utf-8")


def test_setup_logger_alone_prints_and_writes_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = setup_logger("botfleet.tests", str(tmp_path / "bot.log"), "WARNING", bot_name="hangman")
    assert log is logging.getLogger("botfleet.tests")
    log.info("too quiet")
    log.warning("heard")
    shutdown_logging()
    assert "hangman botfleet.tests: heard" in capsys.readouterr().err
    content = (tmp_path / "bot.log").read_text(encoding="utf-8")
    assert "heard" in content
    assert "too quiet" not in content
    with pytest.raises(ValueError, match="unknown log level 'LOUD'"):
        setup_logger("botfleet.tests", level="LOUD")


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (
            "INFO",
            {"": "WARNING", "botfleet": "INFO", "discord": "INFO", "discord.gateway": "WARNING"},
        ),
        (
            "DEBUG",
            {"": "WARNING", "botfleet": "DEBUG", "discord": "DEBUG", "discord.gateway": "DEBUG"},
        ),
        (
            "ERROR",
            {"": "ERROR", "botfleet": "ERROR", "discord": "ERROR", "discord.gateway": "ERROR"},
        ),
    ],
)
def test_levels_of_botfleet_discord_and_other_libraries(
    tmp_path: Path, level: str, expected: dict[str, str]
) -> None:
    configure_logging(make_settings(tmp_path, level=level), "hangman")
    levels = {name: logging.getLevelName(logging.getLogger(name).level) for name in expected}
    assert levels == expected


def test_discord_py_records_go_through_the_same_handlers(tmp_path: Path) -> None:
    configure_logging(make_settings(tmp_path), "hangman")
    logging.getLogger("discord.client").info("logging in using static token %s", TOKEN)
    logging.getLogger("discord.gateway").info("heartbeat chatter")
    logging.getLogger("discord.gateway").warning("gateway lagging")
    logging.getLogger("aiosqlite").info("library chatter")
    content = read_log(tmp_path)
    assert f"discord.client: logging in using static token {REDACTED}" in content
    assert "heartbeat chatter" not in content
    assert "gateway lagging" in content
    assert "library chatter" not in content


def test_a_missing_sentry_sdk_is_a_warning_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)
    settings = make_settings(tmp_path, sentry_dsn="http://public@127.0.0.1:9/1")
    configure_logging(settings, "hangman")
    content = read_log(tmp_path)
    assert "sentry-sdk is not installed" in content
    assert "'sentry' extra" in content
    assert "pip install 'botfleet[sentry]'" in content


class EnvelopeCollector(http.server.ThreadingHTTPServer):
    """A stand-in Sentry on 127.0.0.1 that keeps every envelope posted to it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CollectEnvelope)
        self.envelopes: list[bytes] = []


class CollectEnvelope(http.server.BaseHTTPRequestHandler):
    server: EnvelopeCollector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def sentry_server() -> Iterator[EnvelopeCollector]:
    server = EnvelopeCollector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


SENTRY_SCRIPT = textwrap.dedent(
    """
    import logging, sys
    import sentry_sdk
    from botfleet.config.schema import Settings
    from botfleet.utils.logger import configure_logging, shutdown_logging

    directory, dsn, token, card_key = sys.argv[1:]
    settings = Settings.model_validate(
        {"environment": "staging", "logging": {"directory": directory, "sentry_dsn": dsn},
         "discord": {"token": token}}
    )
    configure_logging(settings, "hangman")

    def charge(key):
        raise RuntimeError(f"card declined for {key} (bot token {token})")

    try:
        charge(card_key)
    except RuntimeError:
        logging.getLogger("botfleet.payments").exception("charge failed with %s", card_key)
    sentry_sdk.flush(timeout=20)
    shutdown_logging()
    """
)


def test_sentry_events_are_redacted_and_tagged(
    sentry_server: EnvelopeCollector, tmp_path: Path
) -> None:
    """Runs in a child process: sentry_sdk.init patches libraries for the whole process."""
    dsn = f"http://publickey@127.0.0.1:{sentry_server.server_address[1]}/1"
    token = "unpatterned-registered-token-9931"
    result = subprocess.run(
        [sys.executable, "-c", SENTRY_SCRIPT, str(tmp_path), dsn, token, STRIPE_KEY],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    payload = b"\n".join(sentry_server.envelopes)
    assert payload, "no envelope reached the local Sentry"
    assert token.encode() not in payload
    assert STRIPE_KEY.encode() not in payload
    events = [
        item
        for line in payload.splitlines()
        if line.startswith(b"{")
        for item in [json.loads(line)]
        if item.get("level") == "error"
    ]
    assert events
    event = events[0]
    assert event["environment"] == "staging"
    assert event["release"] == f"botfleet@{__version__}"
    assert event["tags"]["bot"] == "hangman"
    assert event["logentry"]["message"] == "charge failed with %s"
    assert event["logentry"]["params"] == [REDACTED]
    assert event["logentry"]["formatted"] == f"charge failed with {REDACTED}"
    exception = event["exception"]["values"][-1]
    assert exception["value"] == f"card declined for {REDACTED} (bot token {REDACTED})"
    frame_vars = [frame.get("vars", {}) for frame in exception["stacktrace"]["frames"]]
    assert any(REDACTED in str(variables.get("key")) for variables in frame_vars)
    assert STRIPE_KEY not in (tmp_path / "hangman.log").read_text(encoding="utf-8")
