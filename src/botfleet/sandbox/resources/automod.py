"""Discord's own AutoMod: rules per guild, their limits, and executions on members' messages.

``/guilds/{id}/auto-moderation/rules[/{rule_id}]`` lists, creates, edits and deletes rules with
Discord's validation (MANAGE_GUILD; 6 keyword rules and 1 each of spam, keyword preset, mention
spam and member profile; 1,000 keywords of 60 characters, 10 regexes of 260, allow lists,
exempt roles and channels, timeouts only on keyword and mention-spam rules, 28 days at most)
and announces them (AUTO_MODERATION_RULE_CREATE/UPDATE/DELETE, configuration intent).

A member's message is screened by the guild's enabled keyword and mention-spam rules (Discord's
spam and preset lists are its own secret, so those rules never fire here). Each action of a
matching rule runs (a blocked message is never posted; a timeout is given; an alert is posted
in the rule's alert channel) and is announced with AUTO_MODERATION_ACTION_EXECUTION to bots with
the execution intent and MANAGE_GUILD; the content rides along only for bots with the
message-content intent.

An alert is Discord's system message of type AUTO_MODERATION_ACTION (24), written as the member
whose content fired the rule, with no content of its own: an ``auto_moderation_message`` embed
holds the content as its description and the decision as string fields (rule_name, channel_id,
decision_id, keyword, keyword_matched_content, flagged_message_id when the message was posted,
timeout_duration when the rule also times out, decision_outcome). The alert action's execution
event names it in ``alert_system_message_id``.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import FormErrors, JSONErrorCode, unknown
from botfleet.sandbox.flags import ALL_PERMISSIONS, GatewayIntent, MessageType, Permission
from botfleet.sandbox.models import Application, Channel, Guild, Member
from botfleet.sandbox.resources.audit_log import AuditLogChange, AuditLogEvent
from botfleet.sandbox.resources.interactions import InteractionsState
from botfleet.sandbox.resources.members import MemberEdit
from botfleet.sandbox.resources.routing import (
    RouteHelpers,
    audit_log_reason,
    json_response,
    no_content,
    path_snowflake,
)
from botfleet.sandbox.resources.world import now
from botfleet.sandbox.validation import MessageDraft, parse_json_body

if TYPE_CHECKING:
    from discord.types.embed import Embed as EmbedPayload
    from discord.types.embed import EmbedField as EmbedFieldPayload

MAX_NAME_LENGTH = 100
MAX_KEYWORDS = 1000
MAX_KEYWORD_LENGTH = 60
MAX_REGEXES = 10
MAX_REGEX_LENGTH = 260
MAX_ALLOW_LIST = 100
MAX_PRESET_ALLOW_LIST = 1000
MAX_MENTION_LIMIT = 50
MAX_EXEMPT_ROLES = 20
MAX_EXEMPT_CHANNELS = 50
MAX_CUSTOM_MESSAGE = 150
MAX_TIMEOUT_SECONDS = 2_419_200


class TriggerType(IntEnum):
    KEYWORD = 1
    SPAM = 3
    KEYWORD_PRESET = 4
    MENTION_SPAM = 5
    MEMBER_PROFILE = 6


class EventType(IntEnum):
    MESSAGE_SEND = 1
    MEMBER_UPDATE = 2


class ActionType(IntEnum):
    BLOCK_MESSAGE = 1
    SEND_ALERT_MESSAGE = 2
    TIMEOUT = 3
    BLOCK_MEMBER_INTERACTION = 4


MAX_RULES_PER_TRIGGER = {
    TriggerType.KEYWORD: 6,
    TriggerType.SPAM: 1,
    TriggerType.KEYWORD_PRESET: 1,
    TriggerType.MENTION_SPAM: 1,
    TriggerType.MEMBER_PROFILE: 1,
}
TIMEOUT_TRIGGERS = frozenset({TriggerType.KEYWORD, TriggerType.MENTION_SPAM})
EXEMPT_PERMISSIONS = Permission.ADMINISTRATOR | Permission.MANAGE_GUILD
"""Members AutoMod never acts on."""


@dataclass
class AutoModRule:
    id: int
    guild_id: int
    name: str
    creator_id: int
    event_type: EventType
    trigger_type: TriggerType
    trigger_metadata: dict[str, Any]
    actions: list[dict[str, Any]]
    enabled: bool = False
    exempt_roles: list[int] = field(default_factory=list)
    exempt_channels: list[int] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The auto moderation rule object."""
        return {
            "id": payloads.snowflake(self.id),
            "guild_id": payloads.snowflake(self.guild_id),
            "name": self.name,
            "creator_id": payloads.snowflake(self.creator_id),
            "event_type": int(self.event_type),
            "trigger_type": int(self.trigger_type),
            "trigger_metadata": dict(self.trigger_metadata),
            "actions": [dict(action) for action in self.actions],
            "enabled": self.enabled,
            "exempt_roles": [payloads.snowflake(role) for role in self.exempt_roles],
            "exempt_channels": [payloads.snowflake(channel) for channel in self.exempt_channels],
        }


