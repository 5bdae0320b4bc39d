"""A private PostgreSQL server a test may stop and start again, as an operator restarts one.

The machine's shared server is never restarted: other tests use it. This one is a cluster of
its own (``initdb`` in a temporary directory, a free port of 127.0.0.1, trust authentication,
no fsync), removed afterwards. PostgreSQL refuses to run as root, so under root it runs as the
``postgres`` user, which owns the cluster's directory (``setpriv``, from util-linux).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import tempfile
from pathlib import Path

import asyncpg

from botfleet.sandbox.redis_process import free_port

PROGRAMS = Path("/usr/lib/postgresql")


def programs() -> tuple[str, str] | None:
    """``initdb`` and ``postgres`` of one installation (on the PATH, else the newest of
    Debian's versions), or None when PostgreSQL's server programs are not installed."""
    on_path = shutil.which("initdb"), shutil.which("postgres")
    if on_path[0] is not None and on_path[1] is not None:
        return on_path[0], on_path[1]
    folders = [folder for folder in PROGRAMS.glob("*/bin") if (folder / "initdb").exists()]
    if not folders:
        return None
    newest = max(folders, key=lambda folder: int(folder.parent.name.split(".")[0]))
    return str(newest / "initdb"), str(newest / "postgres")


class ThrowawayPostgres:
    """``initdb`` once, then :meth:`start` and :meth:`stop` as often as a test likes."""

    def __init__(self, initdb: str, postgres: str) -> None:
        self.initdb, self.postgres = initdb, postgres
        self.port = free_port()
        # /tmp itself: under root the postgres user must reach the folder, and TMPDIR may lie
        # in a folder only root can enter.
        self.directory = Path(tempfile.mkdtemp(prefix="botfleet-postgres-", dir="/tmp"))
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        self.process: asyncio.subprocess.Process | None = None

    def _as_owner(self, *command: str) -> list[str]:
        """Run ``command`` as the cluster's owner: ``postgres`` under root, else ourselves.

        ``setpriv`` executes the command in its own process (``runuser`` would stay its parent
        and take the signals meant for the server)."""
        if os.geteuid() != 0:
            return [*command]
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *command]

    async def create(self) -> None:
        """Make the cluster (a few seconds: initdb without syncing to disk)."""
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "PostgreSQL refuses to run as root and this machine has no postgres user"
                ) from None
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        made = await asyncio.create_subprocess_exec(
            *self._as_owner(
                self.initdb,
                "--pgdata",
                str(self.directory / "data"),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-sync",
            ),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await made.communicate()
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {errors.decode(errors='replace')}")

    async def start(self) -> None:
        """Start the server and wait until it accepts a connection (its log says why not)."""
        log = self.directory / "server.log"
        with log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                *self._as_owner(
                    self.postgres,
                    "-D",
                    str(self.directory / "data"),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.directory),
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=40",
                ),
                stdout=output,
                stderr=output,
            )
        for _ in range(400):
            if self.process.returncode is not None:
                break
            try:
                connection = await asyncpg.connect(
                    host="127.0.0.1", port=self.port, user="postgres", database="postgres"
                )
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(0.05)
                continue
            await connection.close()
            return
        await self.stop()
        text = await asyncio.to_thread(log.read_text, errors="replace")
        raise RuntimeError(f"PostgreSQL did not start on port {self.port}:\n{text[-2000:]}")

    async def stop(self) -> None:
        """A fast shutdown (SIGINT), as ``pg_ctl stop`` and systemd do: every session is
        ended with "terminating connection due to administrator command". A server that
        does not end within ten seconds is killed, so a test's teardown never hangs."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.process = None

    async def remove(self) -> None:
        """Stop the server and delete its cluster: the test leaves nothing behind."""
        await self.stop()
        await asyncio.to_thread(shutil.rmtree, self.directory, True)
