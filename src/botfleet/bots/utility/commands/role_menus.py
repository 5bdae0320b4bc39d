"""``/rolemenu create|add|remove|delete|list`` and members' picks; rules in ``services/``.

The commands translate between Discord and
:class:`~botfleet.bots.utility.services.role_menus.RoleMenuService`: they describe roles and the
bot's standing as plain facts, and keep the posted message in step with the menu. A member's
pick is read against their roles as Discord has them now (fetched under a per-member lock, so
two quick picks cannot both pass the menu's limit), then applied with ``add_roles`` and
``remove_roles``.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import ensure_bot_can, requires_permission
from botfleet.auth.roles import bot_facts, role_facts
from botfleet.bots.utility.services.role_menus import (
    CUSTOM_EMOJI,
    MAX_DESCRIPTION_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_OPTION_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    MenuMode,
    MenuStyle,
    NewMenu,
    PickRefusedError,
    RoleChange,
    RoleMenu,
    RoleMenuError,
    RoleMenuNotFoundError,
    RoleMenuService,
    plan_pick,
)
from botfleet.bots.utility.views.role_menus import (
    COG_NAME,
    RoleButton,
    RoleSelect,
    menu_embed,
    menu_view,
    menus_list_embeds,
)
from botfleet.core.answers import answer_in_time
from botfleet.core.errors import handle_interaction_error
from botfleet.core.option_limits import StoredNumber
from botfleet.utils.embeds import chunk_embeds
from botfleet.utils.places import server_of
from botfleet.utils.text import truncate_string
from botfleet.utils.wording import role_label

SERVER_ONLY: Final = "Role menus live in a server."
MENU_CHANGE: Final = "menu change"
"""What a slow answer to an admin's menu command is called in the note that it is coming."""
ROLE_CHANGE: Final = "role change"
"""What a slow answer to a member's pick is called in the note that it is coming."""

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

STYLE_CHOICES: Final = [
    app_commands.Choice(name="a select menu", value=MenuStyle.SELECT.value),
    app_commands.Choice(name="a button per role", value=MenuStyle.BUTTONS.value),
]
MODE_CHOICES: Final = [
    app_commands.Choice(name="any number of roles", value=MenuMode.ANY.value),
    app_commands.Choice(name="at most max_roles roles", value=MenuMode.AT_MOST.value),
    app_commands.Choice(name="one of them (picking another swaps)", value=MenuMode.ONE.value),
]
POSTING_PERMISSIONS: Final = ("view_channel", "send_messages", "embed_links")
MenuChannel = discord.TextChannel | discord.Thread | discord.VoiceChannel


def _role_list(role_ids: Sequence[int]) -> str:
    return ", ".join(f"<@&{role_id}>" for role_id in role_ids)


def pick_receipt(menu: RoleMenu, change: RoleChange) -> str:
    """What a member is told privately after a pick."""
    lines = []
    if change.added:
        lines.append(f"✅ Added {_role_list(change.added)}.")
    if change.removed:
        lines.append(f"➖ Removed {_role_list(change.removed)}.")
    if change.added and change.removed and menu.mode is MenuMode.ONE:
        lines.append("-# This menu gives one role at a time, so your other one was swapped.")
    elif change.added:
        lines.append("-# Pick a role again to give it back.")
    return "\n".join(lines)


