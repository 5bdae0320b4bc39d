"""What the gamification command groups share: checks on their arguments and lines they show."""

from __future__ import annotations

import logging
from typing import Final

import discord

from botfleet.auth.roles import discord_role_problem
from botfleet.errors import UserError
from botfleet.gamification.discord.role_sync import ResyncReport
from botfleet.utils.wording import plural

log = logging.getLogger(__name__)


NO_PINGS = discord.AllowedMentions.none()
SERVER_ONLY: Final = "This command only works in a server."


def not_a_bot(member: discord.Member | discord.User) -> None:
    if member.bot:
        raise UserError("Bots don't earn XP — pick a member instead.")


def check_reward_role(guild: discord.Guild, role: discord.Role) -> None:
    problem = discord_role_problem(role)
    if problem is not None:
        log.info("refused reward role %d in guild %d: %s", role.id, guild.id, problem)
        raise UserError(problem)


def role_line(guild: discord.Guild, role_id: int) -> str:
    role = guild.get_role(role_id)
    if role is None:
        return f"a deleted role ({role_id})"
    problem = discord_role_problem(role)
    return role.mention if problem is None else f"{role.mention} ⚠️ {problem}"


def describe_resync(report: ResyncReport, guild: discord.Guild) -> str:
    lines = [
        f"Checked {plural(report.members_checked, 'member')}: {report.members_changed:,} "
        f"updated (+{plural(report.roles_added, 'role')}, "
        f"−{plural(report.roles_removed, 'role')})."
    ]
    lines.extend(f"Skipped {role_line(guild, role_id)}" for role_id in sorted(report.skipped))
    return "\n".join(lines)
