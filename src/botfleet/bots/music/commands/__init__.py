"""The Music Bot's extension: sources, the players, their commands and voice events.

Loaded by the bot base (``DEFINITION.extensions``). The library is scanned in a worker thread
at load; the players stored before the last stop rejoin once the bot is ready.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from functools import partial
from typing import TYPE_CHECKING

import aiohttp

from botfleet.bots.music.commands.player import MusicCommands
from botfleet.bots.music.commands.playlists import PlaylistCommands
from botfleet.bots.music.config import MusicOptions
from botfleet.bots.music.events.voice import MusicVoiceEvents
from botfleet.bots.music.players import PlayerManager
from botfleet.bots.music.services.http_sources import HttpSources, check_address, parse_url
from botfleet.bots.music.services.library import LocalLibrary
from botfleet.bots.music.services.playlists import PlaylistStore
from botfleet.bots.music.services.probe import probe
from botfleet.bots.music.services.programs import FFmpegMissingError, resolve_ffmpeg
from botfleet.bots.music.services.sources import SourceResolver
from botfleet.bots.music.services.store import MusicStore
from botfleet.bots.music.services.web import LinkCheck, YtDlpResolver, yt_dlp_extractor
from botfleet.services.premium.perks import Allowance

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)


def web_resolver(options: MusicOptions, check_link: LinkCheck) -> YtDlpResolver | None:
    """The yt-dlp resolver when the operator wants it and the music-web extra is installed."""
    if not options.web_pages:
        return None
    if importlib.util.find_spec("yt_dlp") is None:
        log.info("yt-dlp is not installed (extra music-web): links to web pages are not played")
        return None
    extract = yt_dlp_extractor(
        max_entries=options.max_playlist_entries, timeout=options.link_timeout
    )
    return YtDlpResolver(
        extract,
        check_link=check_link,
        search_prefix=options.web_search,
        max_entries=options.max_playlist_entries,
        timeout=options.link_timeout * 2,
    )


async def find_ffmpeg(configured: str) -> str:
    """The FFmpeg the players run; when there is none, the configured name (playing then fails
    with a clear answer) and a log line saying how to install one."""
    try:
        program = await asyncio.to_thread(resolve_ffmpeg, configured)
    except FFmpegMissingError as error:
        log.error("%s; tracks cannot play until then", error)
        return configured
    log.info("Playing with FFmpeg %s (%s)", program.path, program.origin)
    return program.path


async def setup(bot: FleetBot[MusicOptions]) -> None:
    options = bot.options
    library = LocalLibrary(options.library_path)
    await library.scan()
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=30))
    try:
        await _set_up(bot, library, session)
    except BaseException:
        # The cog that closes the session at unload may never have been added.
        await session.close()
        raise


async def _set_up(
    bot: FleetBot[MusicOptions], library: LocalLibrary, session: aiohttp.ClientSession
) -> None:
    options = bot.options
    prober = partial(probe, executable=options.ffprobe_executable, within=options.link_timeout)
    links = HttpSources(
        session,
        options.http_limits,
        prober=prober,
    )

    async def check_link(link: str) -> None:
        await check_address(parse_url(link), allow_private=options.allow_private_addresses)

    web = web_resolver(options, check_link)
    resolver = SourceResolver(library, links, web)
    store = MusicStore(bot.database, default_volume=options.default_volume)

    playlists = PlaylistStore(
        bot.database,
        max_playlists=Allowance(options.max_saved_playlists, options.premium_max_saved_playlists),
        library_locations=lambda: {entry.track.location for entry in library.entries},
        check_link=check_link,
        premium=bot.premium,
        prober=prober,
        follow_link=links.final_location,
        measure_deadline=options.playlist_timeout,
    )
    manager = PlayerManager(
        bot,
        store,
        session,
        locate=web.locate if web else None,
        ffmpeg=await find_ffmpeg(options.ffmpeg_executable),
    )
    commands_cog = MusicCommands(bot, manager, resolver, store, session)
    await bot.add_cog(commands_cog)
    await bot.add_cog(PlaylistCommands(bot, manager, playlists))
    await bot.add_cog(MusicVoiceEvents(bot, manager))
    manager.start()

    async def restore_when_ready() -> None:
        await bot.wait_until_ready()
        await manager.restore()

    commands_cog.restoring = asyncio.create_task(restore_when_ready(), name="music-restore")
