"""A generic fuzzer of the slash commands a bot registers with the stand-in.

It walks the command tree the bot synced (every command, subcommand and context menu) and
builds a hypothesis strategy for each one's options from their declared types, choices, ranges
and lengths: values at their limits, unicode and zero-width characters, markdown and mention
injection, very long words. ``FuzzedBot.invoke`` runs one invocation and returns what a member
and the operator would see: whether the bot answered in time, the text of every message it
sent, whom those messages pinged, and what it logged at ERROR.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import discord
from hypothesis import strategies as st
from pydantic import SecretStr

from botfleet import get_definition
from botfleet.config.schema import DatabaseSection, RateLimitsSection, Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import (
    Application,
    ApplicationCommand,
    DiscordSandbox,
    Message,
    Role,
    SandboxChannel,
    SandboxFile,
    SandboxMember,
    SandboxScriptError,
    SandboxTimeoutError,
)
from botfleet.sandbox.command_validation import STRING_OPTION_LENGTH_LIMIT
from botfleet.sandbox.fleet import fleet_test_settings, run_fleet_bot
from botfleet.sandbox.scripting import wait_until
from botfleet.sandbox.scripting.option_values import OPTION_NUMBER_LIMIT

T = TypeVar("T")

SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
USER_MENU, MESSAGE_MENU = 2, 3
ANSWER_AFTER_DEFERRAL = 15.0
"""How long a deferred answer may take before the member is counted as left "thinking"."""
SETTLE = 0.02
"""A moment for the messages and log lines that follow an answer to arrive."""
INTERNAL_TEXT = (
    "Traceback",
    'File "',
    "Something went wrong on our side",
    "sqlalchemy",
    "discord.errors",
    "NoneType",
)
"""Text that shows a member the inside of the bot: a traceback, the unexpected-error answer, or
an exception's own words."""


PLAUSIBLE_PIECES = (
    "in 1h",
    "2h30m",
    "5m",
    "1d",
    "10:30",
    "tomorrow 9am",
    "2026-12-24 18:00",
    "Europe/Paris",
    "UTC",
    " | ",
    ",",
    "pizza",
    "hello world",
    "song",
    "1:30",
    "spam",
    "word",
    "https://example.com/a.mp3",
)
"""Fragments of what the options expect (times, durations, lists, zones, words), so hostile
text mixed into them gets past the first parse and reaches what lies behind it."""


@dataclass(frozen=True)
class FuzzedCommand:
    """One runnable leaf of a bot's command tree."""

    name: str
    subcommand: str | None
    options: tuple[Mapping[str, Any], ...]
    kind: int = 1

    @property
    def label(self) -> str:
        """``/name sub`` as a member reads it."""
        return "/" + " ".join(part for part in (self.name, self.subcommand) if part)


def command_leaves(commands: list[ApplicationCommand]) -> list[FuzzedCommand]:
    """Every command, subcommand and context menu in the tree the bot registered."""
    leaves: list[FuzzedCommand] = []
    for command in sorted(commands, key=lambda c: (c.type, c.name)):
        if command.type != 1:
            leaves.append(FuzzedCommand(command.name, None, (), kind=command.type))
            continue
        leaves.extend(_leaves_under(command.name, [], command.options))
    return leaves


def _leaves_under(
    name: str, path: list[str], options: list[dict[str, Any]]
) -> Iterator[FuzzedCommand]:
    groups = [o for o in options if o.get("type") in (SUBCOMMAND, SUBCOMMAND_GROUP)]
    if not groups:
        yield FuzzedCommand(name, " ".join(path) or None, tuple(options))
        return
    for option in groups:
        yield from _leaves_under(name, [*path, str(option["name"])], option.get("options") or [])


