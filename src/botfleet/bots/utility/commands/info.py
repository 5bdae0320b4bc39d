"""Information commands: /userinfo, /serverinfo, /roleinfo, /avatar and /botinfo.

Every date is a Discord timestamp (``format_dt``), so each member reads it in their own time
zone and language.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.roles import DANGEROUS_PERMISSIONS
from botfleet.bots.utility.services.process import resident_memory_bytes
from botfleet.core.extensions.fleet import about_embed
from botfleet.utils.embeds import create_embed
from botfleet.utils.places import server_of
from botfleet.utils.text import discord_timestamp, truncate_string
from botfleet.utils.wording import plural

SERVER_ONLY: Final = "This command only works in a server."

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

MAX_ROLES_SHOWN: Final = 20


def role_list(roles: list[discord.Role]) -> str:
    """Mentions of the highest roles first, without @everyone, cut to a readable number."""
    shown = [role.mention for role in reversed(roles) if not role.is_default()]
    if not shown:
        return "none"
    extra = len(shown) - MAX_ROLES_SHOWN
    text = " ".join(shown[:MAX_ROLES_SHOWN])
    return f"{text} and {extra} more" if extra > 0 else text


def key_permissions(permissions: discord.Permissions) -> str:
    names = [label for flag, label in DANGEROUS_PERMISSIONS.items() if getattr(permissions, flag)]
    return ", ".join(names) if names else "none of the powerful ones"


class InfoCommands(commands.Cog, name="Information"):
    """Who someone is, what the server and a role are, and how the bot is doing."""

    def __init__(self, bot: FleetBot) -> None:
        self.bot = bot

    def _color(self) -> int:
        return self.bot.settings.colors.info

    @app_commands.command(name="userinfo", description="Who a member is: account, roles, dates.")
    @app_commands.describe(member="The member (you, if left out).")
    async def userinfo(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member | discord.User | None = None,
    ) -> None:
        target = member or interaction.user
        fields: list[tuple[str, str, bool]] = [
            ("ID", str(target.id), True),
            ("Account created", discord_timestamp(target.created_at, "D"), True),
        ]
        if isinstance(target, discord.Member):
            if target.joined_at is not None:
                fields.append(
                    ("Joined this server", discord_timestamp(target.joined_at, "D"), True)
                )
            if target.premium_since is not None:
                fields.append(
                    ("Boosting since", discord_timestamp(target.premium_since, "D"), True)
                )
            fields.append((f"Roles ({len(target.roles) - 1})", role_list(target.roles), False))
        kind = "🤖 bot" if target.bot else "member"
        embed = create_embed(
            title=f"{target.display_name} ({target.name})",
            description=f"{target.mention} · {kind}",
            color=self._color(),
            fields=fields,
        )
        embed.set_thumbnail(url=target.display_avatar.url)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @app_commands.command(name="serverinfo", description="About this server: members, channels.")
    @app_commands.guild_only()
    async def serverinfo(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        owner = f"<@{guild.owner_id}>" if guild.owner_id else "unknown"
        text_channels, voice_channels = len(guild.text_channels), len(guild.voice_channels)
        embed = create_embed(
            title=guild.name,
            description=truncate_string(guild.description or "", 300) or None,
            color=self._color(),
            fields=[
                ("Owner", owner, True),
                ("Created", discord_timestamp(guild.created_at, "D"), True),
                ("Members", f"{guild.member_count or len(guild.members):,}", True),
                ("Channels", f"{text_channels} text · {voice_channels} voice", True),
                ("Roles", str(len(guild.roles) - 1), True),
                ("Emojis", str(len(guild.emojis)), True),
                (
                    "Boosts",
                    f"level {guild.premium_tier} · {guild.premium_subscription_count or 0}",
                    True,
                ),
                ("ID", str(guild.id), True),
            ],
        )
        if guild.icon is not None:
            embed.set_thumbnail(url=guild.icon.url)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @app_commands.command(name="roleinfo", description="About a role: members, permissions.")
    @app_commands.guild_only()
    @app_commands.describe(role="The role to describe.")
    async def roleinfo(
        self, interaction: discord.Interaction[FleetBot], role: discord.Role
    ) -> None:
        flags = [
            name
            for name, on in (
                ("shown separately", role.hoist),
                ("mentionable", role.mentionable),
                ("managed by an integration", role.managed),
            )
            if on
        ]
        embed = create_embed(
            title=f"Role {role.name}",
            description=role.mention,
            color=role.colour.value or self._color(),
            fields=[
                ("Members", str(len(role.members)), True),
                ("Position", str(role.position), True),
                ("Colour", str(role.colour) if role.colour.value else "none", True),
                ("Created", discord_timestamp(role.created_at, "D"), True),
                ("Key permissions", key_permissions(role.permissions), False),
                ("Settings", ", ".join(flags) or "none", False),
                ("ID", str(role.id), True),
            ],
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @app_commands.command(name="avatar", description="A member's picture, full size.")
    @app_commands.describe(member="The member (you, if left out).")
    async def avatar(
        self,
        interaction: discord.Interaction[FleetBot],
        member: discord.Member | discord.User | None = None,
    ) -> None:
        target = member or interaction.user
        asset = target.display_avatar
        formats = ["png", "webp", "jpg"] + (["gif"] if asset.is_animated() else [])
        links = " · ".join(
            f"[{name.upper()}]({asset.replace(format=name, size=1024).url})"  # type: ignore[arg-type]
            for name in formats
        )
        embed = create_embed(
            title=f"{target.display_name}'s avatar", description=links, color=self._color()
        )
        embed.set_image(url=asset.replace(size=1024).url)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="botinfo", description="How this bot is doing: uptime, memory.")
    async def botinfo(self, interaction: discord.Interaction[FleetBot]) -> None:
        bot = self.bot
        memory = await asyncio.to_thread(resident_memory_bytes, Path("/proc/self/status"))
        shard = (
            f"{interaction.guild.shard_id + 1} of {bot.shard_count or 1}"
            if interaction.guild
            else f"DM · {plural(bot.shard_count or 1, 'shard')}"
        )
        memory_text = f"{memory / 2**20:.0f} MiB" if memory else "unknown"
        embed = about_embed(
            bot, self._color(), [("Shard", shard, True), ("Memory", memory_text, True)]
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)
