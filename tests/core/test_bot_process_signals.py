"""A bot process against the stand-in: it logs in, answers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path

import pytest

from botfleet.errors import EXIT_CONFIG_ERROR
from botfleet.sandbox import Application, DiscordSandbox, GatewayIntent
from botfleet.sandbox.fleet import bot_process_environment

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


async def test_bot_process_serves_then_shuts_down_on_sigterm(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app: Application = discord_sandbox.add_application("Hangman Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[app])
    alice = guild.add_member("alice")
    general = guild.channel("general")
    environment = bot_environment(discord_sandbox.url, app.token, tmp_path)
    environment["BOTFLEET_LOGGING__JSON_FORMAT"] = "true"
    process = await start(environment, tmp_path, BOT_PROCESS)
    assert process.stdout is not None
    try:
        output_lines = await lines_until(process, "ready as")
        await alice.send(general, "h!ping")
        reply = await general.wait_for_message(author=app, timeout=20)
        assert reply.content.startswith("🏓 Pong!")
        status = await stop(process)
    finally:
        await kill_if_running(process)
    output = "".join(output_lines) + (await process.stdout.read()).decode()
    assert status == 0, output
    assert "received a stop signal" in output
    assert "Hangman Bot shutting down" in output
    assert app.token not in output
    assert (tmp_path / "data" / "botfleet.db").is_file()
    log_file = (tmp_path / "logs" / "hangman.log").read_text(encoding="utf-8")
    assert "received a stop signal" in log_file
    assert app.token not in log_file


BOT_PROCESS = ("-m", "botfleet.bots.hangman")
FLEET_PROCESS = ("-m", "botfleet", "run", "--all")
"""`botfleet run --all`: the supervisor, here with the Hangman Bot's token only."""


async def start(
    environment: dict[str, str], cwd: Path, argv: tuple[str, ...]
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *argv,
        cwd=cwd,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def run_until_exit(
    environment: dict[str, str], cwd: Path, argv: tuple[str, ...] = BOT_PROCESS
) -> tuple[int, str]:
    process = await start(environment, cwd, argv)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await kill_if_running(process)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def lines_until(process: asyncio.subprocess.Process, text: str) -> list[str]:
    """The process's output lines up to the first that contains ``text``."""
    assert process.stdout is not None
    lines: list[str] = []
    while not any(text in line for line in lines):
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert line, f"the process ended before printing {text!r}:\n" + "".join(lines)
        lines.append(line.decode())
    return lines


async def stop(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), 30)


async def kill_if_running(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


def sandbox_environment(sandbox: DiscordSandbox, token: str, tmp_path: Path) -> dict[str, str]:
    return bot_environment(sandbox.url, token, tmp_path)


def bot_environment(api_base: str, token: str, tmp_path: Path) -> dict[str, str]:
    """The Hangman Bot's token and a Discord at ``api_base``, none of the developer's settings."""
    return bot_process_environment(
        api_base, tmp_path, REPO_CONFIG, {"HANGMAN_DISCORD_TOKEN": token}
    )


@pytest.mark.parametrize("argv", [BOT_PROCESS, FLEET_PROCESS], ids=["bot", "run --all"])
async def test_refused_token_is_one_line_and_a_configuration_exit(
    discord_sandbox: DiscordSandbox, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    forged = app.token[:-4] + "abcd"
    status, output = await run_until_exit(
        sandbox_environment(discord_sandbox, forged, tmp_path), tmp_path, argv
    )
    assert status == EXIT_CONFIG_ERROR, output
    assert output.count("Discord refused the hangman bot's token") == 1, output
    assert "HANGMAN_DISCORD_TOKEN" in output
    assert "restart 1" not in output
    assert "Traceback" not in output
    assert forged not in output


async def test_missing_privileged_intent_says_which_switch(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Hangman Bot", privileged_intents=GatewayIntent(0))
    discord_sandbox.create_guild("Word Games", bots=[app])
    status, output = await run_until_exit(
        sandbox_environment(discord_sandbox, app.token, tmp_path), tmp_path
    )
    assert status == EXIT_CONFIG_ERROR, output
    assert "Message Content" in output
    assert "developer portal" in output
    assert "Traceback" not in output


async def test_unsupported_database_is_a_configuration_exit(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    environment = sandbox_environment(discord_sandbox, app.token, tmp_path)
    environment["DATABASE_URL"] = "mysql://fleet:hunter2@127.0.0.1/fleet"
    status, output = await run_until_exit(environment, tmp_path)
    assert status == EXIT_CONFIG_ERROR, output
    assert "hunter2" not in output
    assert "Traceback" not in output


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_run_all_with_one_bot_retries_a_network_failure_with_backoff(tmp_path: Path) -> None:
    environment = bot_environment(
        f"http://127.0.0.1:{closed_port()}", "MTIz.never-sent.xyz", tmp_path
    )
    process = await start(environment, tmp_path, FLEET_PROCESS)
    try:
        output = "".join(await lines_until(process, "restart 2 in 2s"))
        status = await stop(process)
    finally:
        await kill_if_running(process)
    assert status == 0, output
    assert "the hangman bot could not start: Cannot connect to host" in output
    assert "hangman exited with status 1; restart 1 in 1s" in output
    assert "Traceback" not in output
