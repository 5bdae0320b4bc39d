"""How role menus look: the posted message with its select menu or buttons, and the admin list.

The select menu and every button is a :class:`discord.ui.DynamicItem` whose ``custom_id``
carries the menu (``rolemenu:7:pick``) or the menu and the role (``rolemenu:7:role:123``). The
cog registers both classes at start, so a menu posted before a restart keeps working: its
rules are read from the database at each pick.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Final, Protocol, runtime_checkable

import discord

from botfleet.bots.utility.services.role_menus import MenuOption, MenuStyle, RoleMenu
from botfleet.core.errors import cog_serving, refuse
from botfleet.core.persistent import CustomIdFormat, PersistentItem, number
from botfleet.utils.embeds import paginate_embeds
from botfleet.utils.text import truncate_string
from botfleet.utils.wording import plural

COG_NAME: Final = "Role menus"
BUTTONS_PER_ROW: Final = 5
SELECT_LABEL_LIMIT: Final = 100

Button = discord.ui.Button[discord.ui.View]
Select = discord.ui.Select[discord.ui.View]
ROLE_BUTTON_ID: Final = CustomIdFormat("rolemenu", number("menu"), "role", number("role"))
ROLE_SELECT_ID: Final = CustomIdFormat("rolemenu", number("menu"), "pick")


@runtime_checkable
class RoleMenuActions(Protocol):
    """What the menu's select and buttons ask of the role menus cog."""

    async def pick_roles(
        self, interaction: discord.Interaction[Any], menu_id: int, role_ids: Sequence[int]
    ) -> None: ...


async def actions_of(interaction: discord.Interaction[Any]) -> RoleMenuActions | None:
    """The role menus cog of the bot that got ``interaction``; tells the member when it is away."""
    return await cog_serving(interaction, COG_NAME, RoleMenuActions, "Role menus")


async def _pick(interaction: discord.Interaction[Any], menu_id: int, role_ids: list[int]) -> None:
    cog = await actions_of(interaction)
    if cog is not None:
        await cog.pick_roles(interaction, menu_id, role_ids)


def _emoji(option: MenuOption) -> discord.PartialEmoji | None:
    return discord.PartialEmoji.from_str(option.emoji) if option.emoji else None


class RoleButton(PersistentItem[Button], custom_id=ROLE_BUTTON_ID):
    """One role of a button menu: a press gives the role, or takes it back."""

    def __init__(
        self,
        menu_id: int,
        role_id: int,
        option: MenuOption | None = None,
        *,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=option.label if option is not None else None,
                emoji=_emoji(option) if option is not None else None,
                style=discord.ButtonStyle.secondary,
                custom_id=ROLE_BUTTON_ID.build(menu_id, role_id),
            ),
            row=row,
        )
        self.menu_id = menu_id
        self.role_id = role_id

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _pick(interaction, self.menu_id, [self.role_id])


class RoleSelect(PersistentItem[Select], custom_id=ROLE_SELECT_ID):
    """The select menu of a menu: each role chosen is given, or taken back if already held."""

    def __init__(self, menu: RoleMenu | int) -> None:
        menu_id = menu if isinstance(menu, int) else menu.id
        options = [] if isinstance(menu, int) else [_select_option(o) for o in menu.options]
        most = 1 if isinstance(menu, int) else _max_values(menu)
        super().__init__(
            discord.ui.Select(
                custom_id=ROLE_SELECT_ID.build(menu_id),
                placeholder="Pick roles (pick one you have to give it back)…",
                min_values=1,
                max_values=most,
                options=options,
            )
        )
        self.menu_id = menu_id

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values = self.item.values
        if not all(value.isdigit() for value in values):
            await refuse(interaction, "That choice is not a role of this menu.")
            return
        await _pick(interaction, self.menu_id, [int(value) for value in values])


def _select_option(option: MenuOption) -> discord.SelectOption:
    return discord.SelectOption(
        label=truncate_string(option.label, SELECT_LABEL_LIMIT),
        value=str(option.role_id),
        description=option.description,
        emoji=_emoji(option),
    )


def _max_values(menu: RoleMenu) -> int:
    """One pick may choose up to the menu's limit; the rules check the total held."""
    limit = menu.limit if menu.limit is not None else len(menu.options)
    return max(1, min(limit, len(menu.options)))


def menu_view(menu: RoleMenu) -> discord.ui.View | None:
    """The menu's select or buttons (five to a row); None while it offers no role."""
    if not menu.options:
        return None
    view = discord.ui.View(timeout=None)
    if menu.style is MenuStyle.SELECT:
        view.add_item(RoleSelect(menu))
        return view
    for index, option in enumerate(menu.options):
        view.add_item(RoleButton(menu.id, option.role_id, option, row=index // BUTTONS_PER_ROW))
    return view


def _option_line(option: MenuOption) -> str:
    emoji = f"{option.emoji} " if option.emoji else ""
    about = f" — {option.description}" if option.description else ""
    return f"{emoji}<@&{option.role_id}>{about}"


def menu_embed(menu: RoleMenu, color: int) -> discord.Embed:
    """The posted menu: its title and text, the roles it offers and its rules."""
    lines = [menu.description, ""] if menu.description else []
    if menu.options:
        lines.extend(_option_line(option) for option in menu.options)
    else:
        lines.append("*No roles on this menu yet.*")
    rules = [f"You may hold {menu.describe_mode()} from this menu."]
    if menu.required_role_id is not None:
        rules.append(f"For members with <@&{menu.required_role_id}>.")
    lines.extend(["", "-# " + " ".join(rules)])
    embed = discord.Embed(title=menu.title, description="\n".join(lines), color=color)
    embed.set_footer(text="Pick a role to get it; pick it again to give it back.")
    return embed


def _admin_option_line(option: MenuOption, existing: Collection[int]) -> str:
    if option.role_id in existing:
        return f"• {_option_line(option)} (“{option.label}”)"
    return (
        f"• ⚠️ “{option.label}”: **role deleted** (id {option.role_id}); "
        "take it off with /rolemenu remove"
    )


def _admin_entry(menu: RoleMenu, existing: Collection[int]) -> str:
    where = f"<#{menu.channel_id}>"
    link = menu.jump_url()
    if link is not None:
        where += f" ([jump]({link}))"
    lines = [
        f"**#{menu.id} {truncate_string(menu.title, 80)}** · {menu.style.value} · "
        f"{menu.describe_mode()} · in {where}"
    ]
    required = menu.required_role_id
    if required is not None:
        lines.append(
            f"Requires <@&{required}>"
            if required in existing
            else f"⚠️ Requires a **deleted role** (id {required}): nobody can use this menu"
        )
    lines.extend(_admin_option_line(option, existing) for option in menu.options)
    if not menu.options:
        lines.append("No roles yet: add some with /rolemenu add.")
    return "\n".join(lines)


def menus_list_embeds(
    menus: Sequence[RoleMenu], existing: Collection[int], color: int
) -> list[discord.Embed]:
    """/rolemenu list: every menu, roles deleted since marked (grouped by chunk_embeds)."""
    deleted = sum(1 for menu in menus for option in menu.options if option.role_id not in existing)
    footer = plural(len(menus), "menu")
    if deleted:
        footer += f" · {plural(deleted, 'deleted role')} to remove"
    return paginate_embeds(
        "🎭 Role menus",
        "\n\n".join(_admin_entry(menu, existing) for menu in menus),
        color,
        footer=footer,
    )
