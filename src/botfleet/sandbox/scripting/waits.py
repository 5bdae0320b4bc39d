"""Waits that explain themselves, and the errors a scripted member's refused act raises.

Every wait takes its own ``timeout`` so that, when it runs out, the failure can say what was
awaited and what the bot did instead, followed by the sandbox's diagnostics.
"""

# Every wait takes its own ``timeout`` so that, when it runs out, the failure can say what was
# awaited and what the bot did instead; an outer asyncio.timeout() could only say "timed out".
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

import discord

from botfleet.sandbox.errors import DiscordHTTPError
from botfleet.sandbox.models import User
from botfleet.sandbox.state import SandboxState

if TYPE_CHECKING:
    pass


class ScriptedSandbox(Protocol):
    """What the scripting handles need of the sandbox (``DiscordSandbox`` is one).

    A protocol rather than the server class, so the handles never import the server that
    hands them out.
    """

    state: SandboxState

    def diagnostics(self) -> str:
        """Recent refused requests and unhandled routes, appended to timeout failures."""
        ...

    def channel_cursor(self, channel_id: int) -> int:
        """The id of the last message a wait in this channel handed out (or skipped past)."""
        ...

    def move_channel_cursor(self, channel_id: int, message_id: int) -> None:
        """Make later waits in the channel look only at messages after ``message_id``."""
        ...


T = TypeVar("T")


DEFAULT_TIMEOUT = 5.0


class SandboxScriptError(Exception):
    """A scripted action Discord's own client would not let a member do."""


class MessageBlockedError(SandboxScriptError):
    """Discord's AutoMod blocked a member's message: it was never posted."""


class SandboxTimeoutError(AssertionError):
    """A bot did not do what the test waited for in time."""


@dataclass(frozen=True)
class SandboxFile:
    """A file a member attaches (to a message or an attachment option)."""

    filename: str
    data: bytes


async def wait_until(
    sandbox: ScriptedSandbox,
    check: Callable[[], T | None],
    *,
    timeout: float,
    describe_failure: Callable[[], str],
) -> T:
    """Return ``check()``'s first non-None result, re-checking on every change of the world."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise SandboxTimeoutError(
                f"Timed out after {timeout:.1f}s {describe_failure()}{sandbox.diagnostics()}"
            )
        await sandbox.state.changes.wait(remaining)


@contextlib.contextmanager
def refused_as_script_error(actor: User, action: str) -> Iterator[None]:
    """Turn Discord's refusal of a scripted action into a readable ``SandboxScriptError``."""
    try:
        yield
    except DiscordHTTPError as error:
        detail = f" {json.dumps(error.errors)}" if error.errors else ""
        raise SandboxScriptError(
            f"{actor.username} cannot {action}: Discord refuses with {error.status} "
            f"{error.message} (code {int(error.code)}){detail}"
        ) from error


def permission_value(permissions: int | discord.Permissions) -> int:
    """An int from an int, a ``Permission`` flag or a ``discord.Permissions``."""
    if isinstance(permissions, discord.Permissions):
        return permissions.value
    return int(permissions)


def content_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
