"""The ``botfleet`` command line, run as a user would, on SQLite and the real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from botfleet.bots.mod.services.cases import CaseStore, NewCase
from botfleet.bots.mod.services.limits import CaseAction
from botfleet.cache import CacheHierarchy, CacheKeys
from botfleet.cli import main
from botfleet.config import token_variable
from botfleet.config.schema import Settings
from botfleet.core.heartbeat import Heartbeat, Vitals
from botfleet.database import Database

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh checkout-like folder: the shipped config, no .env, a SQLite database of its own."""
    shutil.copytree(REPO_CONFIG, tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    for name in ("GRAMMAR", "HANGMAN", "SPELLING_BEE", "MOD", "UTILITY", "MUSIC"):
        monkeypatch.delenv(f"{name}_DISCORD_TOKEN", raising=False)
    return tmp_path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_config_show_masks_secrets_and_names_sources(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANGMAN_DISCORD_TOKEN", "MTIz.secret-token-value.xyz")
    monkeypatch.setenv("DATABASE_URL", "postgresql://fleet:hunter2@127.0.0.1:5432/fleet")
    result = invoke("config", "show", "--bot", "hangman")
    assert result.exit_code == 0
    assert "secret-token-value" not in result.output
    assert "hunter2" not in result.output
    token_line = next(
        line for line in result.output.splitlines() if line.startswith("discord.token")
    )
    assert "********" in token_line and "[env HANGMAN_DISCORD_TOKEN]" in token_line
    prefix_line = next(line for line in result.output.splitlines() if line.startswith("bot.prefix"))
    assert "h!" in prefix_line and "[default of the hangman bot]" in prefix_line


def test_config_show_of_a_bot_lists_its_options_with_defaults_and_sources(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTFLEET_OPTIONS__INACTIVITY_TIMEOUT", "90")
    result = invoke("config", "show", "--bot", "hangman")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()}
    assert "options" not in rows
    assert "90.0" in rows["options.inactivity_timeout"]
    assert "[env BOTFLEET_OPTIONS__INACTIVITY_TIMEOUT]" in rows["options.inactivity_timeout"]
    defaults = [line for key, line in rows.items() if key.startswith("options.")]
    assert len(defaults) > 1
    assert all(line.endswith("[default]") for line in defaults if "INACTIVITY" not in line)


def test_config_show_reports_invalid_configuration(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTFLEET_RATE_LIMITS__COMMANDS_PER_USER", "many")
    result = invoke("config", "show")
    assert result.exit_code == 2
    assert "env BOTFLEET_RATE_LIMITS__COMMANDS_PER_USER: rate_limits.commands_per_user" in (
        result.output
    )


def test_db_commands_on_sqlite(workdir: Path) -> None:
    result = invoke("db", "current")
    assert result.exit_code == 0
    assert "revision none" in result.output
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (workdir / "data" / "botfleet.db").is_file()
    assert "(latest)" in invoke("db", "current").output
    result = invoke("db", "downgrade", "base")
    assert result.exit_code == 0
    assert "is at revision base" in result.output


def test_db_upgrade_on_postgres(
    workdir: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "(latest)" in invoke("db", "current").output


def test_db_failure_is_one_line_without_password(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://fleet:hunter2@127.0.0.1:{dead_port()}/x")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "hunter2" not in result.output
    assert result.output.startswith("botfleet: ")


def test_run_without_any_token_starts_the_sandbox(workdir: Path) -> None:
    result = invoke("run")
    assert result.exit_code == 0, result.output
    notice, *transcript = result.output.splitlines()
    assert notice.startswith("No Discord token is configured, so the bots run in the local sandbox")
    assert "HANGMAN_DISCORD_TOKEN" in notice
    assert "── Spelling Bee Bot (text commands start with sb!) ──" in transcript
    assert re.fullmatch(r"The walkthrough ran \d+ steps; every bot answered\.", transcript[-1])
    assert not (workdir / "data" / "botfleet.db").exists(), "the sandbox keeps its own database"


def test_sandbox_with_reload_watches_the_extensions(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTFLEET_BOT__RELOAD", "false")  # restored after the flag sets it
    script = workdir / "steps.txt"
    script.write_text("h!ping\n:expect Pong!\n", encoding="utf-8")
    result = invoke("sandbox", "hangman", "--reload", "--script", str(script))
    assert result.exit_code == 0, result.output
    log = (workdir / "logs" / "sandbox.log").read_text(encoding="utf-8")
    assert "reload is on: watching" in log


def test_run_named_bot_without_token_names_its_variable(workdir: Path) -> None:
    result = invoke("run", "music")
    assert result.exit_code == 2
    assert "set MUSIC_DISCORD_TOKEN (or DISCORD_TOKEN)" in result.output


def test_run_all_with_only_the_shared_token_asks_which_bot(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "MTIz.shared.token")
    result = invoke("run", "--all")
    assert result.exit_code == 2
    assert "botfleet run hangman" in result.output


def test_run_unknown_bot(workdir: Path) -> None:
    result = invoke("run", "pinball")
    assert result.exit_code == 2
    assert "unknown bot 'pinball'" in result.output


def test_doctor_on_defaults_passes_with_warnings(workdir: Path) -> None:
    result = invoke("doctor")
    assert result.exit_code == 0, result.output
    assert "! token hangman" in result.output
    assert "set HANGMAN_DISCORD_TOKEN" in result.output
    assert "✔ database" in result.output
    assert "✔ redis" in result.output and "in-memory cache" in result.output
    assert "✔ options" in result.output


BOT_CHECKS = {
    "music": ("ffmpeg", "ffprobe", "voice"),
    "spelling_bee": ("espeak-ng",),
    "mod": ("automod scans",),
}
"""The checks of what one bot alone needs, by bot."""
CHECK_NAME = re.compile(r"[✔!✘] (.+?)\s{2,}")


@pytest.mark.parametrize("tokens", [(), ("hangman",), ("mod", "music")])
def test_doctor_checks_what_one_bot_needs_only_for_the_bots_that_run(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, tokens: tuple[str, ...]
) -> None:
    """The bots with a token run, or all of them in the sandbox when none has one: a fleet
    without the Music Bot is not warned about FFmpeg, nor one without the Mod Bot about its
    automod's C module."""
    for bot in tokens:
        monkeypatch.setenv(token_variable(bot), f"MTIz.{bot}.token")
    output = invoke("doctor").output
    checked = {found[1] for line in output.splitlines() if (found := CHECK_NAME.match(line))}
    running = set(tokens) or set(BOT_CHECKS)
    for bot, names in BOT_CHECKS.items():
        for name in names:
            assert (name in checked) is (bot in running), (name, output)


def test_doctor_fails_on_unreachable_redis_and_bad_token(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{dead_port()}/0")
    monkeypatch.setenv("MOD_DISCORD_TOKEN", "not-a-token")
    result = invoke("doctor")
    assert result.exit_code == 1
    assert "✘ redis" in result.output
    assert "✘ token mod" in result.output
    assert "not-a-token" not in result.output


def test_doctor_fails_on_an_option_the_bot_would_refuse(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTFLEET_OPTIONS__INACTIVITY_TIMEOUT", "abc")
    result = invoke("doctor")
    assert result.exit_code == 1, result.output
    hangman = next(line for line in result.output.splitlines() if "✘ options hangman" in line)
    assert "options.inactivity_timeout: input should be a valid number" in hangman
    assert "fix: correct it in env BOTFLEET_OPTIONS__INACTIVITY_TIMEOUT" in result.output
    music = next(line for line in result.output.splitlines() if "✘ options music" in line)
    assert "options.inactivity_timeout: extra inputs are not permitted" in music


def test_doctor_on_postgres_reports_schema_state(
    workdir: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("BOTFLEET_ENV", "production")
    result = invoke("doctor")
    assert "✘ schema" in result.output
    assert "run `botfleet db upgrade`" in result.output
    assert invoke("db", "upgrade").exit_code == 0
    assert "✔ schema" in invoke("doctor").output


def test_delete_user_reports_each_service(workdir: Path) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    result = invoke("data", "delete-user", "1234", "--yes")
    assert result.exit_code == 0, result.output
    assert "users" in result.output
    assert "user 1234: 0 rows deleted in all" in result.output
    assert (
        "running bots may show the member's cached data for up to 60 minutes, or until they "
        "restart: neither Redis nor a broker (bus.backend: rabbitmq) told them"
    ) in result.output


async def _cache_member_data(redis_url: str, prefix: str, user_id: int) -> list[str]:
    """A bot's cached copies in Redis: its member's Hangman record, a board page listing them,
    and another member's record, which stays. The names of the keys left afterwards."""
    settings = Settings.model_validate({"cache": {"redis_url": redis_url, "key_prefix": prefix}})
    async with CacheHierarchy.from_settings(settings) as cache:
        await cache.set(CacheKeys.member_record(user_id, "hangman", 1), {"won": 3}, 600)
        await cache.set(CacheKeys.member_record(user_id + 1, "hangman", 1), {"won": 1}, 600)
        await cache.set(f"{CacheKeys.leaderboard(1, 'xp', 'all_time')}:1", [user_id], 600)
    return [
        CacheKeys.member_record(user_id, "hangman", 1),
        CacheKeys.member_record(user_id + 1, "hangman", 1),
        f"{CacheKeys.leaderboard(1, 'xp', 'all_time')}:1",
    ]


async def _still_cached(redis_url: str, prefix: str, keys: list[str]) -> list[str]:
    settings = Settings.model_validate({"cache": {"redis_url": redis_url, "key_prefix": prefix}})
    async with CacheHierarchy.from_settings(settings) as cache:
        return [key for key in keys if await cache.get(key) is not None]


def test_delete_user_drops_the_members_cached_copies_through_redis(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("BOTFLEET_CACHE__KEY_PREFIX", redis_prefix)
    assert invoke("db", "upgrade").exit_code == 0
    keys = asyncio.run(_cache_member_data(redis_url, redis_prefix, 1234))
    result = invoke("data", "delete-user", "1234", "--yes")
    assert result.exit_code == 0, result.output
    assert "cached copies dropped through Redis, in every bot that uses it" in result.output
    assert "running bots may show" not in result.output
    assert asyncio.run(_still_cached(redis_url, redis_prefix, keys)) == [keys[1]]


async def _open_case(url: str, target_id: int) -> None:
    database = Database(url)
    try:
        case = NewCase(
            guild_id=1,
            action=CaseAction.WARN,
            target_id=target_id,
            target_name="alice",
            moderator_id=2,
            reason="spam",
        )
        await CaseStore(database).create(case, datetime.now(UTC))
    finally:
        await database.dispose()


def test_delete_user_says_which_records_were_kept_without_the_member(workdir: Path) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    asyncio.run(_open_case(f"sqlite+aiosqlite:///{workdir / 'data' / 'botfleet.db'}", 1234))
    result = invoke("data", "delete-user", "1234", "--yes")
    assert result.exit_code == 0, result.output
    assert "1 row kept, the member's name and messages replaced" in result.output
    assert "user 1234: 0 rows deleted in all" in result.output


def test_delete_user_without_database_is_a_clear_error(workdir: Path) -> None:
    result = CliRunner().invoke(main, ["data", "delete-user", "1234", "--yes"])
    assert result.exit_code == 1
    assert "no such database file" in result.output
    assert "Traceback" not in result.output
    assert not (workdir / "data" / "botfleet.db").exists(), "nothing is created by a deletion"


def test_delete_user_without_schema_is_a_clear_error(workdir: Path) -> None:
    (workdir / "data").mkdir()
    (workdir / "data" / "botfleet.db").touch()
    result = CliRunner().invoke(main, ["data", "delete-user", "1234", "--yes"])
    assert result.exit_code == 1
    assert "never migrated" in result.output
    assert "Traceback" not in result.output


def test_web_serves_health_until_interrupted(workdir: Path) -> None:
    port = dead_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "botfleet", "web", "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer:
                    body = json.loads(answer.read())
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None and body["status"] == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert b"Traceback" not in output


def test_web_hands_the_dashboard_each_bots_own_token(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Settings] = []

    async def serve(settings: Settings) -> None:
        served.append(settings)

    monkeypatch.setattr("botfleet.web.app.serve", serve)
    monkeypatch.setenv("UTILITY_DISCORD_TOKEN", "utility-token")
    monkeypatch.setenv("DISCORD_TOKEN", "one-application-token")

    assert invoke("web").exit_code == 0

    (settings,) = served
    tokens = {name: token.get_secret_value() for name, token in settings.web.bot_tokens.items()}
    assert tokens == {"utility": "utility-token"}, "the shared DISCORD_TOKEN is no bot's own"


def test_db_downgrade_mistakes_are_one_line(workdir: Path) -> None:
    missing = CliRunner().invoke(main, ["db", "downgrade", "base"])
    assert missing.exit_code == 1
    assert "no such database file" in missing.output
    assert not (workdir / "data" / "botfleet.db").exists()
    assert invoke("db", "upgrade").exit_code == 0
    unknown = CliRunner().invoke(main, ["db", "downgrade", "nosuchrev"])
    assert unknown.exit_code == 1
    assert "Can't locate revision" in unknown.output
    assert "Traceback" not in unknown.output


async def _beat(url: str, bot_name: str, *, at: datetime) -> None:
    database = Database(url)
    try:
        vitals = Vitals(latency_ms=12, guild_count=2, shard_count=1)
        heartbeat = Heartbeat(
            database,
            lambda: vitals,
            bot_name=bot_name,
            version="9.9",
            interval=30,
            clock=lambda: at,
        )
        await heartbeat.beat()
    finally:
        await database.dispose()


def test_status_reads_every_bots_heartbeat(workdir: Path) -> None:
    assert "run `botfleet db upgrade` first" in CliRunner().invoke(main, ["status"]).output
    assert invoke("db", "upgrade").exit_code == 0
    url = f"sqlite+aiosqlite:///{workdir / 'data' / 'botfleet.db'}"
    asyncio.run(_beat(url, "utility", at=datetime.now(UTC)))
    result = invoke("status")
    assert result.exit_code == 0, result.output
    lines = dict(line.split("  ", 1) for line in result.output.splitlines())
    assert lines["Utility Bot"].strip().startswith("online, 12 ms, up")
    assert lines["Music Bot"].strip() == "never started on this database"
    asyncio.run(_beat(url, "music", at=datetime.now(UTC) - timedelta(minutes=5)))
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 1
    assert "NOT RESPONDING: last heartbeat 5m" in result.output


def test_status_of_one_bot_is_its_health_check(workdir: Path) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    url = f"sqlite+aiosqlite:///{workdir / 'data' / 'botfleet.db'}"
    never = CliRunner().invoke(main, ["status", "hangman"])
    assert never.exit_code == 1
    assert never.output.strip() == "Hangman Bot  never started on this database"
    asyncio.run(_beat(url, "hangman", at=datetime.now(UTC)))
    asyncio.run(_beat(url, "music", at=datetime.now(UTC) - timedelta(minutes=5)))
    online = CliRunner().invoke(main, ["status", "hangman"])
    assert online.exit_code == 0, online.output
    assert online.output.startswith("Hangman Bot  online, 12 ms, up")
    assert "Music" not in online.output
    silent = CliRunner().invoke(main, ["status", "music"])
    assert silent.exit_code == 1
    assert "NOT RESPONDING" in silent.output
    unknown = CliRunner().invoke(main, ["status", "nosuchbot"])
    assert unknown.exit_code == 2
    assert "'nosuchbot' is not one of" in unknown.output
