"""What an idle bot process does not import: Alembic (only to migrate) and yt-dlp (only at the
Music Bot's first link), each about 12-14 MB of resident memory (benchmarks/memory.py)."""

from __future__ import annotations

import subprocess
import sys

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
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_a_bot_process_imports_neither_alembic_nor_yt_dlp_until_needed() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IDLE_BOT], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    imported = set(result.stdout.split())
    assert {"botfleet", "discord", "sqlalchemy"} <= imported
    assert not imported & {"alembic", "mako", "yt_dlp"}
