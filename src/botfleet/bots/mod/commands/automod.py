"""/automod: admins set the server's automod rules; the extension that runs automod and its events.

Rules are stored per server (``mod_settings``); each change is validated and compiled off the
event loop, then used at once by this process (others see it within the cache's recheck). A
change made from an older version than the stored one is refused, never saved over it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, requires_permission
from botfleet.bots.mod.commands.sanctions import SanctionCommands
from botfleet.bots.mod.events.audit_log import AuditLogEvents
from botfleet.bots.mod.events.automod import AutomodEvents
from botfleet.bots.mod.events.native_automod import NativeAutomodEvents
from botfleet.bots.mod.services.automod import AutomodEngine, AutomodSettings, AutomodStore
from botfleet.bots.mod.services.automod_rules import (
    LIMIT_FIELDS,
    LIST_FIELDS,
    RULE_KINDS,
    GuildRulesCache,
    SettingsChangedError,
    check_settings,
    describe_step,
    with_entries,
    with_exemption,
    with_rule,
    without_rule,
)
from botfleet.bots.mod.services.cases import CaseStore
from botfleet.bots.mod.services.limits import audit_reason
from botfleet.bots.mod.services.native_automod import (
    PRESETS,
    NativeRuleSpec,
    NativeTrigger,
    check_room,
    check_spec,
    check_timeout,
    parse_keywords,
)
from botfleet.bots.mod.services.spam import SpamTracker
from botfleet.core.answers import TimelyAnswer, answer_in_time
from botfleet.errors import UserError
from botfleet.utils.helpers import create_embed, parse_time, truncate_string
from botfleet.utils.places import server_id_of, server_of

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

SERVER_ONLY: Final = "Automod rules belong to a server; use this command in one."
NO_PINGS = discord.AllowedMentions.none()
KIND_CHOICES: Final = [app_commands.Choice(name=kind, value=kind) for kind in RULE_KINDS]
LIST_CHOICES: Final = [app_commands.Choice(name=kind, value=kind) for kind in LIST_FIELDS]

SettingsEdit = Callable[[AutomodSettings], tuple[dict[str, Any], str]]
"""An admin's edit: the settings it makes from the current ones, and what it did in words."""


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
    native = app_commands.Group(name="native", description="Discord's own AutoMod rules.")

    def __init__(self, bot: FleetBot[ModOptions], rules: GuildRulesCache) -> None:
        self.bot = bot
        self.rules = rules
        super().__init__()

    async def _edit(self, interaction: discord.Interaction[FleetBot], edit: SettingsEdit) -> None:
        """Apply an admin's edit to the rules as this process knows them, and store it.

        Reading, validating (every pattern tried, in a thread) and storing a long list can
        outlast Discord's three seconds: the answer comes through ``answer_in_time``. The
        store refuses an edit made from an older version than the stored one (another admin
        saved meanwhile), and the admin is shown the rules as they are now.
        """
        guild_id = server_id_of(interaction, SERVER_ONLY)
        async with answer_in_time(interaction, "automod change", ephemeral=True) as answer:
            known = await self.rules.get(guild_id)
            raw, what = edit(known.settings)
            await asyncio.to_thread(check_settings, raw)
            try:
                rules = await self.rules.save(guild_id, raw, expected_version=known.version)
            except SettingsChangedError as changed:
                log.info(
                    "guild %d: automod %s by %d not saved: %s",
                    guild_id,
                    what,
                    interaction.user.id,
                    changed,
                )
                await self._send_rules(
                    answer,
                    "⚠️ Automod settings changed meanwhile",
                    f"Another admin saved the rules while you edited them, so your change "
                    f"({what}) was not saved. Here they are now; run your command again if it "
                    "still applies.",
                    changed.current.settings,
                    self.bot.settings.colors.warning,
                )
                return
            log.info(
                "guild %d: automod %s by %d (version %d)",
                guild_id,
                what,
                interaction.user.id,
                rules.version,
            )
            await self._send_rules(
                answer,
                f"✅ Automod: {what}",
                "/automod show lists the rules; /automod off removes one.",
                rules.settings,
                self.bot.settings.colors.success,
            )

    async def _send_rules(
        self,
        answer: TimelyAnswer,
        title: str,
        description: str,
        settings: AutomodSettings,
        color: int,
    ) -> None:
        embed = create_embed(
            title=title,
            description=description,
            color=color,
            fields=describe_rules(settings.model_dump(mode="json")) or [("Rules", "none", False)],
        )
        await answer.send(embed=embed, allowed_mentions=NO_PINGS)

    @app_commands.command(name="show", description="The server's automod rules.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def show(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild_id = server_id_of(interaction, SERVER_ONLY)
        raw = (await self.rules.get(guild_id)).settings.model_dump(mode="json")
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
        channel_id = channel.id if channel is not None else None
        await self._edit(
            interaction,
            lambda settings: (
                with_rule(
                    settings, kind, limit=limit, actions=actions, decay=decay, channel_id=channel_id
                ),
                f"{kind} rule on",
            ),
        )

    @app_commands.command(name="off", description="Remove a rule (with its list).")
    @app_commands.choices(kind=KIND_CHOICES)
    @requires_permission(PermissionLevel.ADMIN)
    async def off(self, interaction: discord.Interaction[FleetBot], kind: str) -> None:
        await self._edit(
            interaction, lambda settings: (without_rule(settings, kind), f"{kind} rule off")
        )

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
        await self._edit_list(interaction, kind, entries, add=True)

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
        await self._edit_list(interaction, kind, entries, add=False)

    async def _edit_list(
        self, interaction: discord.Interaction[FleetBot], kind: str, entries: str, *, add: bool
    ) -> None:
        """A pattern is taken whole (commas are regex syntax); other entries split at commas."""
        parts = [entries] if kind == "patterns" else entries.split(",")
        await self._edit(
            interaction,
            lambda settings: (
                with_entries(settings, kind, parts, add=add),
                f"{kind} list changed",
            ),
        )

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
        if (role is None) == (channel is None):
            raise UserError("Name either a role or a channel.")
        who = f"@{role.name}" if role is not None else f"#{channel.name}" if channel else ""

        def edit(settings: AutomodSettings) -> tuple[dict[str, Any], str]:
            raw, exempt = with_exemption(
                settings,
                role_id=role.id if role is not None else None,
                channel_id=channel.id if channel is not None else None,
            )
            return raw, f"{who} {'exempt' if exempt else 'no longer exempt'}"

        await self._edit(interaction, edit)

    @native.command(name="list", description="The server's Discord AutoMod rules.")
    @requires_permission(PermissionLevel.MODERATOR)
    async def native_list(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        rules = await native_rules(guild)
        embed = create_embed(
            title="Discord AutoMod rules",
            description=None if rules else "None yet: add one with /automod native create.",
            color=self.bot.settings.colors.primary,
            fields=[describe_native(rule) for rule in rules[:25]],
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @native.command(name="create", description="Add a Discord AutoMod rule.")
    @app_commands.describe(
        name="What the rule is called.",
        kind="What it watches.",
        keywords="For keyword and member_profile rules: comma-separated, `cat*` `*cat*` allowed.",
        preset="For keyword_preset rules: Discord's own list.",
        mention_limit="For mention_spam rules: mentions allowed in one message (1-50).",
        block="Block the message (default yes).",
        alert_channel="Post an alert there.",
        time_out="Time the member out too, e.g. 10m (keyword and mention_spam rules).",
    )
    @app_commands.rename(time_out="timeout")
    @app_commands.choices(
        kind=[app_commands.Choice(name=kind.value, value=kind.value) for kind in NativeTrigger],
        preset=[app_commands.Choice(name=preset, value=preset) for preset in PRESETS],
    )
    @requires_permission(PermissionLevel.ADMIN)
    async def native_create(
        self,
        interaction: discord.Interaction[FleetBot],
        *,
        name: app_commands.Range[str, 1, 100],
        kind: str,
        keywords: app_commands.Range[str, 1, 4000] | None = None,
        preset: str | None = None,
        mention_limit: app_commands.Range[int, 1, 50] | None = None,
        block: bool = True,
        alert_channel: discord.TextChannel | None = None,
        time_out: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        trigger = NativeTrigger(kind)
        spec = check_spec(
            NativeRuleSpec(
                name=name,
                trigger=trigger,
                keywords=parse_keywords(keywords),
                presets=(preset,) if preset else (),
                mention_limit=mention_limit,
                block=block,
                alert_channel_id=alert_channel.id if alert_channel else None,
                timeout=timedelta(seconds=parse_time(time_out)) if time_out else None,
            )
        )
        existing = await native_rules(guild)
        check_room((NativeTrigger(rule.trigger.type.name) for rule in existing), trigger)
        reason = audit_reason(interaction.user.name, None, f"/automod native create {name}")
        with discord_refusal("create that rule"):
            rule = await guild.create_automod_rule(
                name=spec.name,
                event_type=(
                    discord.AutoModRuleEventType.member_update
                    if trigger is NativeTrigger.MEMBER_PROFILE
                    else discord.AutoModRuleEventType.message_send
                ),
                trigger=native_trigger(spec),
                actions=native_actions(spec),
                enabled=True,
                reason=reason,
            )
        await self._native_saved(interaction, rule, "created")

    @native.command(name="edit", description="Change a Discord AutoMod rule.")
    @app_commands.describe(
        rule="The rule's name.",
        keywords="Its new keywords, comma-separated.",
        enabled="Switch it on or off.",
        time_out="Its new timeout, e.g. 10m, or 0 for none.",
    )
    @app_commands.rename(time_out="timeout")
    @requires_permission(PermissionLevel.ADMIN)
    async def native_edit(
        self,
        interaction: discord.Interaction[FleetBot],
        *,
        rule: app_commands.Range[str, 1, 100],
        keywords: app_commands.Range[str, 1, 4000] | None = None,
        enabled: bool | None = None,
        time_out: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        found = native_rule_named(await native_rules(guild), rule)
        changes: dict[str, Any] = {}
        trigger = NativeTrigger(found.trigger.type.name)
        if keywords is not None:
            if not trigger.takes_keywords:
                raise UserError(f"A {trigger.value} rule takes no keywords.")
            changes["trigger"] = discord.AutoModTrigger(
                type=found.trigger.type, keyword_filter=list(parse_keywords(keywords))
            )
        if enabled is not None:
            changes["enabled"] = enabled
        if time_out is not None:
            seconds = 0 if time_out.strip() in {"0", "none", "off"} else parse_time(time_out)
            duration = timedelta(seconds=seconds) if seconds else None
            check_timeout(trigger, duration)
            kept = [a for a in found.actions if a.type is not discord.AutoModRuleActionType.timeout]
            changes["actions"] = kept + (
                [discord.AutoModRuleAction(duration=duration)] if duration else []
            )
            if not changes["actions"]:
                raise UserError("That would leave the rule without an action.")
        if not changes:
            raise UserError("Give something to change: keywords, enabled or timeout.")
        reason = audit_reason(interaction.user.name, None, f"/automod native edit {found.name}")
        with discord_refusal("change that rule"):
            edited = await found.edit(**changes, reason=reason)
        await self._native_saved(interaction, edited, "changed")

    @native.command(name="delete", description="Delete a Discord AutoMod rule.")
    @app_commands.describe(rule="The rule's name.")
    @requires_permission(PermissionLevel.ADMIN)
    async def native_delete(
        self, interaction: discord.Interaction[FleetBot], rule: app_commands.Range[str, 1, 100]
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        found = native_rule_named(await native_rules(guild), rule)
        reason = audit_reason(interaction.user.name, None, f"/automod native delete {found.name}")
        with discord_refusal("delete that rule"):
            await found.delete(reason=reason)
        log.info("guild %d: AutoMod rule %d deleted by %d", guild.id, found.id, interaction.user.id)
        await interaction.response.send_message(
            f"🗑️ Discord AutoMod rule **{found.name}** deleted.",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def _native_saved(
        self, interaction: discord.Interaction[FleetBot], rule: discord.AutoModRule, what: str
    ) -> None:
        log.info(
            "guild %d: AutoMod rule %d %s by %d", rule.guild.id, rule.id, what, interaction.user.id
        )
        embed = create_embed(
            title=f"✅ Discord AutoMod rule {what}",
            description="Its blocks and timeouts are recorded as cases.",
            color=self.bot.settings.colors.success,
            fields=[describe_native(rule)],
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )


async def native_rules(guild: discord.Guild) -> list[discord.AutoModRule]:
    with discord_refusal("read the AutoMod rules"):
        return await guild.fetch_automod_rules()


def native_rule_named(rules: list[discord.AutoModRule], name: str) -> discord.AutoModRule:
    wanted = name.strip().casefold()
    for rule in rules:
        if rule.name.casefold() == wanted or str(rule.id) == wanted:
            return rule
    raise UserError(f"There is no AutoMod rule “{name}”; /automod native list shows them.")


def native_trigger(spec: NativeRuleSpec) -> discord.AutoModTrigger:
    trigger_type = discord.AutoModRuleTriggerType[spec.trigger.value]
    if spec.trigger.takes_keywords:
        return discord.AutoModTrigger(type=trigger_type, keyword_filter=list(spec.keywords))
    if spec.trigger is NativeTrigger.KEYWORD_PRESET:
        presets = discord.AutoModPresets(**dict.fromkeys(spec.presets, True))
        return discord.AutoModTrigger(type=trigger_type, presets=presets)
    if spec.trigger is NativeTrigger.MENTION_SPAM:
        return discord.AutoModTrigger(type=trigger_type, mention_limit=spec.mention_limit)
    return discord.AutoModTrigger(type=trigger_type)


def native_actions(spec: NativeRuleSpec) -> list[discord.AutoModRuleAction]:
    actions: list[discord.AutoModRuleAction] = []
    if spec.block:
        actions.append(discord.AutoModRuleAction(type=discord.AutoModRuleActionType.block_message))
    if spec.alert_channel_id is not None:
        actions.append(discord.AutoModRuleAction(channel_id=spec.alert_channel_id))
    if spec.timeout is not None:
        actions.append(discord.AutoModRuleAction(duration=spec.timeout))
    return actions


def describe_native(rule: discord.AutoModRule) -> tuple[str, str, bool]:
    trigger = rule.trigger
    parts = [f"{trigger.type.name}{'' if rule.enabled else ' (off)'}"]
    if trigger.keyword_filter:
        parts.append(", ".join(f"`{keyword}`" for keyword in trigger.keyword_filter))
    if trigger.mention_limit:
        parts.append(f"over {trigger.mention_limit} mentions")
    actions = []
    for action in rule.actions:
        if action.type is discord.AutoModRuleActionType.timeout and action.duration:
            actions.append(f"timeout {action.duration}")
        elif action.type is discord.AutoModRuleActionType.send_alert_message:
            actions.append(f"alert in <#{action.channel_id}>")
        else:
            actions.append(action.type.name.replace("_", " "))
    parts.append("actions: " + ", ".join(actions))
    return (rule.name, truncate_string("\n".join(parts), 1000), False)


@contextmanager
def discord_refusal(doing: str) -> Iterator[None]:
    """Discord's refusal of an AutoMod request, said as a clear answer."""
    try:
        yield
    except discord.Forbidden:
        raise UserError(f"I can't {doing}: I need the Manage Server permission.") from None
    except discord.HTTPException as error:
        log.warning("Discord refused to %s: %s", doing, error)
        if "AUTO_MODERATION_MAX_RULES_OF_TYPE_EXCEEDED" in error.text:
            raise UserError("Discord allows no more rules of that kind in this server.") from None
        raise UserError(f"Discord refused to {doing}: {truncate_string(error.text, 300)}") from None


def sanctions_of(bot: FleetBot[ModOptions]) -> SanctionCommands:
    """The sanction commands, loaded by the bot's first extension: automod warns and escalates
    through them, so its warnings count as /warn's do."""
    cog = bot.get_cog(SanctionCommands.__cog_name__)
    if not isinstance(cog, SanctionCommands):
        raise RuntimeError("load botfleet.bots.mod.commands before the automod extension")
    return cog


async def setup(bot: FleetBot[ModOptions]) -> None:
    options = bot.options
    store = AutomodStore(bot.database, options.pattern_timeout)
    rules = GuildRulesCache(store)
    engine = AutomodEngine(SpamTracker(options.spam_tracked_members), options.pattern_timeout)
    cases = CaseStore(bot.database)
    await bot.add_cog(AutomodCommands(bot, rules))
    await bot.add_cog(AutomodEvents(bot, rules, engine, cases, sanctions_of(bot)))
    await bot.add_cog(AuditLogEvents(bot, cases))
    await bot.add_cog(NativeAutomodEvents(bot, cases))
