"""The text ``help`` command: every slash and text command of the bot, grouped, one line each.

discord.py's default help knows only text commands, so a bot whose features are slash
commands listed ``ping`` and ``help`` alone. This one reads the slash-command tree too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.utils.embeds import chunk_embeds, paginate_embeds

UNGROUPED = "Other"
"""The group of commands that belong to no cog."""
MENUS = "Apps menu (right-click)"
"""The group of context-menu commands."""
MENU_TARGETS = {
    discord.AppCommandType.user: "on a member",
    discord.AppCommandType.message: "on a message",
}


class FleetHelpCommand(commands.DefaultHelpCommand):
    """``help`` lists every command in embeds; ``help <command>`` keeps discord.py's detail."""

    def __init__(self, *, bot_name: str, color: int, **options: Any) -> None:
        super().__init__(**options)
        self.bot_name = bot_name
        self.color = color

    async def send_bot_help(
        self, mapping: Mapping[commands.Cog | None, list[commands.Command[Any, ..., Any]]], /
    ) -> None:
        groups = command_lines(self.context.bot, self.context.clean_prefix)
        embeds = paginate_embeds(
            f"{self.bot_name}: commands",
            "Slash commands start with `/`; text commands with "
            f"`{self.context.clean_prefix}`. `{self.context.clean_prefix}help <command>` "
            "tells more about a text command.",
            self.color,
            fields=[(group, "\n".join(lines), False) for group, lines in groups.items()],
        )
        destination = self.get_destination()
        for group in chunk_embeds(embeds):
            await destination.send(embeds=group)


def command_lines(bot: commands.Bot | commands.AutoShardedBot, prefix: str) -> dict[str, list[str]]:
    """One line per command, by cog: slash commands (a hybrid command once), text commands,
    then context menus; hidden text commands are left out."""
    groups: dict[str, list[str]] = {}
    slash_names: set[str] = set()
    for command in _slash_commands(bot.tree.get_commands(type=discord.AppCommandType.chat_input)):
        cog = command.binding if isinstance(command.binding, commands.Cog) else None
        slash_names.add(command.qualified_name)
        text = bot.get_command(command.qualified_name)
        also = f" · `{prefix}{command.qualified_name}`" if _is_hybrid(text) else ""
        groups.setdefault(_group_name(cog), []).append(
            f"`/{command.qualified_name}`{also}: {command.description}"
        )
    for text_command in sorted(bot.walk_commands(), key=lambda item: item.qualified_name):
        if text_command.hidden or text_command.qualified_name in slash_names:
            continue
        summary = text_command.short_doc or "no description"
        groups.setdefault(_group_name(text_command.cog), []).append(
            f"`{prefix}{text_command.qualified_name}`: {summary}"
        )
    for menu_type, target in MENU_TARGETS.items():
        for menu in bot.tree.get_commands(type=menu_type):
            groups.setdefault(MENUS, []).append(f"**{menu.name}**: {target}")
    return groups


def _slash_commands(
    top_level: Iterable[app_commands.Command[Any, ..., Any] | app_commands.Group | Any],
) -> list[app_commands.Command[Any, ..., Any]]:
    """Every runnable slash command, subcommands included, in alphabetical order."""
    found: list[app_commands.Command[Any, ..., Any]] = []
    for command in top_level:
        if isinstance(command, app_commands.Group):
            found.extend(_slash_commands(command.commands))
        elif isinstance(command, app_commands.Command):
            found.append(command)
    return sorted(found, key=lambda item: item.qualified_name)


def _is_hybrid(command: commands.Command[Any, ..., Any] | None) -> bool:
    return isinstance(command, commands.HybridCommand | commands.HybridGroup)


def _group_name(cog: commands.Cog | None) -> str:
    return cog.qualified_name if cog is not None else UNGROUPED
