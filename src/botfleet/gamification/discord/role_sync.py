"""Reward roles on Discord: checking a role can be a reward, and giving members the roles earned.

Who applies reward roles, and when:

* **The bot whose save caused it.** A level-up or an achievement unlock is dispatched by the one
  process that committed it (see :mod:`botfleet.gamification.xp_system`); that bot applies the
  member's reward roles in the guild where it happened, if it can: it needs Manage Roles, and a
  role must sit below its highest role, be no integration's role and grant no moderator power.
* **The host bot** (the one serving ``/levels``), for everything else: a member's reward roles
  are re-checked when they join (or re-join) the guild, when an administrator gives, takes or
  resets their XP, and at their first message or command after ``member_role_check_seconds`` —
  which applies what another bot could not (no Manage Roles there, the role above its own, an
  unlock in another guild). A change of a guild's rewards (a reward added, moved or removed, the
  stack/replace mode) re-syncs every member in the background, and ``/levels resync`` does so on
  demand and reports what changed.

A guild-wide re-sync never edits roles in one burst: members are changed in batches of
``role_sync_batch_size`` with a pause of ``role_sync_pause_seconds`` between batches, one re-sync
per guild at a time. A role no bot can hand out is skipped with a log line and named in the
re-sync's report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import discord
from sqlalchemy.exc import SQLAlchemyError

from botfleet.auth.roles import discord_role_problem
from botfleet.database.base import describe_error
from botfleet.errors import UserError
from botfleet.gamification.options import RoleRewardMode
from botfleet.gamification.rewards import (
    MemberStanding,
    RewardTable,
    RoleChanges,
    plan_member_roles,
)
from botfleet.utils.wording import plural

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

REWARD_REASON: Final = "Level and achievement role rewards"
STANDINGS_BATCH: Final = 200
"""Members whose standings one query pair reads during a guild re-sync."""
MAX_CHECKED_MEMBERS: Final = 100_000
"""Members remembered as recently checked; the oldest are forgotten beyond it."""


class ResyncRefusedError(UserError):
    """A re-sync cannot start now; the message says why."""


@dataclass(slots=True)
class AppliedRoles:
    """What changing one member's reward roles did."""

    added: list[discord.Role] = field(default_factory=list)
    removed: list[discord.Role] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    """Role id → why it was left as it is."""

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


async def apply_role_changes(member: discord.Member, changes: RoleChanges) -> AppliedRoles:
    """Give and take the planned roles this bot may manage; skip and log the others."""
    applied = AppliedRoles()
    if not changes:
        return applied
    guild = member.guild
    add: list[discord.Role] = []
    remove: list[discord.Role] = []
    for role_ids, roles in ((changes.add, add), (changes.remove, remove)):
        for role_id in sorted(role_ids):
            role = guild.get_role(role_id)
            if role is None:
                applied.skipped[role_id] = "the role no longer exists"
            elif (problem := discord_role_problem(role)) is not None:
                applied.skipped[role_id] = problem
            else:
                roles.append(role)
    for role_id, problem in applied.skipped.items():
        log.warning(
            "reward role %d of member %d in guild %d left as is: %s",
            role_id,
            member.id,
            guild.id,
            problem,
        )
    try:
        if add:
            await member.add_roles(*add, reason=REWARD_REASON)
            applied.added = add
        if remove:
            await member.remove_roles(*remove, reason=REWARD_REASON)
            applied.removed = remove
    except discord.HTTPException as exc:
        log.warning(
            "could not change the reward roles of member %d in guild %d: %s",
            member.id,
            guild.id,
            exc,
        )
    return applied


async def sync_member_roles(bot: FleetBot, member: discord.Member) -> AppliedRoles:
    """Make ``member`` hold exactly the reward roles they earned in their guild."""
    if member.bot:
        return AppliedRoles()
    gamification = bot.gamification
    table = await gamification.rewards.table(member.guild.id)
    if not table:
        return AppliedRoles()
    config = await gamification.settings.get(member.guild.id)
    standing = (await gamification.rewards.standings(member.guild.id, [member.id], table))[
        member.id
    ]
    return await apply_role_changes(member, _plan(table, config.role_reward_mode, standing, member))


def _plan(
    table: RewardTable, mode: RoleRewardMode, standing: MemberStanding, member: discord.Member
) -> RoleChanges:
    return plan_member_roles(table, mode, standing, [role.id for role in member.roles])


@dataclass(slots=True)
class ResyncReport:
    """What a guild-wide re-sync changed."""

    members_checked: int = 0
    members_changed: int = 0
    roles_added: int = 0
    roles_removed: int = 0
    skipped: dict[int, str] = field(default_factory=dict)
    """Reward role id → why no member got it or lost it."""