@dataclass(frozen=True)
class AutoModMatch:
    """A rule a message broke, and what in it."""

    rule: AutoModRule
    matched_keyword: str | None
    matched_content: str | None

    @property
    def blocks(self) -> bool:
        return any(action["type"] == ActionType.BLOCK_MESSAGE for action in self.rule.actions)


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Discord's wildcards: ``cat`` whole words, ``cat*`` word starts, ``*cat`` ends, ``*cat*``."""
    prefix, suffix = keyword.startswith("*"), keyword.endswith("*")
    core = re.escape(keyword.strip("*"))
    pattern = ("\\w*" if prefix else r"(?<!\w)") + core + ("\\w*" if suffix else r"(?!\w)")
    return re.compile(pattern, re.IGNORECASE)


def _keyword_match(rule: AutoModRule, content: str) -> AutoModMatch | None:
    metadata = rule.trigger_metadata
    allowed = [keyword_pattern(entry) for entry in metadata.get("allow_list", [])]
    for keyword in metadata.get("keyword_filter", []):
        for found in keyword_pattern(keyword).finditer(content):
            if not any(allow.fullmatch(found.group()) for allow in allowed):
                return AutoModMatch(rule, keyword, found.group())
    for pattern in metadata.get("regex_patterns", []):
        found_regex = re.search(pattern, content)
        if found_regex is not None:
            return AutoModMatch(rule, pattern, found_regex.group())
    return None


_MENTION = re.compile(r"<@[!&]?\d+>")


def _mention_match(rule: AutoModRule, content: str) -> AutoModMatch | None:
    limit = int(rule.trigger_metadata.get("mention_total_limit", 0))
    mentions = set(_MENTION.findall(content))
    if limit and len(mentions) > limit:
        return AutoModMatch(rule, None, None)
    return None


@dataclass(frozen=True)
class AutoModExecution:
    """One action of a rule, run on one member's message."""

    guild_id: int
    channel_id: int
    user_id: int
    content: str
    match: AutoModMatch
    action: dict[str, Any]
    message_id: int | None
    alert_message_id: int | None = None

    def payload(self, *, with_content: bool) -> dict[str, Any]:
        """AUTO_MODERATION_ACTION_EXECUTION; the content only with the message-content intent."""
        payload: dict[str, Any] = {
            "guild_id": payloads.snowflake(self.guild_id),
            "action": self.action,
            "rule_id": payloads.snowflake(self.match.rule.id),
            "rule_trigger_type": int(self.match.rule.trigger_type),
            "user_id": payloads.snowflake(self.user_id),
            "channel_id": payloads.snowflake(self.channel_id),
            "content": self.content if with_content else "",
            "matched_keyword": self.match.matched_keyword,
            "matched_content": (self.match.matched_content or "") if with_content else "",
        }
        if self.message_id is not None:
            payload["message_id"] = payloads.snowflake(self.message_id)
        if self.alert_message_id is not None:
            payload["alert_system_message_id"] = payloads.snowflake(self.alert_message_id)
        return payload


