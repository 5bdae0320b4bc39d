"""The Utility Bot's extension: reminders and time zones, information, the fleet's status, premium.

Loaded by the bot base (``DEFINITION.extensions``). The gamification commands (/rank,
/leaderboard, /xp...) are not here: the bot base loads them in whichever bot the configuration
names their host, the Utility Bot by default.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from botfleet.bots.utility.commands.fleet import FleetStatusCommands
from botfleet.bots.utility.commands.info import InfoCommands
from botfleet.bots.utility.commands.polls import PollCommands
from botfleet.bots.utility.commands.premium import PremiumCommands
from botfleet.bots.utility.commands.reminders import ReminderCommands
from botfleet.bots.utility.commands.role_menus import RoleMenuCommands
from botfleet.bots.utility.commands.tags import TagCommands
from botfleet.bots.utility.commands.welcome import WelcomeCommands
from botfleet.bots.utility.events.polls import PollEvents
from botfleet.bots.utility.events.premium import PremiumOutboxEvents
from botfleet.bots.utility.events.reminders import ReminderEvents
from botfleet.bots.utility.events.welcome import WelcomeEvents
from botfleet.bots.utility.services.polls import PollService
from botfleet.bots.utility.services.reminders import ReminderService
from botfleet.bots.utility.services.role_menus import RoleMenuService
from botfleet.bots.utility.services.tags import TagService
from botfleet.bots.utility.services.timezones import TimezoneStore, all_zones
from botfleet.bots.utility.services.welcome import WelcomeStore
from botfleet.bots.utility.views.polls import PollDisplay
from botfleet.payments.desk import PremiumDesk

if TYPE_CHECKING:
    from botfleet.bots.utility.config import UtilityOptions
    from botfleet.core.bot import FleetBot


async def setup(bot: FleetBot[UtilityOptions]) -> None:
    options = bot.options
    zones = await asyncio.to_thread(all_zones)
    timezones = TimezoneStore(bot.database)
    reminders = ReminderService(bot.database, bot.scheduler, timezones, options)
    await bot.add_cog(ReminderCommands(bot, reminders, timezones, zones))
    await bot.add_cog(ReminderEvents(bot, reminders))
    await bot.add_cog(InfoCommands(bot))
    await bot.add_cog(FleetStatusCommands(bot))
    await bot.add_cog(RoleMenuCommands(bot, RoleMenuService(bot.database, options)))
    tags = TagService(bot.database, max_tags_per_member=options.max_tags_per_member)
    await bot.add_cog(TagCommands(bot, tags))
    welcome = WelcomeStore(bot.database, bot.cache)
    await bot.add_cog(WelcomeCommands(bot, welcome))
    await bot.add_cog(WelcomeEvents(bot, welcome))
    polls = PollService(bot.database, bot.scheduler, timezones, options)
    poll_display = PollDisplay(bot, polls, options.poll_refresh_seconds)
    await bot.add_cog(PollCommands(bot, polls, poll_display))
    await bot.add_cog(PollEvents(bot, polls, poll_display))
    await bot.add_cog(PremiumCommands(bot, PremiumDesk(bot.database, bot.premium, bot.settings)))
    await bot.add_cog(PremiumOutboxEvents(bot, options.premium_outbox_seconds))
