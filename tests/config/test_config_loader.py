"""The configuration hierarchy: precedence, provenance, validation errors and secret masking."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_files import write

from botfleet import bot_names
from botfleet.config import ConfigError, load_config, load_effective_config, load_settings
from botfleet.config.schema import BotSection
from botfleet.gamification.options import GamificationOptions

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_each_layer_overrides_the_one_before(config_dir: Path, tmp_path: Path) -> None:
    environ = {"BOTFLEET_ENV": "production"}
    settings = load_settings("hangman", config_dir=config_dir, environ=environ)
    assert settings.environment == "production"
    assert settings.rate_limits.commands_per_user == 3
    assert settings.rate_limits.time_window == 20

    environ["BOTFLEET_RATE_LIMITS__TIME_WINDOW"] = "30"
    effective = load_effective_config("hangman", config_dir=config_dir, environ=environ)
    assert effective.settings.rate_limits.time_window == 30
    assert effective.source_of("rate_limits.time_window") == "env BOTFLEET_RATE_LIMITS__TIME_WINDOW"
    assert effective.source_of("rate_limits.commands_per_user").endswith("production.yaml")
    assert effective.source_of("cache.ttl.user") == "default"


def test_bot_file_only_applies_to_its_bot(config_dir: Path) -> None:
    assert load_settings(None, config_dir=config_dir, environ={}).rate_limits.time_window == 10
    assert load_settings("mod", config_dir=config_dir, environ={}).rate_limits.time_window == 10
    assert load_settings("hangman", config_dir=config_dir, environ={}).rate_limits.time_window == 20


def test_dotenv_is_read_and_real_environment_wins(config_dir: Path, tmp_path: Path) -> None:
    env_file = write(
        tmp_path / ".env", "DISCORD_TOKEN=from-dotenv\nREDIS_URL=redis://dotenv:6379/0\n"
    )
    effective = load_effective_config(
        None,
        config_dir=config_dir,
        environ={"REDIS_URL": "redis://real:6379/0"},
        env_file=env_file,
    )
    settings = effective.settings
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == "from-dotenv"
    assert settings.cache.redis_url is not None
    assert settings.cache.redis_url.get_secret_value() == "redis://real:6379/0"
    assert effective.source_of("discord.token") == f"{env_file} DISCORD_TOKEN"


def test_bot_token_beats_shared_token(config_dir: Path) -> None:
    environ = {"DISCORD_TOKEN": "shared", "HANGMAN_DISCORD_TOKEN": "own"}
    hangman = load_settings("hangman", config_dir=config_dir, environ=environ)
    mod = load_settings("mod", config_dir=config_dir, environ=environ)
    assert hangman.discord.token is not None and hangman.discord.token.get_secret_value() == "own"
    assert mod.discord.token is not None and mod.discord.token.get_secret_value() == "shared"


def test_unknown_key_names_file_key_and_valid_keys(config_dir: Path) -> None:
    write(config_dir / "bots" / "mod.yaml", "rate_limits:\n  comands_per_user: 2\n")
    with pytest.raises(ConfigError) as raised:
        load_settings("mod", config_dir=config_dir, environ={})
    message = str(raised.value)
    assert str(config_dir / "bots" / "mod.yaml") in message
    assert "rate_limits.comands_per_user: unknown key" in message
    assert "commands_per_user" in message.split("expected one of:")[1]


def test_wrong_type_names_source_and_expectation(config_dir: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(
            None, config_dir=config_dir, environ={"BOTFLEET_RATE_LIMITS__TIME_WINDOW": "soon"}
        )
    message = str(raised.value)
    assert "env BOTFLEET_RATE_LIMITS__TIME_WINDOW: rate_limits.time_window" in message
    assert "valid number" in message
    assert "'soon'" in message


def test_unknown_prefixed_variable_is_an_error(config_dir: Path) -> None:
    with pytest.raises(ConfigError, match="env BOTFLEET_DATABSE__URL: databse: unknown key"):
        load_settings(None, config_dir=config_dir, environ={"BOTFLEET_DATABSE__URL": "x"})


def test_bad_secret_value_is_not_echoed(config_dir: Path) -> None:
    write(config_dir / "settings.yaml", "discord:\n  token: [swordfish, 42]\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(None, config_dir=config_dir, environ={})
    assert "discord.token" in str(raised.value)
    assert "swordfish" not in str(raised.value)


@pytest.mark.parametrize(
    ("variable", "secret"),
    [
        ("BOTFLEET_DATABASE", "postgresql://fleet:hunter2@db/fleet"),
        ("BOTFLEET_DISCORD", "MTIz.hunter2.token"),
        ("BOTFLEET_CACHE__REDIS_URL", "[redis://:hunter2@cache:6379/0]"),
    ],
)
def test_section_level_mistakes_never_echo_the_value(
    config_dir: Path, variable: str, secret: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(None, config_dir=config_dir, environ={variable: secret})
    assert f"env {variable}" in str(raised.value)
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://abc123key@o42.ingest.sentry.io/4507", "https://o42.ingest.sentry.io/4507"),
        ("postgresql://u:p@ss@db:5432/fleet", "postgresql://db:5432/fleet"),
        ("postgresql://db/fleet?password=hunter2", "postgresql://db/fleet"),
        ("redis://:hunter2@cache:6379/0", "redis://cache:6379/0"),
    ],
)
def test_secret_urls_show_only_where_they_point(config_dir: Path, url: str, shown: str) -> None:
    effective = load_effective_config(None, config_dir=config_dir, environ={"SENTRY_DSN": url})
    [row] = [row for row in effective.rows() if row[0] == "logging.sentry_dsn"]
    assert row[1] == f"{shown} (credentials hidden)"


def test_log_level_variable_sets_the_logging_level(config_dir: Path) -> None:
    settings = load_settings("hangman", config_dir=config_dir, environ={"LOG_LEVEL": "DEBUG"})
    assert settings.logging.level == "DEBUG"


def test_empty_variables_count_as_unset(config_dir: Path, tmp_path: Path) -> None:
    env_file = write(tmp_path / ".env", "HANGMAN_DISCORD_TOKEN=\nMOD_DISCORD_TOKEN=\n")
    settings = load_settings(
        "hangman", config_dir=config_dir, environ={"DISCORD_TOKEN": "shared"}, env_file=env_file
    )
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == "shared"


def test_real_environment_beats_dotenv_of_any_kind(config_dir: Path, tmp_path: Path) -> None:
    env_file = write(tmp_path / ".env", "BOTFLEET_DATABASE__URL=sqlite:///dotenv.db\n")
    effective = load_effective_config(
        None,
        config_dir=config_dir,
        environ={"DATABASE_URL": "postgresql://db/real"},
        env_file=env_file,
    )
    assert effective.settings.database.url.get_secret_value() == "postgresql://db/real"
    assert effective.source_of("database.url") == "env DATABASE_URL"


def test_values_the_loader_derives_cannot_be_set(config_dir: Path) -> None:
    write(config_dir / "settings.yaml", "environment: production\n")
    with pytest.raises(ConfigError, match="environment: set by botfleet itself"):
        load_settings(None, config_dir=config_dir, environ={})
    write(config_dir / "settings.yaml", "")
    with pytest.raises(ConfigError, match="bot_name: set by botfleet itself"):
        load_settings(None, config_dir=config_dir, environ={"BOTFLEET_BOT_NAME": "mod"})


def test_test_suite_variables_are_not_settings(config_dir: Path) -> None:
    settings = load_settings(
        None,
        config_dir=config_dir,
        environ={"BOTFLEET_REQUIRE_SERVICES": "1", "BOTFLEET_TEST_REDIS_URL": "redis://x"},
    )
    assert settings.cache.redis_url is None


def test_a_named_config_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration folder not found"):
        load_settings(None, environ={"BOTFLEET_CONFIG_DIR": str(tmp_path / "nowhere")})


def test_without_a_config_folder_each_bot_keeps_its_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings("hangman", environ={}).bot.prefix == "h!"
    assert load_settings("music", environ={}).bot.prefix == "mu!"
    assert load_settings(None, environ={}).bot.prefix is None


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml", "bot:\n  prefix: '!'\n  owner_ids: [1, 2\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml:\d+:\d+: invalid YAML"):
        load_config(path)


def test_load_config_reads_mappings(tmp_path: Path) -> None:
    assert load_config(write(tmp_path / "empty.yaml", "")) == {}
    assert load_config(write(tmp_path / "one.yaml", "a:\n  b: 1\n")) == {"a": {"b": 1}}
    with pytest.raises(ConfigError, match="top level"):
        load_config(write(tmp_path / "list.yaml", "- 1\n- 2\n"))
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.yaml")


def test_lists_and_hex_colours_from_environment(config_dir: Path) -> None:
    settings = load_settings(
        None,
        config_dir=config_dir,
        environ={"BOTFLEET_BOT__OWNER_IDS": "[1, 2]", "BOTFLEET_COLORS__ERROR": "#ff0000"},
    )
    assert settings.bot.owner_ids == [1, 2]
    assert settings.colors.error == 0xFF0000


def test_secrets_are_masked_everywhere(config_dir: Path) -> None:
    environ = {
        "DISCORD_TOKEN": "very-secret-token",
        "DATABASE_URL": "postgresql://botfleet:hunter2@db.example:5432/botfleet",
        "STRIPE_WEBHOOK_SECRET": "whsec_abc",
    }
    effective = load_effective_config(None, config_dir=config_dir, environ=environ)
    shown = "\n".join(f"{key} {value} {source}" for key, value, source in effective.rows())
    assert "very-secret-token" not in shown
    assert "hunter2" not in shown
    assert "whsec_abc" not in shown
    assert "postgresql://db.example:5432/botfleet (credentials hidden)" in shown
    assert "very-secret-token" not in repr(effective.settings)


def test_unknown_bot_is_rejected(config_dir: Path) -> None:
    with pytest.raises(ConfigError, match="unknown bot 'pinball'"):
        load_settings("pinball", config_dir=config_dir, environ={})


@pytest.mark.parametrize("bot", [None, *bot_names()])
@pytest.mark.parametrize("environment", ["development", "staging", "production"])
def test_shipped_configuration_is_valid(bot: str | None, environment: str) -> None:
    settings = load_settings(bot, config_dir=REPO_CONFIG, environ={"BOTFLEET_ENV": environment})
    assert settings.environment == environment


def test_every_bot_has_a_distinct_prefix() -> None:
    prefixes = [
        load_settings(bot, config_dir=REPO_CONFIG, environ={}).bot.prefix for bot in bot_names()
    ]
    assert len(set(prefixes)) == len(bot_names())


def test_shipped_gamification_section_is_valid() -> None:
    options = GamificationOptions.from_settings(
        load_settings(None, config_dir=REPO_CONFIG, environ={})
    )
    assert options.host_bot == "utility"
    assert options.message_xp_min <= options.message_xp_max


def test_gamification_mistakes_name_the_key(config_dir: Path) -> None:
    write(config_dir / "settings.yaml", "gamification:\n  command_xpp: 5\n")
    settings = load_settings(None, config_dir=config_dir, environ={})
    with pytest.raises(ConfigError, match=r"gamification\.command_xpp: extra inputs"):
        GamificationOptions.from_settings(settings)


def test_a_modules_own_section_names_the_key_and_the_valid_ones(config_dir: Path) -> None:
    write(config_dir / "settings.yaml", "gamification:\n  comand_xp: 5\n")
    settings = load_settings(None, config_dir=config_dir, environ={})
    with pytest.raises(ConfigError) as raised:
        GamificationOptions.from_settings(settings)
    assert "gamification.comand_xp: extra inputs are not permitted" in str(raised.value)
    assert "command_xp" in str(raised.value).split("expected one of:")[1]


@pytest.mark.parametrize(
    ("grace", "note_after"), [(1.5, 1.5), (2.0, 1.0)], ids=["equal", "note first"]
)
def test_the_slow_note_must_come_after_the_acknowledgement(grace: float, note_after: float) -> None:
    with pytest.raises(ValueError, match=r"slow_note_after .* must be longer than answer_grace"):
        BotSection(answer_grace=grace, slow_note_after=note_after)
