"""The audit log: an entry per moderation action, served and announced as Discord does.

Whoever acts (a bot through REST, a test member through the scripting API) records the entry
with its reason (the ``X-Audit-Log-Reason`` header for a bot). ``GET /guilds/{id}/audit-logs``
needs VIEW_AUDIT_LOG and filters by ``user_id``, ``action_type``, ``before``/``after`` and
``limit`` (1-100; newest first, or oldest first after ``after``). GUILD_AUDIT_LOG_ENTRY_CREATE
goes to the guild's bots that asked for the moderation intent and hold VIEW_AUDIT_LOG.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.flags import GatewayIntent, Permission
from botfleet.sandbox.models import Guild, Member
from botfleet.sandbox.resources.polls import PollsState
from botfleet.sandbox.resources.routing import RouteHelpers, json_response, query_int
from botfleet.sandbox.snowflakes import iso_timestamp

DEFAULT_AUDIT_LOG_LIMIT = 50
MAX_AUDIT_LOG_LIMIT = 100


class AuditLogEvent(IntEnum):
    """Discord's audit-log action types (the ones the stand-in records)."""

    GUILD_UPDATE = 1
    MEMBER_KICK = 20
    MEMBER_BAN_ADD = 22
    MEMBER_BAN_REMOVE = 23
    MEMBER_UPDATE = 24
    MESSAGE_DELETE = 72
    AUTO_MODERATION_RULE_CREATE = 140
    AUTO_MODERATION_RULE_UPDATE = 141
    AUTO_MODERATION_RULE_DELETE = 142
    AUTO_MODERATION_BLOCK_MESSAGE = 143
    AUTO_MODERATION_USER_COMMUNICATION_DISABLED = 145


@dataclass(frozen=True)
class AuditLogChange:
    key: str
    old_value: Any = None
    new_value: Any = None

    def payload(self) -> dict[str, Any]:
        change: dict[str, Any] = {"key": self.key}
        if self.old_value is not None:
            change["old_value"] = self.old_value
        if self.new_value is not None:
            change["new_value"] = self.new_value
        return change


@dataclass(frozen=True)
class AuditLogEntry:
    """One recorded action."""

    id: int
    guild_id: int
    user_id: int
    action_type: AuditLogEvent
    target_id: int | None
    reason: str | None = None
    changes: tuple[AuditLogChange, ...] = ()
    options: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The audit log entry object."""
        entry: dict[str, Any] = {
            "id": payloads.snowflake(self.id),
            "user_id": payloads.snowflake(self.user_id),
            "target_id": None if self.target_id is None else payloads.snowflake(self.target_id),
            "action_type": int(self.action_type),
            "changes": [change.payload() for change in self.changes],
        }
        if self.reason is not None:
            entry["reason"] = self.reason
        if self.options:
            entry["options"] = dict(self.options)
        return entry


class AuditLogState(PollsState):
    """Each guild's audit log, newest last."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.audit_logs: dict[int, list[AuditLogEntry]] = {}

    def record_audit(
        self,
        guild: Guild,
        actor_id: int,
        action_type: AuditLogEvent,
        target_id: int | None,
        *,
        reason: str | None = None,
        changes: Iterable[AuditLogChange] = (),
        options: dict[str, str] | None = None,
    ) -> AuditLogEntry:
        """Add an entry and announce it (GUILD_AUDIT_LOG_ENTRY_CREATE)."""
        entry = AuditLogEntry(
            id=self.snowflakes.next(),
            guild_id=guild.id,
            user_id=actor_id,
            action_type=action_type,
            target_id=target_id,
            reason=reason,
            changes=tuple(changes),
            options=options or {},
        )
        self.audit_logs.setdefault(guild.id, []).append(entry)
        readers = [
            app
            for app in self.bots_in(guild)
            if guild.permissions_of(app.bot_user.id) & Permission.VIEW_AUDIT_LOG
        ]
        self._emit(
            "GUILD_AUDIT_LOG_ENTRY_CREATE",
            readers,
            lambda _app, _intents: {**entry.payload(), "guild_id": payloads.snowflake(guild.id)},
            intent=GatewayIntent.GUILD_MODERATION,
            guild_id=guild.id,
        )
        self._changed()
        return entry

    def record_timeout(
        self,
        guild: Guild,
        actor_id: int,
        member: Member,
        before: datetime.datetime | None,
        reason: str | None,
    ) -> AuditLogEntry:
        """A MEMBER_UPDATE entry for a timeout given, changed or lifted."""
        after = member.communication_disabled_until
        change = AuditLogChange(
            "communication_disabled_until",
            None if before is None else iso_timestamp(before),
            None if after is None else iso_timestamp(after),
        )
        return self.record_audit(
            guild,
            actor_id,
            AuditLogEvent.MEMBER_UPDATE,
            member.user.id,
            reason=reason,
            changes=[change],
        )


class AuditLogRoutes(RouteHelpers):
    """``GET /guilds/{id}/audit-logs``."""

    _state: AuditLogState

    async def get_audit_log(self, request: web.Request) -> web.Response:
        """The guild's entries, newest first, filtered as the query asks."""
        _, guild = self._guild_where_bot_can(request, Permission.VIEW_AUDIT_LOG)
        limit = query_int(
            request, "limit", DEFAULT_AUDIT_LOG_LIMIT, low=1, high=MAX_AUDIT_LOG_LIMIT
        )
        entries = list(self._state.audit_logs.get(guild.id, []))
        if "user_id" in request.query:
            user_id = query_int(request, "user_id", 0)
            entries = [entry for entry in entries if entry.user_id == user_id]
        if "action_type" in request.query:
            action_type = query_int(request, "action_type", 0)
            entries = [entry for entry in entries if entry.action_type == action_type]
        if "after" in request.query:  # the oldest after it, oldest first
            after = query_int(request, "after", 0)
            entries = [entry for entry in entries if entry.id > after][:limit]
        else:  # the newest (before ``before``), newest first
            if "before" in request.query:
                before = query_int(request, "before", 0)
                entries = [entry for entry in entries if entry.id < before]
            entries = entries[-limit:][::-1]
        user_ids = {entry.user_id for entry in entries} | {
            entry.target_id for entry in entries if entry.target_id is not None
        }
        users = [
            payloads.user_payload(self._state.users[user_id])
            for user_id in sorted(user_ids)
            if user_id in self._state.users
        ]
        return json_response(
            {
                "audit_log_entries": [entry.payload() for entry in entries],
                "users": users,
                "integrations": [],
                "webhooks": [],
                "guild_scheduled_events": [],
                "threads": [],
                "application_commands": [],
                "auto_moderation_rules": [],
            }
        )