class RoleSyncer:
    """The host bot's re-syncs: one member when their roles may be stale, or a whole guild."""

    def __init__(self, bot: FleetBot) -> None:
        self.bot = bot
        options = bot.gamification.options
        self.batch_size = options.role_sync_batch_size
        self.pause = options.role_sync_pause_seconds
        self.cooldown = options.role_resync_cooldown_seconds
        self.check_interval = options.member_role_check_seconds
        self._running: dict[int, asyncio.Task[ResyncReport]] = {}
        self._again: set[int] = set()
        self._last_requested: dict[int, float] = {}
        self._checked: OrderedDict[tuple[int, int], float] = OrderedDict()
        self._database_failing = False

    def member_due(self, member: discord.Member) -> bool:
        """Whether a member's roles were not checked within ``check_interval``; marks them."""
        key = (member.guild.id, member.id)
        now = time.monotonic()
        last = self._checked.get(key)
        if last is not None and now - last < self.check_interval:
            return False
        self._checked[key] = now
        self._checked.move_to_end(key)
        while len(self._checked) > MAX_CHECKED_MEMBERS:
            self._checked.popitem(last=False)
        return True

    async def sync_chatting_member(self, member: discord.Member) -> None:
        """Sync a member who chats if they are due (:meth:`member_due`)."""
        if self.member_due(member):
            await self.sync_due_member(member)

    async def sync_due_member(self, member: discord.Member) -> None:
        """Sync a chatting member :meth:`member_due` found due; while the database does not
        answer, the check is left for their next message (warned once per outage, not per
        message)."""
        try:
            await self.sync_member(member)
        except (SQLAlchemyError, OSError) as exc:
            self._checked.pop((member.guild.id, member.id), None)
            if not self._database_failing:
                log.warning(
                    "reward roles not checked for chatting members: %s", describe_error(exc)
                )
                self._database_failing = True
            return
        self._database_failing = False

    async def sync_member(self, member: discord.Member) -> AppliedRoles:
        """Re-sync one member now (and count them as checked)."""
        self._checked[(member.guild.id, member.id)] = time.monotonic()
        return await sync_member_roles(self.bot, member)

    def schedule(self, guild: discord.Guild) -> None:
        """Re-sync a guild in the background; if one is running, once more after it.

        Without the Server Members intent there is no member list to go through: members then
        get their roles when they chat or join, so nothing is started.
        """
        if not self.bot.intents.members:
            log.info(
                "reward roles of guild %d not re-synced: the bot lacks the Server Members intent",
                guild.id,
            )
            return
        if guild.id in self._running:
            self._again.add(guild.id)
            return
        self._start(guild)

    def claim_resync(self, guild: discord.Guild) -> None:
        """Allow an administrator's ``/levels resync`` now, or refuse it: while one runs, or
        within ``cooldown`` of the last one asked for, or without the Server Members intent
        (checked first, so a refused re-sync starts no cooldown)."""
        if not self.bot.intents.members:
            log.info(
                "/levels resync refused in guild %d: the bot lacks the Server Members intent",
                guild.id,
            )
            raise ResyncRefusedError(
                "Re-syncing every member needs the Server Members intent, which this bot "
                "does not have; members are still synced when they chat or join."
            )
        if guild.id in self._running:
            raise ResyncRefusedError(
                "The roles of this server are being re-synced right now (after a change of "
                "its rewards): try again in a minute."
            )
        last = self._last_requested.get(guild.id)
        now = time.monotonic()
        if last is not None and now - last < self.cooldown:
            minutes = max(1, round((self.cooldown - (now - last)) / 60))
            raise ResyncRefusedError(
                f"This server's roles were re-synced a moment ago: try again in about "
                f"{plural(minutes, 'minute')}."
            )
        self._last_requested[guild.id] = now

    async def resync_now(self, guild: discord.Guild) -> ResyncReport:
        """Re-sync a guild now (after :meth:`claim_resync`) and report what changed."""
        return await asyncio.shield(self._start(guild))

    def _start(self, guild: discord.Guild) -> asyncio.Task[ResyncReport]:
        task = asyncio.create_task(self._resync(guild), name=f"botfleet-role-resync-{guild.id}")
        self._running[guild.id] = task
        task.add_done_callback(lambda finished: self._finished(guild, finished))
        return task

    def _finished(self, guild: discord.Guild, task: asyncio.Task[ResyncReport]) -> None:
        self._running.pop(guild.id, None)
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, UserError):
            log.info("re-syncing the reward roles of guild %d refused: %s", guild.id, error)
        elif error is not None:
            log.error("re-syncing the reward roles of guild %d failed", guild.id, exc_info=error)
        if guild.id in self._again:
            self._again.discard(guild.id)
            self._start(guild)

    async def _members(self, guild: discord.Guild) -> Sequence[discord.Member]:
        """Every human member (needs the Server Members intent, checked before starting)."""
        if not guild.chunked:
            await guild.chunk()
        return [member for member in guild.members if not member.bot]

    async def _resync(self, guild: discord.Guild) -> ResyncReport:
        report = ResyncReport()
        rewards = self.bot.gamification.rewards
        table = await rewards.table(guild.id)
        members = await self._members(guild)
        mode = (await self.bot.gamification.settings.get(guild.id)).role_reward_mode
        changed_in_batch = 0
        for start in range(0, len(members), STANDINGS_BATCH):
            batch = members[start : start + STANDINGS_BATCH]
            standings = await rewards.standings(guild.id, [m.id for m in batch], table)
            for member in batch:
                report.members_checked += 1
                changes = _plan(table, mode, standings[member.id], member)
                if not changes:
                    continue
                if changed_in_batch >= self.batch_size:
                    await asyncio.sleep(self.pause)
                    changed_in_batch = 0
                applied = await apply_role_changes(member, changes)
                changed_in_batch += 1
                report.skipped.update(applied.skipped)
                if applied:
                    report.members_changed += 1
                    report.roles_added += len(applied.added)
                    report.roles_removed += len(applied.removed)
        log.info(
            "re-synced reward roles of guild %d: %d members checked, %d changed (+%d −%d roles)",
            guild.id,
            report.members_checked,
            report.members_changed,
            report.roles_added,
            report.roles_removed,
        )
        return report

    async def close(self) -> None:
        """Stop re-syncs in progress (what they changed so far stays)."""
        tasks = list(self._running.values())
        self._again.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
