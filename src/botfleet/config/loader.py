"""The configuration hierarchy: base file, environment file, bot file, then environment variables.

Each layer is a nested mapping; later layers override earlier ones key by key. The loader
remembers which layer supplied every leaf value, so ``botfleet config show`` can say where a
value came from and a validation error can name the file (or variable) that holds the bad value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_args
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import BaseModel, SecretStr, ValidationError

from botfleet import BotDiscoveryError, bot_names, get_definition, unknown_bot_message
from botfleet.config.schema import Settings

ENV_PREFIX = "BOTFLEET_"
DEFAULT_SOURCE = "default"
DEFAULT_CONFIG_DIR = Path("config")

CONFIG_FILES_VARIABLE = "BOTFLEET_CONFIG_FILES"
"""The configuration files as ``botfleet run`` read them (JSON, path → mapping), handed to the
bots it starts: a bot then parses no YAML and never loads PyYAML, 0.85 MB of each bot process
(issue 16). A bot its supervisor restarts after a crash runs on the files as they were when the
fleet started (restarting the service reads them again); a bot started on its own reads them."""
MAX_HANDED_FILES = 64 * 1024
"""Characters of that JSON at most (Linux takes 128 KiB per variable); past it, bots read."""

PROCESS_VARIABLES = frozenset(
    {
        "BOTFLEET_ENV",
        "BOTFLEET_CONFIG_DIR",
        "BOTFLEET_ENV_FILE",
        "BOTFLEET_REQUIRE_SERVICES",
        CONFIG_FILES_VARIABLE,
    }
)
"""BOTFLEET_ variables that steer the loader or the test suite rather than naming a setting."""
IGNORED_PREFIXES = ("BOTFLEET_TEST_",)
"""Variables of the test suite (server URLs of the backend tests)."""
ModelT = TypeVar("ModelT", bound=BaseModel)

DERIVED_KEYS = frozenset({"environment", "bot_name"})
"""Keys the loader sets itself: BOTFLEET_ENV and the bot being loaded decide them."""

ALIASES: dict[str, tuple[str, ...]] = {
    "DISCORD_TOKEN": ("discord", "token"),
    "DISCORD_APPLICATION_ID": ("discord", "application_id"),
    "DEV_GUILD_ID": ("bot", "sync_guild"),
    "DATABASE_URL": ("database", "url"),
    "REDIS_URL": ("cache", "redis_url"),
    "AMQP_URL": ("bus", "amqp_url"),
    "SENTRY_DSN": ("logging", "sentry_dsn"),
    "LOG_LEVEL": ("logging", "level"),
    "OPENAI_API_KEY": ("ai", "api_key"),
    "OPENAI_BASE_URL": ("ai", "base_url"),
    "STRIPE_API_KEY": ("payments", "stripe_api_key"),
    "STRIPE_WEBHOOK_SECRET": ("payments", "stripe_webhook_secret"),
    "PAYPAL_CLIENT_ID": ("payments", "paypal_client_id"),
    "PAYPAL_CLIENT_SECRET": ("payments", "paypal_client_secret"),
    "DISCORD_CLIENT_ID": ("auth", "client_id"),
    "DISCORD_CLIENT_SECRET": ("auth", "client_secret"),
    "TOKEN_ENCRYPTION_KEYS": ("auth", "token_keys"),
}
"""Conventional variable names (the architecture's "Secrets Management") and where they land."""


def token_variable(bot_name: str) -> str:
    """The environment variable that holds ``bot_name``'s own token: ``HANGMAN_DISCORD_TOKEN``."""
    return f"{bot_name.upper()}_DISCORD_TOKEN"


class ConfigError(Exception):
    """The configuration cannot be loaded; the message names the file or variable and the key."""


@dataclass(frozen=True)
class Layer:
    """One source of values, ranked so that sorting puts them in override order."""

    label: str
    rank: tuple[int, int]
    values: dict[str, Any]


# Variable kinds, weakest first: a generic alias, a BOTFLEET_ path, the bot's own token.
ALIAS, PREFIXED, BOT_OWN = 1, 2, 3
FILES, DOTENV, ENVIRONMENT = 0, 1, 2


@dataclass
class EffectiveConfig:
    """Validated settings together with the source of every value that was not a default."""

    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)

    def source_of(self, dotted_key: str) -> str:
        """Name the layer that supplied ``dotted_key`` ("default" when no layer set it)."""
        return _lookup_source(self.sources, dotted_key.split(".")) or DEFAULT_SOURCE

    def rows(
        self, typed_sections: Mapping[str, BaseModel | None] | None = None
    ) -> Iterator[tuple[str, str, str]]:
        """Yield (key, display value, source) for every effective leaf value, secrets masked.

        Settings keeps sections that modules type themselves (a bot's ``options``) as the raw
        mapping that was configured; ``typed_sections`` gives their validated models, so every
        option shows, defaults included.
        """
        values = self.settings.model_dump()
        for section, model in (typed_sections or {}).items():
            values[section] = {} if model is None else model.model_dump()
        for key, value in _flatten(values):
            yield key, display_value(value), self.source_of(key)


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read one YAML configuration file into a mapping (an empty file gives an empty mapping)."""
    file_path = Path(path)
    try:
        text = file_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file_path}: file not found") from None
    import yaml  # noqa: PLC0415  (a bot whose files were handed over never loads it)

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


def load_effective_config(
    bot: str | None = None,
    *,
    config_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    env_file: str | os.PathLike[str] | None = None,
) -> EffectiveConfig:
    """Load and validate the four layers for ``bot`` (or the shared settings when None).

    Real environment variables beat ``.env``; among variables of one origin, a bot's own
    token beats ``BOTFLEET_`` paths, which beat the generic aliases. Empty values count as
    unset, so an empty ``HANGMAN_DISCORD_TOKEN=`` copied from ``.env.example`` hides nothing.
    """
    default_prefix = None if bot is None else _default_prefix(bot)
    process_env, env_path, dotenv = _variables(environ, env_file)
    variables = {**dotenv, **process_env}
    directory, environment = _files_context(config_dir, variables)

    handed = _handed_files(process_env)
    layers = [
        Layer(str(path), (FILES, order), _file_values(path, handed))
        for order, path in enumerate(_config_files(directory, environment, bot))
    ]
    for name, value in dotenv.items():
        layers.extend(_variable_layers(name, value, bot, f"{env_path} {name}", DOTENV))
    for name, value in process_env.items():
        layers.extend(_variable_layers(name, value, bot, f"env {name}", ENVIRONMENT))
    layers.sort(key=lambda layer: layer.rank)

    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        _deep_merge(merged, layer.values, sources, layer.label, path=())
    derived = sorted(DERIVED_KEYS & merged.keys())
    if derived:
        raise ConfigError(
            f"{sources[derived[0]]}: {derived[0]}: set by botfleet itself; "
            "choose the environment with BOTFLEET_ENV"
        )
    merged.update(environment=environment, bot_name=bot)
    if default_prefix is not None and "prefix" not in merged.setdefault("bot", {}):
        merged["bot"]["prefix"] = default_prefix
        sources["bot.prefix"] = f"default of the {bot} bot"
    if "BOTFLEET_ENV" in variables:
        origin = "env" if "BOTFLEET_ENV" in process_env else str(env_path)
        sources["environment"] = f"{origin} BOTFLEET_ENV"
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(exc, sources)) from None
    return EffectiveConfig(settings=settings, sources=sources)


def _default_prefix(bot: str) -> str:
    """The prefix ``bot`` declares; a ConfigError when no installed package gives that bot."""
    try:
        if bot not in bot_names():
            raise ConfigError(unknown_bot_message(bot))
        return get_definition(bot).prefix
    except BotDiscoveryError as exc:
        raise ConfigError(str(exc)) from exc


def validate_section(
    model: type[ModelT], values: Mapping[str, Any], *, section: str, where: str
) -> ModelT:
    """Validate a section that a module (a bot, gamification) types itself, as the loader would.

    Settings keeps such sections as plain mappings, so the configuration does not import the
    modules that own them; a mistake is still a :class:`ConfigError` naming the key.
    """
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        problems = "; ".join(
            f"{section}.{'.'.join(map(str, error['loc'])) or '(section)'}: "
            f"{error['msg'].lower()}" + _valid_keys_of(model, error)
            for error in exc.errors()
        )
        raise ConfigError(f"{where}: {problems}") from None


def _valid_keys_of(model: type[BaseModel], error: Any) -> str:
    if error["type"] != "extra_forbidden" or len(error["loc"]) != 1:
        return ""
    return f"; expected one of: {', '.join(sorted(model.model_fields))}"


def load_settings(bot: str | None = None, **kwargs: Any) -> Settings:
    """Load the validated settings of ``bot``; see :func:`load_effective_config`."""
    return load_effective_config(bot, **kwargs).settings


def _config_directory(
    explicit: str | os.PathLike[str] | None, variables: Mapping[str, str]
) -> Path:
    """The configuration folder; one that was named explicitly must exist.

    Without a ``./config`` folder (botfleet installed from a package, or started elsewhere),
    the embedded defaults apply: every setting, including each bot's prefix, has one.
    """
    if explicit is not None:
        chosen, how = Path(explicit), "the config_dir argument"
    elif "BOTFLEET_CONFIG_DIR" in variables:
        chosen, how = Path(variables["BOTFLEET_CONFIG_DIR"]), "BOTFLEET_CONFIG_DIR"
    else:
        return DEFAULT_CONFIG_DIR
    if not chosen.is_dir():
        raise ConfigError(f"{chosen}: configuration folder not found (named by {how})")
    return chosen


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value}


def _variables(
    environ: Mapping[str, str] | None, env_file: str | os.PathLike[str] | None
) -> tuple[dict[str, str], Path, dict[str, str]]:
    """The process's variables that are set, the ``.env`` file's path, and its variables."""
    process_env = {k: v for k, v in (os.environ if environ is None else environ).items() if v}
    env_path = Path(env_file or process_env.get("BOTFLEET_ENV_FILE", ".env"))
    return process_env, env_path, _read_dotenv(env_path)


def _files_context(
    config_dir: str | os.PathLike[str] | None, variables: Mapping[str, str]
) -> tuple[Path, str]:
    """The configuration folder and the environment whose file is read."""
    return _config_directory(config_dir, variables), variables.get("BOTFLEET_ENV", "development")


def _config_files(directory: Path, environment: str, bot: str | None) -> list[Path]:
    """The files of the first three layers, in order: base, environment, bot."""
    files = [directory / "settings.yaml", directory / "environments" / f"{environment}.yaml"]
    return files if bot is None else [*files, directory / "bots" / f"{bot}.yaml"]


def _file_values(path: Path, handed: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """A file's mapping as it was handed over, else read (empty when there is no file)."""
    values = handed.get(str(path))
    if values is not None:
        return values
    return load_config(path) if path.is_file() else {}


