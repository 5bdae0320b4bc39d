"""Raid defence on joins: gates on new accounts, the join-rate detector, raid mode and its end.

Raid mode raises the server's verification level (the one it had is stored and restored at
the end), acts on every member who joins while it lasts (a timeout or a kick, recorded as
cases), alerts the configured channel with a massban button, and ends by itself on the shared
scheduler (a timer that names the raid it ends, so it never ends a later one) or by
``/raid end``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import discord
from discord.ext import commands

from botfleet.bots.mod.services.cases import CaseStore, NewCase
from botfleet.bots.mod.services.channels import ModChannelStore
from botfleet.bots.mod.services.limits import CaseAction, audit_reason
from botfleet.bots.mod.services.massban import MassbanClaims
from botfleet.bots.mod.services.raid import (
    Joiner,
    JoinRateDetector,
    RaidAction,
    RaidSettings,
    RaidStore,
    gate_failure,
)
from botfleet.bots.mod.views.raid import COG_NAME, MassbanButton, raid_alert_view
from botfleet.core.answers import answer_in_time
from botfleet.services.scheduler import ScheduledTimer
from botfleet.utils.helpers import create_embed

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

RAID_END_EVENT: Final = "mod_raid_end"
NO_PINGS = discord.AllowedMentions.none()
ACTION_WORDS: Final = {
    RaidAction.TIMEOUT: "timed out",
    RaidAction.KICK: "kicked",
    RaidAction.NOTHING: "flagged",
}


class RaidEvents(commands.Cog, name=COG_NAME):
    """Watches joins; starts, runs and ends raid mode; bans the flagged on request."""

    def __init__(
        self,
        bot: FleetBot[ModOptions],
        store: RaidStore,
        cases: CaseStore,
        massbans: MassbanClaims,
        detector: JoinRateDetector | None = None,
    ) -> None:
        self.bot = bot
        self.store = store
        self.cases = cases
        self.massbans = massbans
        """Shared with /massban: one massban at a time per guild, the alert's or the command's."""
        self.detector = detector if detector is not None else JoinRateDetector()
        self._judging: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(MassbanButton)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        guild = member.guild
        # The joins of a raid arrive together, each in a task of its own: each guild's joins
        # are judged one at a time, so raid mode is on (stored) for every join after the one
        # that started it, even while its alert, level change and actions are under way.
        async with self._judging[guild.id]:
            state = await self.store.get(guild.id)
            settings = state.settings
            if not settings.enabled:
                return
            burst = self.detector.joined(guild.id, member.id, time.monotonic(), settings)
            since = datetime.now(UTC)
            previous = guild.verification_level.value
            started = (
                not state.active
                and burst is not None
                and await self.store.start(guild.id, since, previous)
            )
        if state.active:
            await self._flag_and_act(guild, [member.id], settings, "joined during a raid")
        elif burst is not None and started:
            await self._raid_started(guild, settings, burst, since, previous)
        elif burst is not None:  # started by another process a moment ago
            await self._flag_and_act(guild, burst, settings, "joined in a raid")
        else:
            joiner = Joiner(
                member.id,
                member.created_at,
                member.avatar is not None,
                member.joined_at or since,
            )
            failure = gate_failure(settings, joiner)
            if failure is not None:
                await self._flag_and_act(guild, [member.id], settings, failure)

    async def start_raid(
        self, guild: discord.Guild, settings: RaidSettings, burst: list[int]
    ) -> bool:
        """Enter raid mode unless it is on; False when it was on already."""
        since = datetime.now(UTC)
        previous = guild.verification_level.value
        async with self._judging[guild.id]:
            if not await self.store.start(guild.id, since, previous):
                return False
        await self._raid_started(guild, settings, burst, since, previous)
        return True

    async def _raid_started(
        self,
        guild: discord.Guild,
        settings: RaidSettings,
        burst: list[int],
        now: datetime,
        previous: int,
    ) -> None:
        """Raise the verification level, act on the burst, alert, time the end."""
        log.warning("raid mode on in guild %d: %d joins", guild.id, len(burst))
        raised = max(previous, settings.verification_level)
        if raised != previous:
            await self._set_verification(guild, raised, "raid mode on")
        await self.bot.scheduler.schedule(  # stored: a crash must not leave raid mode on
            settings.duration,
            RAID_END_EVENT,
            {"guild_id": guild.id, "since": now.isoformat()},
            durable=True,
        )
        await self.store.flag(guild.id, burst)  # before the alert: its button bans them
        treated = ACTION_WORDS[settings.action]
        await self._alert(
            guild,
            settings,
            "🚨 Raid mode on",
            f"{len(burst)} members joined within {settings.per_seconds} s. "
            f"Verification level raised to {raised}; members who join now are {treated}. "
            f"Raid mode ends in {settings.duration_minutes} minutes or with /raid end.",
            with_massban=True,
        )
        await self._act_on(guild, burst, settings, "joined in a raid")

    async def end_raid(self, guild: discord.Guild, why: str) -> bool:
        """Leave raid mode and restore the verification level; False if none was on."""
        state = await self.store.end(guild.id)
        if state is None:
            return False
        if (
            state.restore_level is not None
            and guild.verification_level.value != state.restore_level
        ):
            await self._set_verification(guild, state.restore_level, f"raid mode off ({why})")
        log.warning("raid mode off in guild %d (%s)", guild.id, why)
        await self._alert(
            guild,
            state.settings,
            "✅ Raid mode off",
            f"{why.capitalize()}. Verification level back to {state.restore_level}; "
            f"{len(state.flagged)} flagged members remain for the massban.",
            with_massban=bool(state.flagged),
        )
        return True

    @commands.Cog.listener()
    async def on_mod_raid_end_timer_complete(self, timer: ScheduledTimer) -> None:
        guild = self.bot.get_guild(int(timer.payload["guild_id"]))
        if guild is None:
            return
        state = await self.store.get(guild.id)
        if state.since is None or state.since.isoformat() != timer.payload["since"]:
            return  # that raid ended already; a later one has its own timer
        await self.end_raid(guild, "its time ran out")

    async def _flag_and_act(
        self, guild: discord.Guild, user_ids: list[int], settings: RaidSettings, why: str
    ) -> None:
        await self.store.flag(guild.id, user_ids)
        await self._act_on(guild, user_ids, settings, why)

    async def _act_on(
        self, guild: discord.Guild, user_ids: list[int], settings: RaidSettings, why: str
    ) -> None:
        for user_id in user_ids:
            member = guild.get_member(user_id)
            if member is not None:
                await self._act(member, settings, why)

    async def _act(self, member: discord.Member, settings: RaidSettings, why: str) -> None:
        if settings.action is RaidAction.NOTHING:
            return
        bot_user = self.bot.user
        if bot_user is None:
            return
        reason = f"Raid defence: {why}"
        audit = audit_reason(bot_user.name, None, reason)
        until = None
        try:
            if settings.action is RaidAction.TIMEOUT:
                until = datetime.now(UTC) + settings.timeout
                await member.timeout(settings.timeout, reason=audit)
                action = CaseAction.TIMEOUT
            else:
                await member.kick(reason=audit)
                action = CaseAction.KICK
        except discord.HTTPException as error:
            log.warning(
                "raid defence cannot act on %d in guild %d: %s", member.id, member.guild.id, error
            )
            return
        await self._record(
            NewCase(member.guild.id, action, member.id, str(member), bot_user.id, reason, until)
        )

    async def _record(self, new: NewCase) -> None:
        case = await self.cases.create(new, datetime.now(UTC))
        self.bot.dispatch("mod_case_recorded", case)

    async def _set_verification(self, guild: discord.Guild, level: int, why: str) -> None:
        bot_user = self.bot.user
        name = bot_user.name if bot_user is not None else "Mod Bot"
        try:
            await guild.edit(
                verification_level=discord.VerificationLevel(level),
                reason=audit_reason(name, None, why),
            )
        except discord.HTTPException as error:
            log.warning("cannot set verification level %d in guild %d: %s", level, guild.id, error)

    async def _alert(
        self,
        guild: discord.Guild,
        settings: RaidSettings,
        title: str,
        text: str,
        *,
        with_massban: bool,
    ) -> None:
        channel_id = (
            settings.alert_channel_id
            or (await ModChannelStore(self.bot.database).get(guild.id)).modlog_channel_id
        )
        channel = guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            log.warning(
                "no raid alert channel in guild %d; set one with /raid config or /modset modlog",
                guild.id,
            )
            return
        embed = create_embed(title, text, self.bot.settings.colors.error)
        kwargs: dict[str, Any] = {"view": raid_alert_view(guild.id)} if with_massban else {}
        try:
            await channel.send(embed=embed, allowed_mentions=NO_PINGS, **kwargs)
        except discord.HTTPException as error:
            log.warning("cannot post the raid alert in %d: %s", channel.id, error)

    async def flagged_count(self, guild_id: int) -> int:
        return len((await self.store.get(guild_id)).flagged)

    async def massban(
        self, interaction: discord.Interaction[Any], guild_id: int, claimed: Callable[[], None]
    ) -> None:
        """Ban every flagged member (members or gone already); each ban is a case.

        ``claimed`` is called once this massban holds the guild's claim, before anything else
        is awaited; a refused one raises :class:`UserError` without calling it.
        """
        guild = self.bot.get_guild(guild_id)
        if guild is None or interaction.guild_id != guild_id:
            await interaction.response.send_message(
                "That raid is not of this server.", ephemeral=True
            )
            return
        # Two moderators confirming at once (here or with /massban) would ban the same members
        # twice, two cases each: the second is told one is under way, and one confirming later
        # finds them unflagged or banned already.
        async with answer_in_time(interaction, "massban report", ephemeral=True) as answer:
            with self.massbans.claim(guild_id, interaction.user.name):
                claimed()
                banned, failed = await self._ban_flagged(guild, interaction.user)
            if not banned and not failed:
                await answer.send("No flagged joiner is left to ban.")
                return
            await answer.send(
                f"🔨 Banned {len(banned)} flagged members"
                + (f"; {failed} could not be banned (see the log)." if failed else ".")
            )

    async def _ban_flagged(
        self, guild: discord.Guild, moderator: discord.abc.User
    ) -> tuple[set[int], int]:
        """Ban and unflag the flagged members, each ban a case; who was banned, how many failed.

        Members banned since they were flagged (by /massban, say) are unflagged and left alone:
        banning them again would record a second case for one ban.
        """
        guild_id = guild.id
        banned_already = {entry.user.id async for entry in guild.bans(limit=None)}
        flagged = [
            user_id
            for user_id in (await self.store.get(guild_id)).flagged
            if user_id not in banned_already
        ]
        reason = f"Raid massban by {moderator.name}"
        audit = audit_reason(moderator.name, None, reason)
        banned: set[int] = set()
        for user_id in flagged:
            try:
                await guild.ban(discord.Object(user_id), reason=audit, delete_message_seconds=3600)
            except discord.HTTPException as error:
                log.warning("massban of %d in guild %d failed: %s", user_id, guild_id, error)
                continue
            banned.add(user_id)
            member_name = self.bot.get_user(user_id)
            await self._record(
                NewCase(
                    guild_id,
                    CaseAction.BAN,
                    user_id,
                    str(member_name) if member_name else f"user {user_id}",
                    moderator.id,
                    reason,
                )
            )
        await self.store.unflag(guild_id, banned | banned_already)
        return banned, len(flagged) - len(banned)
