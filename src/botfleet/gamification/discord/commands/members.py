"""The members' commands (/rank, /leaderboard, /achievements) and the role-sync listeners."""

from __future__ import annotations

import io
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.gamification.boards import LeaderboardCategory
from botfleet.gamification.discord.commands.common import NO_PINGS, SERVER_ONLY, not_a_bot
from botfleet.gamification.discord.commands.levels import Levels
from botfleet.gamification.discord.commands.xp import XPAdmin
from botfleet.gamification.discord.rank_card import RankCard, render_rank_card_async
from botfleet.gamification.discord.role_sync import RoleSyncer
from botfleet.gamification.discord.views import (
    LeaderboardView,
    achievements_embed,
    leaderboard_embed,
)
from botfleet.gamification.leaderboard_pages import LeaderboardPage
from botfleet.gamification.periods import Period
from botfleet.utils.imaging import fetch_avatar_png
from botfleet.utils.places import server_of

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot


log = logging.getLogger(__name__)


LEADERBOARD_PAGE_SIZE: Final = 10
CATEGORY_CHOICES: Final = [
    app_commands.Choice(name=category.value, value=category.value)
    for category in LeaderboardCategory
]
PERIOD_CHOICES: Final = [
    app_commands.Choice(name=period.value.replace("_", " "), value=period.value)
    for period in Period
]


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
        self.bot.message_hooks.add(self.hear_message)

    async def cog_unload(self) -> None:
        self.bot.message_hooks.remove(self.hear_message)
        self.bot.tree.remove_command(self.xp_admin.name)
        self.bot.tree.remove_command(self.levels.name)
        await self.syncer.close()

    async def _check_member(self, member: discord.abc.User) -> None:
        """Sync a chatting member's reward roles if they were not checked for a while."""
        if isinstance(member, discord.Member) and not member.bot:
            await self.syncer.sync_chatting_member(member)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        await self.syncer.sync_member(member)

    def hear_message(self, message: discord.Message) -> Coroutine[Any, Any, None] | None:
        """A message hook: a chatting member's reward roles are checked in a task when due,
        and a member checked lately costs no task."""
        member = message.author
        if message.guild is None or message.webhook_id is not None:
            return None
        if not isinstance(member, discord.Member) or member.bot:
            return None
        if not self.syncer.member_due(member):
            return None
        return self.syncer.sync_due_member(member)

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
        not_a_bot(target)
        guild = server_of(interaction, SERVER_ONLY)
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
        guild = server_of(interaction, SERVER_ONLY)
        chosen_category = category.value if category is not None else LeaderboardCategory.XP.value
        chosen_period = Period(period.value) if period is not None else Period.ALL_TIME
        scope = None if everywhere else guild.id
        leaderboards = self.bot.gamification.leaderboards

        async def turn(page: LeaderboardPage, forward: bool) -> LeaderboardPage:
            return await leaderboards.turn(page, forward=forward)

        where = "All servers" if everywhere else guild.name
        title = f"🏆 {where} — {chosen_category}"
        # Imported here: the core imports gamification when it loads (its bot holds one).
        from botfleet.core.answers import answer_in_time  # noqa: PLC0415

        async with answer_in_time(interaction, "leaderboard") as answer:
            own = await leaderboards.rank_of(
                interaction.user.id, chosen_category, chosen_period, guild_id=scope
            )

            def render(page: LeaderboardPage) -> discord.Embed:
                return leaderboard_embed(
                    page,
                    own,
                    title=title,
                    colour=self.bot.settings.colors.primary,
                    mention_renders=lambda user_id: guild.get_member(user_id) is not None,
                )

            first = await leaderboards.page(
                chosen_category, chosen_period, guild_id=scope, per_page=LEADERBOARD_PAGE_SIZE
            )
            view = LeaderboardView(interaction.user.id, first, turn, render)
            await answer.send(embed=render(first), view=view, allowed_mentions=NO_PINGS)
            view.message = await interaction.original_response()

    @app_commands.command(name="achievements", description="Show a member's achievements.")
    @app_commands.describe(member="Whose achievements to show (yours by default).")
    @app_commands.guild_only()
    async def achievements(
        self, interaction: discord.Interaction[FleetBot], member: discord.Member | None = None
    ) -> None:
        target = member or interaction.user
        not_a_bot(target)
        progress = await self.bot.gamification.achievements.progress(target.id)
        embed = achievements_embed(
            target.display_name, progress, colour=self.bot.settings.colors.primary
        )
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_PINGS)
