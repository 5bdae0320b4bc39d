"""The Hangman Bot's extension: its service, commands, buttons and event handlers.

Loaded by the bot base (``DEFINITION.extensions``); one service is shared by the commands cog,
which the buttons and forms find by name, and the events cog. XP goes through the bot's shared
gamification framework, which the bot base starts and stops. The bundled word lists (about 25
ms to read and check) are read in a thread once the bot is ready, not at every login; the first
command that needs them waits for them.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from botfleet.bots.hangman.commands.game import HangmanCommands
from botfleet.bots.hangman.events.game_events import HangmanEvents
from botfleet.bots.hangman.services.games import HangmanService
from botfleet.bots.hangman.services.rewards import GamificationRewards
from botfleet.bots.hangman.services.words import WordBank
from botfleet.bots.hangman.views.display import GameDisplay
from botfleet.gamification.discord.extension import member_role_ids
from botfleet.utils.tasks import Preload

if TYPE_CHECKING:
    from botfleet.bots.hangman.config import HangmanOptions
    from botfleet.core.bot import FleetBot


async def setup(bot: FleetBot[HangmanOptions]) -> None:
    options = bot.options
    bank = Preload(WordBank.bundled, after=bot.wait_until_settled)
    service = HangmanService(
        bot.database,
        bank,
        options,
        scheduler=bot.scheduler,
        rewards=GamificationRewards(bot.gamification, role_ids_of=partial(member_role_ids, bot)),
        premium=bot.premium,
        cache=bot.cache,
    )
    display = GameDisplay(bot, options, bot.settings.colors)
    await bot.add_cog(HangmanCommands(bot, service, display))
    await bot.add_cog(HangmanEvents(bot, service, display))
