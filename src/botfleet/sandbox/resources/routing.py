"""What every resource's routes share: reading requests, authenticating bots, answering.

Each resource module's route class extends ``RouteHelpers``; ``rest.RestApi`` combines them and
holds the route table.
"""

from __future__ import annotations

import datetime
import json
import mimetypes
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import (
    DiscordHTTPError,
    FormErrors,
    JSONErrorCode,
    missing_access,
    missing_permissions,
    unauthorized,
    unknown,
)
from botfleet.sandbox.flags import Permission
from botfleet.sandbox.models import Application, Channel, Guild, Message
from botfleet.sandbox.resources.world import WorldState
from botfleet.sandbox.validation import (
    Upload,
    parse_json_body,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


_FILE_FIELD = re.compile(r"^files\[(\d+)\]$")


_CUSTOM_EMOJI = re.compile(r"^(?P<name>[\w~]+):(?P<id>\d+)$")


APP_KEY = web.RequestKey("sandbox_application", Application)


def json_response(data: Any, *, status: int = 200) -> web.Response:
    """A JSON answer with exactly ``Content-Type: application/json``, as discord.py expects."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def no_content() -> web.Response:
    """An empty 204 answer."""
    return web.Response(status=204)


def bot_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme == "Bot" and token.strip() else None


def path_snowflake(request: web.Request, key: str) -> int:
    raw = request.match_info.get(key, "")
    if not raw.isdigit():
        errors_for = {
            "channel_id": (JSONErrorCode.UNKNOWN_CHANNEL, "Channel"),
            "guild_id": (JSONErrorCode.UNKNOWN_GUILD, "Guild"),
            "message_id": (JSONErrorCode.UNKNOWN_MESSAGE, "Message"),
            "user_id": (JSONErrorCode.UNKNOWN_USER, "User"),
            "role_id": (JSONErrorCode.UNKNOWN_ROLE, "Role"),
            "interaction_id": (JSONErrorCode.UNKNOWN_INTERACTION, "interaction"),
            "application_id": (JSONErrorCode.UNKNOWN_APPLICATION, "Application"),
            "command_id": (JSONErrorCode.UNKNOWN_APPLICATION_COMMAND, "application command"),
        }
        code, what = errors_for.get(key, (JSONErrorCode.GENERAL, "resource"))
        raise unknown(code, what)
    return int(raw)


def query_int(
    request: web.Request, name: str, default: int, *, low: int = 0, high: int | None = None
) -> int:
    """An integer query parameter, refused with 50035 when malformed or out of range."""
    raw = request.query.get(name)
    if raw is None:
        return default
    errors = FormErrors()
    try:
        value = int(raw)
    except ValueError:
        errors.add((name,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not int.')
        errors.raise_now()
    if value < low:
        errors.add(
            (name,), "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}."
        )
    if high is not None and value > high:
        errors.add((name,), "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}.")
    errors.raise_if_any()
    return value


def guild_channel_only(guild: Guild | None) -> Guild:
    """The channel's guild; actions that only exist in guilds are refused in DMs (50003)."""
    if guild is None:
        raise DiscordHTTPError(
            403, JSONErrorCode.CANNOT_EXECUTE_ON_DM, "Cannot execute action on a DM channel"
        )
    return guild


def require_in_voice(guild: Guild, user_id: int) -> None:
    if user_id not in guild.voice_states:
        raise DiscordHTTPError(
            400, JSONErrorCode.TARGET_NOT_IN_VOICE, "Target user is not connected to voice."
        )


def optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    errors = FormErrors()
    errors.add((key,), "BASE_TYPE_STRING", "Must be a string.")
    errors.raise_now()


def body_int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    errors = FormErrors()
    errors.add((key,), "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    errors.raise_now()


def body_timestamp(body: dict[str, Any], key: str) -> datetime.datetime | None:
    """An ISO 8601 timestamp field (``None`` when null), refused with 50035 when malformed."""
    raw = body.get(key)
    if raw is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(raw))
    except ValueError:
        errors = FormErrors()
        errors.add((key,), "DATE_TIME_TYPE_PARSE", f"Could not parse {raw}. Should be ISO8601.")
        errors.raise_now()
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def permission_bits(errors: FormErrors, body: dict[str, Any], key: str) -> int:
    raw = body.get(key)
    if raw is None:
        return 0
    if str(raw).isdigit():
        return int(raw)
    errors.add((key,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
    return 0


def audit_log_reason(request: web.Request) -> str | None:
    reason = request.headers.get("X-Audit-Log-Reason")
    return unquote(reason) if reason else None


def parse_emoji(raw: str) -> tuple[str, int | None]:
    text = unquote(raw)
    custom = _CUSTOM_EMOJI.match(text)
    if custom is not None:
        return custom.group("name"), int(custom.group("id"))
    if not text:
        raise unknown(JSONErrorCode.UNKNOWN_EMOJI, "Emoji")
    return text, None


async def read_message_body(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    """A message body from JSON or from multipart (``payload_json`` plus ``files[n]``)."""
    if not request.content_type.startswith("multipart/"):
        body = parse_json_body(await request.read())
        if not isinstance(body, dict):
            raise DiscordHTTPError(400, JSONErrorCode.GENERAL, "400: Bad Request")
        return body, []
    reader = await request.multipart()
    body = {}
    uploads: list[Upload] = []
    total = 0
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        name = part.name or ""
        data = await part.read()
        if name == "payload_json":
            body = parse_json_body(bytes(data))
            continue
        match = _FILE_FIELD.match(name)
        if match is None:
            continue
        total += len(data)
        filename = part.filename or f"file{match.group(1)}"
        guessed, _ = mimetypes.guess_type(filename)
        uploads.append(
            Upload(
                index=int(match.group(1)),
                filename=filename,
                content_type=guessed or "application/octet-stream",
                data=bytes(data),
            )
        )
    if total > payloads.ATTACHMENT_SIZE_LIMIT:
        raise DiscordHTTPError(
            413, JSONErrorCode.REQUEST_ENTITY_TOO_LARGE, "Request entity too large"
        )
    return body, uploads


class RouteHelpers:
    """Look-ups and payloads the route handlers of every resource use."""

    _state: WorldState

    def _authenticate(self, request: web.Request) -> Application:
        token = bot_token(request)
        app = self._state.application_by_token(token) if token else None
        if app is None:
            raise unauthorized()
        request[APP_KEY] = app
        return app

    def _channel_for(self, request: web.Request, app: Application) -> Channel:
        channel = self._state.channels.get(path_snowflake(request, "channel_id"))
        if channel is None:
            raise unknown(JSONErrorCode.UNKNOWN_CHANNEL, "Channel")
        if channel.guild_id is None:
            if app.bot_user.id not in channel.recipient_ids:
                raise missing_access()
        elif app.bot_user.id not in self._state.guilds[channel.guild_id].members:
            raise missing_access()
        if not self._state.can(channel, app.bot_user.id, Permission.VIEW_CHANNEL):
            raise missing_access()
        return channel

    def _guild_for(self, request: web.Request, app: Application) -> Guild:
        guild = self._state.guilds.get(path_snowflake(request, "guild_id"))
        if guild is None:
            raise unknown(JSONErrorCode.UNKNOWN_GUILD, "Guild")
        if app.bot_user.id not in guild.members:
            raise missing_access()
        return guild

    def _guild_where_bot_can(
        self, request: web.Request, permission: Permission
    ) -> tuple[Application, Guild]:
        """The request's bot and guild; 50013 unless the bot holds ``permission`` guild-wide."""
        app = self._authenticate(request)
        guild = self._guild_for(request, app)
        if not guild.permissions_of(app.bot_user.id) & permission:
            raise missing_permissions()
        return app, guild

    def _message_in(self, request: web.Request, channel: Channel) -> Message:
        message = self._state.messages.get(path_snowflake(request, "message_id"))
        if (
            message is None
            or message.deleted
            or message.channel_id != channel.id
            or message.ephemeral
        ):
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        return message

    def _message_payload(self, message: Message, app: Application) -> dict[str, Any]:
        return dict(payloads.message_payload(message, state=self._state, viewer=app.bot_user))

    def _channel_payload(self, channel: Channel, app: Application) -> dict[str, Any]:
        if channel.guild_id is None:
            return dict(
                payloads.dm_channel_payload(channel, viewer=app.bot_user, state=self._state)
            )
        return dict(payloads.guild_channel_payload(channel))

    def _commands_target(self, request: web.Request) -> tuple[Application, int | None]:
        app = self._authenticate(request)
        if path_snowflake(request, "application_id") != app.id:
            raise missing_access()
        guild_id: int | None = None
        if "guild_id" in request.match_info:
            guild_id = self._guild_for(request, app).id
        return app, guild_id
