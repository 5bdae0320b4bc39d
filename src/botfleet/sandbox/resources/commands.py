"""Application commands registered by each bot, globally or per guild."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.command_validation import CommandDraft, parse_command, parse_commands
from botfleet.sandbox.errors import (
    JSONErrorCode,
    unknown,
)
from botfleet.sandbox.models import Application, ApplicationCommand
from botfleet.sandbox.resources.members import MembersState
from botfleet.sandbox.resources.routing import (
    RouteHelpers,
    json_response,
    no_content,
    path_snowflake,
)
from botfleet.sandbox.validation import parse_json_body

if TYPE_CHECKING:
    from discord.types.command import ApplicationCommand as ApplicationCommandPayload


def application_command_payload(command: ApplicationCommand) -> ApplicationCommandPayload:
    """An application command object as Discord stores it."""
    payload: dict[str, Any] = {
        "id": payloads.snowflake(command.id),
        "application_id": payloads.snowflake(command.application_id),
        "version": payloads.snowflake(command.version),
        "type": command.type,
        "name": command.name,
        "description": command.description,
        "default_member_permissions": command.default_member_permissions,
        "dm_permission": 1 in command.contexts,
        "contexts": command.contexts,
        "integration_types": command.integration_types,
        "nsfw": command.nsfw,
        "name_localizations": command.name_localizations,
        "description_localizations": command.description_localizations,
    }
    if command.options:
        payload["options"] = command.options
    if command.guild_id is not None:
        payload["guild_id"] = payloads.snowflake(command.guild_id)
    return cast("ApplicationCommandPayload", payload)


class CommandsState(MembersState):
    """Registering, replacing and deleting application commands."""

    def replace_commands(
        self, app: Application, guild_id: int | None, drafts: list[CommandDraft]
    ) -> list[ApplicationCommand]:
        """Bulk-overwrite an application's global or guild commands, keeping ids by name."""
        current = (
            app.global_commands if guild_id is None else app.guild_commands.setdefault(guild_id, {})
        )
        by_key = {(command.type, command.name): command for command in current.values()}
        replaced: dict[int, ApplicationCommand] = {}
        for draft in drafts:
            existing = by_key.get((draft.type, draft.name))
            command = self._command_from_draft(app, guild_id, draft, existing)
            replaced[command.id] = command
        current.clear()
        current.update(replaced)
        self._changed()
        return list(replaced.values())

    def upsert_command(
        self, app: Application, guild_id: int | None, draft: CommandDraft
    ) -> tuple[ApplicationCommand, bool]:
        """Create a command, or replace the one of the same name; True if it is new."""
        current = (
            app.global_commands if guild_id is None else app.guild_commands.setdefault(guild_id, {})
        )
        existing = next(
            (c for c in current.values() if (c.type, c.name) == (draft.type, draft.name)), None
        )
        command = self._command_from_draft(app, guild_id, draft, existing)
        current[command.id] = command
        self._changed()
        return command, existing is None

    def delete_command(self, app: Application, guild_id: int | None, command_id: int) -> None:
        """Delete one registered command."""
        current = app.global_commands if guild_id is None else app.guild_commands.get(guild_id, {})
        if current.pop(command_id, None) is None:
            raise unknown(JSONErrorCode.UNKNOWN_APPLICATION_COMMAND, "application command")
        self._changed()

    def _command_from_draft(
        self,
        app: Application,
        guild_id: int | None,
        draft: CommandDraft,
        existing: ApplicationCommand | None,
    ) -> ApplicationCommand:
        return ApplicationCommand(
            id=existing.id if existing is not None else self.snowflakes.next(),
            application_id=app.id,
            guild_id=guild_id,
            name=draft.name,
            type=draft.type,
            description=draft.description,
            options=draft.options,
            default_member_permissions=draft.default_member_permissions,
            contexts=draft.contexts,
            integration_types=draft.integration_types,
            nsfw=draft.nsfw,
            name_localizations=draft.name_localizations,
            description_localizations=draft.description_localizations,
            version=self.snowflakes.next(),
        )


class CommandRoutes(RouteHelpers):
    """The commands routes of the HTTP API."""

    _state: CommandsState

    async def list_commands(self, request: web.Request) -> web.Response:
        """``GET .../commands``."""
        app, guild_id = self._commands_target(request)
        commands = app.global_commands if guild_id is None else app.guild_commands.get(guild_id, {})
        return json_response(
            [application_command_payload(command) for command in commands.values()]
        )

    async def replace_commands(self, request: web.Request) -> web.Response:
        """``PUT .../commands``: what ``CommandTree.sync`` calls."""
        app, guild_id = self._commands_target(request)
        drafts = parse_commands(parse_json_body(await request.read()))
        commands = self._state.replace_commands(app, guild_id, drafts)
        return json_response([application_command_payload(c) for c in commands])

    async def upsert_command(self, request: web.Request) -> web.Response:
        """``POST .../commands``: 201 when new, 200 when it replaced one of the same name."""
        app, guild_id = self._commands_target(request)
        draft = parse_command(parse_json_body(await request.read()))
        command, created = self._state.upsert_command(app, guild_id, draft)
        return json_response(application_command_payload(command), status=201 if created else 200)

    async def get_command(self, request: web.Request) -> web.Response:
        """``GET .../commands/{id}``."""
        app, guild_id = self._commands_target(request)
        command = self._find_command(request, app, guild_id)
        return json_response(application_command_payload(command))

    async def edit_command(self, request: web.Request) -> web.Response:
        """``PATCH .../commands/{id}``: the body's fields replace the command's."""
        app, guild_id = self._commands_target(request)
        existing = self._find_command(request, app, guild_id)
        body = parse_json_body(await request.read())
        current = dict(application_command_payload(existing))
        current.update(body if isinstance(body, dict) else {})
        draft = parse_command(current)
        command, _ = self._state.upsert_command(app, guild_id, draft)
        return json_response(application_command_payload(command))

    async def delete_command(self, request: web.Request) -> web.Response:
        """``DELETE .../commands/{id}``."""
        app, guild_id = self._commands_target(request)
        self._state.delete_command(app, guild_id, path_snowflake(request, "command_id"))
        return no_content()

    def _find_command(
        self, request: web.Request, app: Application, guild_id: int | None
    ) -> ApplicationCommand:
        commands = app.global_commands if guild_id is None else app.guild_commands.get(guild_id, {})
        command = commands.get(path_snowflake(request, "command_id"))
        if command is None:
            raise unknown(JSONErrorCode.UNKNOWN_APPLICATION_COMMAND, "application command")
        return command