def alert_embed(
    match: AutoModMatch, channel: Channel, content: str, message_id: int | None
) -> EmbedPayload:
    """The ``auto_moderation_message`` embed of an alert: every value a string, as Discord's."""

    def field(name: str, value: str) -> EmbedFieldPayload:
        return {"name": name, "value": value, "inline": False}

    rule = match.rule
    fields = [
        field("rule_name", rule.name),
        field("channel_id", payloads.snowflake(channel.id)),
        field("decision_id", uuid.uuid4().hex),
    ]
    if match.matched_keyword is not None:
        fields += [
            field("keyword", match.matched_keyword),
            field("keyword_matched_content", match.matched_content or ""),
        ]
    if message_id is not None:
        fields.append(field("flagged_message_id", payloads.snowflake(message_id)))
    timeouts = [a for a in rule.actions if a["type"] == ActionType.TIMEOUT]
    if timeouts:
        seconds = int(timeouts[0]["metadata"]["duration_seconds"])
        fields.append(field("timeout_duration", str(seconds)))
    fields.append(field("decision_outcome", "blocked" if match.blocks else "flagged"))
    embed = {"type": "auto_moderation_message", "description": content, "fields": fields}
    return cast("EmbedPayload", embed)  # a type discord.py's typing does not list


class _RuleChecks:
    """Discord's validation of a rule body, errors gathered as Invalid Form Body."""

    def __init__(self, guild: Guild, trigger: TriggerType) -> None:
        self.guild = guild
        self.trigger = trigger
        self.errors = FormErrors()

    def metadata(self, raw: Any) -> dict[str, Any]:
        metadata: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
        keywords = list(metadata.get("keyword_filter", []))
        self.errors.max_items(("trigger_metadata", "keyword_filter"), keywords, MAX_KEYWORDS)
        for index, keyword in enumerate(keywords):
            self.errors.max_length(
                ("trigger_metadata", "keyword_filter", index), str(keyword), MAX_KEYWORD_LENGTH
            )
        regexes = list(metadata.get("regex_patterns", []))
        self.errors.max_items(("trigger_metadata", "regex_patterns"), regexes, MAX_REGEXES)
        for index, pattern in enumerate(regexes):
            where = ("trigger_metadata", "regex_patterns", index)
            self.errors.max_length(where, str(pattern), MAX_REGEX_LENGTH)
            try:
                re.compile(str(pattern))
            except re.error:
                self.errors.add(where, "AUTO_MODERATION_INVALID_REGEX", "Invalid regex")
        allow = list(metadata.get("allow_list", []))
        allow_limit = (
            MAX_PRESET_ALLOW_LIST if self.trigger is TriggerType.KEYWORD_PRESET else MAX_ALLOW_LIST
        )
        self.errors.max_items(("trigger_metadata", "allow_list"), allow, allow_limit)
        if self.trigger is TriggerType.KEYWORD and not keywords and not regexes:
            self.errors.add(
                ("trigger_metadata",),
                "AUTO_MODERATION_TRIGGER_METADATA_REQUIRED",
                "A keyword rule needs keywords or regex patterns",
            )
        limit = metadata.get("mention_total_limit")
        if limit is not None and not (isinstance(limit, int) and 0 <= limit <= MAX_MENTION_LIMIT):
            self.errors.add(
                ("trigger_metadata", "mention_total_limit"),
                "NUMBER_TYPE_MAX",
                f"int value should be less than or equal to {MAX_MENTION_LIMIT}.",
            )
        return metadata

    def actions(self, raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list) or not raw:
            self.errors.add(("actions",), "BASE_TYPE_REQUIRED", "This field is required")
            return []
        actions: list[dict[str, Any]] = []
        for index, action in enumerate(raw):
            kind = action.get("type") if isinstance(action, dict) else None
            metadata = dict(action.get("metadata") or {}) if isinstance(action, dict) else {}
            if kind not in set(ActionType):
                self.errors.add(("actions", index, "type"), "ENUM_TYPE_COERCE", "Invalid action")
                continue
            if kind == ActionType.SEND_ALERT_MESSAGE:
                channel_id = int(metadata.get("channel_id") or 0)
                if channel_id not in self.guild.channels:
                    self.errors.add(
                        ("actions", index, "metadata", "channel_id"),
                        "CHANNEL_INVALID",
                        "Unknown channel",
                    )
            if kind == ActionType.TIMEOUT:
                seconds = metadata.get("duration_seconds")
                if self.trigger not in TIMEOUT_TRIGGERS:
                    self.errors.add(
                        ("actions", index, "type"),
                        "AUTO_MODERATION_INVALID_ACTION",
                        "Timeout is only for keyword and mention spam rules",
                    )
                elif not isinstance(seconds, int) or not 0 < seconds <= MAX_TIMEOUT_SECONDS:
                    self.errors.add(
                        ("actions", index, "metadata", "duration_seconds"),
                        "NUMBER_TYPE_MAX",
                        f"int value should be less than or equal to {MAX_TIMEOUT_SECONDS}.",
                    )
            self.errors.max_length(
                ("actions", index, "metadata", "custom_message"),
                metadata.get("custom_message"),
                MAX_CUSTOM_MESSAGE,
            )
            actions.append({"type": int(kind), "metadata": metadata})
        return actions

    def snowflakes(self, raw: Any, key: str, limit: int) -> list[int]:
        values = [int(value) for value in raw or [] if str(value).isdigit()]
        self.errors.max_items((key,), values, limit)
        return values


