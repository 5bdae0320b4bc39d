"""How cases and warnings look in Discord: the modlog entry, /case, /cases and /warnings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import discord

from botfleet.bots.mod.services.cases import Case
from botfleet.bots.mod.services.limits import CaseAction
from botfleet.bots.mod.services.records import Note
from botfleet.bots.mod.services.warnings import Standing
from botfleet.utils.embeds import create_embed
from botfleet.utils.text import discord_timestamp, truncate_string

ACTION_COLORS: Final[dict[CaseAction, int]] = {
    CaseAction.WARN: 0xF1C40F,
    CaseAction.TIMEOUT: 0xE67E22,
    CaseAction.UNTIMEOUT: 0x2ECC71,
    CaseAction.KICK: 0xE67E22,
    CaseAction.BAN: 0xE74C3C,
    CaseAction.TEMPBAN: 0xC0392B,
    CaseAction.SOFTBAN: 0xD35400,
    CaseAction.UNBAN: 0x2ECC71,
}
"""Warnings yellow, removals orange, bans red, lifts green: a modlog read at a glance."""

FIELD_VALUE_LIMIT: Final = 1024


def case_embed(case: Case) -> discord.Embed:
    """A case as the modlog posts it and /case shows it."""
    fields: list[tuple[str, str, bool]] = [
        ("Member", f"{case.target_name} (<@{case.target_id}>, `{case.target_id}`)", False),
        ("Moderator", f"<@{case.moderator_id}>", True),
        ("When", discord_timestamp(case.created_at, "f"), True),
    ]
    if case.until is not None:
        fields.append(("Until", discord_timestamp(case.until, "f"), True))
    if case.channel_id is not None:
        fields.append(("Channel", f"<#{case.channel_id}>", True))
    fields.append(("Reason", case.reason or "No reason given.", False))
    footer = None
    if case.amended_at is not None and case.amended_by is not None:
        footer = f"Reason amended by {case.amended_by}"
    return create_embed(
        title=f"Case #{case.number} · {case.action.value}",
        description=None,
        color=ACTION_COLORS[case.action],
        fields=fields,
        footer=footer,
    )


def case_line(case: Case) -> str:
    """One case in a list: number, action, when, reason."""
    reason = truncate_string(case.reason or "no reason", 80)
    when = discord_timestamp(case.created_at, "d")
    return f"**#{case.number}** {case.action.value} · {when} · {reason}"


def cases_embed(member: discord.abc.User, cases: Sequence[Case], color: int) -> discord.Embed:
    """A member's cases, newest first."""
    lines = "\n".join(case_line(case) for case in cases)
    return create_embed(
        title=f"Cases of {member}", description=lines, color=color, footer="/case <number>"
    )


def standing_embed(
    member: discord.abc.User, standing: Standing, notes: Sequence[Note], color: int
) -> discord.Embed:
    """A member's warnings, which still count and which expired, and staff notes."""
    active_ids = {warning.id for warning in standing.active}
    lines = []
    for warning in standing.warnings:
        if warning.id in active_ids:
            ends = (
                f", counts until {discord_timestamp(warning.expires_at, 'd')}"
                if warning.expires_at is not None
                else ""
            )
            state = f"active{ends}"
        else:
            state = "expired"
        case = f" (case #{warning.case_number})" if warning.case_number is not None else ""
        lines.append(
            f"• {warning.points} pt · {state} · {truncate_string(warning.reason, 80)}{case}"
        )
    fields: list[tuple[str, str, bool]] = []
    if notes:
        noted = "\n".join(f"• {truncate_string(note.text, 120)}" for note in notes)
        fields.append(("Staff notes", truncate_string(noted, FIELD_VALUE_LIMIT), False))
    return create_embed(
        title=f"Warnings of {member}",
        description="\n".join(lines) or "No warnings.",
        color=color,
        fields=fields,
        footer=f"{standing.active_points} active point(s) of {len(standing.warnings)} warning(s)",
    )
