"""The configuration hierarchy: base file, environment file, bot file, then environment variables.

Each layer is a nested mapping; later layers override earlier ones key by key. The loader
remembers which layer supplied every leaf value, so ``botfleet config show`` can say where a
value came from and a validation error can name the file (or variable) that holds the bad value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values
from pydantic import SecretStr, ValidationError

from botfleet import BOT_NAMES
from botfleet.config.schema import Settings

ENV_PREFIX = "BOTFLEET_"
DEFAULT_SOURCE = "default"

PROCESS_VARIABLES = frozenset({"BOTFLEET_ENV", "BOTFLEET_CONFIG_DIR", "BOTFLEET_ENV_FILE"})
"""BOTFLEET_ variables that steer the loader itself rather than naming a setting."""

ALIASES: dict[str, tuple[str, ...]] = {
    "DISCORD_TOKEN": ("discord", "token"),
    "DISCORD_APPLICATION_ID": ("discord", "application_id"),
    "DATABASE_URL": ("database", "url"),
    "REDIS_URL": ("cache", "redis_url"),
    "SENTRY_DSN": ("logging", "sentry_dsn"),
    "LOG_LEVEL": ("logging", "level"),
    "OPENAI_API_KEY": ("ai", "api_key"),
    "OPENAI_BASE_URL": ("ai", "base_url"),
    "STRIPE_API_KEY": ("payments", "stripe_api_key"),
    "STRIPE_WEBHOOK_SECRET": ("payments", "stripe_webhook_secret"),
    "PAYPAL_CLIENT_ID": ("payments", "paypal_client_id"),
    "PAYPAL_CLIENT_SECRET": ("payments", "paypal_client_secret"),
}
"""Conventional variable names (the architecture's "Secrets Management") and where they land."""


def token_variable(bot_name: str) -> str:
    """The environment variable that holds ``bot_name``'s own token: ``HANGMAN_DISCORD_TOKEN``."""
    return f"{bot_name.upper()}_DISCORD_TOKEN"


class ConfigError(Exception):
    """The configuration cannot be loaded; the message names the file or variable and the key."""


@dataclass
class EffectiveConfig:
    """Validated settings together with the source of every value that was not a default."""

    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)

    def source_of(self, dotted_key: str) -> str:
        """Name the layer that supplied ``dotted_key`` ("default" when no layer set it)."""
        return _lookup_source(self.sources, dotted_key.split(".")) or DEFAULT_SOURCE

    def rows(self) -> Iterator[tuple[str, str, str]]:
        """Yield (key, display value, source) for every effective leaf value, secrets masked."""
        for key, value in _flatten(self.settings.model_dump()):
            yield key, _display(value), self.source_of(key)


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read one YAML configuration file into a mapping (an empty file gives an empty mapping)."""
    file_path = Path(path)
    try:
        text = file_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file_path}: file not found") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{file_path}{where}: invalid YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{file_path}: expected a mapping of keys at the top level")
    return data


def default_config_dir() -> Path:
    """The directory holding settings.yaml: $BOTFLEET_CONFIG_DIR, else ./config."""
    return Path(os.environ.get("BOTFLEET_CONFIG_DIR", "config"))


def load_effective_config(
    bot: str | None = None,
    *,
    config_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    env_file: str | os.PathLike[str] | None = None,
) -> EffectiveConfig:
    """Load and validate the four layers for ``bot`` (or the shared settings when None)."""
    if bot is not None and bot not in BOT_NAMES:
        raise ConfigError(f"unknown bot {bot!r}; the bots are: {', '.join(BOT_NAMES)}")
    process_env = dict(os.environ if environ is None else environ)
    env_path = Path(env_file or process_env.get("BOTFLEET_ENV_FILE", ".env"))
    dotenv = _read_dotenv(env_path)
    variables = {**dotenv, **process_env}
    directory = (
        Path(config_dir)
        if config_dir is not None
        else Path(variables.get("BOTFLEET_CONFIG_DIR", "config"))
    )

    environment = variables.get("BOTFLEET_ENV", "development")
    layers: list[tuple[str, dict[str, Any]]] = []
    layers.append(_file_layer(directory / "settings.yaml"))
    layers.append(_file_layer(directory / "environments" / f"{environment}.yaml"))
    if bot is not None:
        layers.append(_file_layer(directory / "bots" / f"{bot}.yaml"))
    for name, value in dotenv.items():
        if name not in process_env:
            layers.extend(_variable_layers(name, value, bot, origin=f"{env_path} {name}"))
    for name, value in process_env.items():
        layers.extend(_variable_layers(name, value, bot, origin=f"env {name}"))
    layers.sort(key=lambda layer: _layer_rank(layer[0]))

    merged: dict[str, Any] = {"environment": environment, "bot_name": bot}
    sources: dict[str, str] = {}
    if "BOTFLEET_ENV" in variables:
        origin = "env" if "BOTFLEET_ENV" in process_env else str(env_path)
        sources["environment"] = f"{origin} BOTFLEET_ENV"
    for origin, layer in layers:
        if origin.startswith("file:") and not layer:
            continue
        label = origin.removeprefix("file:").split("#", 1)[-1]
        _deep_merge(merged, layer, sources, label, path=())
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(exc, sources)) from None
    return EffectiveConfig(settings=settings, sources=sources)


def load_settings(bot: str | None = None, **kwargs: Any) -> Settings:
    """Load the validated settings of ``bot``; see :func:`load_effective_config`."""
    return load_effective_config(bot, **kwargs).settings


def _layer_rank(origin: str) -> int:
    """Order layers: files (already in hierarchy order) first, then aliases, then BOTFLEET_ vars,
    then per-bot variables, with real environment variables beating ``.env`` at each rank."""
    if origin.startswith("file:"):
        return 0
    kind = origin.split("#", 1)[0]
    return {"alias": 1, "prefixed": 2, "bot": 3}[kind] * 2 + (1 if "#env " in origin else 0)


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def _file_layer(path: Path) -> tuple[str, dict[str, Any]]:
    if not path.is_file():
        return f"file:{path}", {}
    return f"file:{path}", load_config(path)


def _variable_layers(
    name: str, raw: str, bot: str | None, *, origin: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Translate one environment variable into a layer (or nothing when it is not ours)."""
    if name in ALIASES:
        yield f"alias#{origin}", _nest(ALIASES[name], raw)
        return
    if bot is not None and name == token_variable(bot):
        yield f"bot#{origin}", _nest(("discord", "token"), raw)
        return
    if not name.startswith(ENV_PREFIX) or name in PROCESS_VARIABLES:
        return
    path = tuple(part.lower() for part in name.removeprefix(ENV_PREFIX).split("__"))
    if not all(path):
        raise ConfigError(f"{origin}: malformed name; use BOTFLEET_SECTION__KEY")
    yield f"prefixed#{origin}", _nest(path, _parse_variable(raw))


