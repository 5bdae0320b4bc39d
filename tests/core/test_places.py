"""Commands that only work in a server refuse direct messages in their own words."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import discord
import pytest

from botfleet.errors import UserError
from botfleet.utils.places import place_of, server_id_of, server_of

REFUSAL = "Polls run in a server's channels."


def interaction(guild_id: int | None, channel_id: int | None) -> discord.Interaction[Any]:
    guild = SimpleNamespace(id=guild_id) if guild_id is not None else None
    fake = SimpleNamespace(guild=guild, guild_id=guild_id, channel_id=channel_id)
    return cast("discord.Interaction[Any]", fake)


def test_in_a_server_the_place_is_read() -> None:
    used = interaction(10, 20)
    assert server_of(used, REFUSAL) is used.guild
    assert server_id_of(used, REFUSAL) == 10
    assert place_of(used, REFUSAL) == (10, 20)


@pytest.mark.parametrize("read", [server_of, server_id_of, place_of])
def test_in_direct_messages_the_command_refuses_in_its_words(read: Any) -> None:
    with pytest.raises(UserError, match=REFUSAL):
        read(interaction(None, 30), REFUSAL)
