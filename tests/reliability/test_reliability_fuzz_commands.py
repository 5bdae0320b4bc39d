"""Every slash command, subcommand, option and context menu each bot registers, fuzzed through
the stand-in with hypothesis (issue 19).

For each invocation: the bot answers within Discord's deadline (and a deferred answer comes),
shows the member no traceback or internal error, pings nobody the member did not choose, and
logs nothing at ERROR; values past an option's limits are refused by the stand-in, as Discord's
client refuses to send them. Examples are derandomized, so CI runs the same inputs every time;
a failing one is reported as found, not shrunk (each try of a command that never answers would
wait out the deadline again).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from command_fuzzing import (
    MESSAGE_MENU,
    USER_MENU,
    FuzzedBot,
    FuzzedCommand,
    Outcome,
    internal_text,
    options_strategy,
    past_limits,
    text_values,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from botfleet import bot_names
from botfleet.sandbox import SandboxMember
from required import postgres_admin, postgres_database_url

EXAMPLES_PER_COMMAND = 5
"""Inputs tried on each command and subcommand on each database engine in a run."""
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_COMMAND,
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(
    scope="module",
    params=[
        *(pytest.param((name, "sqlite"), id=f"{name}-sqlite") for name in bot_names()),
        *(
            pytest.param((name, "postgresql"), id=f"{name}-postgresql", marks=pytest.mark.postgres)
            for name in bot_names()
        ),
    ],
)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzedBot]:
    """One bot in a stand-in of its own for the whole module, on a SQLite file or on a
    PostgreSQL database of its own (copied from the migrated template), which is stricter:
    a 32-bit column refuses a larger number, a text column a NUL character."""
    bot_name, engine = request.param
    with ExitStack() as stack:
        url = None
        if engine == "postgresql":
            template = str(request.getfixturevalue("postgres_schema_template"))
            url = stack.enter_context(postgres_copy(template))
        bot = FuzzedBot(bot_name, tmp_path_factory.mktemp(f"fuzz-{bot_name}"), url)
        bot.start()
        try:
            yield bot
        finally:
            bot.stop()


@contextmanager
def postgres_copy(template: str) -> Iterator[str]:
    """A PostgreSQL database copied from the database ``template``, dropped after."""
    name = f"botfleet_fuzz_{uuid.uuid4().hex[:12]}"
    asyncio.run(postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield postgres_database_url(name)
    finally:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def describe(options: dict[str, Any]) -> str:
    """The options as a failure names them, long texts cut to their start and length."""
    shown = {
        name: f"{value[:40]!r}… ({len(value)} characters)"
        if isinstance(value, str) and len(value) > 60
        else repr(value)
        for name, value in options.items()
    }
    return "{" + ", ".join(f"{name}: {value}" for name, value in shown.items()) + "}"


def check(outcome: Outcome, what: str) -> None:
    """The rules every invocation keeps."""
    assert outcome.answered, f"{what}: no answer in time: {outcome.problem}"
    assert not internal_text(outcome.shown), f"{what} showed: {internal_text(outcome.shown)}"
    assert not outcome.pinged, f"{what} pinged: {outcome.pinged}"
    assert not outcome.errors_logged, f"{what} logged: {outcome.errors_logged}"


def fuzz_command(bot: FuzzedBot, command: FuzzedCommand) -> None:
    """Run ``command`` with generated options and check each outcome."""
    world = bot.world
    runners = st.sampled_from(world.runners)
    if command.kind == USER_MENU:
        inputs = st.fixed_dictionaries({"target": st.sampled_from(world.targets)})
    elif command.kind == MESSAGE_MENU:
        inputs = st.just({})
    else:
        inputs = options_strategy(world, command)

    @FUZZ_SETTINGS
    @given(runner=runners, options=inputs, data=st.data())
    def run(runner: SandboxMember, options: dict[str, Any], data: st.DataObject) -> None:
        what = f"{command.label} {describe(options)} by {runner.name}"
        check(bot.invoke(runner, command, options), what)
        typed = [o for o in command.options if o.get("autocomplete")]
        if typed:
            option = data.draw(st.sampled_from(typed))
            name = str(option["name"])
            text = data.draw(text_values(world, 1, 100))
            typed_options = {**options, name: text}
            check(bot.suggest(runner, command, typed_options, name), f"autocomplete {what}")
        limited = [o for o in command.options if past_limits(o)]
        if limited:
            option = data.draw(st.sampled_from(limited))
            name = str(option["name"])
            past = data.draw(st.sampled_from(past_limits(option)))
            assert bot.refuses(runner, command, {**options, name: past}), (
                f"the stand-in sent {command.label} with {name}={past!r}, which Discord refuses"
            )

    run()


def test_every_command_of_the_bot_survives_hostile_options(fuzzed: FuzzedBot) -> None:
    commands = fuzzed.commands()
    assert commands, f"{fuzzed.bot_name} registered no commands"
    for command in commands:
        fuzz_command(fuzzed, command)
