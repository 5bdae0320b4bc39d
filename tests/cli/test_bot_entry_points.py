"""Each bot runs alone as `python -m botfleet.bots.<name>`; without a token it says what to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from botfleet import bot_names
from botfleet.config import token_variable
from botfleet.errors import EXIT_CONFIG_ERROR

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


def clean_environment(tmp_path: Path) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith("DISCORD_TOKEN") and not name.startswith("BOTFLEET_")
    }
    environment["BOTFLEET_CONFIG_DIR"] = str(REPO_CONFIG)
    environment["BOTFLEET_ENV_FILE"] = str(tmp_path / "absent.env")
    return environment


@pytest.mark.parametrize("bot", bot_names())
def test_bot_without_token_exits_with_one_clear_line(bot: str, tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", f"botfleet.bots.{bot}"],
        cwd=tmp_path,
        env=clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == EXIT_CONFIG_ERROR
    output = completed.stdout + completed.stderr
    assert f"set {token_variable(bot)} (or DISCORD_TOKEN)" in output
    assert "Traceback" not in output


def test_bot_with_invalid_configuration_names_the_problem(tmp_path: Path) -> None:
    environment = clean_environment(tmp_path)
    environment["BOTFLEET_BOT__PREFIX"] = "toolong!"
    completed = subprocess.run(
        [sys.executable, "-m", "botfleet.bots.hangman"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == EXIT_CONFIG_ERROR
    assert "env BOTFLEET_BOT__PREFIX: bot.prefix" in completed.stderr
