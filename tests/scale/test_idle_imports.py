"""What an idle bot process does not import: Alembic (only to migrate), yt-dlp (only at the
Music Bot's first link), each about 12-14 MB of resident memory (benchmarks/memory.py), Stripe's
SDK and cryptography's primitives (only at a payment, or a webhook checked by the web process):
about 12 and 6 MB, aiohttp's server side (only with a health endpoint): about 2 MB, and
redis-py (only when Redis is configured): about 6 MB, prometheus_client (only with a health
endpoint, which serves /metrics): about 1.5 MB, SQLAlchemy's PostgreSQL dialect with
its drivers' modules (only on PostgreSQL): about 2 MB, Pillow (only at a bot's first
picture: a rank, welcome or poll card, a Spelling Bee hive): about 3.5 MB, the ``regex``
package (only at the Moderation Bot's first automod pattern): about 1.3 MB, and mutagen and
configparser (only at the Music Bot's library scan and first ``.pls`` playlist): about 0.4 MB,
discord.py's voice libraries (only at a voice join): about 2 MB, OpenAI's SDK with httpx
(only with an AI key set): 500 modules, 15 MB of the Grammar Bot besides its engines, and PyYAML
(only to read configuration files a bot was not handed, or the Grammar Bot's rules as its
engines load): 0.85 MB."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest
from scale_processes import BotProcess

from botfleet import get_definition
from botfleet.config import token_variable
from botfleet.core.voiceless import VOICE_LIBRARIES
from botfleet.database.migrate import upgrade
from botfleet.database.models import SERVICE_MODELS_MODULES
from botfleet.sandbox import DiscordSandbox

CRYPTOGRAPHY_PRIMITIVES = ("cryptography.hazmat", "cryptography.x509", "cryptography.fernet")
POSTGRESQL_MODULES = ("sqlalchemy.dialects.postgresql", "asyncpg")
BOTS_THAT_DRAW: Final = (
    ("spelling_bee", "botfleet.bots.spelling_bee.views.hexagons"),
    ("utility", "botfleet.bots.utility.services.poll_chart"),
)
"""Each bot that draws, and one of its drawing modules (loaded, without Pillow)."""
LIBRARIES_LOADED_AT_FIRST_USE: Final = (
    ("mod", "botfleet.bots.mod.services.patterns", "regex"),
    ("music", "botfleet.bots.music.services.library", "mutagen"),
    ("music", "botfleet.bots.music.services.http_sources", "configparser"),
)
"""A bot, one of its modules (loaded) and the library that module imports at its first use."""
IDLE_SECONDS: Final = 3.0
"""After ready: a quiet while, as a bot idles between games."""
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
    assert not imported & {
        "alembic",
        "mako",
        "yt_dlp",
        "stripe",
        "redis",
        "prometheus_client",
        "PIL",
        "regex",
        "mutagen",
        "configparser",
        "openai",
        "httpx",
        "yaml",
    }
    assert not [name for name in modules if name.startswith(CRYPTOGRAPHY_PRIMITIVES)]
    assert not [name for name in modules if name.startswith("aiohttp.web")]
    assert not [name for name in modules if name.startswith(POSTGRESQL_MODULES)]


MODULES_AT_EXIT = """
import atexit, runpy, sys
atexit.register(
    lambda: print("imported:", " ".join(sorted(n for n, m in sys.modules.items() if m)), flush=True)
)
runpy.run_module(sys.argv[1], run_name="__main__", alter_sys=True)
"""
"""A bot's own entry point (the module named after it), saying at exit what the process
imported."""


async def modules_of_a_bot_after_a_chat(
    sandbox: DiscordSandbox,
    tmp_path: Path,
    bot_name: str,
    settings: dict[str, str],
    idle_seconds: float = 0.0,
) -> list[str]:
    """What the bot's process had imported when it stopped: ready on a migrated SQLite
    database, a member chatting, then ``idle_seconds`` of quiet."""
    app = sandbox.add_application(get_definition(bot_name).display_name)
    guild = sandbox.create_guild("Word Club", bots=[app])
    url = f"sqlite+aiosqlite:///{tmp_path}/botfleet.db"
    await upgrade(url)
    bot = await BotProcess.start_python(
        ("-c", MODULES_AT_EXIT, f"botfleet.bots.{bot_name}"),
        sandbox.url,
        tmp_path / bot_name,
        {token_variable(bot_name): app.token, "DATABASE_URL": url, **settings},
    )
    try:
        await bot.wait_for_output("ready as")
        member = guild.add_member("alice")
        await member.send(guild.channel("general"), "a few words to earn some XP with")
        await asyncio.sleep(idle_seconds)
        status = await bot.stop()
    finally:
        await bot.kill()
    assert status == 0, bot.text
    assert "voice will NOT be supported" not in bot.text  # left out on purpose, or there
    exit_line = [line for line in bot.text.splitlines() if line.startswith("imported:")]
    assert exit_line, bot.text
    return exit_line[0].split()[1:]


async def test_a_bot_on_sqlite_never_imports_the_postgresql_dialect(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    """On a migrated database with ``auto_migrate`` on (the development default): the bot
    sees the schema is at the newest revision without Alembic, which imports every dialect
    it supports."""
    modules = await modules_of_a_bot_after_a_chat(
        discord_sandbox, tmp_path, "hangman", {"BOTFLEET_DATABASE__AUTO_MIGRATE": "true"}
    )
    assert "sqlalchemy.dialects.sqlite.aiosqlite" in modules
    assert not [name for name in modules if name.startswith(POSTGRESQL_MODULES)]
    assert not [name for name in modules if name.startswith(("alembic", "mako"))]
    assert "prometheus_client" not in modules  # no health.port: no /metrics to read them


@pytest.mark.parametrize(("bot_name", "drawing"), BOTS_THAT_DRAW)
async def test_an_idle_bot_that_draws_pictures_has_not_loaded_pillow(
    discord_sandbox: DiscordSandbox, tmp_path: Path, bot_name: str, drawing: str
) -> None:
    """Ready, its word lists read (the Spelling Bee's), a member chatting: no picture was
    drawn, so Pillow and its image libraries are not in the process."""
    modules = await modules_of_a_bot_after_a_chat(
        discord_sandbox, tmp_path, bot_name, {}, IDLE_SECONDS
    )
    assert drawing in modules
    assert not [name for name in modules if name == "PIL" or name.startswith("PIL.")]


@pytest.mark.parametrize(("bot_name", "user", "library"), LIBRARIES_LOADED_AT_FIRST_USE)
async def test_an_idle_bot_has_not_loaded_a_library_its_servers_have_not_needed(
    discord_sandbox: DiscordSandbox, tmp_path: Path, bot_name: str, user: str, library: str
) -> None:
    """Ready, a member chatting (the Moderation Bot's automod checks the message): no server
    keeps an automod pattern, the Music Bot has no library folder and read no playlist."""
    modules = await modules_of_a_bot_after_a_chat(discord_sandbox, tmp_path, bot_name, {})
    assert user in modules
    assert not [name for name in modules if name == library or name.startswith(f"{library}.")]


@pytest.mark.parametrize("bot_name", ["hangman", "music"])
async def test_an_idle_bot_has_not_loaded_discords_voice_libraries(
    discord_sandbox: DiscordSandbox, tmp_path: Path, bot_name: str
) -> None:
    """PyNaCl and davey (about 2 MB) wait for a voice join, the Music Bot's included, and no
    bot warns meanwhile that voice is not supported."""
    modules = await modules_of_a_bot_after_a_chat(discord_sandbox, tmp_path, bot_name, {})
    assert {name.split(".")[0] for name in modules} & set(VOICE_LIBRARIES) == set()


async def test_an_idle_bot_maps_no_table_of_a_service_it_never_uses(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    """The AI service's and the web dashboard's tables (about 80 KB each) are mapped where
    they are read: not in the Hangman Bot, which reads neither."""
    modules = await modules_of_a_bot_after_a_chat(discord_sandbox, tmp_path, "hangman", {})
    assert "botfleet.database.models.gamification" in modules
    assert not set(SERVICE_MODELS_MODULES) & set(modules)
