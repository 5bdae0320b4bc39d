"""Run bots as separate processes and keep them up: ``botfleet run``.

Each bot is its own process (a crash in one never takes the others down). A bot that exits
with an error is restarted with a growing delay; one that exits with the configuration-error
status is left down, since restarting cannot fix it. SIGINT/SIGTERM are passed on to every
child, which then shuts down cleanly.

``botfleet run`` checks the configuration, migrates if asked, then replaces itself with this
module (:func:`main`, same process id, so systemd and Docker signal it as before): a process
that only waits for its children should not keep what the checks imported. It stays light,
importing neither pydantic nor SQLAlchemy nor discord.py (about 22 MB, where the command line
process it replaces held 78 MB: measured beside a Hangman Bot child, issue 16). Its log lines
go where the bots' go (``fleet.log``); it starts no Sentry client, the bots report their own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from botfleet.errors import EXIT_CONFIG_ERROR
from botfleet.utils.logger import get_log_filename, log_to, shutdown_logging
from botfleet.utils.tasks import wait_at_most

if TYPE_CHECKING:
    from botfleet.config.schema import LoggingSection

MODULE = "botfleet.core.supervisor"
"""This module's name, also when it runs as ``__main__``: its logger, its command line."""
log = logging.getLogger(MODULE)

MAX_RESTART_DELAY = 300.0
STOP_GRACE_PERIOD = 30.0
"""How long a child may take to shut down cleanly after SIGTERM before it is killed."""
FIRST_RESTART_DELAY = 1.0
STABLE_AFTER = 60.0
"""A child that ran this many seconds is considered healthy: its restart delay resets."""
BOT_PYTHON_OPTIONS = ("-OO", "-X", "no_debug_ranges")
"""How a bot's interpreter runs: without docstrings (about 5-6 MB of an idle bot's memory,
issue 16) and asserts, and without the column positions tracebacks underline the failing
expression with (PEP 657's memory opt-out, 0.6-0.8 MB: the interpreter drops them as it loads
the code; file, line and code stay). Every slash command, parameter and text command gives its
description in code, never by docstring, so what Discord and the help show is the same either
way (``tests/core/test_optimized_bots.py``); the asserts in ``src`` only narrow types. The
``-OO`` bytecode is compiled at install (``make install``, ``make install-production``, the
image)."""


@dataclass
class ChildBot:
    """One supervised bot process and its restart bookkeeping."""

    name: str
    argv: tuple[str, ...]
    restarts: int = 0
    delay: float = FIRST_RESTART_DELAY
    process: asyncio.subprocess.Process | None = field(default=None, repr=False)


class Supervisor:
    """Starts one child process per bot and restarts the ones that crash."""

    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        *,
        first_delay: float = FIRST_RESTART_DELAY,
        grace_period: float = STOP_GRACE_PERIOD,
    ) -> None:
        self.first_delay = first_delay
        self.grace_period = grace_period
        self.children = [
            ChildBot(name, tuple(argv), delay=first_delay) for name, argv in commands.items()
        ]
        self.stopping = asyncio.Event()

    @classmethod
    def for_bots(cls, bot_names: Sequence[str]) -> Supervisor:
        """Supervise ``python <BOT_PYTHON_OPTIONS> -m botfleet.bots.<name>`` for each bot."""
        return cls(
            {
                name: (sys.executable, *BOT_PYTHON_OPTIONS, "-m", f"botfleet.bots.{name}")
                for name in bot_names
            }
        )

    def request_stop(self) -> None:
        """Ask every child to stop (SIGTERM) and stop restarting them."""
        self.stopping.set()
        for child in self.children:
            if child.process is not None and child.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)

    async def run(self) -> int:
        """Supervise until every child has ended for good; return the worst exit status."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.request_stop)
        try:
            statuses = await asyncio.gather(*(self._keep_running(child) for child in self.children))
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
        return max(statuses, default=0)

    async def _keep_running(self, child: ChildBot) -> int:
        while True:
            started = loop_time()
            child.process = await asyncio.create_subprocess_exec(*child.argv)
            log.info("started %s (pid %s)", child.name, child.process.pid)
            if self.stopping.is_set():  # the stop request came while the child was spawning
                child.process.send_signal(signal.SIGTERM)
            status = await self._wait_for_exit(child.process)
            if self.stopping.is_set() or status == 0:
                log.info("%s stopped (status %s)", child.name, status)
                return 0
            if status == EXIT_CONFIG_ERROR:
                log.error("%s has a configuration error; not restarting it", child.name)
                return status
            if loop_time() - started >= STABLE_AFTER:
                child.delay = self.first_delay
            child.restarts += 1
            log.warning(
                "%s exited with status %s; restart %d in %.0fs",
                child.name,
                status,
                child.restarts,
                child.delay,
            )
            if await wait_at_most(self.stopping, child.delay):
                return 0
            child.delay = min(child.delay * 2, MAX_RESTART_DELAY)

    async def _wait_for_exit(self, process: asyncio.subprocess.Process) -> int:
        """Wait for the child; once a stop was requested, kill it after a grace period."""
        waiting = asyncio.ensure_future(process.wait())
        stopping = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not waiting.done():
                try:
                    async with asyncio.timeout(self.grace_period):
                        return await asyncio.shield(waiting)
                except TimeoutError:
                    log.warning(
                        "pid %s ignored SIGTERM for %.0fs; killing it",
                        process.pid,
                        self.grace_period,
                    )
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
            return await waiting
        finally:
            stopping.cancel()


def loop_time() -> float:
    """Monotonic seconds of the running loop."""
    return asyncio.get_running_loop().time()


def become_supervisor(bot_names: Sequence[str], logs: LoggingSection) -> NoReturn:
    """Replace this process with :func:`main` supervising ``bot_names``, logging as ``logs``
    says (in ``fleet.log``, as the command line process did)."""
    argv = [sys.executable, *BOT_PYTHON_OPTIONS, "-m", MODULE]
    argv += [f"--log-file={get_log_filename('fleet', logs.directory)}", f"--log-level={logs.level}"]
    argv += [f"--max-bytes={logs.max_bytes}", f"--backup-count={logs.backup_count}"]
    if logs.json_format:
        argv.append("--json")
    argv += ["--", *bot_names]
    sentry = sys.modules.get("sentry_sdk")  # started by the checks when a DSN is set
    if sentry is not None:
        sentry.flush(timeout=2)
    shutdown_logging()  # what this process queued is written before it is replaced
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(argv[0], argv)  # noqa: S606  # nosec B606  # our interpreter and module, no shell
    except OSError as exc:
        raise SystemExit(f"botfleet: cannot start the supervisor ({argv[0]}): {exc}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Supervise the bots named on the command line (see :func:`become_supervisor`)."""
    parser = argparse.ArgumentParser(prog="botfleet-supervisor")
    parser.add_argument("--log-file", required=True)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--max-bytes", type=int, required=True)
    parser.add_argument("--backup-count", type=int, required=True)
    parser.add_argument("bots", nargs="+")
    options = parser.parse_args(argv)
    log_to(
        options.log_file,
        options.log_level,
        json_format=options.json,
        bot_name="fleet",
        max_bytes=options.max_bytes,
        backup_count=options.backup_count,
    )
    try:
        return asyncio.run(Supervisor.for_bots(options.bots).run())
    finally:
        shutdown_logging()


if __name__ == "__main__":
    sys.exit(main())
