"""The Mod Bot's options: read from config/bots/mod.yaml and checked like every bot's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from botfleet.bots.mod.bot import DEFINITION
from botfleet.bots.mod.config import ModOptions
from botfleet.config.loader import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_mod_bot_declares_its_options_and_the_shipped_file_loads() -> None:
    settings = load_settings("mod", config_dir=ROOT / "config", environ={})

    assert DEFINITION.options_model is ModOptions
    assert DEFINITION.parse_options(settings.options) == ModOptions()


def test_options_become_the_services_settings() -> None:
    options = DEFINITION.parse_options(
        {"warning_expiry_days": 7, "pattern_timeout_ms": 2, "unban_retries": 2}
    )

    assert isinstance(options, ModOptions)
    assert options.warning_defaults().expire_after_days == 7
    assert options.pattern_timeout == 0.002
    assert options.unban_retry_policy().delay(3) is None
    assert options.unban_retry_policy().delay(1) == timedelta(minutes=1)


def test_bad_options_are_refused_with_where_to_fix_them() -> None:
    with pytest.raises(ConfigError, match=r"config/bots/mod\.yaml.*pattern_timeout_ms"):
        DEFINITION.parse_options({"pattern_timeout_ms": 1000})
