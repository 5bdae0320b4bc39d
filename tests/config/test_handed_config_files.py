"""``botfleet run`` hands the bots it starts the configuration files it read (issue 16): a bot
then parses no YAML, and loads the same settings as from the files themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from config_files import write

from botfleet.config import ConfigError, load_effective_config
from botfleet.config.loader import CONFIG_FILES_VARIABLE, handed_config_files


def test_a_bot_loads_the_handed_files_as_it_would_read_them(config_dir: Path) -> None:
    environ = {"BOTFLEET_CONFIG_DIR": str(config_dir), "BOTFLEET_ENV": "production"}
    handed = handed_config_files(["hangman", "mod"], environ)
    assert handed is not None
    read = load_effective_config("hangman", environ=environ)
    from_handed = load_effective_config(
        "hangman", environ={**environ, CONFIG_FILES_VARIABLE: handed}
    )
    assert from_handed.settings == read.settings
    assert from_handed.sources == read.sources
    assert set(json.loads(handed)) == {
        str(config_dir / "settings.yaml"),
        str(config_dir / "environments" / "production.yaml"),
        str(config_dir / "bots" / "hangman.yaml"),
        str(config_dir / "bots" / "mod.yaml"),  # no such file: handed as empty
    }


def test_handed_files_are_not_read_again(config_dir: Path) -> None:
    """What the fleet started with holds until the service restarts (a crashed bot too)."""
    environ = {"BOTFLEET_CONFIG_DIR": str(config_dir)}
    handed = handed_config_files(["hangman"], environ)
    assert handed is not None
    write(config_dir / "settings.yaml", "rate_limits: [not, a, mapping\n")
    settings = load_effective_config(
        "hangman", environ={**environ, CONFIG_FILES_VARIABLE: handed}
    ).settings
    assert settings.rate_limits.time_window == 20


@pytest.mark.parametrize(
    "text",
    [
        "bot:\n  data_dir: data\nnote: 2026-12-07\n",  # a YAML date: JSON has none
        "bot:\n  data_dir: data\n7: seven\n",  # a number as a key: JSON would make it text
    ],
)
def test_files_json_cannot_carry_unchanged_are_left_to_the_bots(
    config_dir: Path, text: str
) -> None:
    write(config_dir / "bots" / "hangman.yaml", text)
    assert handed_config_files(["hangman"], {"BOTFLEET_CONFIG_DIR": str(config_dir)}) is None


def test_too_many_files_are_left_to_the_bots(config_dir: Path) -> None:
    write(config_dir / "bots" / "hangman.yaml", "bot:\n  owner_ids: [" + "7, " * 40_000 + "8]\n")
    assert handed_config_files(["hangman"], {"BOTFLEET_CONFIG_DIR": str(config_dir)}) is None


def test_a_variable_botfleet_did_not_write_is_a_clear_error(config_dir: Path) -> None:
    environ = {"BOTFLEET_CONFIG_DIR": str(config_dir), CONFIG_FILES_VARIABLE: "{not json"}
    with pytest.raises(ConfigError, match=f"{CONFIG_FILES_VARIABLE} is not what"):
        load_effective_config("hangman", environ=environ)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("[1, 2]", [1, 2]), ("[ 3 ]", [3])],
)
def test_lists_in_variables_read_as_json_or_yaml(
    config_dir: Path, raw: str, expected: list[int]
) -> None:
    environ = {"BOTFLEET_CONFIG_DIR": str(config_dir), "BOTFLEET_BOT__OWNER_IDS": raw}
    assert load_effective_config(None, environ=environ).settings.bot.owner_ids == expected
