"""Whether a moderator (and the bot) may act on a member: the refusals Discord would give, and
the server's own rules, each worded so the moderator knows why and what to do.

Pure rules over facts the commands read off Discord: who holds which permission, whose highest
role sits where, who owns the server, which roles are protected. Checked before anything is
recorded or sent, so a refused action leaves no case, DM or audit-log entry behind.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from botfleet.bots.mod.services.limits import CaseAction
from botfleet.errors import UserError

NEEDED_PERMISSION: Final[dict[CaseAction, str]] = {
    CaseAction.WARN: "moderate_members",
    CaseAction.TIMEOUT: "moderate_members",
    CaseAction.UNTIMEOUT: "moderate_members",
    CaseAction.KICK: "kick_members",
    CaseAction.BAN: "ban_members",
    CaseAction.TEMPBAN: "ban_members",
    CaseAction.SOFTBAN: "ban_members",
    CaseAction.UNBAN: "ban_members",
}
"""The Discord permission (discord.Permissions attribute) each action needs."""

PEOPLE_ONLY: Final = frozenset({CaseAction.WARN, CaseAction.TIMEOUT})
"""Actions meant for people, refused on an integration's bot."""


def permission_label(name: str) -> str:
    """How Discord's settings name a permission: "ban_members" → "Ban Members"."""
    return name.replace("_", " ").title()


@dataclass(frozen=True, slots=True)
class Party:
    """Someone in the server as the checks see them."""

    id: int
    name: str
    top_role_position: int
    """The position of their highest role (0: @everyone only)."""
    permissions: frozenset[str] = frozenset()
    """Their server-wide permissions (discord.Permissions attribute names)."""
    role_ids: frozenset[int] = frozenset()
    top_role_managed: bool = False
    """Their highest role belongs to an integration (a bot's own role)."""

    @property
    def administrator(self) -> bool:
        return "administrator" in self.permissions

    def holds(self, permission: str) -> bool:
        return self.administrator or permission in self.permissions


@dataclass(frozen=True, slots=True)
class Scene:
    """One intended action: who acts, through which bot, on whom, in which server."""

    action: CaseAction
    moderator: Party
    bot: Party
    owner_id: int
    target: Party | None
    """None when the target is not a member (a ban or unban by id)."""
    protected_role_ids: Collection[int] = ()


def check_action(scene: Scene) -> None:
    """Raise :class:`UserError` explaining the first reason the action may not happen."""
    permission = NEEDED_PERMISSION[scene.action]
    label = permission_label(permission)
    verb = scene.action.value
    if not scene.bot.holds(permission):
        raise UserError(
            f"I can't {verb} anyone here: my role lacks **{label}**. "
            "Ask an admin to grant it to me."
        )
    moderator_is_owner = scene.moderator.id == scene.owner_id
    if not moderator_is_owner and not scene.moderator.holds(permission):
        raise UserError(f"You need **{label}** to {verb} members.")
    target = scene.target
    if target is None:
        return
    if target.id == scene.moderator.id:
        raise UserError(f"You can't {verb} yourself.")
    if target.id == scene.bot.id:
        raise UserError(f"I won't {verb} myself; a server admin can remove me instead.")
    if target.id == scene.owner_id:
        raise UserError(f"{target.name} owns this server; nobody can {verb} the owner.")
    if target.top_role_managed and scene.action in PEOPLE_ONLY:
        raise UserError(
            f"{target.name} is an integration (its highest role is managed for it); a "
            f"{verb} means nothing to it. Kick it, or remove it in Server Settings → Integrations."
        )
    protected = set(scene.protected_role_ids) & target.role_ids
    if protected and not moderator_is_owner:
        roles = ", ".join(f"<@&{role_id}>" for role_id in sorted(protected))
        raise UserError(
            f"{target.name} holds a protected role ({roles}); only the server owner can "
            f"{verb} them."
        )
    if not moderator_is_owner and target.top_role_position >= scene.moderator.top_role_position:
        raise UserError(
            f"{target.name}'s highest role is level with or above yours, so you can't {verb} them."
        )
    if target.top_role_position >= scene.bot.top_role_position:
        raise UserError(
            f"{target.name}'s highest role is level with or above mine, so Discord won't let "
            f"me {verb} them. Move my role above theirs in Server Settings → Roles."
        )
    if scene.action is CaseAction.TIMEOUT and target.administrator:
        raise UserError(f"{target.name} is an administrator; Discord doesn't time them out.")
