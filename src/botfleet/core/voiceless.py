"""Bot processes run without discord.py's voice libraries until a bot joins a voice channel.

discord.py imports PyNaCl (voice encryption) and davey (Discord's end-to-end encrypted voice)
as it loads, whether a bot speaks or not: about 2 MB of an idle bot's memory (issue 16,
``benchmarks/memory.py``). Every bot's process marks them absent before discord.py loads,
which then runs as on a machine without them; the Music Bot loads them at its first join.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import threading
from types import ModuleType
from typing import Final, cast

VOICE_LIBRARIES: Final = ("nacl", "davey")
DISCORD_NAMES: Final[dict[str, dict[str, str | bool]]] = {
    "discord.voice_client": {"nacl": "nacl", "has_nacl": True, "has_dave": True},
    "discord.voice_state": {"davey": "davey", "has_dave": True},
    "discord.gateway": {"davey": "davey"},
}
"""The names discord.py's voice modules bound when they loaded without the libraries: each
module's global, and the library (by name) or the flag it holds once they are there."""


def leave_out_voice_libraries() -> None:
    """Have discord.py load without its voice libraries in this process.

    Only before discord.py loads: a process that loaded it already keeps them (a test's, or
    one whose voice libraries were imported on purpose).
    """
    if "discord" in sys.modules:
        return
    _mark_absent()


def voice_libraries_left_out() -> bool:
    """Whether :func:`leave_out_voice_libraries` took them out of this process."""
    return any(name in sys.modules and sys.modules[name] is None for name in VOICE_LIBRARIES)


def voice_libraries_installed() -> bool:
    """Whether they are installed, whether left out or not (looked up, never imported)."""
    return all(importlib.machinery.PathFinder.find_spec(name) for name in VOICE_LIBRARIES)


def load_voice_libraries() -> None:
    """Load the libraries left out, before a first voice connection (blocking: imports).

    discord.py looked them up once, as it loaded, and holds what it found in module globals;
    those are set as if they had been there then. Nothing to do where they were never left
    out; joins at once wait for the first to have set everything. An ImportError if they are
    not installed (``botfleet doctor`` says so too).
    """
    with _LOADING:
        if not voice_libraries_left_out():
            return
        for name in VOICE_LIBRARIES:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
        try:
            for module_name in ("nacl.secret", "nacl.utils", "davey"):  # what discord.py loads
                importlib.import_module(module_name)
        except ImportError:
            _mark_absent()  # as discord.py still believes: the next join tries again
            raise
        for module_name, names in DISCORD_NAMES.items():
            module = importlib.import_module(module_name)
            for name, value in names.items():
                setattr(module, name, sys.modules[value] if isinstance(value, str) else value)


def _mark_absent() -> None:
    """None in ``sys.modules``: `import nacl` fails as if the library were not installed."""
    modules = cast("dict[str, ModuleType | None]", sys.modules)
    for name in VOICE_LIBRARIES:
        if modules.get(name) is None:
            modules[name] = None


_LOADING = threading.Lock()
