"""Whom a message pings: its content's mentions, narrowed by its ``allowed_mentions`` and by
what the author may mention, as Discord decides."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from botfleet.sandbox.errors import FormErrors
from botfleet.sandbox.models import (
    EVERY_MENTION,
    MENTION_KINDS,
    USER_MENTIONS,
    AllowedMentions,
    Message,
    Role,
)

ALLOWED_MENTION_IDS_LIMIT = 100
"""Users or roles an ``allowed_mentions`` object may list by id."""
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def validate_allowed_mentions(errors: FormErrors, raw: Any) -> AllowedMentions | None:
    """Check ``allowed_mentions`` as Discord does: ``parse`` names only everyone, roles and
    users; a kind is either parsed or listed by id, never both; at most 100 ids of each."""
    if raw is None:
        return None
    path: tuple[str, ...] = ("allowed_mentions",)
    if not isinstance(raw, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return None
    parse = raw.get("parse") or []
    if not isinstance(parse, list) or any(kind not in MENTION_KINDS for kind in parse):
        errors.add(
            (*path, "parse"),
            "BASE_TYPE_CHOICES",
            "Value must be one of ('everyone', 'roles', 'users').",
        )
        return None
    listed: dict[str, frozenset[int]] = {}
    for kind in ("users", "roles"):
        ids = raw.get(kind) or []
        if not isinstance(ids, list) or not all(str(item).isdigit() for item in ids):
            errors.add((*path, kind), "NUMBER_TYPE_COERCE", "Value is not snowflake.")
            return None
        errors.max_items((*path, kind), ids, ALLOWED_MENTION_IDS_LIMIT)
        if ids and kind in parse:
            errors.add(
                path,
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
        listed[kind] = frozenset(int(item) for item in ids)
    return AllowedMentions(parse=frozenset(parse), users=listed["users"], roles=listed["roles"])


def default_allowed_mentions(message: Message) -> AllowedMentions:
    """What ``message`` may ping when its request carried no ``allowed_mentions``: users only
    for an interaction's answer or a webhook's message, everything for any other message.

    An edit without ``allowed_mentions`` gets this default too, whatever the message was first
    sent with (discord-api-docs, Edit Message: "parsed with default allowances")."""
    return USER_MENTIONS if message.webhook_id is not None else EVERY_MENTION


def record_notified(message: Message) -> None:
    """Remember whom a message just sent pings: Discord notifies them now and never again,
    since an edit notifies nobody (discord-api-docs #5497)."""
    message.notified_user_ids = list(message.mention_user_ids)
    message.notified_role_ids = list(message.mention_role_ids)
    message.notified_everyone = message.mention_everyone


def apply_mentions(
    message: Message,
    allowed: AllowedMentions,
    *,
    members: Mapping[int, Any],
    roles: Mapping[int, Role] | None,
    may_mention_everyone: bool,
) -> None:
    """Set whom ``message`` pings: the ``members`` its content mentions, narrowed by
    ``allowed``; in a guild (``roles``), a role only when it is mentionable or the author may
    mention everyone, and ``@everyone`` or ``@here`` only with that permission."""
    message.mention_user_ids = list(
        dict.fromkeys(
            int(found)
            for found in _USER_MENTION.findall(message.content)
            if int(found) in members and allowed.allows_user(int(found))
        )
    )
    if roles is None:
        return
    message.mention_role_ids = list(
        dict.fromkeys(
            int(found)
            for found in _ROLE_MENTION.findall(message.content)
            if int(found) in roles
            and allowed.allows_role(int(found))
            and (roles[int(found)].mentionable or may_mention_everyone)
        )
    )
    message.mention_everyone = (
        "everyone" in allowed.parse
        and may_mention_everyone
        and ("@everyone" in message.content or "@here" in message.content)
    )