class AutoModState(InteractionsState):
    """Each guild's AutoMod rules, and their executions on members' messages."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.automod_rules: dict[int, dict[int, AutoModRule]] = {}

    def rules_of(self, guild: Guild) -> dict[int, AutoModRule]:
        return self.automod_rules.setdefault(guild.id, {})

    def announce_rule(self, name: str, guild: Guild, rule: AutoModRule) -> None:
        """AUTO_MODERATION_RULE_CREATE, _UPDATE or _DELETE, to bots that may manage the guild."""
        self._emit(
            name,
            self._managers(guild),
            lambda _app, _intents: rule.payload(),
            intent=GatewayIntent.AUTO_MODERATION_CONFIGURATION,
            guild_id=guild.id,
        )
        self._changed()

    def _managers(self, guild: Guild) -> list[Any]:
        return [
            app
            for app in self.bots_in(guild)
            if guild.permissions_of(app.bot_user.id) & Permission.MANAGE_GUILD
        ]

    def automod_matches(self, channel: Channel, member: Member, content: str) -> list[AutoModMatch]:
        """The enabled rules a member's message breaks (keyword and mention-spam rules)."""
        guild = self.guilds[member.guild_id]
        permissions = guild.permissions_of(member.user.id)
        if permissions == ALL_PERMISSIONS or permissions & EXEMPT_PERMISSIONS:
            return []
        matches: list[AutoModMatch] = []
        for rule in self.rules_of(guild).values():
            if not rule.enabled or rule.event_type is not EventType.MESSAGE_SEND:
                continue
            if channel.id in rule.exempt_channels or set(member.role_ids) & set(rule.exempt_roles):
                continue
            match = None
            if rule.trigger_type is TriggerType.KEYWORD:
                match = _keyword_match(rule, content)
            elif rule.trigger_type is TriggerType.MENTION_SPAM:
                match = _mention_match(rule, content)
            if match is not None:
                matches.append(match)
        return matches

    def execute_automod(
        self,
        channel: Channel,
        member: Member,
        content: str,
        matches: list[AutoModMatch],
        message_id: int | None,
    ) -> None:
        """Run each matching rule's actions and announce each (AUTO_MODERATION_ACTION_EXECUTION)."""
        guild = self.guilds[member.guild_id]
        for match in matches:
            for action in match.rule.actions:
                execution = AutoModExecution(
                    guild.id, channel.id, member.user.id, content, match, action, message_id
                )
                if action["type"] == ActionType.TIMEOUT:
                    self._automod_timeout(guild, channel, member, match.rule, action)
                elif action["type"] == ActionType.SEND_ALERT_MESSAGE:
                    alert_id = self._post_alert(channel, member, execution)
                    execution = dataclasses.replace(execution, alert_message_id=alert_id)
                self._announce_execution(guild, execution)

    def _post_alert(
        self, channel: Channel, member: Member, execution: AutoModExecution
    ) -> int | None:
        """Discord's alert in the rule's alert channel; None if that channel is gone."""
        alert_channel = self.channels.get(int(execution.action["metadata"].get("channel_id") or 0))
        if alert_channel is None:
            return None
        embed = alert_embed(execution.match, channel, execution.content, execution.message_id)
        alert = self.post_message(
            alert_channel,
            member.user,
            MessageDraft(given=frozenset(), embeds=[embed]),
            message_type=MessageType.AUTO_MODERATION_ACTION,
        )
        return alert.id

    def _automod_timeout(
        self,
        guild: Guild,
        channel: Channel,
        member: Member,
        rule: AutoModRule,
        action: dict[str, Any],
    ) -> None:
        before = member.communication_disabled_until
        until = now() + datetime.timedelta(seconds=int(action["metadata"]["duration_seconds"]))
        self.edit_member(
            guild,
            member,
            MemberEdit(
                given=frozenset({"communication_disabled_until"}),
                communication_disabled_until=until,
            ),
        )
        self.record_audit(
            guild,
            rule.creator_id,
            AuditLogEvent.AUTO_MODERATION_USER_COMMUNICATION_DISABLED,
            member.user.id,
            changes=[
                AuditLogChange(
                    "communication_disabled_until",
                    None if before is None else before.isoformat(),
                    until.isoformat(),
                )
            ],
            options={
                "auto_moderation_rule_name": rule.name,
                "auto_moderation_rule_trigger_type": str(int(rule.trigger_type)),
                "channel_id": payloads.snowflake(channel.id),
            },
        )

    def _announce_execution(self, guild: Guild, execution: AutoModExecution) -> None:
        self._emit(
            "AUTO_MODERATION_ACTION_EXECUTION",
            self._managers(guild),
            lambda _app, intents: execution.payload(
                with_content=bool(intents & GatewayIntent.MESSAGE_CONTENT)
            ),
            intent=GatewayIntent.AUTO_MODERATION_EXECUTION,
            guild_id=guild.id,
        )
        self._changed()