def _handed_files(process_env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    raw = process_env.get(CONFIG_FILES_VARIABLE)
    try:
        handed = json.loads(raw) if raw else {}
    except ValueError:
        raise ConfigError(
            f"{CONFIG_FILES_VARIABLE} is not what `botfleet run` hands its bots; unset it"
        ) from None
    return handed if isinstance(handed, dict) else {}


def handed_config_files(
    bots: Sequence[str], environ: Mapping[str, str] | None = None
) -> str | None:
    """The configuration files of ``bots`` as :data:`CONFIG_FILES_VARIABLE` hands them over, or
    None when JSON cannot carry them unchanged (a YAML date, a number as a key) or they are
    too large: then each bot reads them."""
    process_env, _, dotenv = _variables(environ, None)
    directory, environment = _files_context(None, {**dotenv, **process_env})
    files = {
        str(path): _file_values(path, {})
        for bot in bots
        for path in _config_files(directory, environment, bot)
    }
    try:
        text = json.dumps(files, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    if len(text) > MAX_HANDED_FILES or json.loads(text) != files:
        return None
    return text


def hand_over_config_files(bots: Sequence[str]) -> None:
    """Put the files of ``bots`` in this process's environment, for the bots it starts; files
    that cannot be handed over (or read now: each bot then reports the error) are left to them,
    never a mapping handed earlier."""
    try:
        handed = handed_config_files(bots)
    except ConfigError:
        handed = None
    if handed is None:
        os.environ.pop(CONFIG_FILES_VARIABLE, None)
    else:
        os.environ[CONFIG_FILES_VARIABLE] = handed


def _variable_layers(
    name: str, raw: str, bot: str | None, label: str, origin: int
) -> Iterator[Layer]:
    """Translate one environment variable into a layer (or nothing when it is not ours)."""
    if name in ALIASES:
        yield Layer(label, (origin, ALIAS), _nest(ALIASES[name], raw))
        return
    if bot is not None and name == token_variable(bot):
        yield Layer(label, (origin, BOT_OWN), _nest(("discord", "token"), raw))
        return
    if (
        not name.startswith(ENV_PREFIX)
        or name in PROCESS_VARIABLES
        or name.startswith(IGNORED_PREFIXES)
    ):
        return
    path = tuple(part.lower() for part in name.removeprefix(ENV_PREFIX).split("__"))
    if not all(path):
        raise ConfigError(f"{label}: malformed name; use BOTFLEET_SECTION__KEY")
    yield Layer(label, (origin, PREFIXED), _nest(path, _parse_variable(raw)))


def _parse_variable(raw: str) -> Any:
    """Lists and mappings may be written in YAML/JSON flow style: ``[1, 2]`` or ``{a: 1}``."""
    stripped = raw.strip()
    if not stripped.startswith(("[", "{")):
        return raw
    try:  # the common form, without loading PyYAML; NaN and Infinity are YAML's words
        return json.loads(stripped, parse_constant=_not_json)
    except ValueError:
        pass
    import yaml  # noqa: PLC0415  (YAML's flow style: ``[a, b]``)

    try:
        return yaml.safe_load(stripped)
    except yaml.YAMLError:
        return raw


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is read as YAML reads it")


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
        dotted = ".".join(key_path)
        if isinstance(value, Mapping):
            if not isinstance(target.get(key), dict):
                target[key] = {}
            if not value:
                sources[dotted] = origin
            _deep_merge(target[key], value, sources, origin, key_path)
            continue
        target[key] = value
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
        elif _may_echo(path, error.get("input")):
            problem = f"{error['msg'].lower()} (got {error.get('input')!r})"
        else:
            problem = error["msg"].lower()
        lines.append(f"  {origin}: {key}: {problem}")
    return "\n".join(lines)


def _field_annotation(path: list[str]) -> Any:
    """The schema annotation at ``path``, or None when the path leaves the schema."""
    model: Any = Settings
    annotation: Any = None
    for part in path:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        annotation = info.annotation
        model = annotation
    return annotation


def _may_echo(path: list[str], value: Any) -> bool:
    """Echo a rejected value only for a known, non-secret, scalar setting."""
    annotation = _field_annotation(path)
    if annotation is None or isinstance(value, Mapping | list):
        return False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return False  # a whole section was given a scalar: it may be a misplaced secret
    return SecretStr not in (annotation, *get_args(annotation))


def _valid_keys_hint(path: list[str]) -> str:
    parent = _field_annotation(path[:-1]) if len(path) > 1 else Settings
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return ""
    keys = sorted(set(parent.model_fields) - DERIVED_KEYS)
    return f"; expected one of: {', '.join(keys)}"


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def display_value(value: Any) -> str:
    """A setting as ``config show`` prints it: a secret shows at most the host it points to."""
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if not secret:
            return "(empty)"
        parts = urlsplit(secret) if "://" in secret else None
        if parts is None or not parts.scheme:
            return "********"
        try:
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            return "********"
        where = f"{host}{port}{parts.path}" if host else parts.path
        return f"{parts.scheme}://{where} (credentials hidden)"
    if value is None:
        return "(not set)"
    return str(value)
