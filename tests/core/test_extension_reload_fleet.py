"""Every bot's extensions reload in place (``botfleet run --reload``): a reload replaces each
cog the extension's setup added, those of the bot's events/ and views/ included, which
discord.py alone leaves loaded (the next setup then failed: "Cog named ... already loaded")."""

from __future__ import annotations

import pytest

from botfleet import bot_names
from botfleet.sandbox.pytest_plugin import FleetBotFactory


@pytest.mark.parametrize("name", bot_names())
async def test_every_extension_of_a_bot_reloads_and_keeps_its_cogs(
    fleet_bot: FleetBotFactory, name: str
) -> None:
    stage = fleet_bot(name)
    async with stage.running() as bot:
        cogs = set(bot.cogs)
        old = dict(bot.cogs)  # held, so no new cog can take a freed one's place
        for extension in tuple(bot.extensions):
            await bot.reload_extension(extension)
        assert set(bot.cogs) == cogs
        replaced = {cog_name for cog_name, cog in bot.cogs.items() if cog is not old[cog_name]}
    assert sorted(cogs - replaced) == []