@dataclass
class FuzzWorld:
    """The guild the fuzzed bot serves: members who run commands, members and roles an option
    may point at, channels of each kind, and ids the mention injection aims at."""

    staff: list[SandboxMember]
    """Runners above the bot's role: an option may name them, the bot can act on none."""
    member: SandboxMember
    """The runner without rights: never an option's value, so no timeout or ban the fuzz
    gives takes away the commands of a runner."""
    targets: list[SandboxMember]
    roles: list[Role]
    channels: list[SandboxChannel]
    untouchable: list[SandboxMember] = field(default_factory=list)
    """The guild's owner and the bot itself: an option may name them, nothing may touch them."""
    hostile_message: Message | None = None

    @property
    def runners(self) -> list[SandboxMember]:
        """Who runs the commands: staff, and a member with no rights."""
        return [*self.staff, self.member]

    def hostile_pieces(self) -> list[str]:
        """Fragments a member types to break a bot: mentions of real members and roles,
        markdown, invisible and direction-changing characters, numbers past every limit."""
        pieces = [
            *PLAUSIBLE_PIECES,
            "@everyone",
            "@here",
            *(f"<@{member.id}>" for member in self.targets),
            *(f"<@!{member.id}>" for member in self.targets),
            *(f"<@&{role.id}>" for role in self.roles),
            *(channel.mention for channel in self.channels),
            "<@&1>",
            "<@123456789012345678>",
            "```",
            "`",
            "**",
            "__",
            "||",
            "> ",
            "# ",
            "[link](https://example.invalid)",
            "http://127.0.0.1:9/x",
            "\u200b",
            "\u200d",
            "\u202e",
            "\ufeff",
            "\u00a0",
            "\x00",
            "\n",
            " ",
            "ǅ",
            "İ",
            "🏳️‍🌈",
            "é",
            "9" * 30,
            "-1",
            "0",
            "1e309",
            "nan",
            "-0",
            "24:60",
            "99d",
            "1y",
            "%s%n",
            "{0}",
            "'; DROP TABLE users; --",
            "../../etc/passwd",
        ]
        return pieces


def text_values(world: FuzzWorld, low: int, high: int) -> st.SearchStrategy[str]:
    """Strings of ``low`` to ``high`` characters a member could type: hostile fragments and
    arbitrary unicode, a very long word, and the two lengths at the limits."""
    pieces = world.hostile_pieces()
    mixed = st.lists(st.sampled_from(pieces) | st.text(max_size=12), min_size=1, max_size=12).map(
        "".join
    )
    long_word = st.sampled_from("Wx9éﷺ\u200b").map(lambda char: char * min(high, 4000))
    at_limits = st.sampled_from(sorted({low, high})).map(lambda size: ("@everyone " * size)[:size])
    fitted = (mixed | st.text(min_size=1, max_size=64) | long_word | at_limits).map(
        lambda text: _fit(text, low, high)
    )
    return fitted


def _fit(text: str, low: int, high: int) -> str:
    """``text`` cut to ``high`` characters and padded to ``low`` (Discord counts code points)."""
    text = text[:high]
    return text + "x" * (low - len(text))


def number_values(
    definition: Mapping[str, Any], *, whole: bool
) -> st.SearchStrategy[int] | st.SearchStrategy[float]:
    """Numbers within the option's range, its two ends and zero weighted in."""
    low = definition.get("min_value", -OPTION_NUMBER_LIMIT)
    high = definition.get("max_value", OPTION_NUMBER_LIMIT)
    if whole:
        low, high = int(low), int(high)
        edges = sorted({low, high, *(v for v in (-1, 0, 1) if low <= v <= high)})
        return st.sampled_from(edges) | st.integers(low, high)
    float_edges = sorted({float(low), float(high), *(v for v in (0.0, 0.5) if low <= v <= high)})
    return st.sampled_from(float_edges) | st.floats(
        float(low), float(high), allow_nan=False, allow_infinity=False
    )


