"""`botfleet run --all --one-process`: every bot with a token in one process, each its own
client, sharing one database, cache and event bus."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp
from scale_processes import AMQP_URL, BotProcess, unused_port

from botfleet.sandbox import Application, DiscordSandbox


async def one_process(
    sandbox: DiscordSandbox,
    directory: Path,
    apps: Sequence[Application],
    settings: Mapping[str, str],
) -> BotProcess:
    """``botfleet run --all --one-process`` with the tokens of ``apps`` (named "<Bot> Bot")."""
    tokens = {f"{app.name.split()[0].upper()}_DISCORD_TOKEN": app.token for app in apps}
    return await BotProcess.start(
        ("run", "--all", "--one-process"), sandbox.url, directory, {**tokens, **settings}
    )


async def test_two_bots_share_one_process_and_answer_each_as_itself(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    hangman = discord_sandbox.add_application("Hangman Bot")
    utility = discord_sandbox.add_application("Utility Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[hangman, utility])
    alice = guild.add_member("alice")
    general = guild.channel("general")
    port = unused_port()
    fleet = await one_process(
        discord_sandbox,
        tmp_path,
        (hangman, utility),
        {"BOTFLEET_HEALTH__PORT": str(port), "BOTFLEET_LOGGING__JSON_FORMAT": "true"},
    )
    try:
        await fleet.wait_for_output("starting hangman, utility in one process")
        for name in ("Hangman Bot", "Utility Bot"):
            await fleet.wait_for_output(f"{name} ready as")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/health") as response,
        ):
            health = await response.json()
        for app, prefix in ((hangman, "h!"), (utility, "u!")):
            await alice.send(general, f"{prefix}ping")
            reply = await general.wait_for_message(author=app, timeout=20)
            assert reply.content.startswith("🏓 Pong!")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            exposition = await response.text()
        status = await fleet.stop()
    finally:
        await fleet.kill()
    assert status == 0, fleet.text
    assert response.status == 200, health
    assert sorted(health["bots"]) == ["hangman", "utility"]
    for bot in ("hangman", "utility"):  # a health.port exports the metrics of every bot
        assert (
            f'botfleet_commands_total{{bot="{bot}",command="ping",kind="text",outcome="ok"}} 1.0'
            in exposition
        )
    assert all(bot["guild_ids"] == [guild.guild.id] for bot in health["bots"].values())
    assert "started hangman" not in fleet.text  # no supervised child process per bot
    assert fleet.text.count("shutting down") == 2
    lines = [json.loads(line) for line in fleet.text.splitlines() if line.startswith("{")]
    for name, bot in (("Hangman Bot", "hangman"), ("Utility Bot", "utility")):
        ready = [line for line in lines if line["message"].startswith(f"{name} ready as")]
        assert [line["bot"] for line in ready] == [bot], "each bot logs under its own name"
        closing = [line for line in lines if line["message"] == f"{name} shutting down"]
        assert [line["bot"] for line in closing] == [bot]


async def test_a_bot_that_never_gets_ready_keeps_no_other_bot_from_the_event_bus(
    discord_sandbox: DiscordSandbox, tmp_path: Path, exchange: str
) -> None:
    import aio_pika  # noqa: PLC0415  (the exchange fixture skipped the test without it)

    hangman = discord_sandbox.add_application("Hangman Bot")
    hangman.holds_ready = True
    utility = discord_sandbox.add_application("Utility Bot")
    discord_sandbox.create_guild("Word Games", bots=[hangman, utility])
    fleet = await one_process(
        discord_sandbox,
        tmp_path,
        (hangman, utility),
        {
            "BOTFLEET_BUS__BACKEND": "rabbitmq",
            "BOTFLEET_BUS__EXCHANGE": exchange,
            "AMQP_URL": AMQP_URL,
            "BOTFLEET_BOT__LATE_AFTER": "2",
        },
    )
    try:
        await fleet.wait_for_output("utility receives its cross-bot events")
        await fleet.wait_for_output("hangman is not ready after 2 s")
        async with await aio_pika.connect(AMQP_URL) as connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(f"{exchange}.utility", passive=True)
            consumers = queue.declaration_result.consumer_count
        status = await fleet.stop()
    finally:
        await fleet.kill()
    assert status == 0, fleet.text
    assert consumers == 1, "the ready bot receives its cross-bot events"
    assert "Hangman Bot ready as" not in fleet.text
    assert "hangman receives its cross-bot events" not in fleet.text


async def test_a_bot_that_stops_on_an_error_is_reported_while_the_others_serve(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    """A bot of the fleet that ends at its start (here Discord refuses its token) is named in
    the log at once, not only when the whole process stops."""
    hangman = discord_sandbox.add_application("Hangman Bot")
    utility = discord_sandbox.add_application("Utility Bot")
    discord_sandbox.create_guild("Word Games", bots=[hangman, utility])
    fleet = await one_process(
        discord_sandbox,
        tmp_path,
        (hangman, utility),
        {"HANGMAN_DISCORD_TOKEN": "not-a-token-discord-knows"},
    )
    try:
        await fleet.wait_for_output("hangman stopped (LoginFailure")
        await fleet.wait_for_output("Utility Bot ready as")
        await fleet.stop()
    finally:
        await fleet.kill()
