"""The test-facing side of the sandbox: members who act, and waits that explain themselves.

A test builds a guild, adds members and bots, then plays the members: they send messages, run
slash commands, click buttons, fill modals, vote in polls. Whatever a bot answers is awaited
with a timeout; on timeout the failure says what was expected, what the bot did send, and which
requests of the bot the sandbox refused, so a red test reads like a bug report.

The handles live in this package's modules by concern; every public name is importable from
here.
"""

from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.scripting.interactions import InteractionHandle, InteractionResponse
from botfleet.sandbox.scripting.members import (
    DEFAULT_BOT_PERMISSIONS,
    SandboxChannel,
    SandboxMember,
)
from botfleet.sandbox.scripting.waits import (
    DEFAULT_TIMEOUT,
    MessageBlockedError,
    SandboxFile,
    SandboxScriptError,
    SandboxTimeoutError,
    ScriptedSandbox,
    wait_until,
)

__all__ = [
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_TIMEOUT",
    "InteractionHandle",
    "InteractionResponse",
    "MessageBlockedError",
    "SandboxChannel",
    "SandboxFile",
    "SandboxGuild",
    "SandboxMember",
    "SandboxScriptError",
    "SandboxTimeoutError",
    "ScriptedSandbox",
    "wait_until",
]
