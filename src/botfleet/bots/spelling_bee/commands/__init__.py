"""The Spelling Bee Bot's extension: its service, ``/bee`` commands, guess listener and events.

Loaded by the bot base (``DEFINITION.extensions``); the word list is read in a thread.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from botfleet.bots.spelling_bee.commands.puzzle import SpellingBeeCommands
from botfleet.bots.spelling_bee.config import SpellingBeeOptions
from botfleet.bots.spelling_bee.events.daily import SpellingBeeEvents
from botfleet.bots.spelling_bee.events.messages import SpellingBeeMessages
from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.bots.spelling_bee.services.puzzle import WordList
from botfleet.bots.spelling_bee.services.rewards import GamificationRewards

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot


async def setup(bot: FleetBot) -> None:
    options = bot.options if isinstance(bot.options, SpellingBeeOptions) else SpellingBeeOptions()
    words = await asyncio.to_thread(WordList.bundled)
    service = BeeService(
        bot.database,
        words,
        rewards=GamificationRewards(bot.gamification),
        scheduler=bot.scheduler,
    )
    await bot.add_cog(SpellingBeeCommands(bot, service, options))
    await bot.add_cog(SpellingBeeEvents(bot, service))
    if options.listen_in_channel:
        await bot.add_cog(SpellingBeeMessages(bot, service))
