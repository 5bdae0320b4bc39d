"""Where console lines come from (a terminal, a script) and where the transcript goes.

Also what changed in the sandbox since the console last looked (``ActivityFeed``), so each step
prints only what is new.
"""

from __future__ import annotations

import asyncio
import enum
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TextIO

from botfleet.sandbox.models import Message
from botfleet.sandbox.render import (
    INDENT,
    TranscriptRenderer,
    Viewpoint,
)
from botfleet.sandbox.session import (
    SandboxSession,
)


class ConsoleError(Exception):
    """A line the console cannot carry out; the message says why and what to type instead."""


class Outcome(enum.Enum):
    """How carrying out one line went."""

    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    QUIT = "quit"


class LineSource(Protocol):
    """Where the console's lines come from: a terminal, a script, the walkthrough."""

    @property
    def interactive(self) -> bool:
        """Whether a person types the lines (and sees the prompts as they do)."""

    @property
    def position(self) -> str:
        """Where the last line came from, for failure messages (empty for a terminal)."""

    async def read(self, prompt: str) -> str | None:
        """The next line without its newline, or None at the end."""

    def peek(self) -> str | None:
        """The line after the current one when it is known already (a script's), else None."""


class ScriptLines:
    """Lines of a script file or of the walkthrough, read one by one."""

    interactive = False

    def __init__(self, lines: Sequence[str], name: str) -> None:
        self._lines = list(lines)
        self._name = name
        self._next = 0

    @property
    def position(self) -> str:
        """``script.txt line 4``."""
        return f"{self._name} line {self._next}"

    async def read(self, prompt: str) -> str | None:
        """The next line; the prompt is the console's to echo."""
        if self._next >= len(self._lines):
            return None
        line = self._lines[self._next]
        self._next += 1
        return line

    def peek(self) -> str | None:
        """The next line, not yet read."""
        return self._lines[self._next] if self._next < len(self._lines) else None


class TerminalLines:
    """Lines a person types, read by a daemon thread so the event loop never waits on stdin.

    The thread calls ``read_line`` (``input`` by default: line editing and history when the
    readline module is available) only when the console asks, so the prompt is always current.
    Being a daemon, a thread still waiting for a line never holds up the end of the program.
    """

    interactive = True
    position = ""

    def __init__(self, read_line: Callable[[str], str] = input) -> None:
        self._read_line = read_line
        self._requests: queue.SimpleQueue[
            tuple[str, asyncio.AbstractEventLoop, asyncio.Future[str | None]]
        ] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def read(self, prompt: str) -> str | None:
        """Show ``prompt`` and wait for the person's line (None when stdin is closed)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._serve, name="sandbox-console-input", daemon=True
            )
            self._thread.start()
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str | None] = loop.create_future()
        self._requests.put((prompt, loop, answer))
        return await answer

    def _serve(self) -> None:
        while True:
            prompt, loop, answer = self._requests.get()
            try:
                line: str | None = self._read_line(prompt)
            except EOFError:
                line = None
            loop.call_soon_threadsafe(_settle_future, answer, line)

    def peek(self) -> None:
        """A person's next line is not known before they type it."""


def _settle_future(future: asyncio.Future[str | None], value: str | None) -> None:
    if not future.done():
        future.set_result(value)


class TranscriptWriter:
    """Writes the transcript off the event loop, in order, whatever the stream's encoding."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = asyncio.Lock()

    async def lines(self, lines: Iterable[str]) -> None:
        """Write each line followed by a newline."""
        text = "".join(f"{line}\n" for line in lines)
        if text:
            await self.raw(text)

    async def raw(self, text: str) -> None:
        """Write ``text`` as it is (a prompt has no newline)."""
        async with self._lock:
            await asyncio.to_thread(self._write, text)

    def _write(self, text: str) -> None:
        encoding = getattr(self._stream, "encoding", None) or "utf-8"
        try:
            self._stream.write(text)
        except UnicodeEncodeError:
            self._stream.write(text.encode(encoding, "replace").decode(encoding))
        self._stream.flush()


@dataclass(frozen=True)
class _Seen:
    edit_count: int
    loading: bool
    deleted: bool
    reactions: frozenset[tuple[str, int]]


class ActivityFeed:
    """Finds what the bots did since the console last looked, as one member sees it."""

    def __init__(self, session: SandboxSession, renderer: TranscriptRenderer) -> None:
        self.session = session
        self.renderer = renderer
        self._seen: dict[int, _Seen] = {}

    def collect(self, view: Viewpoint) -> list[str]:
        """Lines for new, edited and deleted bot messages and bots' reactions since last time.

        What the member cannot see (another member's ephemeral answer, a channel closed to
        them, someone else's DMs) is passed over for good, as it would be on Discord.
        """
        lines: list[str] = []
        for message in list(self.session.sandbox.state.messages.values()):
            seen = self._seen.get(message.id)
            now = _Seen(message.edit_count, message.loading, message.deleted, reactions_of(message))
            if seen == now:
                continue
            self._seen[message.id] = now
            if not self.session.sandbox.state.can_see(view.user, message):
                continue
            lines.extend(self._changes(message, seen, now, view))
        return lines

    def _changes(
        self, message: Message, seen: _Seen | None, now: _Seen, view: Viewpoint
    ) -> list[str]:
        lines: list[str] = []
        from_bot = message.author.bot
        if from_bot and seen is None and not now.deleted:
            lines.extend(self.renderer.message(message, view))
        elif from_bot and seen is not None and now.deleted and not seen.deleted:
            lines.extend(self.renderer.deletion(message, view))
        elif from_bot and seen is not None and not now.deleted:
            if seen.loading and not now.loading:
                lines.extend(self.renderer.message(message, view))
            elif now.edit_count != seen.edit_count:
                lines.extend(self.renderer.message(message, view, note="edited"))
        before = seen.reactions if seen is not None else frozenset()
        for emoji, user_id in sorted(now.reactions - before):
            reactor = self.session.sandbox.state.users[user_id]
            if reactor.bot:
                lines.extend(self.renderer.reaction(message, view, reactor, emoji))
        return lines


def reactions_of(message: Message) -> frozenset[tuple[str, int]]:
    return frozenset(
        (reaction.emoji_name if reaction.emoji_id is None else f":{reaction.emoji_name}:", uid)
        for reaction in message.reactions
        for uid in reaction.user_ids
    )


def indented(text: str) -> list[str]:
    return [f"{INDENT}{line}" for line in text.splitlines()]
