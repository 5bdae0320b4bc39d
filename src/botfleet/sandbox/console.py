"""``botfleet sandbox``: talk to the fleet's bots from a terminal, as a member of a local guild.

A person types lines: a plain message, a text command (``h!ping``), a slash command
(``/about``, ``/hangman:ping``, ``/cmd sub name:value``), or a console command (``:press 2``,
``:channel games``, ``:as moderator``, ``:help``). The console carries each one out through the
sandbox's scripting API, waits for the bots' answers and prints them readably. The same lines
run unattended from a file (``--script``), and a built-in walkthrough plays when no terminal is
attached; there a step that gets no answer in time fails the run.
"""

# Waits take their own ``timeout`` so a failure can say what was awaited (see scripting.py).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import datetime
import enum
import queue
import re
import shlex
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO
from zoneinfo import ZoneInfo

from botfleet import get_definition
from botfleet.config import ConfigError, load_settings
from botfleet.core.definition import BotDefinition
from botfleet.errors import EXIT_CONFIG_ERROR
from botfleet.sandbox.models import (
    ApplicationCommand,
    ChannelType,
    InteractionCallbackType,
    Message,
    Role,
    User,
)
from botfleet.sandbox.render import (
    BUTTON,
    INDENT,
    STRING_SELECT,
    ComponentNumbers,
    ModalField,
    TranscriptRenderer,
    Viewpoint,
    button_label,
    modal_fields,
)
from botfleet.sandbox.scripting import (
    InteractionHandle,
    SandboxChannel,
    SandboxFile,
    SandboxMember,
    SandboxScriptError,
    SandboxTimeoutError,
    wait_until,
)
from botfleet.sandbox.session import (
    ADMIN,
    GUILD_NAME,
    PERSON,
    SandboxBot,
    SandboxSession,
    SandboxStartError,
    logs_to_file,
)
from botfleet.sandbox.walkthrough import walkthrough_lines
from botfleet.utils.timezones import (
    UnknownTimezoneError,
    all_zones,
    close_zones,
    resolve_zone,
    search_zones,
)

DEFAULT_TIMEOUT = 5.0
"""Seconds a step waits for a bot's answer before it counts as failed."""
QUIET_PERIOD = 0.1
"""After an answer, the bots are done once nothing changed for this long..."""
SETTLE_LIMIT = 1.5
"""...or after this long at most, however busy they are."""
WATCH_INTERVAL = 1.0
EXIT_STEP_FAILED = 1

_SUBCOMMAND_TYPES = (1, 2)
CHAT_INPUT = 1
USER_MENU = 2
MESSAGE_MENU = 3
_MENU_TYPES = (USER_MENU, MESSAGE_MENU)
_TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})
_MEMBER_MENTION = re.compile(r"(?<![\w<@])@([\w-]+)")
_CHANNEL_MENTION = re.compile(r"(?<![\w<#])#([\w-]+)")

HELP = """\
Type as a member of the "{guild}" guild:
  hello there             a plain message in the current channel
  h!ping                  a text command (each bot has its own prefix: see :bots)
  /about                  a slash command; /hangman:about says which bot, when several have it
  /cmd sub name:value     subcommands first, then options as name:value ("quote" spaces)
  :press 2                press button [2] (or :press LABEL: the start of it will do)
  :pick 3 1,2             choose options 1 and 2 (numbers, labels or values) in menu [3]
  :menu "Check grammar" last
                          an app's message menu (Apps ▸) on the newest message here; instead
                          of last: @NAME (their newest), a message id, or words it contains
  :menu "User info" @NAME an app's user menu (Apps ▸ on a member); BOT:"Name" picks the bot
  :channel NAME           go to another channel (:channel alone lists them)
  :dm BOT                 talk to a bot in direct messages
  :as NAME                act as another member (:as alone lists them)
  :tz Europe/Paris        show Discord times (<t:...>) in that zone, as Discord shows them
                          to a member living there (:tz alone says which zone is in use)
  :bots                   the bots, their prefixes and their slash commands
  :bot NAME               the bot to use when several have the same slash command
  :expect TEXT            fail unless the last answers contain TEXT (for scripts)
  :expect-none [TEXT]     fail if the bots answered the last step (or said TEXT); :silent too
  :wait SECONDS           wait, showing what the bots do meanwhile
  :note TEXT              print a heading in the transcript
  :help                   this help
  :quit                   stop the bots and leave
When a bot opens a form, each field is asked in turn (an empty line keeps the field's default,
:cancel closes the form). Lines starting with # are comments; start a message with \\ to send
a text beginning with /, : or #."""


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
            now = _Seen(
                message.edit_count, message.loading, message.deleted, _reactions_of(message)
            )
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


def _reactions_of(message: Message) -> frozenset[tuple[str, int]]:
    return frozenset(
        (reaction.emoji_name if reaction.emoji_id is None else f":{reaction.emoji_name}:", uid)
        for reaction in message.reactions
        for uid in reaction.user_ids
    )


class DirectiveKind(enum.Enum):
    """What a console command is to a script's transcript."""

    QUIET = "quiet"
    """Not echoed: headings and checks speak for themselves."""
    SHOWN = "shown"
    """Echoed, but not a step: it changes where or who the person is."""
    ACTS = "acts"
    """Echoed and counted as a step: the bots answer it."""


