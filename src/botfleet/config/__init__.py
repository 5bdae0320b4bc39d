"""Configuration: typed settings loaded from the four-level hierarchy of the architecture."""

from botfleet.config.loader import (
    ConfigError,
    EffectiveConfig,
    load_config,
    load_effective_config,
    load_settings,
    token_variable,
    validate_section,
)
from botfleet.config.schema import Settings

__all__ = [
    "ConfigError",
    "EffectiveConfig",
    "Settings",
    "load_config",
    "load_effective_config",
    "load_settings",
    "token_variable",
    "validate_section",
]
