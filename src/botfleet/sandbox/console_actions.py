"""What a console member does: send, run slash commands, follow answers, and find things by name.

``SandboxConsole`` (in ``console``) reads the lines and carries out console commands on top of
these acts.
"""

# Waits take their own ``timeout`` so a failure can say what was awaited (see scripting.py).

from __future__ import annotations

import asyncio
import datetime
import re
import shlex
from collections.abc import Callable, Sequence
from typing import Any

from botfleet.core.answers import SLOW_NOTE_OPENING
from botfleet.sandbox.console_io import (
    ActivityFeed,
    ConsoleError,
    LineSource,
    ScriptLines,
    TranscriptWriter,
    reactions_of,
)
from botfleet.sandbox.console_options import (
    CHAT_INPUT,
    definition_named,
    find_command,
    names_of,
    option_definitions,
    parse_number,
    parse_whole_number,
    parse_yes_or_no,
    split_arguments,
    upload_attachment,
)
from botfleet.sandbox.flags import ChannelType, InteractionCallbackType
from botfleet.sandbox.models import Message, Role, User
from botfleet.sandbox.render import (
    INDENT,
    ComponentNumbers,
    ModalField,
    TranscriptRenderer,
    Viewpoint,
    modal_fields,
)
from botfleet.sandbox.scripting import (
    InteractionHandle,
    SandboxChannel,
    SandboxMember,
    wait_until,
)
from botfleet.sandbox.scripting.interactions import DEFERRED_ANSWER_TIMEOUT
from botfleet.sandbox.session import (
    PERSON,
    SandboxBot,
    SandboxSession,
)

DEFAULT_TIMEOUT = 5.0
"""Seconds a step waits for a bot's answer before it counts as failed."""


QUIET_PERIOD = 0.1
"""After an answer, the bots are done once nothing changed for this long..."""


SETTLE_LIMIT = 1.5
"""...or after this long at most, however busy they are."""


_MEMBER_MENTION = re.compile(r"(?<![\w<@])@([\w-]+)")


_CHANNEL_MENTION = re.compile(r"(?<![\w<#])#([\w-]+)")


class ConsoleActor:
    """A member of the sandbox guild acting for the person at the console."""

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

    def _start_step(self) -> None:
        self.steps += 1
        self._answers = []

    def _view(self) -> Viewpoint:
        return Viewpoint(self.member.user, self.channel.id)

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
            if any(user_id in bot_ids for _, user_id in reactions_of(sent)):
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

    async def _slash_command(self, text: str) -> None:
        try:
            tokens = shlex.split(text)
        except ValueError as error:
            raise ConsoleError(f"cannot read that command: {error}") from None
        if not tokens:
            raise ConsoleError("type a command name after the slash, e.g. /ping")
        qualifier, _, name = tokens[0].rpartition(":")
        bot = await self._bot_for_command(name, qualifier)
        command = find_command(bot, name, self.session.guild.id, (CHAT_INPUT,))
        if command is None:
            raise ConsoleError(f"{bot.display_name} has no /{name} command; see :bots")
        path, raw_options = split_arguments(tokens[1:], name)
        definitions = option_definitions(command, path)
        label = "/" + " ".join([name, *path])
        options = {
            option_name: await self._option_value(
                definition_named(definitions, option_name, label), raw, label
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
            if find_command(bot, name, guild_id, types) is not None
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
            4: parse_whole_number,
            5: parse_yes_or_no,
            6: self._member_option,
            7: self._channel_option,
            8: self._role_option,
            9: self._mentionable_option,
            10: parse_number,
        }
        if kind == 11:
            return await upload_attachment(raw, where)
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
            filled = await handle.wait_for_message(
                timeout=max(self.timeout, DEFERRED_ANSWER_TIMEOUT)
            )
            if filled.content.startswith(SLOW_NOTE_OPENING):
                await self._wait_past_the_note(filled)
        await self._settle()

    async def _wait_past_the_note(self, note: Message) -> None:
        """Show a "taking longer" note, then wait as the member does for the answer that
        replaces it (an edit of the note, or a new message once the note is taken down)."""
        filled_note = note.content
        await self._show()
        await wait_until(
            self.session.sandbox,
            lambda: True if note.deleted or note.content != filled_note else None,
            timeout=max(self.timeout, DEFERRED_ANSWER_TIMEOUT),
            describe_failure=lambda: f"waiting for the answer that replaces {filled_note!r}",
        )

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
                names = names_of(component)
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
