"""A bot process against the stand-in: it logs in, answers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from botfleet.errors import EXIT_CONFIG_ERROR
from botfleet.sandbox import Application, DiscordSandbox, GatewayIntent

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


async def test_bot_process_serves_then_shuts_down_on_sigterm(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app: Application = discord_sandbox.add_application("Hangman Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[app])
    alice = guild.add_member("alice")
    general = guild.channel("general")
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith("DISCORD_TOKEN") and not name.startswith("BOTFLEET_")
    }
    environment.update(
        {
            "HANGMAN_DISCORD_TOKEN": app.token,
            "BOTFLEET_DISCORD__API_BASE": discord_sandbox.url,
            "BOTFLEET_BOT__GUILD_READY_TIMEOUT": "0.05",
            "BOTFLEET_CONFIG_DIR": str(REPO_CONFIG),
            "BOTFLEET_ENV_FILE": str(tmp_path / "absent.env"),
            "BOTFLEET_LOGGING__JSON_FORMAT": "true",
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "botfleet.bots.hangman",
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    output_lines: list[str] = []
    try:
        while not any("ready as" in line for line in output_lines):
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            assert line, "the bot exited before it was ready:\n" + "".join(output_lines)
            output_lines.append(line.decode())
        await alice.send(general, "h!ping")
        reply = await general.wait_for_message(author=app, timeout=20)
        assert reply.content.startswith("🏓 Pong!")
        process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(process.wait(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = "".join(output_lines) + (await process.stdout.read()).decode()
    assert status == 0, output
    assert "received a stop signal" in output
    assert "Hangman Bot shutting down" in output
    assert app.token not in output
    assert (tmp_path / "data" / "botfleet.db").is_file()
    log_file = (tmp_path / "logs" / "hangman.log").read_text(encoding="utf-8")
    assert "received a stop signal" in log_file
    assert app.token not in log_file


async def run_until_exit(environment: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "botfleet.bots.hangman",
        cwd=cwd,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, output.decode()


def sandbox_environment(sandbox: DiscordSandbox, token: str, tmp_path: Path) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith("DISCORD_TOKEN") and not name.startswith("BOTFLEET_")
    }
    environment.update(
        {
            "HANGMAN_DISCORD_TOKEN": token,
            "BOTFLEET_DISCORD__API_BASE": sandbox.url,
            "BOTFLEET_BOT__GUILD_READY_TIMEOUT": "0.05",
            "BOTFLEET_CONFIG_DIR": str(REPO_CONFIG),
            "BOTFLEET_ENV_FILE": str(tmp_path / "absent.env"),
        }
    )
    return environment


async def test_refused_token_is_one_line_and_a_configuration_exit(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Hangman Bot")
    forged = app.token[:-4] + "abcd"
    status, output = await run_until_exit(
        sandbox_environment(discord_sandbox, forged, tmp_path), tmp_path
    )
    assert status == EXIT_CONFIG_ERROR, output
    assert "Discord refused the hangman bot's token" in output
    assert "HANGMAN_DISCORD_TOKEN" in output
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
