"""Who a message pings: its mentions, as far as the author's ``allowed_mentions`` lets them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from typing import Any

from botfleet.sandbox.models import Guild, Message

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def may_ping(allowed: Mapping[str, Any] | None, kind: str, target_id: int | None) -> bool:
    """Whether ``allowed_mentions`` lets a mention of ``kind`` (``users``, ``roles``,
    ``everyone``) ping: no object lets everything; an object, only what it parses or lists
    (an empty one, nothing)."""
    if allowed is None:
        return True
    if kind in (allowed.get("parse") or []):
        return True
    return target_id is not None and str(target_id) in {
        str(listed) for listed in allowed.get(kind) or []
    }


def apply_mentions(
    message: Message, guild: Guild | None, *, known_user_ids: Set[int], may_ping_everyone: bool
) -> None:
    """Set what the content pings: members it mentions (and, in a guild, roles and
    ``@everyone`` when the author may ping everyone), as far as the message's
    ``allowed_mentions`` lets them. Discord lists only these in ``mentions``,
    ``mention_roles`` and ``mention_everyone``; the others still show, pinging nobody."""
    allowed = message.allowed_mentions
    users = dict.fromkeys(int(found) for found in _USER_MENTION.findall(message.content))
    message.mention_user_ids = [
        user_id
        for user_id in users
        if user_id in known_user_ids and may_ping(allowed, "users", user_id)
    ]
    if guild is None:
        return
    roles = dict.fromkeys(int(found) for found in _ROLE_MENTION.findall(message.content))
    message.mention_role_ids = [
        role_id
        for role_id in roles
        if role_id in guild.roles and may_ping(allowed, "roles", role_id)
    ]
    message.mention_everyone = (
        "@everyone" in message.content and may_ping(allowed, "everyone", None) and may_ping_everyone
    )