def _parse_variable(raw: str) -> Any:
    """Lists and mappings may be written in YAML/JSON flow style: ``[1, 2]`` or ``{a: 1}``."""
    stripped = raw.strip()
    if stripped.startswith(("[", "{")):
        try:
            return yaml.safe_load(stripped)
        except yaml.YAMLError:
            return raw
    return raw


def _nest(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    nested: Any = value
    for part in reversed(path):
        nested = {part: nested}
    result: dict[str, Any] = nested
    return result


def _deep_merge(
    target: dict[str, Any],
    layer: Mapping[str, Any],
    sources: dict[str, str],
    origin: str,
    path: tuple[str, ...],
) -> None:
    for key, value in layer.items():
        key_path = (*path, str(key))
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value, sources, origin, key_path)
            continue
        if isinstance(value, Mapping):
            target[key] = {}
            _deep_merge(target[key], value, sources, origin, key_path)
            if not value:
                sources[".".join(key_path)] = origin
            continue
        target[key] = value
        dotted = ".".join(key_path)
        for stale in [k for k in sources if k.startswith(dotted + ".")]:
            del sources[stale]
        sources[dotted] = origin


def _lookup_source(sources: Mapping[str, str], path: list[str]) -> str | None:
    """The source of the key at ``path``, of its nearest set parent, or of a value inside it."""
    for end in range(len(path), 0, -1):
        found = sources.get(".".join(path[:end]))
        if found is not None:
            return found
    inside = ".".join(path) + "."
    return next((source for key, source in sources.items() if key.startswith(inside)), None)


def _describe_errors(exc: ValidationError, sources: Mapping[str, str]) -> str:
    lines = ["invalid configuration:"]
    for error in exc.errors():
        path = [str(part) for part in error["loc"]]
        key = ".".join(path)
        origin = _lookup_source(sources, path) or DEFAULT_SOURCE
        if error["type"] == "extra_forbidden":
            problem = "unknown key" + _valid_keys_hint(path)
        else:
            shown = error.get("input")
            shown_text = "a secret" if _looks_secret(path) else repr(shown)
            problem = f"{error['msg'].lower()} (got {shown_text})"
        lines.append(f"  {origin}: {key}: {problem}")
    return "\n".join(lines)


def _valid_keys_hint(path: list[str]) -> str:
    model: Any = Settings
    for part in path[:-1]:
        annotation = model.model_fields.get(part)
        if annotation is None or not hasattr(annotation.annotation, "model_fields"):
            return ""
        model = annotation.annotation
    return f"; expected one of: {', '.join(sorted(model.model_fields))}"


def _looks_secret(path: list[str]) -> bool:
    leaf = path[-1] if path else ""
    return any(word in leaf for word in ("token", "key", "secret", "dsn", "password", "url"))


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@]*:)[^@]*@")


def _display(value: Any) -> str:
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if not secret:
            return "(empty)"
        if "://" in secret:
            return _URL_PASSWORD.sub(r"\g<head>********@", secret)
        return "********"
    if value is None:
        return "(not set)"
    return str(value)
