"""Discord's error answers: HTTP status, JSON error code and the body shape discord.py parses.

discord.py turns an error body into ``HTTPException.code`` and ``.text`` (flattening the nested
``errors`` of a 400 into "In embeds.0.title: ..."), so the sandbox must answer with the same
shape for a bot's error handling to be exercised the way Discord would exercise it.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, NoReturn


class JSONErrorCode(IntEnum):
    """The subset of Discord's JSON error codes the sandbox answers with."""

    GENERAL = 0
    UNKNOWN_CHANNEL = 10003
    UNKNOWN_GUILD = 10004
    UNKNOWN_MEMBER = 10007
    UNKNOWN_MESSAGE = 10008
    UNKNOWN_ROLE = 10011
    UNKNOWN_USER = 10013
    UNKNOWN_EMOJI = 10014
    UNKNOWN_WEBHOOK = 10015
    UNKNOWN_BAN = 10026
    UNKNOWN_APPLICATION = 10002
    UNKNOWN_APPLICATION_COMMAND = 10063
    UNKNOWN_INTERACTION = 10062
    UNKNOWN_AUTO_MODERATION_RULE = 10066
    CANNOT_EDIT_OTHERS_MESSAGE = 50005
    CANNOT_SEND_EMPTY_MESSAGE = 50006
    CANNOT_SEND_TO_USER = 50007
    CANNOT_EXECUTE_ON_DM = 50003
    BULK_DELETE_TOO_OLD = 50034
    MISSING_ACCESS = 50001
    MISSING_PERMISSIONS = 50013
    INVALID_WEBHOOK_TOKEN = 50027
    INVALID_FORM_BODY = 50035
    REQUEST_ENTITY_TOO_LARGE = 40005
    TARGET_NOT_IN_VOICE = 40032
    INTERACTION_ALREADY_ACKNOWLEDGED = 40060
    POLL_EXPIRED = 520001
    CANNOT_EDIT_POLL_MESSAGE = 520003
    CANNOT_EXPIRE_NON_POLL_MESSAGE = 520006


class DiscordHTTPError(Exception):
    """An error answer of the API: raised by a handler, rendered by the server's middleware."""

    def __init__(
        self,
        status: int,
        code: JSONErrorCode,
        message: str,
        *,
        errors: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {message} (code {int(code)})")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """The JSON body Discord sends for this error."""
        body: dict[str, Any] = {"message": self.message, "code": int(self.code)}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def not_found_route() -> DiscordHTTPError:
    """The answer to a path the API does not have."""
    return DiscordHTTPError(404, JSONErrorCode.GENERAL, "404: Not Found")


def method_not_allowed() -> DiscordHTTPError:
    """The answer to a known path called with a method it does not take."""
    return DiscordHTTPError(405, JSONErrorCode.GENERAL, "405: Method Not Allowed")


def unauthorized() -> DiscordHTTPError:
    """The answer to a missing or wrong bot token."""
    return DiscordHTTPError(401, JSONErrorCode.GENERAL, "401: Unauthorized")


def unknown(code: JSONErrorCode, what: str) -> DiscordHTTPError:
    """A 404 for a resource that does not exist, e.g. ``unknown(UNKNOWN_CHANNEL, "Channel")``."""
    return DiscordHTTPError(404, code, f"Unknown {what}")


def missing_access() -> DiscordHTTPError:
    """A 403 for a resource the bot cannot see at all."""
    return DiscordHTTPError(403, JSONErrorCode.MISSING_ACCESS, "Missing Access")


def missing_permissions() -> DiscordHTTPError:
    """A 403 for an action the bot's permissions do not allow."""
    return DiscordHTTPError(403, JSONErrorCode.MISSING_PERMISSIONS, "Missing Permissions")


class FormErrors:
    """Collects field errors of a request body into Discord's nested ``errors`` object.

    A path such as ``("embeds", 0, "title")`` becomes
    ``{"embeds": {"0": {"title": {"_errors": [{"code": ..., "message": ...}]}}}}``.
    """

    def __init__(self) -> None:
        self._tree: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record that the field at ``path`` is invalid."""
        node = self._tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: tuple[str | int, ...], value: str | None, limit: int) -> None:
        """Record an error when a string is longer than ``limit`` characters."""
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def length_between(
        self, path: tuple[str | int, ...], value: str | None, low: int, high: int
    ) -> None:
        """Record an error when a string is absent or its length is outside ``low..high``."""
        if value is None:
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        elif not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def required_text(self, path: tuple[str | int, ...], value: str | None, limit: int) -> None:
        """Record an error when a required string is empty or longer than ``limit``."""
        if not value:
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        else:
            self.max_length(path, value, limit)

    def max_items(self, path: tuple[str | int, ...], items: list[Any], limit: int) -> None:
        """Record an error when a list holds more than ``limit`` items."""
        if len(items) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def __bool__(self) -> bool:
        return bool(self._tree)

    def raise_if_any(self) -> None:
        """Raise Discord's "Invalid Form Body" (400, code 50035) if any error was recorded."""
        if self._tree:
            self.raise_now()

    def raise_now(self) -> NoReturn:
        """Raise Discord's "Invalid Form Body" with the errors recorded so far."""
        raise DiscordHTTPError(
            400, JSONErrorCode.INVALID_FORM_BODY, "Invalid Form Body", errors=self._tree
        )