class AutoModRoutes(RouteHelpers):
    """The AutoMod routes of the HTTP API."""

    _state: AutoModState

    def _managed_guild(self, request: web.Request) -> tuple[Application, Guild]:
        return self._guild_where_bot_can(request, Permission.MANAGE_GUILD)

    def _rule_in(self, request: web.Request, guild: Guild) -> AutoModRule:
        rule = self._state.rules_of(guild).get(path_snowflake(request, "rule_id"))
        if rule is None:
            raise unknown(JSONErrorCode.UNKNOWN_AUTO_MODERATION_RULE, "Auto Moderation Rule")
        return rule

    async def list_automod_rules(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/auto-moderation/rules``."""
        _, guild = self._managed_guild(request)
        return json_response([rule.payload() for rule in self._state.rules_of(guild).values()])

    async def get_automod_rule(self, request: web.Request) -> web.Response:
        """``GET /guilds/{id}/auto-moderation/rules/{rule_id}``."""
        _, guild = self._managed_guild(request)
        return json_response(self._rule_in(request, guild).payload())

    async def create_automod_rule(self, request: web.Request) -> web.Response:
        """``POST /guilds/{id}/auto-moderation/rules``: validated, within the limit per type."""
        app, guild = self._managed_guild(request)
        body = parse_json_body(await request.read())
        if not isinstance(body, dict):
            body = {}
        checks = self._checks(guild, body.get("trigger_type"))
        name = body.get("name")
        checks.errors.required_text(("name",), name, MAX_NAME_LENGTH)
        event_type = body.get("event_type")
        if event_type not in set(EventType):
            checks.errors.add(("event_type",), "ENUM_TYPE_COERCE", "Invalid event type")
        rule = AutoModRule(
            id=self._state.snowflakes.next(),
            guild_id=guild.id,
            name=str(name),
            creator_id=app.bot_user.id,
            event_type=EventType(event_type) if event_type in set(EventType) else EventType(1),
            trigger_type=checks.trigger,
            trigger_metadata=checks.metadata(body.get("trigger_metadata")),
            actions=checks.actions(body.get("actions")),
            enabled=bool(body.get("enabled", False)),
            exempt_roles=checks.snowflakes(
                body.get("exempt_roles"), "exempt_roles", MAX_EXEMPT_ROLES
            ),
            exempt_channels=checks.snowflakes(
                body.get("exempt_channels"), "exempt_channels", MAX_EXEMPT_CHANNELS
            ),
        )
        same_kind = [
            r for r in self._state.rules_of(guild).values() if r.trigger_type is rule.trigger_type
        ]
        limit = MAX_RULES_PER_TRIGGER[rule.trigger_type]
        if len(same_kind) >= limit:
            checks.errors.add(
                (),
                "AUTO_MODERATION_MAX_RULES_OF_TYPE_EXCEEDED",
                f"Maximum number of rules with trigger type {int(rule.trigger_type)} is {limit}",
            )
        checks.errors.raise_if_any()
        self._state.rules_of(guild)[rule.id] = rule
        self._changed_rule(request, app, guild, rule, AuditLogEvent.AUTO_MODERATION_RULE_CREATE)
        return json_response(rule.payload())

    def _checks(self, guild: Guild, trigger: Any) -> _RuleChecks:
        if trigger not in set(TriggerType):
            errors = FormErrors()
            errors.add(("trigger_type",), "ENUM_TYPE_COERCE", "Invalid trigger type")
            errors.raise_now()
        return _RuleChecks(guild, TriggerType(trigger))

    async def edit_automod_rule(self, request: web.Request) -> web.Response:
        """``PATCH /guilds/{id}/auto-moderation/rules/{rule_id}``: the trigger type stays."""
        app, guild = self._managed_guild(request)
        rule = self._rule_in(request, guild)
        body = parse_json_body(await request.read())
        if not isinstance(body, dict):
            body = {}
        checks = _RuleChecks(guild, rule.trigger_type)
        changes: dict[str, Any] = {}
        if "name" in body:
            checks.errors.required_text(("name",), body["name"], MAX_NAME_LENGTH)
            changes["name"] = str(body["name"])
        if "trigger_metadata" in body:
            changes["trigger_metadata"] = checks.metadata(body["trigger_metadata"])
        if "actions" in body:
            changes["actions"] = checks.actions(body["actions"])
        if "enabled" in body:
            changes["enabled"] = bool(body["enabled"])
        if "exempt_roles" in body:
            changes["exempt_roles"] = checks.snowflakes(
                body["exempt_roles"], "exempt_roles", MAX_EXEMPT_ROLES
            )
        if "exempt_channels" in body:
            changes["exempt_channels"] = checks.snowflakes(
                body["exempt_channels"], "exempt_channels", MAX_EXEMPT_CHANNELS
            )
        checks.errors.raise_if_any()
        for key, value in changes.items():
            setattr(rule, key, value)
        self._changed_rule(request, app, guild, rule, AuditLogEvent.AUTO_MODERATION_RULE_UPDATE)
        return json_response(rule.payload())

    async def delete_automod_rule(self, request: web.Request) -> web.Response:
        """``DELETE /guilds/{id}/auto-moderation/rules/{rule_id}``."""
        app, guild = self._managed_guild(request)
        rule = self._rule_in(request, guild)
        del self._state.rules_of(guild)[rule.id]
        self._changed_rule(request, app, guild, rule, AuditLogEvent.AUTO_MODERATION_RULE_DELETE)
        return no_content()

    def _changed_rule(
        self,
        request: web.Request,
        app: Application,
        guild: Guild,
        rule: AutoModRule,
        event: AuditLogEvent,
    ) -> None:
        """The audit-log entry (with the request's reason) and the gateway event of a change."""
        self._state.record_audit(
            guild, app.bot_user.id, event, rule.id, reason=audit_log_reason(request)
        )
        self._state.announce_rule(event.name, guild, rule)
