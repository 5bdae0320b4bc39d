"""The Spelling Bee Bot's extension: its services, ``/bee`` commands, listeners and events.

Loaded by the bot base (``DEFINITION.extensions``); the word lists are read in a thread when
a game needs them, not at start (issue 16): the puzzle's for each new day's puzzle, then
dropped, the classic mode's at its first game (while a lobby fills). The classic mode speaks
words with espeak-ng when it is installed, into a cache under the bot's state directory;
without it the mode is played in text.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING, Final

from botfleet.bots.spelling_bee.commands.classic import ClassicPlay
from botfleet.bots.spelling_bee.commands.puzzle import SpellingBeeCommands
from botfleet.bots.spelling_bee.events.classic import ClassicEvents
from botfleet.bots.spelling_bee.events.daily import SpellingBeeEvents
from botfleet.bots.spelling_bee.events.messages import SpellingBeeMessages
from botfleet.bots.spelling_bee.services.classic import ClassicService
from botfleet.bots.spelling_bee.services.classic_words import ClassicWordBank
from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.bots.spelling_bee.services.puzzle import WordList
from botfleet.bots.spelling_bee.services.rewards import GamificationRewards
from botfleet.bots.spelling_bee.services.speech import Speech
from botfleet.bots.spelling_bee.views.classic import ClassicDisplay
from botfleet.gamification.discord.extension import member_role_ids
from botfleet.utils.tasks import Preload
from botfleet.utils.timezones import all_zones

if TYPE_CHECKING:
    from botfleet.bots.spelling_bee.config import SpellingBeeOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

SPEECH_CACHE: Final = ("spelling_bee", "speech")
"""Where spoken words are kept, under the bot's state directory."""
CLUES_CHECKED: Final = ("spelling_bee", "classic-clues-checked.sha256")
"""The fingerprint of the classic words whose clues were last checked, under the state directory."""
MEGABYTE: Final = 1024 * 1024


async def setup(bot: FleetBot[SpellingBeeOptions]) -> None:
    options = bot.options
    classic_words = Preload(
        partial(ClassicWordBank.bundled, bot.state_dir.joinpath(*CLUES_CHECKED)),
        after=bot.wait_until_settled,
    )
    zones = await asyncio.to_thread(all_zones)
    rewards = GamificationRewards(bot.gamification, role_ids_of=partial(member_role_ids, bot))
    service = BeeService(
        bot.database, WordList.bundled, rewards=rewards, scheduler=bot.scheduler, cache=bot.cache
    )
    classic = ClassicService(
        bot.database,
        classic_words,
        round_seconds=options.round_seconds,
        lobby_seconds=options.lobby_seconds,
        scheduler=bot.scheduler,
        rewards=rewards,
    )
    speech = (
        Speech.installed(
            bot.state_dir.joinpath(*SPEECH_CACHE),
            max_cache_bytes=options.speech_cache_mb * MEGABYTE,
            voice=options.speech_voice,
        )
        if options.speech
        else None
    )
    if speech is not None and not speech.available:
        log.warning("espeak-ng is not installed: the classic spelling bee is played in text")
    display = ClassicDisplay(bot, speech, bot.settings.colors)
    play = ClassicPlay(bot, classic, display, options)
    await bot.add_cog(play)
    await bot.add_cog(SpellingBeeCommands(bot, service, options, play, zones))
    await bot.add_cog(SpellingBeeEvents(bot, service))
    await bot.add_cog(ClassicEvents(bot, classic, display, play))
    if options.listen_in_channel:
        await bot.add_cog(SpellingBeeMessages(bot, service, classic))
