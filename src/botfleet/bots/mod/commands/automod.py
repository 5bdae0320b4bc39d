"""/automod: admins set the server's automod rules; the extension that runs automod and its events.

Rules are stored per server (``mod_settings``); each change is validated and compiled off the
event loop, then used at once by this process (others see it within the cache's recheck).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, requires_permission
from botfleet.bots.mod.events.audit_log import AuditLogEvents
from botfleet.bots.mod.events.automod import AutomodEvents
from botfleet.bots.mod.services.automod import AutomodEngine, AutomodSettings, AutomodStore
from botfleet.bots.mod.services.automod_rules import (
    LIMIT_FIELDS,
    LIST_FIELDS,
    RULE_KINDS,
    GuildRulesCache,
    check_settings,
    describe_step,
    with_entries,
    with_exemption,
    with_rule,
    without_rule,
)
from botfleet.bots.mod.services.cases import CaseStore
from botfleet.bots.mod.services.spam import SpamTracker
from botfleet.core.places import server_id_of
from botfleet.errors import UserError
from botfleet.utils.helpers import create_embed, truncate_string

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

SERVER_ONLY: Final = "Automod rules belong to a server; use this command in one."
NO_PINGS = discord.AllowedMentions.none()
KIND_CHOICES: Final = [app_commands.Choice(name=kind, value=kind) for kind in RULE_KINDS]
LIST_CHOICES: Final = [app_commands.Choice(name=kind, value=kind) for kind in LIST_FIELDS]


def describe_rules(raw: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """One field per rule: its limit or list, its chain, where it applies."""
    fields: list[tuple[str, str, bool]] = []
    for rule in raw["rules"]:
        kind = rule["kind"]
        parts: list[str] = []
        if kind in LIMIT_FIELDS:
            field, meaning = LIMIT_FIELDS[kind]
            parts.append(f"limit {rule[field]} {meaning}")
        if kind in LIST_FIELDS:
            entries = rule[LIST_FIELDS[kind]]
            parts.append(", ".join(f"`{entry}`" for entry in entries) or "an empty list")
        if kind == "words" and rule.get("fleet_list"):
            parts.append("and the fleet's profanity list")
        chain = " → ".join(describe_step(step) for step in rule["actions"])
        parts.append(f"actions: {chain}")
        if rule["channels"]:
            parts.append("in " + " ".join(f"<#{channel}>" for channel in rule["channels"]))
        fields.append((kind, truncate_string("\n".join(parts), 1000), False))
    exempt = [f"<@&{role}>" for role in raw["exempt_roles"]] + [
        f"<#{channel}>" for channel in raw["exempt_channels"]
    ]
    if exempt:
        fields.append(("Exempt", " ".join(exempt), False))
    return fields


@app_commands.guild_only()
class AutomodCommands(
    commands.GroupCog, group_name="automod", group_description="The server's automatic moderation."
):
    """Admin settings of automod: rules, their lists and chains, exemptions."""

    words = app_commands.Group(name="list", description="A rule's list: words, patterns, allowed.")

    def __init__(self, bot: FleetBot[ModOptions], rules: GuildRulesCache) -> None:
        self.bot = bot
        self.rules = rules
        super().__init__()

    async def _settings(self, guild_id: int) -> AutomodSettings:
        return (await self.rules.get(guild_id)).settings

    async def _save(
        self, interaction: discord.Interaction[FleetBot], raw: dict[str, Any], what: str
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        check_settings(raw)
        rules = await self.rules.save(guild_id, raw)
        log.info(
            "guild %d: automod %s by %d (version %d)",
            guild_id,
            what,
            interaction.user.id,
            rules.version,
        )
        stored = rules.settings.model_dump(mode="json")
        embed = create_embed(
            title=f"✅ Automod: {what}",
            description="/automod show lists the rules; /automod off removes one.",
            color=self.bot.settings.colors.success,
            fields=describe_rules(stored) or [("Rules", "none", False)],
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="show", description="The server's automod rules.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def show(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        raw = (await self._settings(guild_id)).model_dump(mode="json")
        embed = create_embed(
            title="Automod rules",
            description=None if raw["rules"] else "No rule yet: add one with /automod rule.",
            color=self.bot.settings.colors.primary,
            fields=describe_rules(raw),
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="rule", description="Switch a rule on or change it.")
    @app_commands.describe(
        kind="What the rule watches.",
        limit="Its number: messages, repeats, mentions, capitals or emoji allowed.",
        actions="One step per strike, e.g. `delete, warn, timeout 10m, kick`.",
        decay="Strikes older than this are forgotten, e.g. 1h.",
        channel="Watch this channel only.",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @requires_permission(PermissionLevel.ADMIN)
    async def rule(
        self,
        interaction: discord.Interaction[FleetBot],
        *,
        kind: str,
        limit: app_commands.Range[int, 1, 500] | None = None,
        actions: app_commands.Range[str, 1, 200] | None = None,
        decay: app_commands.Range[str, 1, 40] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        raw = with_rule(
            await self._settings(guild_id),
            kind,
            limit=limit,
            actions=actions,
            decay=decay,
            channel_id=channel.id if channel is not None else None,
        )
        await self._save(interaction, raw, f"{kind} rule on")

    @app_commands.command(name="off", description="Remove a rule (with its list).")
    @app_commands.choices(kind=KIND_CHOICES)
    @requires_permission(PermissionLevel.ADMIN)
    async def off(self, interaction: discord.Interaction[FleetBot], kind: str) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        raw = without_rule(await self._settings(guild_id), kind)
        await self._save(interaction, raw, f"{kind} rule off")

    @words.command(
        name="add", description="Add to a list: words, patterns, allowed invites or sites."
    )
    @app_commands.describe(
        kind="Which list.",
        entries="Separated by commas: `heck*, *frick*`, a regex, an invite code, `github.com`.",
    )
    @app_commands.choices(kind=LIST_CHOICES)
    @requires_permission(PermissionLevel.ADMIN)
    async def list_add(
        self,
        interaction: discord.Interaction[FleetBot],
        kind: str,
        entries: app_commands.Range[str, 1, 1000],
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        parts = [entries] if kind == "patterns" else entries.split(",")
        raw = with_entries(await self._settings(guild_id), kind, parts, add=True)
        await self._save(interaction, raw, f"{kind} list changed")

    @words.command(name="remove", description="Remove from a list.")
    @app_commands.describe(kind="Which list.", entries="Separated by commas (a pattern whole).")
    @app_commands.choices(kind=LIST_CHOICES)
    @requires_permission(PermissionLevel.ADMIN)
    async def list_remove(
        self,
        interaction: discord.Interaction[FleetBot],
        kind: str,
        entries: app_commands.Range[str, 1, 1000],
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        parts = [entries] if kind == "patterns" else entries.split(",")
        raw = with_entries(await self._settings(guild_id), kind, parts, add=False)
        await self._save(interaction, raw, f"{kind} list changed")

    @app_commands.command(
        name="exempt", description="Exempt a role or channel from every rule, or end it."
    )
    @app_commands.describe(role="Members with this role.", channel="Messages in this channel.")
    @requires_permission(PermissionLevel.ADMIN)
    async def exempt(
        self,
        interaction: discord.Interaction[FleetBot],
        role: discord.Role | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        if (role is None) == (channel is None):
            raise UserError("Name either a role or a channel.")
        raw, exempt = with_exemption(
            await self._settings(guild_id),
            role_id=role.id if role is not None else None,
            channel_id=channel.id if channel is not None else None,
        )
        what = f"@{role.name}" if role is not None else f"#{channel.name}" if channel else ""
        await self._save(interaction, raw, f"{what} {'exempt' if exempt else 'no longer exempt'}")


async def setup(bot: FleetBot[ModOptions]) -> None:
    options = bot.options
    store = AutomodStore(bot.database, options.pattern_timeout)
    rules = GuildRulesCache(store)
    engine = AutomodEngine(SpamTracker(options.spam_tracked_members), options.pattern_timeout)
    cases = CaseStore(bot.database)
    await bot.add_cog(AutomodCommands(bot, rules))
    await bot.add_cog(AutomodEvents(bot, rules, engine, cases))
    await bot.add_cog(AuditLogEvents(bot, cases))
