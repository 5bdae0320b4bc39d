"""The configuration tests' folder of files: the three file layers, each setting something."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_files import write


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    write(directory / "settings.yaml", "rate_limits:\n  commands_per_user: 5\n  time_window: 10\n")
    write(directory / "environments" / "production.yaml", "rate_limits:\n  commands_per_user: 3\n")
    write(directory / "bots" / "hangman.yaml", "rate_limits:\n  time_window: 20\n")
    return directory
