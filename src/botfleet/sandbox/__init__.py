"""A local stand-in for Discord's HTTP API and gateway that real discord.py clients log in to.

Start one with ``sandbox = await DiscordSandbox.start()``, register bot applications, build
guilds with members and roles, run bots against it with ``sandbox.run_client(bot, app)`` and
play the members from a test. pytest fixtures live in ``botfleet.sandbox.pytest_plugin``.
"""

from botfleet.sandbox.errors import DiscordHTTPError, JSONErrorCode
from botfleet.sandbox.models import (
    Application,
    ApplicationCommand,
    Channel,
    ChannelType,
    GatewayIntent,
    Guild,
    Interaction,
    InteractionCallbackType,
    InteractionType,
    Member,
    Message,
    MessageFlag,
    Permission,
    Role,
    User,
)
from botfleet.sandbox.rest import RecordedHTTPError, UnhandledRequest
from botfleet.sandbox.scripting import (
    InteractionHandle,
    InteractionResponse,
    SandboxChannel,
    SandboxFile,
    SandboxGuild,
    SandboxMember,
    SandboxScriptError,
    SandboxTimeoutError,
)
from botfleet.sandbox.server import DiscordSandbox, point_discord_at
from botfleet.sandbox.snowflakes import SnowflakeGenerator, snowflake_time

__all__ = [
    "Application",
    "ApplicationCommand",
    "Channel",
    "ChannelType",
    "DiscordHTTPError",
    "DiscordSandbox",
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
    "MessageFlag",
    "Permission",
    "RecordedHTTPError",
    "Role",
    "SandboxChannel",
    "SandboxFile",
    "SandboxGuild",
    "SandboxMember",
    "SandboxScriptError",
    "SandboxTimeoutError",
    "SnowflakeGenerator",
    "UnhandledRequest",
    "User",
    "point_discord_at",
    "snowflake_time",
]
