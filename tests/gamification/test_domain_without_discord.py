"""The gamification domain and the AI service import without discord.py (issue 12).

Only ``botfleet.gamification.discord`` and the extensions may touch Discord; a bot's services
and the sandbox-free tools build on the rest. Each check runs in a fresh interpreter where
``import discord`` fails, so a module that pulls discord.py in, even indirectly, is caught.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import botfleet.gamification

DISCORD_EDGE = "botfleet.gamification.discord"
PURE_SERVICES = (
    "botfleet.services.ai",
    "botfleet.services.ai.budget",
    "botfleet.services.ai.errors",
)

IMPORT_WITHOUT_DISCORD = """
import importlib, sys
sys.modules["discord"] = None
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed.append(f"{name}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def domain_modules() -> list[str]:
    walked = pkgutil.walk_packages(botfleet.gamification.__path__, "botfleet.gamification.")
    return [
        "botfleet.gamification",
        *(
            module.name
            for module in walked
            if module.name != DISCORD_EDGE and not module.name.startswith(f"{DISCORD_EDGE}.")
        ),
    ]


def import_without_discord(modules: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", IMPORT_WITHOUT_DISCORD, *modules],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_gamification_domain_imports_without_discord() -> None:
    modules = domain_modules()
    assert {"botfleet.gamification.xp_system", "botfleet.gamification.games"} <= set(modules)

    completed = import_without_discord(modules)

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_ai_service_imports_without_discord() -> None:
    completed = import_without_discord(list(PURE_SERVICES))

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_check_catches_a_module_that_needs_discord() -> None:
    completed = import_without_discord([f"{DISCORD_EDGE}.extension"])

    assert completed.returncode == 1
    assert f"{DISCORD_EDGE}.extension" in completed.stdout
