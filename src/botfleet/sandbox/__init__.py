"""A local stand-in for Discord's HTTP API and gateway that real discord.py clients log in to.

Start one with ``sandbox = await DiscordSandbox.start()``, register bot applications, build
guilds with members and roles, run bots against it with ``sandbox.run_client(bot, app)`` and
play the members from a test. pytest fixtures live in ``botfleet.sandbox.pytest_plugin``.
"""

from botfleet.core.discord_target import point_discord_at
from botfleet.sandbox.errors import DiscordHTTPError, JSONErrorCode
from botfleet.sandbox.flags import (
    ChannelType,
    GatewayIntent,
    InteractionCallbackType,
    InteractionType,
    MessageFlag,
    OverwriteType,
    Permission,
)
from botfleet.sandbox.models import (
    Application,
    ApplicationCommand,
    Ban,
    Channel,
    Guild,
    Interaction,
    Member,
    Message,
    PermissionOverwrite,
    Role,
    User,
    VoiceState,
)
from botfleet.sandbox.ratelimits import (
    DISCORD_ROUTE_LIMITS,
    ForcedOutage,
    ForcedRateLimit,
    RecordedRateLimit,
    RouteLimit,
)
from botfleet.sandbox.rest import AuditedRequest, RecordedHTTPError, UnhandledRequest
from botfleet.sandbox.scripting import (
    InteractionHandle,
    InteractionResponse,
    MessageBlockedError,
    SandboxChannel,
    SandboxFile,
    SandboxGuild,
    SandboxMember,
    SandboxScriptError,
    SandboxTimeoutError,
)
from botfleet.sandbox.server import DiscordSandbox
from botfleet.sandbox.snowflakes import SnowflakeGenerator, snowflake_time
from botfleet.sandbox.voice import Playback, SandboxVoiceClient

__all__ = [
    "DISCORD_ROUTE_LIMITS",
    "Application",
    "ApplicationCommand",
    "AuditedRequest",
    "Ban",
    "Channel",
    "ChannelType",
    "DiscordHTTPError",
    "DiscordSandbox",
    "ForcedOutage",
    "ForcedRateLimit",
    "GatewayIntent",
    "Guild",
    "Interaction",
    "InteractionCallbackType",
    "InteractionHandle",
    "InteractionResponse",
    "InteractionType",
    "JSONErrorCode",
    "Member",
    "Message",
    "MessageBlockedError",
    "MessageFlag",
    "OverwriteType",
    "Permission",
    "PermissionOverwrite",
    "Playback",
    "RecordedHTTPError",
    "RecordedRateLimit",
    "Role",
    "RouteLimit",
    "SandboxChannel",
    "SandboxFile",
    "SandboxGuild",
    "SandboxMember",
    "SandboxScriptError",
    "SandboxTimeoutError",
    "SandboxVoiceClient",
    "SnowflakeGenerator",
    "UnhandledRequest",
    "User",
    "VoiceState",
    "point_discord_at",
    "snowflake_time",
]
