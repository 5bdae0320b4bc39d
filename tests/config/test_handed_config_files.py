"""``botfleet run`` hands the bots it starts the configuration files it read (issue 16): a bot
then parses no YAML, and loads the same settings as from the files themselves."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from config_files import write

from botfleet.config import ConfigError, load_effective_config
from botfleet.config.loader import (
    CONFIG_FILES_VARIABLE,
    _parse_variable,
    hand_over_config_files,
    handed_config_files,
)


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


def test_files_left_to_the_bots_replace_a_mapping_handed_earlier(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTFLEET_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv(CONFIG_FILES_VARIABLE, json.dumps({"earlier": {}}))
    hand_over_config_files(["hangman"])
    assert json.loads(os.environ[CONFIG_FILES_VARIABLE]) != {"earlier": {}}
    write(config_dir / "bots" / "hangman.yaml", "note: 2026-12-07\n")
    hand_over_config_files(["hangman"])
    assert CONFIG_FILES_VARIABLE not in os.environ


@pytest.mark.parametrize(
    "raw", ["[1, 2]", "[ 3 ]", "[NaN]", "[-Infinity]", '{"a": [1.5, true, null]}', "[a, b]"]
)
def test_variables_in_flow_style_read_as_yaml_reads_them(raw: str) -> None:
    """JSON first (PyYAML stays unloaded), with YAML's answer every time."""
    assert _parse_variable(raw) == yaml.safe_load(raw)
