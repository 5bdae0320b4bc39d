"""Typed shape of botfleet's configuration; every section forbids unknown keys."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class Section(BaseModel):
    """Base for config sections: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class BotSection(Section):
    prefix: str | None = Field(
        default=None,
        min_length=1,
        max_length=5,
        description="Prefix of text commands; each bot has its own default (h! for Hangman).",
    )
    owner_ids: list[int] = Field(default_factory=list)
    description: str = "A botfleet bot."
    sync_commands: Literal["auto", "always", "never"] = "auto"
    sync_guild: int | None = Field(
        default=None,
        ge=1,
        description="For development: sync the slash commands to this one server only (also "
        "DEV_GUILD_ID), where a change shows at once; global commands are left as they are.",
    )
    reload: bool = Field(
        default=False,
        description="For development: reload a changed extension in place (botfleet run "
        "--reload); needs watchfiles, from the dev extra.",
    )
    guild_ready_timeout: float = Field(default=2.0, ge=0)
    late_after: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="In a one-process fleet, seconds after which a bot not ready yet is logged "
        "as late (the others go on without it).",
    )
    shard_count: int | None = Field(
        default=None, ge=1, description="Number of shards; unset lets Discord recommend one."
    )
    shard_ids: list[int] | None = Field(
        default=None,
        min_length=1,
        description="The shards this process runs (botfleet run --shards a-b); unset: all. "
        "Several processes split one bot's shards this way; needs shard_count.",
    )
    data_dir: str = Field(default="data", description="Where bots keep local state files.")
    answer_grace: float = Field(
        default=1.5,
        gt=0,
        le=2.5,
        description="Seconds after a member's command by which the bot acknowledges an answer "
        "not given yet (thinking), inside the 3 s Discord gives a first answer.",
    )
    slow_note_after: float = Field(
        default=5.0,
        gt=0,
        le=600,
        description="Seconds after a member's command past which the member still waiting "
        "reads that the answer is taking longer and is on its way.",
    )
    heartbeat_interval: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description="Seconds between the heartbeats /fleet status reads (latency, uptime).",
    )

    @model_validator(mode="after")
    def _note_after_acknowledging(self) -> BotSection:
        if self.slow_note_after <= self.answer_grace:
            raise ValueError(
                f"slow_note_after ({self.slow_note_after:g}s) must be longer than answer_grace "
                f"({self.answer_grace:g}s): the note replaces the acknowledgement"
            )
        return self

    @model_validator(mode="after")
    def _shards_within_count(self) -> BotSection:
        if self.shard_ids is None:
            return self
        if self.shard_count is None:
            raise ValueError("shard_ids needs shard_count: how many shards the bot has in all")
        outside = [shard for shard in self.shard_ids if not 0 <= shard < self.shard_count]
        if outside:
            raise ValueError(
                f"shard_ids {outside} are outside 0-{self.shard_count - 1} "
                f"(shard_count is {self.shard_count})"
            )
        if len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError("shard_ids lists a shard twice")
        return self


class ColorsSection(Section):
    primary: int = 0x5865F2
    success: int = 0x2ECC71
    error: int = 0xE74C3C
    warning: int = 0xF1C40F
    info: int = 0x3498DB

    @field_validator("*", mode="before")
    @classmethod
    def _hex_strings(cls, value: Any) -> Any:
        """Accept "#2ecc71" and "0x2ecc71" as well as integers."""
        if isinstance(value, str):
            text = value.strip().lower().removeprefix("#").removeprefix("0x")
            return int(text, 16)
        return value


class CommandRateLimit(Section):
    commands_per_user: int = Field(default=5, ge=1)
    time_window: float = Field(default=10, gt=0)


class RateLimitsSection(CommandRateLimit):
    commands: dict[str, CommandRateLimit] = Field(
        default_factory=dict,
        description="Per-command budgets by qualified name, e.g. `hangman start`.",
    )


