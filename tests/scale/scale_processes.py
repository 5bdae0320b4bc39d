"""What the scale tests share: the RabbitMQ URL, and bot processes started on the stand-in,
awaited by their output, stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from botfleet.sandbox.fleet import bot_process_environment

AMQP_URL = os.environ.get("BOTFLEET_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
"""The machine's RabbitMQ, for the event bus's tests."""
REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
OUTPUT_TIMEOUT = 60.0


def unused_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class BotProcess:
    """One ``python -m botfleet ...`` process with its own directory and the given settings."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output: list[str] = []

    @classmethod
    async def start(
        cls, argv: Sequence[str], api_base: str, directory: Path, settings: Mapping[str, str]
    ) -> BotProcess:
        """Start ``python -m botfleet <argv>`` in ``directory`` on the stand-in at ``api_base``,
        without the developer's setup."""
        return await cls.start_python(("-m", "botfleet", *argv), api_base, directory, settings)

    @classmethod
    async def start_python(
        cls,
        python_argv: Sequence[str],
        api_base: str,
        directory: Path,
        settings: Mapping[str, str],
    ) -> BotProcess:
        """Start ``python <python_argv>`` as :meth:`start` does."""
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        environment = bot_process_environment(api_base, directory, REPO_CONFIG, settings)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *python_argv,
            cwd=directory,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, for kill() to end it whole
        )
        return cls(process)

    async def wait_for_output(self, text: str) -> None:
        """Read the output until a line so far contains ``text``; fail if the process ends first
        or ``OUTPUT_TIMEOUT`` passes (a process that keeps logging other lines included)."""
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(OUTPUT_TIMEOUT):
                while not any(text in line for line in self.output):
                    line = await self.process.stdout.readline()
                    assert line, f"the process ended before printing {text!r}:\n{self.text}"
                    self.output.append(line.decode())
        except TimeoutError:
            raise AssertionError(f"no {text!r} in {OUTPUT_TIMEOUT:.0f} s:\n{self.text}") from None

    @property
    def text(self) -> str:
        return "".join(self.output)

    async def stop(self) -> int:
        """SIGTERM, then read the rest of the output until the process exits."""
        self.process.send_signal(signal.SIGTERM)
        return await self.finish()

    async def finish(self) -> int:
        """Read the rest of the output until the process exits on its own; its status."""
        assert self.process.stdout is not None
        rest = await asyncio.wait_for(self.process.stdout.read(), OUTPUT_TIMEOUT)
        self.output.append(rest.decode())
        return await asyncio.wait_for(self.process.wait(), OUTPUT_TIMEOUT)

    async def kill(self) -> None:
        """Kill the process and its children (``botfleet run`` starts the bot as one) if a
        failed test left them running: a child left alive would hold the output pipe open,
        and waiting for the process with it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()