def value_strategy(world: FuzzWorld, definition: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """What a member may give for one option, by its declared type."""
    kind = int(definition["type"])
    choices = definition.get("choices")
    if choices:
        return st.sampled_from([choice["value"] for choice in choices])
    if kind == STRING:
        low = max(int(definition.get("min_length", 1)), 1)
        high = int(definition.get("max_length", STRING_OPTION_LENGTH_LIMIT))
        return text_values(world, low, high)
    if kind in (INTEGER, NUMBER):
        return number_values(definition, whole=kind == INTEGER)
    if kind == BOOLEAN:
        return st.booleans()
    if kind == USER:
        return st.sampled_from([*world.targets, *world.staff, *world.untouchable])
    if kind == ROLE:
        return st.sampled_from(world.roles)
    if kind == MENTIONABLE:
        return st.sampled_from([*world.targets, *world.roles])
    if kind == CHANNEL:
        allowed = definition.get("channel_types")
        fitting = [c for c in world.channels if not allowed or int(c.channel.type) in allowed]
        return st.sampled_from(fitting or world.channels)
    if kind == ATTACHMENT:
        names = st.sampled_from(["song.mp3", "../../etc/passwd", "a\u202egpj.exe", "list.json"])
        return st.builds(SandboxFile, names, st.binary(max_size=256))
    raise AssertionError(f"option type {kind} has no strategy")


def options_strategy(world: FuzzWorld, command: FuzzedCommand) -> st.SearchStrategy[dict[str, Any]]:
    """Every required option and any of the optional ones, each with a value of its type."""
    required = {
        str(o["name"]): value_strategy(world, o) for o in command.options if o.get("required")
    }
    optional = {
        str(o["name"]): value_strategy(world, o) for o in command.options if not o.get("required")
    }
    return st.fixed_dictionaries(required, optional=optional)


def past_limits(definition: Mapping[str, Any]) -> list[Any]:
    """Values Discord's client refuses to send for this option: out of its range or length,
    outside its choices, an empty string."""
    kind = int(definition["type"])
    choices = definition.get("choices")
    if choices:
        values = [choice["value"] for choice in choices]
        return ["not a choice" if kind == STRING else max(values) + 1]
    if kind == STRING:
        high = int(definition.get("max_length", STRING_OPTION_LENGTH_LIMIT))
        low = int(definition.get("min_length", 1))
        return ["", "x" * (high + 1), *(["x" * (low - 1)] if low > 1 else [])]
    if kind in (INTEGER, NUMBER):
        low = definition.get("min_value", -OPTION_NUMBER_LIMIT)
        high = definition.get("max_value", OPTION_NUMBER_LIMIT)
        step = 1 if kind == INTEGER else 0.5
        past = [low - step, high + step]
        return past if kind == INTEGER else [*past, float("nan"), float("inf")]
    return []


@dataclass
class Outcome:
    """What one invocation showed the member and the operator."""

    answered: bool
    problem: str = ""
    shown: list[str] = field(default_factory=list)
    pinged: list[str] = field(default_factory=list)
    errors_logged: list[str] = field(default_factory=list)


class ErrorLog(logging.Handler):
    """Keeps the ERROR records every logger sends to the root."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self.records.append(record)

    def since(self, start: int) -> list[str]:
        """The records logged after the first ``start``, formatted with their traceback."""
        with self._lock:
            records = self.records[start:]
        formatter = logging.Formatter("%(name)s: %(message)s")
        return [formatter.format(record) for record in records]


class LoopThread:
    """An event loop in a thread of its own, so hypothesis's synchronous examples can drive a
    bot that stays up for a whole module."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        """Run ``coroutine`` on the loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        """Cancel what still runs on the loop (as ``asyncio.run`` does: a view's timeout task
        left pending would be destroyed later, logged at ERROR during another bot's fuzz),
        then stop the loop and wait for its thread."""
        self.run(_cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


async def _cancel_the_rest() -> None:
    rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def fuzz_settings(bot_name: str, directory: Path, database_url: str | None) -> Settings:
    """The bot's test settings (on ``database_url`` if given, else a SQLite file) with a
    command budget no fuzz run exhausts; the Music Bot without web search (tests never reach
    the internet)."""
    options: dict[str, Any] = {"web_search": None} if bot_name == "music" else {}
    sections: dict[str, Any] = {}
    if database_url is not None:
        sections["database"] = DatabaseSection(url=SecretStr(database_url))
    return fleet_test_settings(
        bot_name,
        directory,
        rate_limits=RateLimitsSection(commands_per_user=100_000, time_window=1),
        options=options,
        **sections,
    )


class FuzzedBot:
    """One bot of the fleet, logged in to a stand-in of its own for a whole module."""

    def __init__(self, bot_name: str, directory: Path, database_url: str | None = None) -> None:
        self.bot_name = bot_name
        self.directory = directory
        self.database_url = database_url
        self.loop = LoopThread()
        self.errors = ErrorLog()
        self._exits = ExitStack()
        self._running: AbstractAsyncContextManager[FleetBot] | None = None

    def start(self) -> None:
        """Start the stand-in and the bot, and build the guild it serves."""
        self.sandbox = self.loop.run(DiscordSandbox.start())
        definition = get_definition(self.bot_name)
        self.app: Application = self.sandbox.add_application(definition.display_name)
        guild = self.sandbox.create_guild("Fuzz Club")
        # The bot may do anything, so commands run past their permission checks; its role
        # sits above Crew and below Staff, so role and member hierarchy are still in play.
        crew = guild.add_role("Crew", mentionable=True)
        itself = guild.add_bot(self.app, permissions=discord.Permissions(administrator=True))
        staff = guild.add_role("Staff", permissions=discord.Permissions(administrator=True))
        self.general = guild.channel("general")
        self.world = FuzzWorld(
            staff=[
                guild.add_member("ada", roles=[staff]),
                guild.add_member("grace", roles=[staff]),
            ],
            member=guild.add_member("linus"),
            untouchable=[guild.owner, itself],
            targets=[guild.add_member("bob"), guild.add_member("carol", roles=[crew])],
            roles=[crew, staff, guild.role("@everyone")],
            channels=[
                self.general,
                guild.add_voice_channel("Lounge"),
                guild.add_category("Archive"),
            ],
        )
        logging.getLogger().addHandler(self.errors)
        self._running = run_fleet_bot(
            self.sandbox,
            self.app,
            definition,
            fuzz_settings(self.bot_name, self.directory, self.database_url),
        )
        self.loop.run(self._running.__aenter__())
        self.world.hostile_message = self.loop.run(
            self.world.member.send(self.general, "<@&1> @everyone **hi** \u202e")
        )

    def stop(self) -> None:
        """Stop the bot and the stand-in."""
        logging.getLogger().removeHandler(self.errors)
        try:
            if self._running is not None:
                self.loop.run(self._running.__aexit__(None, None, None))
            self.loop.run(self.sandbox.stop())
            self.sandbox.assert_no_unhandled_requests()
        finally:
            self._exits.close()
            self.loop.close()

    def commands(self) -> list[FuzzedCommand]:
        """The leaves of the command tree the bot registered (global and in the guild)."""
        registered = list(self.app.global_commands.values())
        for commands in self.app.guild_commands.values():
            registered.extend(commands.values())
        return command_leaves(registered)

    def refuses(
        self, runner: SandboxMember, command: FuzzedCommand, options: dict[str, Any]
    ) -> bool:
        """Whether the stand-in refuses to send these options, as Discord's client would."""
        try:
            self.loop.run(
                runner.run_command(
                    self.general, self.app, command.name, options, subcommand=command.subcommand
                )
            )
        except SandboxScriptError:
            return True
        return False

    def suggest(
        self, runner: SandboxMember, command: FuzzedCommand, options: dict[str, Any], focused: str
    ) -> Outcome:
        """Type ``options[focused]`` into an autocomplete option; report whether suggestions
        came in time and what was logged."""
        return self.loop.run(self._suggest(runner, command, options, focused))

    async def _suggest(
        self, runner: SandboxMember, command: FuzzedCommand, options: dict[str, Any], focused: str
    ) -> Outcome:
        first_error = len(self.errors.records)
        handle = await runner.autocomplete(
            self.general,
            self.app,
            command.name,
            options,
            focused=focused,
            subcommand=command.subcommand,
        )
        outcome = Outcome(answered=True)
        try:
            await handle.wait_for_choices()
        except SandboxTimeoutError as timeout:
            outcome.answered = False
            outcome.problem = str(timeout).splitlines()[0]
        await asyncio.sleep(SETTLE)
        outcome.errors_logged = self.errors.since(first_error)
        return outcome

    def invoke(
        self, runner: SandboxMember, command: FuzzedCommand, options: dict[str, Any]
    ) -> Outcome:
        """Run the command as ``runner`` and report what it showed and logged."""
        return self.loop.run(self._invoke(runner, command, options))

    async def _invoke(
        self, runner: SandboxMember, command: FuzzedCommand, options: dict[str, Any]
    ) -> Outcome:
        state = self.sandbox.state
        first_error = len(self.errors.records)
        newest = max(state.messages, default=0)
        if command.kind == USER_MENU:
            handle = await runner.run_context_menu(
                self.general, self.app, command.name, options["target"]
            )
        elif command.kind == MESSAGE_MENU:
            assert self.world.hostile_message is not None
            handle = await runner.run_context_menu(
                self.general, self.app, command.name, self.world.hostile_message
            )
        else:
            handle = await runner.run_command(
                self.general, self.app, command.name, options, subcommand=command.subcommand
            )
        outcome = Outcome(answered=True)
        try:
            response = await handle.wait_for_response()
            if response.deferred and response.message is not None:
                deferred = response.message
                await wait_until(
                    self.sandbox,
                    lambda: None if deferred.loading else deferred,
                    timeout=ANSWER_AFTER_DEFERRAL,
                    describe_failure=lambda: "for the answer after the deferral",
                )
        except SandboxTimeoutError as timeout:
            outcome.answered = False
            outcome.problem = str(timeout).splitlines()[0]
        await asyncio.sleep(SETTLE)
        asked = {runner.id, *_pointed_at(options)}
        # A channel message outside the interaction may be another runner's own news (an
        # achievement announced as it is earned), which pings that runner by design.
        news_for = asked | {member.id for member in self.world.runners}
        for message in state.messages.values():
            if message.id <= newest or message.author.id != self.app.bot_user.id:
                continue
            outcome.shown.append(_visible_text(message))
            if not message.ephemeral:
                reaches = asked if message.interaction_id == handle.id else news_for
                outcome.pinged.extend(_unasked_pings(message, reaches))
        outcome.errors_logged = self.errors.since(first_error)
        return outcome


def _pointed_at(options: Mapping[str, Any]) -> set[int]:
    """The members and roles the member chose in the options: those they asked to reach."""
    return {value.id for value in options.values() if isinstance(value, SandboxMember | Role)}


def _unasked_pings(message: Message, asked: set[int]) -> list[str]:
    """Whom the message notified when sent, or mentions after its edits, without being asked."""
    users = dict.fromkeys([*message.notified_user_ids, *message.mention_user_ids])
    roles = dict.fromkeys([*message.notified_role_ids, *message.mention_role_ids])
    pings = [f"<@{user}>" for user in users if user not in asked]
    pings += [f"<@&{role}>" for role in roles if role not in asked]
    if message.mention_everyone or message.notified_everyone:
        pings.append("@everyone/@here")
    return [f"{ping} in {message.content[:120]!r}" for ping in pings]


def _visible_text(message: Message) -> str:
    """Everything a member reads in a message: content, embeds and component labels."""
    parts = [message.content]
    for embed in message.embeds:
        parts += [str(embed.get(key, "")) for key in ("title", "description")]
        parts += [str(embed.get("footer", {}).get("text", ""))]
        parts += [f"{f.get('name', '')} {f.get('value', '')}" for f in embed.get("fields", [])]
    parts += [str(component.get("label", "")) for component in message.iter_components()]
    return "\n".join(parts)


def internal_text(shown: list[str]) -> list[str]:
    """The shown texts that give away the inside of the bot."""
    return [text for text in shown if any(marker in text for marker in INTERNAL_TEXT)]
