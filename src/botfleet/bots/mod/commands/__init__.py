"""The Mod Bot's extension: sanctions, the case log, channel moderation, the modlog and raids.

Loaded by the bot base (``DEFINITION.extensions``). Services are built once here and shared by
the cogs: the sanction commands carry out escalations and the timers' unbans too, and /massban
and the raid alert's massban hold one claim set, so only one of them bans in a guild at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botfleet.bots.mod.commands.acting import Moderation
from botfleet.bots.mod.commands.channels import ChannelCommands
from botfleet.bots.mod.commands.raid import RaidCommands
from botfleet.bots.mod.commands.records import RecordCommands
from botfleet.bots.mod.commands.sanctions import SanctionCommands
from botfleet.bots.mod.commands.settings import ModSettingsCommands
from botfleet.bots.mod.events.fleet_events import BanAnnouncements
from botfleet.bots.mod.events.modlog import ModlogEvents
from botfleet.bots.mod.events.raid import RaidEvents
from botfleet.bots.mod.events.timers import ModTimerEvents
from botfleet.bots.mod.services.cases import CaseStore
from botfleet.bots.mod.services.channels import ModChannelStore
from botfleet.bots.mod.services.massban import MassbanClaims
from botfleet.bots.mod.services.raid import RaidStore
from botfleet.bots.mod.services.recording import CaseRecorder
from botfleet.bots.mod.services.records import NoteStore
from botfleet.bots.mod.services.sanctions import BanService
from botfleet.bots.mod.services.warnings import WarningService

if TYPE_CHECKING:
    from botfleet.bots.mod.config import ModOptions
    from botfleet.core.bot import FleetBot


async def setup(bot: FleetBot[ModOptions]) -> None:
    options = bot.options
    cases = CaseStore(bot.database)
    channels = ModChannelStore(bot.database)
    warnings = WarningService(bot.database, bot.scheduler, defaults=options.warning_defaults())
    bans = BanService(bot.database, bot.scheduler, options.unban_retry_policy())
    moderation = Moderation(bot, CaseRecorder(bot.database))
    massbans = MassbanClaims()
    sanctions = SanctionCommands(bot, moderation, warnings, bans, massbans)
    await bot.add_cog(sanctions)
    await bot.add_cog(RecordCommands(bot, cases, warnings, NoteStore(bot.database)))
    channel_commands = ChannelCommands(bot, channels)
    await bot.add_cog(channel_commands)
    await bot.add_cog(ModSettingsCommands(bot, channels, warnings))
    await bot.add_cog(ModlogEvents(bot, cases, channels))
    await bot.add_cog(BanAnnouncements(bot))
    await bot.add_cog(ModTimerEvents(bot, sanctions, channel_commands, (bans, warnings, channels)))
    raids = RaidStore(bot.database, bot.cache)
    raid_events = RaidEvents(bot, raids, cases, massbans)
    await bot.add_cog(raid_events)
    await bot.add_cog(RaidCommands(bot, raids, raid_events))
