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
import enum
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from botfleet import get_definition
from botfleet.config import ConfigError, load_settings
from botfleet.core.definition import BotDefinition
from botfleet.errors import EXIT_CONFIG_ERROR
from botfleet.sandbox.console_actions import DEFAULT_TIMEOUT, ConsoleActor
from botfleet.sandbox.console_io import (
    ConsoleError,
    LineSource,
    Outcome,
    ScriptLines,
    TerminalLines,
    TranscriptWriter,
    indented,
)
from botfleet.sandbox.console_options import (
    MENU_TYPES,
    USER_MENU,
    commands_of,
    find_command,
    option_value_of,
)
from botfleet.sandbox.flags import ChannelType
from botfleet.sandbox.models import Message
from botfleet.sandbox.render import (
    BUTTON,
    INDENT,
    STRING_SELECT,
    button_label,
)
from botfleet.sandbox.scripting import (
    SandboxMember,
    SandboxScriptError,
    SandboxTimeoutError,
)
from botfleet.sandbox.session import (
    ADMIN,
    GUILD_NAME,
    PERSON,
    SandboxSession,
    SandboxStartError,
    logs_to_file,
)
from botfleet.sandbox.walkthrough import walkthrough_lines
from botfleet.utils.tasks import cancel_and_wait
from botfleet.utils.timezones import (
    UnknownTimezoneError,
    all_zones,
    close_zones,
    resolve_zone,
    search_zones,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "EXIT_STEP_FAILED",
    "Outcome",
    "SandboxConsole",
    "ScriptLines",
    "TerminalLines",
    "TranscriptWriter",
    "run_sandbox",
]

WATCH_INTERVAL = 1.0
EXIT_STEP_FAILED = 1


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


class SandboxConsole(ConsoleActor):
    """Carries out console lines as a member of the sandbox guild and prints what follows."""

    def __init__(
        self, session: SandboxSession, output: TranscriptWriter, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        super().__init__(session, output, timeout=timeout)
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
            await cancel_and_wait(watcher)
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
                await self.output.lines(indented(f"✘ {where}{error}"))
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

    # -- showing what happened -------------------------------------------------------------

    # -- messages --------------------------------------------------------------------------

    # -- slash commands --------------------------------------------------------------------

    # -- interactions ----------------------------------------------------------------------

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
                command.name for command in commands_of(bot, guild_id) if command.type == 1
            )
            slash = " ".join(f"/{name}" for name in commands) or "(none registered)"
            lines.append(f"{INDENT}{bot.name:<13} {bot.prefix:<4} {slash}")
            menus = sorted(
                command.name for command in commands_of(bot, guild_id) if command.type in MENU_TYPES
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
        values = [option_value_of(options, part.strip()) for part in choice_text.split(",")]
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
        bot = await self._bot_for_command(name, qualifier, MENU_TYPES)
        command = find_command(bot, name, self.session.guild.id, MENU_TYPES)
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
