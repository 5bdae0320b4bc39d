"""What an idle bot process does not import: Alembic (only to migrate), yt-dlp (only at the
Music Bot's first link), each about 12-14 MB of resident memory (benchmarks/memory.py), Stripe's
SDK and cryptography's primitives (only at a payment, or a webhook checked by the web process):
about 12 and 6 MB, aiohttp's server side (only with a health endpoint): about 2 MB, and
redis-py (only when Redis is configured): about 6 MB, prometheus_client (only with a health
endpoint, which serves /metrics): about 1.5 MB, and SQLAlchemy's PostgreSQL dialect with
its drivers' modules (only on PostgreSQL): about 2 MB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scale_processes import BotProcess

from botfleet.database.migrate import upgrade
from botfleet.sandbox import DiscordSandbox

CRYPTOGRAPHY_PRIMITIVES = ("cryptography.hazmat", "cryptography.x509", "cryptography.fernet")
POSTGRESQL_MODULES = ("sqlalchemy.dialects.postgresql", "asyncpg")
IDLE_BOT = """
import sys
from botfleet import bot_definitions
import botfleet.core.entry
from botfleet.core.bot import XP_EXTENSION, GAMIFICATION_COMMANDS_EXTENSION
from importlib import import_module
for definition in bot_definitions():
    for extension in (*definition.all_extensions, XP_EXTENSION, GAMIFICATION_COMMANDS_EXTENSION):
        import_module(extension)
from botfleet.bots.music.services.web import yt_dlp_extractor
yt_dlp_extractor(max_entries=1, timeout=1.0)
print(" ".join(sorted(sys.modules)))
"""


def test_a_bot_process_imports_no_migrations_yt_dlp_or_payments_until_needed() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IDLE_BOT], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    modules = result.stdout.split()
    imported = {name.split(".")[0] for name in modules}
    assert {"botfleet", "discord", "sqlalchemy"} <= imported
    assert not imported & {"alembic", "mako", "yt_dlp", "stripe", "redis", "prometheus_client"}
    assert not [name for name in modules if name.startswith(CRYPTOGRAPHY_PRIMITIVES)]
    assert not [name for name in modules if name.startswith("aiohttp.web")]
    assert not [name for name in modules if name.startswith(POSTGRESQL_MODULES)]


MODULES_AT_EXIT = """
import atexit, runpy, sys
atexit.register(lambda: print("imported:", " ".join(sorted(sys.modules)), flush=True))
runpy.run_module("botfleet.bots.hangman", run_name="__main__", alter_sys=True)
"""
"""The Hangman Bot's own entry point, saying at exit what the process imported."""


async def test_a_bot_on_sqlite_never_imports_the_postgresql_dialect(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    """On a migrated database with ``auto_migrate`` on (the development default): the bot
    sees the schema is at the newest revision without Alembic, which imports every dialect
    it supports."""
    app = discord_sandbox.add_application("Hangman Bot")
    guild = discord_sandbox.create_guild("Word Club", bots=[app])
    url = f"sqlite+aiosqlite:///{tmp_path}/botfleet.db"
    await upgrade(url)
    bot = await BotProcess.start_python(
        ("-c", MODULES_AT_EXIT),
        discord_sandbox.url,
        tmp_path / "hangman",
        {
            "HANGMAN_DISCORD_TOKEN": app.token,
            "DATABASE_URL": url,
            "BOTFLEET_DATABASE__AUTO_MIGRATE": "true",
        },
    )
    try:
        await bot.wait_for_output("ready as")
        member = guild.add_member("alice")
        await member.send(guild.channel("general"), "a few words to earn some XP with")
        status = await bot.stop()
    finally:
        await bot.kill()
    assert status == 0, bot.text
    exit_line = [line for line in bot.text.splitlines() if line.startswith("imported:")]
    assert exit_line, bot.text
    modules = exit_line[0].split()[1:]
    assert "sqlalchemy.dialects.sqlite.aiosqlite" in modules
    assert not [name for name in modules if name.startswith(POSTGRESQL_MODULES)]
    assert not [name for name in modules if name.startswith(("alembic", "mako"))]
    assert "prometheus_client" not in modules  # no health.port: no /metrics to read them
