"""Application commands registered by each bot, globally or per guild."""

from __future__ import annotations

from botfleet.sandbox.errors import JSONErrorCode, unknown
from botfleet.sandbox.models import (
    Application,
    ApplicationCommand,
)
from botfleet.sandbox.resources.members import MembersState
from botfleet.sandbox.validation import (
    CommandDraft,
)


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
