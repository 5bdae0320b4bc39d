"""``PATCH /guilds/{id}``: a bot changes the guild's verification level (Manage Server).

The change is announced (GUILD_UPDATE) and kept in the audit log with its reason, as Discord
does; the stand-in edits the verification level only, what the fleet's bots change.
"""

from __future__ import annotations

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import FormErrors
from botfleet.sandbox.flags import Permission
from botfleet.sandbox.resources.audit_log import AuditLogChange, AuditLogEvent, AuditLogState
from botfleet.sandbox.resources.guilds import _GATEWAY_ONLY_GUILD_FIELDS
from botfleet.sandbox.resources.routing import RouteHelpers, audit_log_reason, json_response
from botfleet.sandbox.validation import parse_json_body

VERIFICATION_LEVELS = range(5)


class GuildEditRoutes(RouteHelpers):
    """``PATCH /guilds/{id}``."""

    _state: AuditLogState

    async def edit_guild(self, request: web.Request) -> web.Response:
        app, guild = self._guild_where_bot_can(request, Permission.MANAGE_GUILD)
        body = parse_json_body(await request.read())
        level = body.get("verification_level") if isinstance(body, dict) else None
        if level is not None:
            if not isinstance(level, int) or level not in VERIFICATION_LEVELS:
                errors = FormErrors()
                errors.add(
                    ("verification_level",),
                    "BASE_TYPE_CHOICES",
                    "Value must be one of {0, 1, 2, 3, 4}.",
                )
                errors.raise_now()
            before = guild.verification_level
            if level != before:
                self._state.set_verification_level(guild, level)
                self._state.record_audit(
                    guild,
                    app.bot_user.id,
                    AuditLogEvent.GUILD_UPDATE,
                    guild.id,
                    reason=audit_log_reason(request),
                    changes=[AuditLogChange("verification_level", before, level)],
                )
        data = dict(payloads.guild_payload(guild, for_app=app, intents=0))
        for gateway_only in _GATEWAY_ONLY_GUILD_FIELDS:
            data.pop(gateway_only, None)
        return json_response(data)
