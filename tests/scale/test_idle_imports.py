"""What an idle bot process does not import: Alembic (only to migrate), yt-dlp (only at the
Music Bot's first link), each about 12-14 MB of resident memory (benchmarks/memory.py), Stripe's
SDK and cryptography's primitives (only at a payment, or a webhook checked by the web process):
about 12 and 6 MB, aiohttp's server side (only with a health endpoint): about 2 MB, and
redis-py (only when Redis is configured): about 6 MB."""

from __future__ import annotations

import subprocess
import sys

CRYPTOGRAPHY_PRIMITIVES = ("cryptography.hazmat", "cryptography.x509", "cryptography.fernet")
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
    assert not imported & {"alembic", "mako", "yt_dlp", "stripe", "redis"}
    assert not [name for name in modules if name.startswith(CRYPTOGRAPHY_PRIMITIVES)]
    assert not [name for name in modules if name.startswith("aiohttp.web")]