class RoleMenuCommands(commands.Cog, name=COG_NAME):
    """Self-assign role menus: admins build them, members pick roles with a menu or buttons."""

    rolemenu = app_commands.Group(
        name="rolemenu", description="Self-assign role menus (admins).", guild_only=True
    )

    def __init__(self, bot: FleetBot, service: RoleMenuService) -> None:
        self.bot = bot
        self.service = service
        self._member_locks: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RoleButton, RoleSelect)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RoleButton, RoleSelect)

    @property
    def color(self) -> int:
        return self.bot.settings.colors.primary

    # --- Admin commands --------------------------------------------------------------------

    @rolemenu.command(name="create", description="Post a new role menu (add roles after).")
    @app_commands.describe(
        title="The menu's heading, such as “Pick your games”.",
        style="A select menu, or a button per role (default: select menu).",
        mode="How many of its roles a member may hold (default: any number).",
        max_roles="The most roles a member may hold from it (the “at most” mode).",
        required_role="Only members with this role may pick roles from it.",
        channel="Where to post it (default: here).",
        description="Text under the heading.",
    )
    @app_commands.choices(style=STYLE_CHOICES, mode=MODE_CHOICES)
    @requires_permission("admin")
    async def create(
        self,
        interaction: discord.Interaction[FleetBot],
        *,
        title: app_commands.Range[str, 1, MAX_TITLE_LENGTH],
        style: str = MenuStyle.SELECT.value,
        mode: str | None = None,
        max_roles: app_commands.Range[int, 1, 25] | None = None,
        required_role: discord.Role | None = None,
        channel: MenuChannel | None = None,
        description: app_commands.Range[str, 1, MAX_DESCRIPTION_LENGTH] | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        target = channel or interaction.channel
        if not isinstance(target, MenuChannel):
            raise RoleMenuError("Post the menu in one of the server's text channels.")
        ensure_bot_can(target, POSTING_PERMISSIONS, "post the menu")
        if not guild.me.guild_permissions.manage_roles:
            raise RoleMenuError(
                "I need the Manage Roles permission to hand out roles; ask an admin to grant it "
                "to my role, then make the menu."
            )
        if required_role is not None and required_role.is_default():
            raise RoleMenuError(
                "Every member has @everyone; leave required_role out to open the menu to all."
            )
        async with answer_in_time(interaction, MENU_CHANGE, ephemeral=True) as answer:
            menu = await self.service.create(
                NewMenu(
                    guild_id=guild.id,
                    channel_id=target.id,
                    title=title,
                    description=description,
                    style=MenuStyle(style),
                    mode=MenuMode(mode) if mode else None,
                    max_roles=max_roles,
                    required_role_id=required_role.id if required_role else None,
                )
            )
            try:
                message = await target.send(embed=menu_embed(menu, self.color))
            except discord.HTTPException as error:
                await self.service.delete(guild.id, menu.id)
                log.warning("could not post role menu %d in %d: %s", menu.id, target.id, error)
                raise RoleMenuError(
                    f"Discord refused to post the menu in {target.mention} ({error.text or error})."
                ) from error
            await self.service.set_message(menu.id, target.id, message.id)
            await answer.send(
                f"🎭 Menu #{menu.id} “{truncate_string(menu.title, 80)}” is posted in "
                f"{target.mention} ({menu.describe_mode()}). Add roles with "
                f"`/rolemenu add menu:{menu.id} role:`."
            )

    @rolemenu.command(name="add", description="Offer a role on a menu.")
    @app_commands.describe(
        menu="The menu (see /rolemenu list).",
        role="The role members will be able to pick.",
        label="What the option says (default: the role's name).",
        emoji="An emoji shown with it.",
        description="A line under the option (select menus show it).",
    )
    @requires_permission("admin")
    async def add(
        self,
        interaction: discord.Interaction[FleetBot],
        *,
        menu: StoredNumber,
        role: discord.Role,
        label: app_commands.Range[str, 1, MAX_LABEL_LENGTH] | None = None,
        emoji: app_commands.Range[str, 1, 100] | None = None,
        description: app_commands.Range[str, 1, MAX_OPTION_DESCRIPTION_LENGTH] | None = None,
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        if emoji is not None:
            self._check_custom_emoji(emoji)
        async with answer_in_time(interaction, MENU_CHANGE, ephemeral=True) as answer:
            updated = await self.service.add_option(
                guild.id,
                menu,
                role_facts(role),
                bot_facts(guild),
                label=label,
                emoji=emoji,
                description=description,
            )
            note = await self._redraw(guild, updated)
            await answer.send(
                f"✅ {role.mention} is on menu #{updated.id} "
                f"“{truncate_string(updated.title, 80)}” "
                f"({len(updated.options)} of {self.service.options.max_role_menu_options})." + note,
                allowed_mentions=discord.AllowedMentions.none(),
            )

    @rolemenu.command(name="remove", description="Take a role off a menu.")
    @app_commands.describe(menu="The menu.", role="The role to take off (deleted ones too).")
    @requires_permission("admin")
    async def remove(
        self, interaction: discord.Interaction[FleetBot], menu: StoredNumber, role: str
    ) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        role_id = _role_id(role)
        async with answer_in_time(interaction, MENU_CHANGE, ephemeral=True) as answer:
            updated = await self.service.remove_option(guild.id, menu, role_id)
            note = await self._redraw(guild, updated)
            await answer.send(
                f"➖ <@&{role_id}> is off menu #{updated.id} ({len(updated.options)} left)." + note,
                allowed_mentions=discord.AllowedMentions.none(),
            )

    @rolemenu.command(name="delete", description="Delete a menu and its message.")
    @app_commands.describe(menu="The menu to delete (members keep the roles they have).")
    @requires_permission("admin")
    async def delete(self, interaction: discord.Interaction[FleetBot], menu: StoredNumber) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        async with answer_in_time(interaction, MENU_CHANGE, ephemeral=True) as answer:
            deleted = await self.service.delete(guild.id, menu)
            note = ""
            channel = guild.get_channel_or_thread(deleted.channel_id)
            if deleted.message_id is not None and isinstance(channel, discord.abc.Messageable):
                try:
                    await channel.get_partial_message(deleted.message_id).delete()
                except discord.NotFound:
                    pass  # already gone: nothing left to take down
                except discord.HTTPException as error:
                    log.warning("could not delete role menu %d's message: %s", menu, error)
                    note = " I couldn't delete its message; delete it by hand."
            await answer.send(
                f"🗑️ Deleted menu #{deleted.id} “{truncate_string(deleted.title, 80)}”. "
                "Members keep the roles they picked." + note
            )

    @rolemenu.command(name="list", description="This server's role menus and their roles.")
    @requires_permission("admin")
    async def list_menus(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild = server_of(interaction, SERVER_ONLY)
        menus = await self.service.list_for(guild.id)
        if not menus:
            await interaction.response.send_message(
                "This server has no role menus yet; make one with /rolemenu create.",
                ephemeral=True,
            )
            return
        existing = {role.id for role in guild.roles}
        first, *rest = chunk_embeds(menus_list_embeds(menus, existing, self.color))
        none = discord.AllowedMentions.none()
        await interaction.response.send_message(embeds=first, ephemeral=True, allowed_mentions=none)
        for embeds in rest:
            await interaction.followup.send(embeds=embeds, ephemeral=True, allowed_mentions=none)

    @add.autocomplete("menu")
    @remove.autocomplete("menu")
    @delete.autocomplete("menu")
    async def menu_choices(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        return [
            app_commands.Choice(
                name=truncate_string(f"#{menu.id} {menu.title}", 100), value=menu.id
            )
            for menu in await self.service.search(interaction.guild_id, current)
        ]

    @remove.autocomplete("role")
    async def option_choices(
        self, interaction: discord.Interaction[FleetBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """The roles on the menu chosen in ``menu``, deleted ones named as such."""
        guild = interaction.guild
        menu_id = getattr(interaction.namespace, "menu", None)
        if guild is None or not isinstance(menu_id, int):
            return []
        try:
            menu = await self.service.get(guild.id, menu_id)
        except RoleMenuNotFoundError:
            return []
        wanted = current.strip().casefold()
        choices = []
        for option in menu.options:
            role = guild.get_role(option.role_id)
            shown = (
                f"{option.label} ({role_label(role.name)})"
                if role
                else f"{option.label} (deleted role)"
            )
            if wanted in shown.casefold():
                choices.append(
                    app_commands.Choice(name=truncate_string(shown, 100), value=str(option.role_id))
                )
        return choices[:25]

    def _check_custom_emoji(self, emoji: str) -> None:
        """A server emoji must be one the bot can show (from a server it is in)."""
        if not CUSTOM_EMOJI.fullmatch(emoji.strip()):
            return
        emoji_id = int(emoji.strip().rstrip(">").rsplit(":", 1)[1])
        if self.bot.get_emoji(emoji_id) is None:
            raise RoleMenuError(
                "I can only show server emojis from servers I'm in; pick another emoji."
            )

    async def _redraw(self, guild: discord.Guild, menu: RoleMenu) -> str:
        """Show ``menu`` on its message (posting it again if it was deleted); "" or a note."""
        channel = guild.get_channel_or_thread(menu.channel_id)
        if not isinstance(channel, MenuChannel):
            return (
                " Its channel is gone, so members can't see it: delete the menu and make a new one."
            )
        embed, view = menu_embed(menu, self.color), menu_view(menu)
        try:
            if menu.message_id is not None:
                try:
                    await channel.get_partial_message(menu.message_id).edit(embed=embed, view=view)
                    return ""
                except discord.NotFound:
                    log.info("role menu %d's message was deleted; posting it again", menu.id)
            message = await (
                channel.send(embed=embed, view=view) if view else channel.send(embed=embed)
            )
        except discord.HTTPException as error:
            log.warning("could not show role menu %d: %s", menu.id, error)
            return f" I couldn't update its message ({error.text or error}); try again later."
        await self.service.set_message(menu.id, channel.id, message.id)
        return f" Its message was gone, so I posted it again: {message.jump_url}"

    # --- Members' picks --------------------------------------------------------------------

    async def pick_roles(
        self, interaction: discord.Interaction[Any], menu_id: int, role_ids: Sequence[int]
    ) -> None:
        """Give or take back the picked roles under the menu's rules; answer privately."""
        try:
            guild = server_of(interaction, SERVER_ONLY)
            key = (guild.id, interaction.user.id)
            lock = self._member_locks.setdefault(key, asyncio.Lock())
            async with answer_in_time(interaction, ROLE_CHANGE, ephemeral=True) as answer:
                async with lock:
                    menu, change = await self._apply_pick(
                        guild, interaction.user.id, menu_id, role_ids
                    )
                await answer.send(
                    pick_receipt(menu, change), allowed_mentions=discord.AllowedMentions.none()
                )
        except Exception as error:
            await handle_interaction_error(interaction, error)

    async def _apply_pick(
        self, guild: discord.Guild, user_id: int, menu_id: int, role_ids: Sequence[int]
    ) -> tuple[RoleMenu, RoleChange]:
        try:
            menu = await self.service.get(guild.id, menu_id)
        except RoleMenuNotFoundError:
            raise PickRefusedError("This role menu was deleted; ask an admin.") from None
        try:
            member = await guild.fetch_member(user_id)
        except discord.HTTPException as error:
            log.warning("could not read member %d of guild %d: %s", user_id, guild.id, error)
            raise PickRefusedError(
                "Discord didn't tell me your roles just now; try again in a moment."
            ) from error
        roles = {role.id: role_facts(role) for role in guild.roles}
        change = plan_pick(
            menu, {role.id for role in member.roles}, role_ids, roles, bot_facts(guild)
        )
        reason = truncate_string(f"Role menu #{menu.id} “{menu.title}”", 100)
        try:
            if change.added:
                await member.add_roles(*(discord.Object(r) for r in change.added), reason=reason)
            if change.removed:
                await member.remove_roles(
                    *(discord.Object(r) for r in change.removed), reason=reason
                )
        except discord.Forbidden as error:
            log.warning("role menu %d: roles of %d refused: %s", menu.id, user_id, error)
            raise PickRefusedError(
                "Discord didn't let me change your roles: my role must sit above them and hold "
                "Manage Roles. Please tell an admin."
            ) from error
        except discord.HTTPException as error:
            log.warning("role menu %d: roles of %d failed: %s", menu.id, user_id, error)
            raise PickRefusedError(
                "Discord had trouble changing your roles; try again in a moment."
            ) from error
        log.info("role menu %d: member %d +%s -%s", menu.id, user_id, change.added, change.removed)
        return menu, change


def _role_id(text: str) -> int:
    """The role id an autocomplete choice carries, or a role mention typed by hand."""
    digits = text.strip().removeprefix("<@&").removesuffix(">")
    if not digits.isdigit():
        raise RoleMenuError("Pick the role to take off from the list offered.")
    return int(digits)
