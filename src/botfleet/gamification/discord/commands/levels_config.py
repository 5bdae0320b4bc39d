"""``/levels config ...``: a server's XP rates, no-XP places, announcements and reward roles."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands

from botfleet.auth.permissions import requires_permission
from botfleet.errors import UserError
from botfleet.gamification.discord.commands.common import (
    NO_PINGS,
    SERVER_ONLY,
    check_reward_role,
    role_line,
)
from botfleet.gamification.discord.role_sync import RoleSyncer
from botfleet.gamification.guild_settings import GuildXPConfig
from botfleet.gamification.options import (
    MAX_AWARD,
    MAX_COOLDOWN_SECONDS,
    AnnouncementMode,
    RoleRewardMode,
)
from botfleet.gamification.rewards import MAX_REWARD_LEVEL
from botfleet.utils.helpers import create_embed
from botfleet.utils.places import server_of

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot


log = logging.getLogger(__name__)


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
MAX_AUTOCOMPLETE: Final = 25


def describe_config(config: GuildXPConfig) -> str:
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
            description=describe_config(config),
            color=self.bot.settings.colors.success,
        )
        await interaction.response.send_message(f"✅ {done}", embed=embed, ephemeral=True)

    @app_commands.command(name="show", description="Show this server's XP rules.")
    @requires_permission("admin")
    async def show(self, interaction: discord.Interaction[FleetBot]) -> None:
        config = await self.bot.gamification.settings.get(server_of(interaction, SERVER_ONLY).id)
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
            server_of(interaction, SERVER_ONLY).id,
            message_xp=(message_min, message_max),
            command_xp=command,
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
            server_of(interaction, SERVER_ONLY).id, message_cooldown_seconds=seconds
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
            server_of(interaction, SERVER_ONLY).id, channel.id, not earns_xp
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
            server_of(interaction, SERVER_ONLY).id, role.id, not earns_xp
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
            server_of(interaction, SERVER_ONLY).id,
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
        guild = server_of(interaction, SERVER_ONLY)
        check_reward_role(guild, role)
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
        guild = server_of(interaction, SERVER_ONLY)
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
        guild = server_of(interaction, SERVER_ONLY)
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
        guild = server_of(interaction, SERVER_ONLY)
        check_reward_role(guild, role)
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
        guild = server_of(interaction, SERVER_ONLY)
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
        guild = server_of(interaction, SERVER_ONLY)
        table = await self.bot.gamification.rewards.table(guild.id)
        catalogue = await self.bot.gamification.catalogue.get()
        config = await self.bot.gamification.settings.get(guild.id)
        lines = [f"Level {item.level}: {role_line(guild, item.role_id)}" for item in table.levels]
        lines.extend(
            f"**{catalogue.by_id[achievement].name}**: {role_line(guild, role_id)}"
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