@dataclass(frozen=True)
class _Directive:
    handler: Callable[[str], Awaitable[Outcome]]
    kind: DirectiveKind


class SandboxConsole:
    """Carries out console lines as a member of the sandbox guild and prints what follows."""

    def __init__(
        self, session: SandboxSession, output: TranscriptWriter, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.session = session
        self.output = output
        self.timeout = timeout
        self.numbers = ComponentNumbers()
        self.renderer = TranscriptRenderer(session.sandbox.state, self.numbers)
        self.feed = ActivityFeed(session, self.renderer)
        self.member: SandboxMember = session.member(PERSON)
        self.channel: SandboxChannel = session.guild.channel("general")
        self.preferred_bot: SandboxBot | None = None
        self.steps = 0
        self._source: LineSource = ScriptLines((), "no input")
        self._answers: list[str] = []
        self._busy = asyncio.Lock()
        self._problems_seen = (0, 0, 0)
        self._trips_seen = {name: 0 for name in session.bots}
        self._default_zone = self.renderer.zone
        self._zones: dict[int, datetime.tzinfo] = {}
        """Each member's time zone set with :tz; the others read the computer's own."""
        quiet, shown, acting = DirectiveKind.QUIET, DirectiveKind.SHOWN, DirectiveKind.ACTS
        self._directives: dict[str, _Directive] = {
            "help": _Directive(self._help, shown),
            "channel": _Directive(self._switch_channel, shown),
            "dm": _Directive(self._switch_to_dm, shown),
            "as": _Directive(self._switch_member, shown),
            "tz": _Directive(self._set_zone, shown),
            "bots": _Directive(self._list_bots, shown),
            "bot": _Directive(self._prefer_bot, shown),
            "press": _Directive(self._press, acting),
            "click": _Directive(self._press, acting),
            "pick": _Directive(self._pick, acting),
            "select": _Directive(self._pick, acting),
            "menu": _Directive(self._context_menu, acting),
            "expect": _Directive(self._expect, quiet),
            "expect-none": _Directive(self._expect_none, quiet),
            "silent": _Directive(self._expect_none, quiet),
            "wait": _Directive(self._wait, acting),
            "note": _Directive(self._note, quiet),
            "quit": _Directive(self._quit, shown),
            "exit": _Directive(self._quit, shown),
        }
        self.feed.collect(self._view())

    # -- the loop --------------------------------------------------------------------------

    @property
    def prompt(self) -> str:
        """``[#general] you> ``: where the next line goes, and who says it."""
        where = self.renderer.channel_label(self.channel.id, self.member.user)
        return f"[{where}] {self.member.name}> "

    async def run(self, source: LineSource) -> int:
        """Carry out lines until the source ends or ``:quit``.

        Returns 0, or 1 when a line of a script failed: a script stops at its first failure,
        since the steps after it usually build on it. A person just reads why and goes on.
        """
        self._source = source
        watcher = asyncio.create_task(self._watch()) if source.interactive else None
        try:
            while True:
                line = await source.read(self.prompt)
                if line is None:
                    break
                if not source.interactive and self._echoed(line):
                    await self.output.lines([self.prompt + line])
                outcome = await self.execute(line)
                if outcome is Outcome.QUIT:
                    break
                if outcome is Outcome.FAILED and not source.interactive:
                    return EXIT_STEP_FAILED
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
        return 0

    def _echoed(self, line: str) -> bool:
        text = line.strip()
        if not text or text.startswith("#"):
            return False
        if text.startswith(":"):
            directive = self._directives.get(text[1:].partition(" ")[0].lower())
            return directive is None or directive.kind is not DirectiveKind.QUIET
        return True

    async def execute(self, line: str) -> Outcome:
        """Carry out one line; a failure is printed with what went wrong."""
        text = line.strip()
        if not text or text.startswith("#"):
            return Outcome.SKIPPED
        async with self._busy:
            try:
                return await self._dispatch(text)
            except (ConsoleError, SandboxScriptError, SandboxTimeoutError) as error:
                where = f"{self._source.position}: " if self._source.position else ""
                await self.output.lines(_indented(f"✘ {where}{error}"))
                return Outcome.FAILED

    async def _dispatch(self, text: str) -> Outcome:
        if text.startswith(":"):
            name, _, argument = text[1:].partition(" ")
            directive = self._directives.get(name.lower())
            if directive is None:
                raise ConsoleError(f"there is no console command :{name}; type :help for the list")
            if directive.kind is DirectiveKind.ACTS:
                self._start_step()
            return await directive.handler(argument.strip())
        self._start_step()
        if text.startswith("/"):
            await self._slash_command(text[1:])
        else:
            await self._send(text.removeprefix("\\"))
        return Outcome.DONE

    def _start_step(self) -> None:
        self.steps += 1
        self._answers = []

    async def _watch(self) -> None:
        """Show what bots do on their own (timers, games) while the person is typing."""
        state = self.session.sandbox.state
        while True:
            await state.changes.wait(WATCH_INTERVAL)
            if self._busy.locked():
                continue
            async with self._busy:
                lines = self.feed.collect(self._view())
                if lines:
                    await self.output.lines(["", *lines])
                    await self.output.raw(self.prompt)

    def _view(self) -> Viewpoint:
        return Viewpoint(self.member.user, self.channel.id)

    # -- showing what happened -------------------------------------------------------------

    async def _settle(self) -> None:
        """Wait until the bots have been quiet for a moment, then show what they did."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_LIMIT
        state = self.session.sandbox.state
        while loop.time() < deadline:
            started = loop.time()
            await state.changes.wait(min(QUIET_PERIOD, deadline - started))
            if loop.time() - started >= QUIET_PERIOD:
                break
        await self._show()

    async def _show(self) -> None:
        lines = self.feed.collect(self._view())
        self._answers.extend(lines)
        warnings, failures = self._new_problems()
        await self.output.lines([*lines, *self._rate_limit_notes(), *warnings])
        if failures:
            raise ConsoleError(
                "a bot called what the sandbox does not have:\n" + "\n".join(failures)
            )

    def _rate_limit_notes(self) -> list[str]:
        """Why a bot refused a command: its per-member rate limit tripped."""
        notes = []
        for bot in self.session.bots.values():
            trips = bot.client.rate_limit_trips
            for trip in trips[self._trips_seen[bot.name] :]:
                who = self.session.sandbox.state.users[trip.user_id].username
                notes.append(
                    f"{INDENT}⚠ {bot.display_name}'s rate limit tripped: {who} ran its "
                    f"{trip.command!r} command more than {trip.rule.limit} times within "
                    f"{trip.rule.window:g}s (rate_limits in its settings); it takes the command "
                    f"again in {trip.retry_after:.1f}s"
                )
            self._trips_seen[bot.name] = len(trips)
        return notes

    def _new_problems(self) -> tuple[list[str], list[str]]:
        """Requests Discord would have refused (warnings) and ones off the sandbox's map."""
        sandbox = self.session.sandbox
        errors_seen, unhandled_seen, internal_seen = self._problems_seen
        warnings = [
            f"{INDENT}⚠ Discord would refuse this request: {error.describe()}"
            for error in sandbox.http_errors[errors_seen:]
        ]
        failures = [f"  - {request.describe()}" for request in sandbox.unhandled[unhandled_seen:]]
        failures += [
            f"  - {what} (the sandbox failed; see the log)"
            for what in sandbox.rest.internal_errors[internal_seen:]
        ]
        self._problems_seen = (
            len(sandbox.http_errors),
            len(sandbox.unhandled),
            len(sandbox.rest.internal_errors),
        )
        return warnings, failures

    # -- messages --------------------------------------------------------------------------

    async def _send(self, text: str) -> None:
        """Post a message; a text command for a bot must get an answer from it in time."""
        content = self._with_mentions(text)
        sent = await self.member.send(self.channel, content)
        addressed = [bot for bot in self.session.bots.values() if self._addresses(content, bot)]
        if addressed and not self._silence_expected():
            await self._wait_for_answer(sent, addressed)
        await self._settle()

    def _silence_expected(self) -> bool:
        """Whether the script's next line says no answer is due (so none is waited for)."""
        upcoming = (self._source.peek() or "").strip().lower()
        return upcoming.partition(" ")[0] in (":expect-none", ":silent")

    @staticmethod
    def _addresses(content: str, bot: SandboxBot) -> bool:
        mention = f"<@{bot.application.bot_user.id}>"
        return content.startswith(bot.prefix) or content.startswith(mention)

    async def _wait_for_answer(self, sent: Message, bots: Sequence[SandboxBot]) -> None:
        state = self.session.sandbox.state
        bot_ids = {bot.application.bot_user.id for bot in bots}

        def answered() -> bool | None:
            if any(user_id in bot_ids for _, user_id in _reactions_of(sent)):
                return True
            for message in reversed(list(state.messages.values())):
                if message.id <= sent.id:
                    return None
                if message.author.id in bot_ids:
                    return True
            return None

        names = " or ".join(bot.display_name for bot in bots)
        await wait_until(
            self.session.sandbox,
            answered,
            timeout=self.timeout,
            describe_failure=lambda: f"waiting for {names} to answer {sent.content!r}",
        )

    def _with_mentions(self, text: str) -> str:
        """``@moderator`` and ``#games`` as Discord's client sends them, so bots see mentions."""

        def member(match: re.Match[str]) -> str:
            user = self._user_named(match[1])
            return f"<@{user.id}>" if user is not None else match[0]

        def channel(match: re.Match[str]) -> str:
            found = self._channel_named(match[1])
            return found.mention if found is not None else match[0]

        return _CHANNEL_MENTION.sub(channel, _MEMBER_MENTION.sub(member, text))

    # -- slash commands --------------------------------------------------------------------

    async def _slash_command(self, text: str) -> None:
        try:
            tokens = shlex.split(text)
        except ValueError as error:
            raise ConsoleError(f"cannot read that command: {error}") from None
        if not tokens:
            raise ConsoleError("type a command name after the slash, e.g. /ping")
        qualifier, _, name = tokens[0].rpartition(":")
        bot = await self._bot_for_command(name, qualifier)
        command = _find_command(bot, name, self.session.guild.id, (CHAT_INPUT,))
        if command is None:
            raise ConsoleError(f"{bot.display_name} has no /{name} command; see :bots")
        path, raw_options = _split_arguments(tokens[1:], name)
        definitions = _option_definitions(command, path)
        label = "/" + " ".join([name, *path])
        options = {
            option_name: await self._option_value(
                _definition_named(definitions, option_name, label), raw, label
            )
            for option_name, raw in raw_options.items()
        }
        handle = await self.member.run_command(
            self.channel,
            bot.application,
            name,
            options,
            subcommand=" ".join(path) or None,
        )
        await self._follow(handle)

    async def _bot_for_command(
        self, name: str, qualifier: str, types: Sequence[int] = (CHAT_INPUT,)
    ) -> SandboxBot:
        """The bot whose command (or context menu, by ``types``) ``name`` the person means."""
        if qualifier:
            return self._bot_named(qualifier)
        menu = types != (CHAT_INPUT,)
        label = f"the menu {name!r}" if menu else f"/{name}"
        guild_id = self.session.guild.id
        candidates = [
            bot
            for bot in self.session.bots.values()
            if _find_command(bot, name, guild_id, types) is not None
        ]
        if not candidates:
            wanted = f"an app menu {name!r}" if menu else f"a /{name} command"
            raise ConsoleError(f"no bot here has {wanted}; :bots lists them")
        if len(candidates) == 1:
            return candidates[0]
        if self.preferred_bot in candidates:
            return self.preferred_bot
        qualified = (
            f':menu {candidates[0].name}:"{name}"' if menu else f"/{candidates[0].name}:{name}"
        )
        if not self._source.interactive:
            raise ConsoleError(
                f"{label} is a command of {', '.join(bot.name for bot in candidates)}: write "
                f"{qualified}, or choose a bot first with :bot NAME"
            )
        return await self._ask_which_bot(label, qualified, candidates)

    async def _ask_which_bot(
        self, label: str, qualified: str, candidates: Sequence[SandboxBot]
    ) -> SandboxBot:
        lines = [f"{INDENT}{label} is a command of several bots:"]
        lines += [
            f"{INDENT * 2}{index}) {bot.display_name}"
            for index, bot in enumerate(candidates, start=1)
        ]
        lines.append(f"{INDENT}(next time, {qualified} or :bot NAME skips this question)")
        await self.output.lines(lines)
        answer = (await self._source.read(f"{INDENT}which one? ") or "").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(candidates):
            return candidates[int(answer) - 1]
        for bot in candidates:
            if answer.lower() in (bot.name, bot.display_name.lower()):
                return bot
        raise ConsoleError(f"no bot was chosen, so {label} was not sent")

    async def _option_value(self, definition: dict[str, Any], raw: str, label: str) -> Any:
        """The typed value of ``name:raw`` for the option the bot registered."""
        kind = int(definition["type"])
        where = f"{label} option {definition['name']!r}"
        for choice in definition.get("choices") or []:
            if str(choice.get("name", "")).lower() == raw.lower():
                return choice["value"]
        converters: dict[int, Callable[[str, str], Any]] = {
            3: lambda text, _where: text,
            4: _whole_number,
            5: _yes_or_no,
            6: self._member_option,
            7: self._channel_option,
            8: self._role_option,
            9: self._mentionable_option,
            10: _number,
        }
        if kind == 11:
            return await _attachment(raw, where)
        converter = converters.get(kind)
        if converter is None:
            raise ConsoleError(f"{where} is of a kind the console cannot fill (type {kind})")
        return converter(raw, where)

    def _member_option(self, raw: str, where: str) -> SandboxMember:
        user = self._user_named(raw.lstrip("@"))
        if user is None:
            raise ConsoleError(f"{where} takes a member; nobody here is called {raw!r}")
        return SandboxMember(self.session.sandbox, user, self.session.guild.guild)

    def _channel_option(self, raw: str, where: str) -> SandboxChannel:
        found = self._channel_named(raw.lstrip("#"))
        if found is None:
            raise ConsoleError(f"{where} takes a channel; there is no #{raw.lstrip('#')}")
        return found

    def _role_option(self, raw: str, where: str) -> Role:
        role = self._role_named(raw.lstrip("@"))
        if role is None:
            names = [role.name for role in self.session.guild.guild.roles.values()]
            raise ConsoleError(f"{where} takes a role, one of {names}; not {raw!r}")
        return role

    def _mentionable_option(self, raw: str, where: str) -> SandboxMember | Role:
        role = self._role_named(raw.lstrip("@"))
        return role if role is not None else self._member_option(raw, where)

    # -- interactions ----------------------------------------------------------------------

    async def _follow(self, handle: InteractionHandle) -> None:
        """Wait for the bot's answer to an interaction, fill a form it opens, show the rest.

        A deferral shows "is thinking..." until the bot fills that message, by editing it or
        by its first followup, as Discord's client shows it.
        """
        response = await handle.wait_for_response(timeout=self.timeout)
        if response.modal is not None:
            await self._show()
            await self._fill_modal(handle, response.modal)
            return
        if response.type is InteractionCallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
            await self._show()
            await handle.wait_for_message(timeout=self.timeout)
        await self._settle()

    async def _fill_modal(self, opened_by: InteractionHandle, modal: dict[str, Any]) -> None:
        await self.output.lines(
            self.renderer.modal(modal, opened_by.interaction.application.bot_user)
        )
        values: dict[str, str] = {}
        for field in modal_fields(modal):
            value = await self._ask_field(field)
            if value is None:
                await self.output.lines([f"{INDENT}(the form was closed without being sent)"])
                return
            if value:
                values[field.custom_id] = value
        handle = await self.member.submit_modal(opened_by, values)
        await self._follow(handle)

    async def _ask_field(self, field: ModalField) -> str | None:
        prompt = f"{INDENT * 2}{field.label}> "
        while True:
            value = await self._source.read(prompt)
            if value is None or value.strip() == ":cancel":
                return None
            if not self._source.interactive:
                await self.output.lines([prompt + value])
            if value or not field.required or field.default or not self._source.interactive:
                return value
            await self.output.lines([f"{INDENT * 2}(this field is required)"])

    # -- console commands ------------------------------------------------------------------

    async def _help(self, _argument: str) -> Outcome:
        await self.output.lines(HELP.format(guild=GUILD_NAME).splitlines())
        await self._list_bots("")
        return Outcome.DONE

    async def _list_bots(self, _argument: str) -> Outcome:
        guild_id = self.session.guild.id
        lines = ["Bots here (text-command prefix, slash commands):"]
        for bot in self.session.bots.values():
            commands = sorted(
                command.name for command in _commands_of(bot, guild_id) if command.type == 1
            )
            slash = " ".join(f"/{name}" for name in commands) or "(none registered)"
            lines.append(f"{INDENT}{bot.name:<13} {bot.prefix:<4} {slash}")
            menus = sorted(
                command.name
                for command in _commands_of(bot, guild_id)
                if command.type in _MENU_TYPES
            )
            if menus:
                lines.append(f"{INDENT}{'':<18} app menus (:menu): {', '.join(map(repr, menus))}")
        await self.output.lines(lines)
        return Outcome.DONE

    async def _switch_channel(self, argument: str) -> Outcome:
        if not argument:
            names = " ".join(f"#{channel.name}" for channel in self.session.text_channels())
            await self.output.lines([f"{INDENT}Channels: {names}"])
            return Outcome.DONE
        found = self._channel_named(argument.lstrip("#"))
        if found is None or found.channel.type is not ChannelType.GUILD_TEXT:
            raise ConsoleError(
                f"there is no text channel #{argument.lstrip('#')}; :channel lists them"
            )
        self.channel = found
        await self._settle()
        return Outcome.DONE

    async def _switch_to_dm(self, argument: str) -> Outcome:
        if not argument:
            raise ConsoleError("say which bot, e.g. :dm hangman")
        bot = self._bot_named(argument)
        self.channel = self.member.dm_with(bot.application)
        await self._settle()
        return Outcome.DONE

    async def _switch_member(self, argument: str) -> Outcome:
        if not argument:
            lines = [f"{INDENT}Members you can act as:"]
            for name in self.session.member_names:
                roles = [role.name for role in self.session.member(name).roles]
                owner = " (owner of the guild and of the bots)" if name == ADMIN else ""
                role_text = f" (roles: {', '.join(roles)})" if roles else ""
                lines.append(f"{INDENT * 2}{name}{role_text}{owner}")
            await self.output.lines(lines)
            return Outcome.DONE
        name = argument.lstrip("@").lower()
        if name not in self.session.member_names:
            raise ConsoleError(
                f"you can act as {', '.join(self.session.member_names)}; not {argument!r}"
            )
        self.member = self.session.member(name)
        self.renderer.zone = self._zones.get(self.member.id, self._default_zone)
        if self.channel.channel.type is ChannelType.DM:
            self.channel = self.session.guild.channel("general")
        self.feed.collect(self._view())
        return Outcome.DONE

    async def _set_zone(self, argument: str) -> Outcome:
        """``:tz ZONE``: the member's time zone, in which Discord shows them every timestamp."""
        if not argument:
            await self.output.lines(
                [f"{INDENT}Times show in {self.renderer.zone} for {self.member.name}."]
            )
            return Outcome.DONE
        zones = await asyncio.to_thread(all_zones)
        try:
            name = resolve_zone(argument, zones)
        except UnknownTimezoneError:
            wanted = argument.strip().casefold().replace(" ", "_")
            suggestions = search_zones(argument, zones, limit=3) or close_zones(wanted, zones)
            hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
            raise ConsoleError(
                f"there is no time zone {argument.strip()[:40]!r}: write a place's zone, such as "
                f"Europe/Paris or America/New_York{hint}"
            ) from None
        zone = await asyncio.to_thread(ZoneInfo, name)
        self._zones[self.member.id] = zone
        self.renderer.zone = zone
        await self.output.lines(
            [f"{INDENT}Times now show in {name} for {self.member.name}, as Discord shows them."]
        )
        return Outcome.DONE

    async def _prefer_bot(self, argument: str) -> Outcome:
        if not argument or argument.lower() == "none":
            self.preferred_bot = None
            await self.output.lines([f"{INDENT}Shared slash commands will ask which bot."])
            return Outcome.DONE
        self.preferred_bot = self._bot_named(argument)
        await self.output.lines(
            [f"{INDENT}Shared slash commands now go to {self.preferred_bot.display_name}."]
        )
        return Outcome.DONE

    async def _press(self, argument: str) -> Outcome:
        if not argument:
            raise ConsoleError("say which button, e.g. :press 1 or :press Guess")
        message, component = self._component(argument)
        if component.get("type") != BUTTON:
            raise ConsoleError(f"[{argument}] is a menu: pick from it with :pick {argument} OPTION")
        if component.get("disabled"):
            raise ConsoleError(
                f"the button {button_label(component)!r} is disabled: the bot switched it "
                "off, so Discord would not let you press it"
            )
        handle = await self.member.click(message, str(component["custom_id"]))
        await self._follow(handle)
        return Outcome.DONE

    async def _pick(self, argument: str) -> Outcome:
        reference, _, choice_text = argument.partition(" ")
        if not reference or not choice_text.strip():
            raise ConsoleError("say which menu and which options, e.g. :pick 3 1,2")
        message, component = self._component(reference)
        if component.get("type") != STRING_SELECT:
            raise ConsoleError(f"[{reference}] is not a menu of options; press buttons with :press")
        if component.get("disabled"):
            raise ConsoleError(
                f"the menu {component.get('placeholder') or reference!r} is disabled: the bot "
                "switched it off, so Discord would not let you pick from it"
            )
        options = component.get("options") or []
        values = [_option_value_of(options, part.strip()) for part in choice_text.split(",")]
        handle = await self.member.select(message, str(component["custom_id"]), values)
        await self._follow(handle)
        return Outcome.DONE

    async def _context_menu(self, argument: str) -> Outcome:
        """``:menu NAME TARGET``: a user or message context menu, as Discord's Apps menu."""
        try:
            tokens = shlex.split(argument)
        except ValueError as error:
            raise ConsoleError(f"cannot read that menu command: {error}") from None
        if len(tokens) != 2:
            raise ConsoleError(
                'say which menu and on what, e.g. :menu "Check grammar" last or '
                ':menu "User info" @moderator ("quote" a name with spaces)'
            )
        qualifier, _, name = tokens[0].rpartition(":")
        bot = await self._bot_for_command(name, qualifier, _MENU_TYPES)
        command = _find_command(bot, name, self.session.guild.id, _MENU_TYPES)
        if command is None:
            raise ConsoleError(f"{bot.display_name} has no app menu {name!r}; see :bots")
        target: SandboxMember | Message
        if command.type == USER_MENU:
            target = self._member_option(tokens[1], f"the user menu {name!r}")
        else:
            target = self._message_target(tokens[1], name)
        handle = await self.member.run_context_menu(self.channel, bot.application, name, target)
        await self._follow(handle)
        return Outcome.DONE

    def _message_target(self, reference: str, menu: str) -> Message:
        """The message a person means: ``last``, ``@NAME``'s newest, an id, or words in it.

        Ephemeral answers are passed over: Discord offers no app menu on them.
        """
        state = self.session.sandbox.state
        visible = [
            message
            for message in state.messages.values()
            if message.channel_id == self.channel.id
            and not message.deleted
            and not message.ephemeral
            and state.can_see(self.member.user, message)
        ]
        author = self._user_named(reference[1:]) if reference.startswith("@") else None
        for message in reversed(visible):
            if (
                reference.lower() == "last"
                or (author is not None and message.author.id == author.id)
                or (reference.isdigit() and message.id == int(reference))
                or (not reference.startswith("@") and reference.lower() in message.content.lower())
            ):
                return message
        raise ConsoleError(
            f"the menu {menu!r} needs a message here: no message in "
            f"{self.renderer.channel_label(self.channel.id, self.member.user)} matches "
            f"{reference!r} (use last, @NAME, a message id, or words of the message)"
        )

    async def _expect(self, argument: str) -> Outcome:
        if not argument:
            raise ConsoleError("say what to look for, e.g. :expect Pong")
        seen = "\n".join(self._answers)
        if argument.lower() not in seen.lower():
            shown = "\n".join(self._answers) or f"{INDENT}(nothing)"
            raise ConsoleError(
                f"expected {argument!r} in the bots' last answers, which were:\n{shown}"
            )
        await self.output.lines([f"{INDENT}✔ {argument}"])
        return Outcome.DONE

    async def _expect_none(self, argument: str) -> Outcome:
        """An expected silence: nothing (or nothing saying ``argument``) since the last step."""
        if argument:
            said = [line for line in self._answers if argument.lower() in line.lower()]
        else:
            said = list(self._answers)
        if said:
            what = f"no {argument!r}" if argument else "no answer"
            raise ConsoleError(
                f"expected {what} from the bots to the last step, but they said:\n"
                + "\n".join(said)
            )
        await self.output.lines(
            [f"{INDENT}✔ no answer" + (f" saying {argument!r}" if argument else "")]
        )
        return Outcome.DONE

    async def _wait(self, argument: str) -> Outcome:
        try:
            seconds = float(argument)
        except ValueError:
            raise ConsoleError(f"say how many seconds, e.g. :wait 2; not {argument!r}") from None
        if not 0 < seconds <= 600:
            raise ConsoleError("wait between 0 and 600 seconds")
        await asyncio.sleep(seconds)
        await self._show()
        return Outcome.DONE

    async def _note(self, argument: str) -> Outcome:
        await self.output.lines(["", f"── {argument} ──"])
        return Outcome.DONE

    async def _quit(self, _argument: str) -> Outcome:
        return Outcome.QUIT

    # -- finding things by name ------------------------------------------------------------

    def _bot_named(self, name: str) -> SandboxBot:
        wanted = name.lower().replace("-", "_")
        for bot in self.session.bots.values():
            if wanted in (bot.name, bot.display_name.lower(), bot.application.bot_user.username):
                return bot
        raise ConsoleError(
            f"there is no bot {name!r} here; the bots are {', '.join(self.session.bots)}"
        )

    def _user_named(self, name: str) -> User | None:
        wanted = name.lower()
        for bot in self.session.bots.values():
            if wanted == bot.name:
                return bot.application.bot_user
        for member in self.session.guild.guild.members.values():
            if wanted in (member.user.username.lower(), member.user.display_name.lower()):
                return member.user
        return None

    def _channel_named(self, name: str) -> SandboxChannel | None:
        wanted = name.lower()
        for channel in self.session.guild.guild.channels.values():
            if channel.name.lower() == wanted and channel.type is not ChannelType.GUILD_CATEGORY:
                return SandboxChannel(self.session.sandbox, channel)
        return None

    def _role_named(self, name: str) -> Role | None:
        wanted = name.lower()
        for role in self.session.guild.guild.roles.values():
            if role.name.lower() == wanted:
                return role
        return None

    def _component(self, reference: str) -> tuple[Message, dict[str, Any]]:
        """The message and component a person means by ``2`` or ``Guess``."""
        state = self.session.sandbox.state
        if reference.isdigit():
            numbered = self.numbers.get(int(reference))
            if numbered is None:
                raise ConsoleError(
                    f"nothing is numbered [{reference}]; buttons and menus show their number"
                )
            message = state.messages[numbered.message_id]
            component = None if message.deleted else message.find_component(numbered.custom_id)
            if component is None:
                raise ConsoleError(f"[{reference}] is gone: its message was edited or deleted")
            return message, component
        wanted = reference.casefold()
        on_screen: list[tuple[Message, dict[str, Any], list[str]]] = []
        for numbered in self.numbers.newest_first():
            message = state.messages[numbered.message_id]
            component = None if message.deleted else message.find_component(numbered.custom_id)
            if component is not None:
                names = _names_of(component)
                on_screen.append((message, component, names))
                if wanted in (*names, numbered.custom_id.casefold()):
                    return message, component
        starting = {
            str(component.get("label") or component.get("placeholder") or names[0]): (
                message,
                component,
            )
            for message, component, names in reversed(on_screen)
            if any(name.startswith(wanted) for name in names)
        }
        if len(starting) == 1:
            [found] = starting.values()
            return found
        if starting:
            raise ConsoleError(
                f"{reference!r} starts several labels ({', '.join(sorted(starting))}); "
                "type more of one, or its number"
            )
        raise ConsoleError(f"no button or menu called {reference!r} is on screen")


def _names_of(component: dict[str, Any]) -> list[str]:
    """What a person may call a component, folded: its label, with its emoji, its placeholder."""
    names = [
        str(component.get("label") or ""),
        button_label(component) if component.get("type") == BUTTON else "",
        str(component.get("placeholder") or ""),
    ]
    return [name.casefold() for name in names if name]


def _commands_of(bot: SandboxBot, guild_id: int) -> list[ApplicationCommand]:
    app = bot.application
    return [*app.guild_commands.get(guild_id, {}).values(), *app.global_commands.values()]


def _find_command(
    bot: SandboxBot, name: str, guild_id: int, types: Sequence[int]
) -> ApplicationCommand | None:
    """The bot's command called ``name`` of one of ``types`` (a slash command, a menu)."""
    for command in _commands_of(bot, guild_id):
        if command.name == name and command.type in types:
            return command
    return None


def _split_arguments(tokens: Sequence[str], name: str) -> tuple[list[str], dict[str, str]]:
    """Subcommand words first, then ``name:value`` options."""
    path: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        option_name, colon, value = token.partition(":")
        if colon:
            options[option_name] = value
        elif options:
            raise ConsoleError(
                f"/{name}: {token!r} comes after the options; write options as name:value"
            )
        else:
            path.append(token)
    return path, options


def _option_definitions(command: ApplicationCommand, path: Sequence[str]) -> list[dict[str, Any]]:
    definitions = command.options
    for depth, part in enumerate(path):
        found = next(
            (
                option
                for option in definitions
                if option.get("name") == part and option.get("type") in _SUBCOMMAND_TYPES
            ),
            None,
        )
        if found is None:
            where = "/" + " ".join([command.name, *path[:depth]])
            subcommands = [o["name"] for o in definitions if o.get("type") in _SUBCOMMAND_TYPES]
            if not subcommands:
                raise ConsoleError(f"{where} has no subcommands; write its options as name:value")
            raise ConsoleError(f"{where} has no subcommand {part!r}; it has {subcommands}")
        definitions = found.get("options") or []
    return definitions


def _definition_named(
    definitions: Sequence[dict[str, Any]], name: str, label: str
) -> dict[str, Any]:
    for definition in definitions:
        if definition.get("name") == name and definition.get("type") not in _SUBCOMMAND_TYPES:
            return definition
    names = [d["name"] for d in definitions if d.get("type") not in _SUBCOMMAND_TYPES]
    if any(d.get("type") in _SUBCOMMAND_TYPES for d in definitions):
        subcommands = [d["name"] for d in definitions]
        raise ConsoleError(f"{label} needs a subcommand first, one of {subcommands}")
    raise ConsoleError(f"{label} has no option {name!r}; its options are {names}")


def _whole_number(raw: str, where: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConsoleError(f"{where} takes a whole number, not {raw!r}") from None


def _number(raw: str, where: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ConsoleError(f"{where} takes a number, not {raw!r}") from None


def _yes_or_no(raw: str, where: str) -> bool:
    word = raw.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ConsoleError(f"{where} takes true or false, not {raw!r}")


async def _attachment(raw: str, where: str) -> SandboxFile:
    try:
        return await asyncio.to_thread(_read_upload, raw)
    except OSError as error:
        raise ConsoleError(
            f"{where} takes a file to upload; cannot read {raw!r}: {error.strerror}"
        ) from None


def _read_upload(raw: str) -> SandboxFile:
    path = Path(raw).expanduser()
    return SandboxFile(path.name, path.read_bytes())


def _option_value_of(options: Sequence[dict[str, Any]], wanted: str) -> str:
    """A menu option's value from its number, label or value."""
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return str(options[int(wanted) - 1]["value"])
    for option in options:
        if wanted.lower() in (str(option.get("label", "")).lower(), str(option["value"]).lower()):
            return str(option["value"])
    labels = [str(option.get("label") or option["value"]) for option in options]
    raise ConsoleError(f"the menu has no option {wanted!r}; its options are {labels}")


def _indented(text: str) -> list[str]:
    return [f"{INDENT}{line}" for line in text.splitlines()]


# -- the command ---------------------------------------------------------------------------


def run_sandbox(
    bot_names: Sequence[str],
    *,
    script: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    stdout: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """``botfleet sandbox``: start the sandbox and the bots, then talk, script or walk through.

    With ``script``, its lines run unattended; else a terminal on stdin gets the interactive
    console; else the built-in walkthrough plays. Returns the process exit status: 0, 1 when a
    step failed or a bot could not start, 2 for a configuration problem.
    """
    output_stream = stdout if stdout is not None else sys.stdout
    input_stream = stdin if stdin is not None else sys.stdin
    try:
        shared = load_settings()
        definitions = [get_definition(name) for name in bot_names]
    except (ConfigError, KeyError) as error:
        sys.stderr.write(f"botfleet: {error}\n")
        return EXIT_CONFIG_ERROR
    if script is not None:
        try:
            script_lines = script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            sys.stderr.write(f"botfleet: cannot read the script {script}: {error}\n")
            return EXIT_CONFIG_ERROR
    log_path = Path(shared.logging.directory) / "sandbox.log"

    def choose_source(session: SandboxSession) -> tuple[LineSource, str]:
        if script is not None:
            return ScriptLines(script_lines, str(script)), "script"
        if input_stream.isatty():
            return TerminalLines(), "interactive"
        return ScriptLines(walkthrough_lines(session.bots.values()), "walkthrough"), "walkthrough"

    with logs_to_file(log_path, shared.logging.level):
        try:
            return asyncio.run(
                _serve(
                    definitions, choose_source, TranscriptWriter(output_stream), timeout, log_path
                )
            )
        except KeyboardInterrupt:
            output_stream.write("\nStopped.\n")
            return 0
        except ConfigError as error:
            sys.stderr.write(f"botfleet: {error}\n")
            return EXIT_CONFIG_ERROR
        except SandboxStartError as error:
            sys.stderr.write(f"botfleet: {error} (details in {log_path})\n")
            return EXIT_STEP_FAILED


async def _serve(
    definitions: Sequence[BotDefinition],
    choose_source: Callable[[SandboxSession], tuple[LineSource, str]],
    output: TranscriptWriter,
    timeout: float,
    log_path: Path,
) -> int:
    async with SandboxSession.open(definitions) as session:
        source, mode = choose_source(session)
        console = SandboxConsole(session, output, timeout=timeout)
        await output.lines(_banner(session, mode, log_path))
        status = await console.run(source)
        await output.lines(_farewell(mode, status, console.steps))
        return status


def _banner(session: SandboxSession, mode: str, log_path: Path) -> list[str]:
    bots = ", ".join(f"{bot.display_name} ({bot.prefix})" for bot in session.bots.values())
    lines = [
        f"botfleet sandbox: a local stand-in for Discord at {session.sandbox.url}; "
        "nothing here reaches Discord.",
        f"Bots: {bots}.",
        f'You are "{PERSON}" in #general of the guild "{GUILD_NAME}". Bot logs go to {log_path}.',
    ]
    if mode == "interactive":
        lines.append("Type :help for what you can do, :quit to leave.")
    elif mode == "walkthrough":
        lines.append("No terminal attached: playing the walkthrough of every bot.")
    return lines


def _farewell(mode: str, status: int, steps: int) -> list[str]:
    if mode == "interactive":
        return ["", "Bye."]
    if status:
        return ["", f"The {mode} stopped at a failed step."]
    return ["", f"The {mode} ran {steps} step{'' if steps == 1 else 's'}; every bot answered."]
