"""Where a command was used, for commands that only make sense in a server.

A command run in direct messages has no server: these read the interaction's server (or its
server and channel) and refuse with the command's own friendly words otherwise, so every
command says why in its terms while the check is written once.
"""

from __future__ import annotations

from typing import Any

import discord

from botfleet.errors import UserError


def server_of(interaction: discord.Interaction[Any], refusal: str) -> discord.Guild:
    """The interaction's server; :class:`UserError` ``refusal`` in direct messages."""
    if interaction.guild is None:
        raise UserError(refusal)
    return interaction.guild


def server_id_of(interaction: discord.Interaction[Any], refusal: str) -> int:
    """The interaction's server id; :class:`UserError` ``refusal`` in direct messages."""
    if interaction.guild_id is None:
        raise UserError(refusal)
    return interaction.guild_id


def place_of(interaction: discord.Interaction[Any], refusal: str) -> tuple[int, int]:
    """The interaction's server and channel ids; :class:`UserError` ``refusal`` outside one."""
    if interaction.guild_id is None or interaction.channel_id is None:
        raise UserError(refusal)
    return interaction.guild_id, interaction.channel_id
