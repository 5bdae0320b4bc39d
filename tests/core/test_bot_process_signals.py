"""A bot process against the stand-in: it logs in, answers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from botfleet.sandbox import Application, DiscordSandbox

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
    try:
        for _ in range(200):
            if app.global_commands:
                break
            await asyncio.sleep(0.05)
        await alice.send(general, "h!ping")
        reply = await general.wait_for_message(author=app, timeout=20)
        assert reply.content.startswith("🏓 Pong!")
        process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(process.wait(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.stdout is not None
    output = (await process.stdout.read()).decode()
    assert status == 0, output
    assert "received a stop signal" in output
    assert "Hangman Bot shutting down" in output
    assert app.token not in output
    assert (tmp_path / "data" / "botfleet.db").is_file()
    log_file = (tmp_path / "logs" / "hangman.log").read_text(encoding="utf-8")
    assert "received a stop signal" in log_file
    assert app.token not in log_file
