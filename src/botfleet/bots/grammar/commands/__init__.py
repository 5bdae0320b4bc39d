"""The Grammar Bot's extension: the checker, the AI tutor, the commands, auto-check and the
daily tip and quiz.

Loaded by the bot base (``DEFINITION.extensions``). The checker's engines are built once here,
off the event loop (importing spaCy and Harper takes seconds), and so are the lessons file and the
list of time zones; the commands cog owns the checker and the AI client and closes them when it
is unloaded.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from botfleet.bots.grammar.commands.grammar import GrammarCommands
from botfleet.bots.grammar.events.autocheck import AutoCheckEvents
from botfleet.bots.grammar.events.daily import QuizEvents
from botfleet.bots.grammar.events.sessions import SessionEvents
from botfleet.bots.grammar.services.autocheck import AutoCheckChannels, CheckRecorder
from botfleet.bots.grammar.services.checker import build_checker
from botfleet.bots.grammar.services.daily import DailyPosts
from botfleet.bots.grammar.services.lessons import Lessons
from botfleet.bots.grammar.services.quiz import QuizService
from botfleet.bots.grammar.services.store import GrammarStore
from botfleet.services.ai.service import AIService
from botfleet.utils.timezones import all_zones

if TYPE_CHECKING:
    from botfleet.bots.grammar.config import GrammarOptions
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


async def setup(bot: FleetBot[GrammarOptions]) -> None:
    options = bot.options
    checker = await asyncio.to_thread(build_checker, options)  # imports spaCy and Harper: seconds
    checker.start_loading()
    ai = AIService.from_settings(bot.settings, bot.database)
    log.info("AI explanations and rewrites: %s", "on" if ai.available else "off (no API key)")
    store = GrammarStore(bot.database, bot.cache)
    channels = AutoCheckChannels(store, bot.cache)
    recorder = CheckRecorder(store, bot.gamification, options.daily_clean_rewards)
    lessons = await asyncio.to_thread(Lessons.bundled)
    zones = await asyncio.to_thread(all_zones)
    posts = DailyPosts(bot.database, bot.scheduler, lessons, zones)
    quiz = QuizService(bot.database, posts, bot.gamification, cache=bot.cache)
    await bot.add_cog(
        GrammarCommands(
            bot,
            checker=checker,
            ai=ai,
            store=store,
            channels=channels,
            recorder=recorder,
            posts=posts,
            quiz=quiz,
            lessons=lessons,
        )
    )
    await bot.add_cog(AutoCheckEvents(bot, checker, channels, recorder))
    await bot.add_cog(QuizEvents(bot, posts, quiz, lessons))
    await bot.add_cog(SessionEvents(bot, checker))
