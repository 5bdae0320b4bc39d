"""Hot reload for development: a changed extension is reloaded in place, the connection kept.

``botfleet run --reload`` and ``botfleet sandbox --reload`` switch on ``bot.reload``. The bot
then watches the folders of its loaded extensions with ``watchfiles`` (its watcher runs in a
thread, off the event loop) and hands each changed extension to discord.py's
``reload_extension``, which swaps it atomically: a reload that fails (a syntax error, a
``setup`` that raises) keeps the previous code running, and the log says why. A changed module
that is not an extension (a service, say) is used after a restart; the log says so too.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from discord.ext import commands

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300
"""Changes this close together are one batch (an editor's save often writes twice)."""
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class ExtensionReload:
    """The outcome of one extension's reload: ``error`` is None when the new code runs."""

    extension: str
    error: commands.ExtensionError | None = None


class ExtensionReloader:
    """Watches a bot's extensions and reloads the ones whose file changed."""

    def __init__(
        self,
        bot: commands.Bot | commands.AutoShardedBot,
        *,
        after_reload: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.bot = bot
        self.after_reload = after_reload
        """Awaited after a batch of changes reloaded at least one extension (to sync commands)."""
        self.listeners: list[Callable[[ExtensionReload], None]] = []
        """Told of every reload, e.g. to show it in a console."""
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def extension_sources(self) -> dict[str, str]:
        """The source file of every loaded extension (as imported) to its extension name."""
        sources: dict[str, str] = {}
        for name, module in self.bot.extensions.items():
            source = getattr(module, "__file__", None)
            if source is not None:
                sources[source] = name
        return sources

    def start(self) -> bool:
        """Start watching; False (and a log line saying what to install) without watchfiles."""
        if importlib.util.find_spec("watchfiles") is None:
            log.warning(
                "bot.reload is on but watchfiles is not installed, so nothing is reloaded; "
                "install the dev extra: pip install 'botfleet[dev]'"
            )
            return False
        self._task = asyncio.create_task(self._watch(), name="extension-reloader")
        return True

    async def stop(self) -> None:
        """Stop the watcher thread and its task."""
        self._stop.set()
        if self._task is None:
            return
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await self._task
        except TimeoutError:
            log.warning("the extension watcher did not stop within %.0fs", STOP_TIMEOUT)

    async def _watch(self) -> None:
        from watchfiles import PythonFilter, awatch  # noqa: PLC0415  (the optional dev extra)

        sources = self.extension_sources()
        folders = sorted({Path(source).parent for source in sources})
        log.info("reload is on: watching %d folders of extensions for changes", len(folders))
        try:
            async for changes in awatch(
                *folders, watch_filter=PythonFilter(), debounce=DEBOUNCE_MS, stop_event=self._stop
            ):
                await self.reload_changed(path for _, path in changes)
        except Exception:  # nobody awaits this task before shutdown: say it here
            log.exception("the extension watcher stopped; changes load at the next restart")

    async def reload_changed(self, changed: Iterable[str | Path]) -> list[ExtensionReload]:
        """Reload the extensions among the ``changed`` files; the others are named in the log."""
        matched = await asyncio.to_thread(_match, changed, self.extension_sources())
        outcomes: list[ExtensionReload] = []
        for path, name in matched:
            if name is None:
                log.info("%s changed; it is not an extension, so a restart will load it", path)
                continue
            await asyncio.to_thread(_forget_bytecode, path)
            try:
                await self.bot.reload_extension(name)
            except commands.ExtensionError as error:
                log.error(
                    "reloading %s failed; its previous code keeps running",
                    name,
                    exc_info=error.__cause__ or error,
                )
                outcomes.append(ExtensionReload(name, error))
            else:
                log.info("reloaded %s", name)
                outcomes.append(ExtensionReload(name))
        if any(outcome.error is None for outcome in outcomes) and self.after_reload is not None:
            await self.after_reload()
        for outcome in outcomes:
            for listener in self.listeners:
                listener(outcome)
        return outcomes


def _match(changed: Iterable[str | Path], sources: dict[str, str]) -> list[tuple[Path, str | None]]:
    """Each changed file, resolved, with the extension it holds (None for another module)."""
    files = {Path(source).resolve(): name for source, name in sources.items()}
    paths = sorted({Path(path).resolve() for path in changed})
    return [(path, files.get(path)) for path in paths]


def _forget_bytecode(source: Path) -> None:
    """Delete the cached bytecode of ``source``: a change within the same second and of the
    same size would otherwise be taken for the cached version."""
    with contextlib.suppress(FileNotFoundError, NotImplementedError):
        Path(importlib.util.cache_from_source(str(source))).unlink()
