"""What Discord checks before a moderation action: the actor's permissions and the role hierarchy.

The same rules hold whoever acts, so the REST handlers (a bot acting) and the scripting API (a
test member acting in Discord's client) both ask these functions, which raise Discord's
refusal (403 Missing Permissions, code 50013, or a 400 form error) when the action is not
allowed. A member can only be kicked, banned, timed out or renamed by someone whose highest
role sits strictly above theirs, and never when they own the guild.
"""

from __future__ import annotations

import datetime

from botfleet.sandbox.errors import FormErrors, missing_permissions
from botfleet.sandbox.flags import ALL_PERMISSIONS, MAX_TIMEOUT, Permission
from botfleet.sandbox.models import Channel, Guild, Role

NICKNAME_LIMIT = 32
MAX_DELETE_MESSAGE_SECONDS = 7 * 24 * 3600
"""How far back a ban may delete the banned user's messages."""


def require_permission(guild: Guild, actor_id: int, permission: Permission) -> None:
    """Refuse (50013) unless the actor holds ``permission`` guild-wide."""
    if not guild.permissions_of(actor_id) & permission:
        raise missing_permissions()


def require_outranks(guild: Guild, actor_id: int, target_id: int) -> None:
    """Refuse (50013) unless the actor's highest role is above the target's (or owns the guild)."""
    if not guild.outranks(actor_id, target_id):
        raise missing_permissions()


def check_kick(guild: Guild, actor_id: int, target_id: int) -> None:
    """May the actor kick the member?"""
    require_permission(guild, actor_id, Permission.KICK_MEMBERS)
    require_outranks(guild, actor_id, target_id)


def check_ban(guild: Guild, actor_id: int, target_id: int, delete_message_seconds: int) -> None:
    """May the actor ban the user (a member, or someone who is not in the guild)?"""
    if not 0 <= delete_message_seconds <= MAX_DELETE_MESSAGE_SECONDS:
        errors = FormErrors()
        errors.add(
            ("delete_message_seconds",),
            "NUMBER_TYPE_MAX",
            f"int value should be less than or equal to {MAX_DELETE_MESSAGE_SECONDS}.",
        )
        errors.raise_now()
    require_permission(guild, actor_id, Permission.BAN_MEMBERS)
    if target_id in guild.members:
        require_outranks(guild, actor_id, target_id)


def check_unban(guild: Guild, actor_id: int) -> None:
    """May the actor lift or list bans?"""
    require_permission(guild, actor_id, Permission.BAN_MEMBERS)


def check_timeout(
    guild: Guild, actor_id: int, target_id: int, until: datetime.datetime | None
) -> None:
    """May the actor time the member out until ``until`` (``None`` lifts the timeout)?

    Administrators cannot be timed out, and no timeout may reach past 28 days from now.
    """
    require_permission(guild, actor_id, Permission.MODERATE_MEMBERS)
    require_outranks(guild, actor_id, target_id)
    if until is not None and guild.permissions_of(target_id) == ALL_PERMISSIONS:
        raise missing_permissions()
    now = datetime.datetime.now(datetime.UTC)
    if until is not None and until > now + MAX_TIMEOUT:
        errors = FormErrors()
        errors.add(
            ("communication_disabled_until",),
            "COMMUNICATION_DISABLED_UNTIL_TOO_FAR",
            "Cannot time out a member for longer than 28 days",
        )
        errors.raise_now()


def check_nick(guild: Guild, actor_id: int, target_id: int, nick: str | None) -> None:
    """May the actor set the member's nickname (their own needs CHANGE_NICKNAME only)?"""
    if nick is not None and len(nick) > NICKNAME_LIMIT:
        errors = FormErrors()
        errors.max_length(("nick",), nick, NICKNAME_LIMIT)
        errors.raise_now()
    if actor_id == target_id:
        if not guild.permissions_of(actor_id) & (
            Permission.CHANGE_NICKNAME | Permission.MANAGE_NICKNAMES
        ):
            raise missing_permissions()
        return
    require_permission(guild, actor_id, Permission.MANAGE_NICKNAMES)
    require_outranks(guild, actor_id, target_id)


def check_role_assignment(guild: Guild, actor_id: int, role: Role) -> None:
    """May the actor give or take ``role``? It must sit below the actor's highest role.

    A bot's managed role belongs to its bot alone and is never assigned by hand.
    """
    require_permission(guild, actor_id, Permission.MANAGE_ROLES)
    if role.bot_id is not None:
        raise missing_permissions()
    if actor_id != guild.owner_id and role.position >= guild.top_role_position(actor_id):
        raise missing_permissions()


def check_overwrite(guild: Guild, channel: Channel, actor_id: int, allow: int, deny: int) -> None:
    """May the actor set a permission overwrite with these bits on the channel?

    Discord wants "Manage Permissions" (MANAGE_ROLES) in the channel, and only lets the actor
    allow or deny what it holds there itself, unless it is an administrator.
    """
    held = guild.permissions_in(channel, actor_id)
    if not held & Permission.MANAGE_ROLES:
        raise missing_permissions()
    if held != ALL_PERMISSIONS and (allow | deny) & ~held:
        raise missing_permissions()