class DatabaseSection(Section):
    url: SecretStr = SecretStr("sqlite+aiosqlite:///data/botfleet.db")
    auto_migrate: bool = Field(
        default=True,
        description="Upgrade the schema when a bot starts; production runs `botfleet db upgrade`.",
    )
    echo: bool = False
    pool_size: int = Field(default=5, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    pool_timeout: float = Field(default=30, gt=0)
    pool_recycle: int = Field(default=1800, ge=-1)


class CacheTTLSection(Section):
    user: int = Field(default=3600, gt=0)
    guild_config: int = Field(default=3600, gt=0)
    leaderboard: int = Field(default=300, gt=0)


class CacheSection(Section):
    redis_url: SecretStr | None = None
    key_prefix: str = "botfleet:"
    memory_max_entries: int = Field(default=10_000, ge=1)
    redis_retry_interval: float = Field(default=15, gt=0)
    ttl: CacheTTLSection = Field(default_factory=CacheTTLSection)


class LoggingSection(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    directory: str = "logs"
    json_format: bool = False
    max_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    backup_count: int = Field(default=5, ge=0)
    sentry_dsn: SecretStr | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class PermissionsSection(Section):
    moderator_roles: list[int] = Field(
        default_factory=list, description="Role ids whose members are moderators for the bots."
    )
    admin_roles: list[int] = Field(
        default_factory=list, description="Role ids whose members are admins for the bots."
    )


class SchedulerSection(Section):
    memory_threshold: float = Field(default=60, ge=0)
    max_sleep: float = Field(
        default=5,
        gt=0,
        description="Longest sleep of the timer loop: how late another bot's timer may fire "
        "(a level-up another process hands to the host bot, for one).",
    )


class DiscordSection(Section):
    token: SecretStr | None = None
    application_id: int | None = None
    api_base: str | None = Field(
        default=None,
        description="Base URL of a Discord stand-in (the local sandbox); unset means Discord.",
    )


LOCAL_PROXIES: tuple[IPv4Network | IPv6Network, ...] = (
    IPv4Network("127.0.0.1/32"),
    IPv6Network("::1/128"),
)


class WebSection(Section):
    host: str = Field(default="127.0.0.1", description="Address the web endpoints listen on.")
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = Field(
        default="http://127.0.0.1:8080",
        description="The dashboard's address as members reach it (behind nginx: https://...), "
        "for links the bots send; the OAuth2 redirect URI is this plus /oauth2/callback.",
    )
    session_lifetime: float = Field(
        default=7 * 86_400,
        gt=0,
        description="Seconds a dashboard login lasts; then the member logs in again.",
    )
    secure_cookies: bool = Field(
        default=True,
        description="Mark the session cookie Secure (sent over HTTPS only); switch off only for "
        "a plain-HTTP development server.",
    )
    api_requests_per_minute: int = Field(
        default=60, ge=1, description="Requests one client may make to the JSON API a minute."
    )
    leaderboard_pages_per_minute: int = Field(
        default=120,
        ge=1,
        description="Public leaderboard pages of the dashboard one client may open a minute "
        "(a person turning pages never reaches it); more are answered 429.",
    )
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(
        default_factory=lambda: list(LOCAL_PROXIES),
        description="Networks of the reverse proxies whose X-Real-IP names the client (nginx "
        "on this host by default; the compose network in deploy/compose.yaml).",
    )
    bot_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Each bot's Discord token by bot name, with which the dashboard reads a "
        "server's channels as that bot sees them; `botfleet web` takes them from "
        "<BOT>_DISCORD_TOKEN.",
    )


class AuthSection(Section):
    """Discord login for the dashboard, and the keys that encrypt stored OAuth2 tokens."""

    client_id: int | None = Field(
        default=None, description="The OAuth2 application's client id (DISCORD_CLIENT_ID)."
    )
    client_secret: SecretStr | None = Field(
        default=None, description="The OAuth2 client secret (DISCORD_CLIENT_SECRET)."
    )
    authorize_url: str = Field(
        default="https://discord.com/oauth2/authorize",
        description="Discord's consent page; a stand-in's in tests.",
    )
    token_url: str = Field(
        default="https://discord.com/api/oauth2/token",
        description="Discord's token endpoint; revocation is this plus /revoke.",
    )
    api_base: str = Field(
        default="https://discord.com/api/v10",
        description="Discord's API, read with the member's token (/users/@me, its guilds).",
    )
    token_keys: SecretStr | None = Field(
        default=None,
        description="Fernet keys that encrypt stored OAuth2 tokens, comma-separated, newest "
        "first (TOKEN_ENCRYPTION_KEYS; `botfleet keys generate` makes one).",
    )

    @field_validator("authorize_url", "token_url", "api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class HealthSection(Section):
    host: str = Field(
        default="127.0.0.1", description="Address of each bot process's /health and /metrics."
    )
    port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of the bot process's /health and /metrics (Prometheus); unset: off. "
        "Give each bot process its own (BOTFLEET_HEALTH__PORT).",
    )


class BusSection(Section):
    backend: Literal["memory", "rabbitmq"] = Field(
        default="memory",
        description="Where cross-bot events travel: within one process (memory) or through "
        "RabbitMQ, for bots in several processes or machines (needs the bus extra).",
    )
    amqp_url: SecretStr = Field(
        default=SecretStr("amqp://guest:guest@127.0.0.1:5672/"),
        description="The RabbitMQ server (AMQP_URL); its password belongs in .env.",
    )
    exchange: str = Field(
        default="botfleet.events", min_length=1, description="The topic exchange of the events."
    )


class AISection(Section):
    api_key: SecretStr | None = Field(
        default=None,
        description="Key of the OpenAI-compatible API (OPENAI_API_KEY); unset: AI is off.",
    )
    base_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible server (llama.cpp, vLLM, Ollama); "
        "unset means OpenAI.",
    )
    model: str = Field(default="gpt-4o-mini", min_length=1, description="Chat model to ask.")
    timeout: float = Field(
        default=30, gt=0, le=600, description="Seconds to wait for one answer before giving up."
    )
    max_retries: int = Field(
        default=3, ge=0, le=10, description="Retries after a rate limit (429) or a server error."
    )
    retry_base_delay: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="First backoff delay in seconds; it doubles with each retry, with jitter.",
    )
    max_retry_wait: float = Field(
        default=30,
        gt=0,
        le=600,
        description="Longest single wait before a retry; a longer Retry-After gives up at once.",
    )
    max_input_chars: int = Field(
        default=4000, ge=1, le=100_000, description="Longest member text sent in one request."
    )
    max_output_tokens: int = Field(
        default=500, ge=1, le=100_000, description="Most tokens one answer may use."
    )
    user_daily_requests: int = Field(
        default=50, ge=1, description="Requests one member may make per UTC day, fleet-wide."
    )
    user_daily_tokens: int = Field(
        default=20_000, ge=1, description="Tokens one member may use per UTC day, fleet-wide."
    )
    guild_daily_requests: int = Field(
        default=500, ge=1, description="Requests one server's members may make per UTC day."
    )
    guild_daily_tokens: int = Field(
        default=200_000, ge=1, description="Tokens one server's members may use per UTC day."
    )
    premium_multiplier: float = Field(
        default=5,
        ge=1,
        le=1000,
        description="Premium members and servers get their daily budgets times this.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """A typo here would send prompts nowhere: only http(s) URLs are accepted."""
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, e.g. http://127.0.0.1:8080/v1")
        return value


PLAN_KEYS: Final = frozenset({"user_monthly", "user_yearly", "guild_monthly", "guild_yearly"})


class PaymentsSection(Section):
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str | None = Field(
        default=None, description="Base URL of a Stripe stand-in; unset means Stripe."
    )
    stripe_prices: dict[str, str] = Field(
        default_factory=dict,
        description="Stripe price id of each plan: user_monthly, user_yearly, guild_monthly, "
        "guild_yearly.",
    )
    webhook_tolerance: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="Seconds a signed webhook stays acceptable; older ones are refused.",
    )
    paypal_client_id: str | None = None
    paypal_client_secret: SecretStr | None = None
    paypal_api_base: str = Field(
        default="https://api-m.paypal.com",
        description="PayPal's REST API (https://api-m.sandbox.paypal.com for its sandbox).",
    )
    paypal_webhook_id: str | None = Field(
        default=None, description="The id PayPal gave the webhook; it is part of what it signs."
    )
    paypal_plans: dict[str, str] = Field(
        default_factory=dict, description="PayPal plan id of each plan, keyed like stripe_prices."
    )
    paypal_cert_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts besides PayPal's own that webhook certificates may come from "
        "(only for tests against a stand-in).",
    )
    paypal_cert_subject: str = Field(
        default="messageverificationcerts.paypal.com",
        description="The host a webhook certificate must name "
        "(messageverificationcerts.sandbox.paypal.com for PayPal's sandbox).",
    )
    paypal_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CAs webhook certificates must chain up to; "
        "unset means the certifi bundle.",
    )

    @field_validator("stripe_prices", "paypal_plans")
    @classmethod
    def _known_plans(cls, value: dict[str, str]) -> dict[str, str]:
        """A misspelt plan would silently never be offered: only the four plans are accepted."""
        unknown = sorted(set(value) - PLAN_KEYS)
        if unknown:
            raise ValueError(f"unknown plans {unknown}; use {sorted(PLAN_KEYS)}")
        return value


class Settings(Section):
    """The whole effective configuration of one bot process (or of the CLI)."""

    environment: Literal["development", "staging", "production"] = "development"
    bot_name: str | None = None
    bot: BotSection = Field(default_factory=BotSection)
    colors: ColorsSection = Field(default_factory=ColorsSection)
    rate_limits: RateLimitsSection = Field(default_factory=RateLimitsSection)
    database: DatabaseSection = Field(default_factory=DatabaseSection)
    cache: CacheSection = Field(default_factory=CacheSection)
    logging: LoggingSection = Field(default_factory=LoggingSection)
    permissions: PermissionsSection = Field(default_factory=PermissionsSection)
    scheduler: SchedulerSection = Field(default_factory=SchedulerSection)
    discord: DiscordSection = Field(default_factory=DiscordSection)
    web: WebSection = Field(default_factory=WebSection)
    auth: AuthSection = Field(default_factory=AuthSection)
    health: HealthSection = Field(default_factory=HealthSection)
    bus: BusSection = Field(default_factory=BusSection)
    ai: AISection = Field(default_factory=AISection)
    payments: PaymentsSection = Field(default_factory=PaymentsSection)
    gamification: dict[str, Any] = Field(
        default_factory=dict,
        description="Fleet-wide XP defaults; see botfleet.gamification.options.",
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="The bot's own options, validated by the bot's config.py model.",
    )
