"""The gamification commands: /rank, /leaderboard, /achievements, and admin /xp and /levels.

Only the bot the configuration names (``gamification.host_bot``, the Utility Bot by default)
loads this extension, so six bots in one guild show these commands once; every bot earns XP
through :mod:`botfleet.gamification.extension`. The host also keeps members' reward roles in
step (:mod:`botfleet.gamification.role_sync`): when they join, when their XP or the guild's
rewards change, at their next message after a while, and on ``/levels resync``.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import requires_permission
from botfleet.auth.roles import discord_role_problem
from botfleet.errors import UserError
from botfleet.gamification.guild_settings import GuildXPConfig
from botfleet.gamification.leaderboards import LeaderboardCategory, LeaderboardPage
from botfleet.gamification.options import (
    MAX_AWARD,
    MAX_COOLDOWN_SECONDS,
    AnnouncementMode,
    RoleRewardMode,
)
from botfleet.gamification.periods import Period
from botfleet.gamification.rank_card import RankCard, render_rank_card_async
from botfleet.gamification.rewards import MAX_REWARD_LEVEL
from botfleet.gamification.role_sync import ResyncReport, RoleSyncer
from botfleet.gamification.store import AdjustmentResult
from botfleet.gamification.views import LeaderboardView, achievements_embed, leaderboard_embed
from botfleet.gamification.xp_system import MAX_ADMIN_AMOUNT
from botfleet.utils.helpers import create_embed
from botfleet.utils.imaging import fetch_avatar_png
from botfleet.utils.wording import plural

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

MAX_REASON: Final = 200
LEADERBOARD_PAGE_SIZE: Final = 10
CATEGORY_CHOICES: Final = [
    app_commands.Choice(name=category.value, value=category.value)
    for category in LeaderboardCategory
]
PERIOD_CHOICES: Final = [
    app_commands.Choice(name=period.value.replace("_", " "), value=period.value)
    for period in Period
]
ANNOUNCEMENT_CHOICES: Final = [
    app_commands.Choice(name="in the channel where it happened", value=AnnouncementMode.CHANNEL),
    app_commands.Choice(name="in a chosen channel", value=AnnouncementMode.CHOSEN_CHANNEL),
    app_commands.Choice(name="by direct message", value=AnnouncementMode.DM),
    app_commands.Choice(name="off", value=AnnouncementMode.OFF),
]
ROLE_MODE_CHOICES: Final = [
    app_commands.Choice(name="stack: keep every reward earned", value=RoleRewardMode.STACK),
    app_commands.Choice(name="replace: only the highest reward", value=RoleRewardMode.REPLACE),
]
NO_PINGS = discord.AllowedMentions.none()
MAX_AUTOCOMPLETE: Final = 25


def _not_a_bot(member: discord.Member | discord.User) -> None:
    if member.bot:
        raise UserError("Bots don't earn XP — pick a member instead.")


def _guild(interaction: discord.Interaction[FleetBot]) -> discord.Guild:
    if interaction.guild is None:
        raise UserError("This command only works in a server.")
    return interaction.guild


def _check_reward_role(guild: discord.Guild, role: discord.Role) -> None:
    problem = discord_role_problem(role)
    if problem is not None:
        log.info("refused reward role %d in guild %d: %s", role.id, guild.id, problem)
        raise UserError(problem)


def _role_line(guild: discord.Guild, role_id: int) -> str:
    role = guild.get_role(role_id)
    if role is None:
        return f"a deleted role ({role_id})"
    problem = discord_role_problem(role)
    return role.mention if problem is None else f"{role.mention} ⚠️ {problem}"


def _describe_resync(report: ResyncReport, guild: discord.Guild) -> str:
    lines = [
        f"Checked {plural(report.members_checked, 'member')}: {report.members_changed:,} "
        f"updated (+{plural(report.roles_added, 'role')}, "
        f"−{plural(report.roles_removed, 'role')})."
    ]
    lines.extend(f"Skipped {_role_line(guild, role_id)}" for role_id in sorted(report.skipped))
    return "\n".join(lines)


def _describe_config(config: GuildXPConfig) -> str:
    channels = ", ".join(f"<#{item}>" for item in sorted(config.no_xp_channel_ids)) or "none"
    roles = ", ".join(f"<@&{item}>" for item in sorted(config.no_xp_role_ids)) or "none"
    where = config.announcement_mode.value.replace("_", " ")
    if config.announcement_mode is AnnouncementMode.CHOSEN_CHANNEL:
        where = f"in <#{config.announcement_channel_id}>"
    return (
        f"**Messages:** {config.message_xp_min}–{config.message_xp_max} XP, "
        f"once every {config.message_cooldown_seconds} s\n"
        f"**Commands:** {config.command_xp} XP\n"
        f"**No-XP channels:** {channels}\n"
        f"**No-XP roles:** {roles}\n"
        f"**Level-up announcements:** {where}\n"
        f"**Role rewards:** {config.role_reward_mode.value}"
    )


@app_commands.guild_only()
class XPAdmin(app_commands.Group, name="xp", description="Give, take or reset members' XP."):
    """Admin XP changes; each one is written to the audit log."""

    def __init__(self, bot: FleetBot, syncer: RoleSyncer) -> None:
        super().__init__()
        self.bot = bot
        self.syncer = syncer

    async def _answer(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member,
        result: AdjustmentResult,
    ) -> None:
        applied = await self.syncer.sync_member(member)
        roles = ""
        if applied:
            changes = [f"+{role.mention}" for role in applied.added] + [
                f"−{role.mention}" for role in applied.removed
            ]
            roles = f"\nReward roles: {' '.join(changes)}"
        await interaction.followup.send(
            f"{member.mention} now has **{result.xp_after:,} XP** (level {result.level_after}; "
            f"was {result.xp_before:,} XP, level {result.level_before}).{roles}",
            allowed_mentions=NO_PINGS,
            ephemeral=True,
        )

    @app_commands.command(name="give", description="Give a member XP in this server.")
    @app_commands.describe(
        member="Who receives the XP.",
        amount=f"How much XP to give (1 to {MAX_ADMIN_AMOUNT:,}).",
        reason="Why, for the audit log.",
    )
    @requires_permission("admin")
    async def give(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member,
        amount: app_commands.Range[int, 1, MAX_ADMIN_AMOUNT],
        reason: app_commands.Range[str, 1, MAX_REASON] | None = None,
    ) -> None:
        _not_a_bot(member)
        guild = _guild(interaction)
        await interaction.response.defer(ephemeral=True)
        result = await self.bot.gamification.xp.give_xp(
            guild.id, member.id, amount, actor_id=interaction.user.id, reason=reason
        )
        await self._answer(interaction, member, result)

    @app_commands.command(name="take", description="Take XP away from a member in this server.")
    @app_commands.describe(
        member="Who loses the XP.",
        amount=f"How much XP to take (1 to {MAX_ADMIN_AMOUNT:,}); never below 0.",
        reason="Why, for the audit log.",
    )
    @requires_permission("admin")
    async def take(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member,
        amount: app_commands.Range[int, 1, MAX_ADMIN_AMOUNT],
        reason: app_commands.Range[str, 1, MAX_REASON] | None = None,
    ) -> None:
        _not_a_bot(member)
        guild = _guild(interaction)
        await interaction.response.defer(ephemeral=True)
        result = await self.bot.gamification.xp.take_xp(
            guild.id, member.id, amount, actor_id=interaction.user.id, reason=reason
        )
        await self._answer(interaction, member, result)

    @app_commands.command(
        name="reset", description="Reset a member to 0 XP and level 1 in this server."
    )
    @app_commands.describe(member="Whose XP to reset.", reason="Why, for the audit log.")
    @requires_permission("admin")
    async def reset(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member,
        reason: app_commands.Range[str, 1, MAX_REASON] | None = None,
    ) -> None:
        _not_a_bot(member)
        guild = _guild(interaction)
        await interaction.response.defer(ephemeral=True)
        result = await self.bot.gamification.xp.reset_xp(
            guild.id, member.id, actor_id=interaction.user.id, reason=reason
        )
        await self._answer(interaction, member, result)


class LevelsConfig(app_commands.Group, name="config", description="Set this server's XP rules."):
    """``/levels config ...``: every change answers with the rules now in force."""

    def __init__(self, bot: FleetBot, parent: app_commands.Group, syncer: RoleSyncer) -> None:
        super().__init__(parent=parent)
        self.bot = bot
        self.syncer = syncer

    async def _show(
        self, interaction: discord.Interaction[FleetBot], config: GuildXPConfig, done: str
    ) -> None:
        embed = create_embed(
            title="XP settings",
            description=_describe_config(config),
            color=self.bot.settings.colors.success,
        )
        await interaction.response.send_message(f"✅ {done}", embed=embed, ephemeral=True)

    @app_commands.command(name="show", description="Show this server's XP rules.")
    @requires_permission("admin")
    async def show(self, interaction: discord.Interaction[FleetBot]) -> None:
        config = await self.bot.gamification.settings.get(_guild(interaction).id)
        await self._show(interaction, config, "These are the rules in force.")

    @app_commands.command(name="rates", description="Set how much XP messages and commands earn.")
    @app_commands.describe(
        message_min="Least XP a message earns.",
        message_max="Most XP a message earns.",
        command="XP a completed command earns.",
    )
    @requires_permission("admin")
    async def rates(
        self,
        interaction: discord.Interaction[FleetBot],
        message_min: app_commands.Range[int, 0, MAX_AWARD],
        message_max: app_commands.Range[int, 0, MAX_AWARD],
        command: app_commands.Range[int, 0, MAX_AWARD] | None = None,
    ) -> None:
        config = await self.bot.gamification.settings.update(
            _guild(interaction).id, message_xp=(message_min, message_max), command_xp=command
        )
        await self._show(interaction, config, "XP rates updated.")

    @app_commands.command(name="cooldown", description="Set how often a member's messages earn XP.")
    @app_commands.describe(seconds="Seconds between two messages that earn XP (1 to 86400).")
    @requires_permission("admin")
    async def cooldown(
        self,
        interaction: discord.Interaction[FleetBot],
        seconds: app_commands.Range[int, 1, MAX_COOLDOWN_SECONDS],
    ) -> None:
        config = await self.bot.gamification.settings.update(
            _guild(interaction).id, message_cooldown_seconds=seconds
        )
        await self._show(interaction, config, f"Messages now earn XP once every {seconds} s.")

    @app_commands.command(name="no-xp-channel", description="Stop or restart XP in a channel.")
    @app_commands.describe(channel="The channel.", earns_xp="Whether it earns XP from now on.")
    @requires_permission("admin")
    async def no_xp_channel(
        self,
        interaction: discord.Interaction[FleetBot],
        channel: discord.TextChannel | discord.VoiceChannel | discord.Thread,
        earns_xp: bool = False,
    ) -> None:
        config = await self.bot.gamification.settings.set_no_xp_channel(
            _guild(interaction).id, channel.id, not earns_xp
        )
        state = "earns XP again" if earns_xp else "earns no XP"
        await self._show(interaction, config, f"{channel.mention} {state}.")

    @app_commands.command(name="no-xp-role", description="Stop or restart XP for a role.")
    @app_commands.describe(role="The role.", earns_xp="Whether its members earn XP from now on.")
    @requires_permission("admin")
    async def no_xp_role(
        self, interaction: discord.Interaction[FleetBot], role: discord.Role, earns_xp: bool = False
    ) -> None:
        config = await self.bot.gamification.settings.set_no_xp_role(
            _guild(interaction).id, role.id, not earns_xp
        )
        state = "earn XP again" if earns_xp else "earn no XP"
        await self._show(interaction, config, f"Members with {role.mention} {state}.")

    @app_commands.command(name="announcements", description="Choose where level-ups are announced.")
    @app_commands.describe(
        mode="Where to announce.", channel="The channel, when announcing in a chosen channel."
    )
    @app_commands.choices(mode=ANNOUNCEMENT_CHOICES)
    @requires_permission("admin")
    async def announcements(
        self,
        interaction: discord.Interaction[FleetBot],
        mode: app_commands.Choice[str],
        channel: discord.TextChannel | None = None,
    ) -> None:
        chosen = AnnouncementMode(mode.value)
        if chosen is AnnouncementMode.CHOSEN_CHANNEL and channel is None:
            raise UserError("Pick the `channel` where level-ups should be announced.")
        if chosen is not AnnouncementMode.CHOSEN_CHANNEL and channel is not None:
            raise UserError("A `channel` only goes with the “in a chosen channel” mode.")
        if channel is not None and not channel.permissions_for(channel.guild.me).send_messages:
            raise UserError(f"I can't send messages in {channel.mention}: pick another channel.")
        config = await self.bot.gamification.settings.update(
            _guild(interaction).id,
            announcement_mode=chosen,
            announcement_channel_id=channel.id if channel is not None else None,
        )
        await self._show(interaction, config, f"Level-ups are announced {mode.name}.")

    @app_commands.command(name="reward-add", description="Give a role to members reaching a level.")
    @app_commands.describe(level="The level that earns the role.", role="The role to give.")
    @requires_permission("admin")
    async def reward_add(
        self,
        interaction: discord.Interaction[FleetBot],
        level: app_commands.Range[int, 2, MAX_REWARD_LEVEL],
        role: discord.Role,
    ) -> None:
        guild = _guild(interaction)
        _check_reward_role(guild, role)
        rewards = await self.bot.gamification.rewards.set_level_role(guild.id, level, role.id)
        self.syncer.schedule(guild)
        listing = "\n".join(f"Level {item.level}: <@&{item.role_id}>" for item in rewards)
        await interaction.response.send_message(
            f"✅ Members reaching level {level} get {role.mention}; members' roles are being "
            f"brought in line.\n{listing}",
            allowed_mentions=NO_PINGS,
            ephemeral=True,
        )

    @app_commands.command(name="reward-remove", description="Stop giving a role for a level.")
    @app_commands.describe(role="The reward role to remove.")
    @requires_permission("admin")
    async def reward_remove(
        self, interaction: discord.Interaction[FleetBot], role: discord.Role
    ) -> None:
        guild = _guild(interaction)
        removed = await self.bot.gamification.rewards.remove_level_role(guild.id, role.id)
        if not removed:
            raise UserError(f"{role.mention} is not a level reward here.")
        self.syncer.schedule(guild)
        await interaction.response.send_message(
            f"✅ {role.mention} is no longer a level reward (members keep it until changed).",
            allowed_mentions=NO_PINGS,
            ephemeral=True,
        )

    @app_commands.command(
        name="reward-mode", description="Whether members keep every reward role or only the top."
    )
    @app_commands.describe(mode="Stack every reward earned, or keep only the highest.")
    @app_commands.choices(mode=ROLE_MODE_CHOICES)
    @requires_permission("admin")
    async def reward_mode(
        self, interaction: discord.Interaction[FleetBot], mode: app_commands.Choice[str]
    ) -> None:
        guild = _guild(interaction)
        config = await self.bot.gamification.settings.update(
            guild.id, role_reward_mode=RoleRewardMode(mode.value)
        )
        self.syncer.schedule(guild)
        await self._show(interaction, config, f"Role rewards now {mode.name}.")

    async def _achievement_names(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.casefold()
        definitions = await self.bot.gamification.achievements.definitions()
        return [
            app_commands.Choice(name=item.name, value=item.name)
            for item in definitions
            if wanted in item.name.casefold()
        ][:MAX_AUTOCOMPLETE]

    @app_commands.command(
        name="achievement-reward-add",
        description="Give a role to members who unlock an achievement.",
    )
    @app_commands.describe(achievement="The achievement.", role="The role to give.")
    @requires_permission("admin")
    async def achievement_reward_add(
        self,
        interaction: discord.Interaction[FleetBot],
        achievement: app_commands.Range[str, 1, 100],
        role: discord.Role,
    ) -> None:
        guild = _guild(interaction)
        _check_reward_role(guild, role)
        achievement_id = await self.bot.gamification.rewards.set_achievement_role(
            guild.id, achievement, role.id
        )
        self.syncer.schedule(guild)
        name = (await self.bot.gamification.catalogue.get()).by_id[achievement_id].name
        await interaction.response.send_message(
            f"✅ Members who unlock **{name}** get {role.mention}, including those who already "
            "have it.",
            allowed_mentions=NO_PINGS,
            ephemeral=True,
        )

    @achievement_reward_add.autocomplete("achievement")
    async def _achievement_reward_add_names(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._achievement_names(interaction, current)

    @app_commands.command(
        name="achievement-reward-remove", description="Stop giving a role for an achievement."
    )
    @app_commands.describe(achievement="The achievement.")
    @requires_permission("admin")
    async def achievement_reward_remove(
        self,
        interaction: discord.Interaction[FleetBot],
        achievement: app_commands.Range[str, 1, 100],
    ) -> None:
        guild = _guild(interaction)
        if not await self.bot.gamification.rewards.remove_achievement_role(guild.id, achievement):
            raise UserError(f"“{achievement}” has no role reward here.")
        await interaction.response.send_message(
            f"✅ “{achievement}” no longer gives a role (members keep it until changed).",
            allowed_mentions=NO_PINGS,
            ephemeral=True,
        )

    @achievement_reward_remove.autocomplete("achievement")
    async def _achievement_reward_remove_names(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._achievement_names(interaction, current)

    @app_commands.command(name="rewards", description="List this server's reward roles.")
    @requires_permission("admin")
    async def rewards(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = _guild(interaction)
        table = await self.bot.gamification.rewards.table(guild.id)
        catalogue = await self.bot.gamification.catalogue.get()
        config = await self.bot.gamification.settings.get(guild.id)
        lines = [f"Level {item.level}: {_role_line(guild, item.role_id)}" for item in table.levels]
        lines.extend(
            f"**{catalogue.by_id[achievement].name}**: {_role_line(guild, role_id)}"
            for achievement, role_id in sorted(table.achievements.items())
            if achievement in catalogue.by_id
        )
        description = "\n".join(lines) or "No reward roles yet: add some with `reward-add`."
        embed = create_embed(
            title=f"Reward roles ({config.role_reward_mode.value})",
            description=description,
            color=self.bot.settings.colors.primary,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)


@app_commands.guild_only()
class Levels(app_commands.Group, name="levels", description="This server's levels and XP rules."):
    def __init__(self, bot: FleetBot, syncer: RoleSyncer) -> None:
        super().__init__()
        self.bot = bot
        self.syncer = syncer
        self.config = LevelsConfig(bot, self, syncer)

    @app_commands.command(
        name="resync", description="Give every member exactly the reward roles they earned."
    )
    @requires_permission("admin")
    async def resync(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = _guild(interaction)
        if not await self.bot.gamification.rewards.table(guild.id):
            raise UserError("This server has no reward roles to sync: add some first.")
        self.syncer.claim_resync(guild)
        await interaction.response.defer(ephemeral=True)
        report = await self.syncer.resync_now(guild)
        await interaction.followup.send(
            f"✅ {_describe_resync(report, guild)}", allowed_mentions=NO_PINGS, ephemeral=True
        )


class GamificationCommands(commands.Cog, name="Levels"):
    """Ranks, leaderboards and achievements for members; XP and level settings for admins."""

    def __init__(self, bot: FleetBot) -> None:
        self.bot = bot
        self.syncer = RoleSyncer(bot)
        self.xp_admin = XPAdmin(bot, self.syncer)
        self.levels = Levels(bot, self.syncer)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.xp_admin)
        self.bot.tree.add_command(self.levels)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.xp_admin.name)
        self.bot.tree.remove_command(self.levels.name)
        await self.syncer.close()

    async def _check_member(self, member: discord.abc.User) -> None:
        """Sync a chatting member's reward roles if they were not checked for a while."""
        if isinstance(member, discord.Member) and not member.bot and self.syncer.member_due(member):
            await self.syncer.sync_member(member)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        await self.syncer.sync_member(member)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None and message.webhook_id is None:
            await self._check_member(message.author)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[FleetBot]) -> None:
        if interaction.guild is not None:
            await self._check_member(interaction.user)

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        dropped = await self.bot.gamification.rewards.forget_role(role.guild.id, role.id)
        if dropped:
            log.info(
                "role %d of guild %d was deleted: dropped its %d reward(s)",
                role.id,
                role.guild.id,
                dropped,
            )

    @app_commands.command(name="rank", description="Show a member's level, XP and rank as a card.")
    @app_commands.describe(member="Whose rank to show (yours by default).")
    @app_commands.guild_only()
    async def rank(
        self, interaction: discord.Interaction[FleetBot], member: discord.Member | None = None
    ) -> None:
        target = member or interaction.user
        _not_a_bot(target)
        guild = _guild(interaction)
        await interaction.response.defer()
        profile = await self.bot.gamification.xp.profile(target.id, guild.id)
        card = RankCard(
            user_id=target.id,
            display_name=target.display_name,
            progress=profile.progress,
            rank=profile.rank.rank if profile.rank is not None else None,
            avatar_png=await fetch_avatar_png(target),
        )
        image = await render_rank_card_async(card)
        await interaction.followup.send(
            file=discord.File(
                io.BytesIO(image), filename="rank.png", description=card.text_alternative
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="leaderboard", description="The top members, by XP or activity.")
    @app_commands.describe(
        category="What to rank by (XP by default).",
        period="Over which time (all time by default; periods start at midnight UTC).",
        everywhere="Rank members across every server the bots are in, not just this one.",
    )
    @app_commands.choices(category=CATEGORY_CHOICES, period=PERIOD_CHOICES)
    @app_commands.guild_only()
    async def leaderboard(
        self,
        interaction: discord.Interaction[FleetBot],
        category: app_commands.Choice[str] | None = None,
        period: app_commands.Choice[str] | None = None,
        everywhere: bool = False,
    ) -> None:
        guild = _guild(interaction)
        chosen_category = category.value if category is not None else LeaderboardCategory.XP.value
        chosen_period = Period(period.value) if period is not None else Period.ALL_TIME
        scope = None if everywhere else guild.id
        leaderboards = self.bot.gamification.leaderboards

        async def load(number: int) -> LeaderboardPage:
            return await leaderboards.page(
                chosen_category,
                chosen_period,
                guild_id=scope,
                page=number,
                per_page=LEADERBOARD_PAGE_SIZE,
            )

        own = await leaderboards.rank_of(
            interaction.user.id, chosen_category, chosen_period, guild_id=scope
        )
        where = "All servers" if everywhere else guild.name
        title = f"🏆 {where} — {chosen_category}"

        def render(page: LeaderboardPage) -> discord.Embed:
            return leaderboard_embed(
                page,
                own,
                title=title,
                colour=self.bot.settings.colors.primary,
                mention_renders=lambda user_id: guild.get_member(user_id) is not None,
            )

        first = await load(1)
        view = LeaderboardView(interaction.user.id, first, load, render)
        await interaction.response.send_message(
            embed=render(first), view=view, allowed_mentions=NO_PINGS
        )
        view.message = await interaction.original_response()

    @app_commands.command(name="achievements", description="Show a member's achievements.")
    @app_commands.describe(member="Whose achievements to show (yours by default).")
    @app_commands.guild_only()
    async def achievements(
        self, interaction: discord.Interaction[FleetBot], member: discord.Member | None = None
    ) -> None:
        target = member or interaction.user
        _not_a_bot(target)
        progress = await self.bot.gamification.achievements.progress(target.id)
        embed = achievements_embed(
            target.display_name, progress, colour=self.bot.settings.colors.primary
        )
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_PINGS)


async def setup(bot: FleetBot) -> None:
    await bot.add_cog(GamificationCommands(bot))
