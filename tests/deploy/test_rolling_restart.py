"""deploy/systemd/rolling-restart.sh: one unit at a time, each back online before the next.

The host's ``systemctl`` and the installed ``botfleet`` are the test's own commands that record
their calls: ``systemctl list-units`` reports two active bots, and ``botfleet status BOT`` says
online from the second time it is asked about a bot (never, for the bot the test keeps down).
"""

from __future__ import annotations

from pathlib import Path

from artefacts import DEPLOY, executable, run

SCRIPT = DEPLOY / "systemd" / "rolling-restart.sh"

FAKE_SYSTEMCTL = """#!{python}
import os, sys
arguments = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write("systemctl " + " ".join(arguments) + "\\n")
if arguments[0] == "list-units":
    print("botfleet@hangman.service loaded active running botfleet hangman bot")
    print("botfleet@utility.service loaded active running botfleet utility bot")
"""

FAKE_BOTFLEET = """#!{python}
import os, sys
bot = sys.argv[2]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write("botfleet " + " ".join(sys.argv[1:]) + "\\n")
with open(os.environ["FAKE_LOG"]) as log:
    asked = sum(line == "botfleet status " + bot + "\\n" for line in log)
sys.exit(0 if asked >= 2 and bot != os.environ.get("FAKE_NEVER_ONLINE") else 1)
"""


def restart(tmp_path: Path, **fake: str) -> tuple[int, list[str]]:
    install = tmp_path / "opt" / "botfleet"
    executable(install / ".venv" / "bin" / "botfleet", FAKE_BOTFLEET)
    executable(tmp_path / "bin" / "systemctl", FAKE_SYSTEMCTL)
    env_file = tmp_path / "botfleet.env"
    env_file.write_text("HANGMAN_DISCORD_TOKEN=token\n")
    log = tmp_path / "calls.log"
    log.write_text("")
    result = run(
        "bash",
        SCRIPT,
        environment={
            "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin",
            "INSTALL_DIR": str(install),
            "ENV_FILE": str(env_file),
            "STATUS_PAUSE": "0",
            "STATUS_ATTEMPTS": "3",
            "FAKE_LOG": str(log),
            **fake,
        },
    )
    calls = [line for line in log.read_text().splitlines() if not line.startswith("systemctl list")]
    return result.returncode, calls


def test_each_bot_is_back_online_before_the_next_restarts(tmp_path: Path) -> None:
    status, calls = restart(tmp_path)
    assert status == 0
    assert calls == [
        "systemctl start botfleet-migrate.service",
        "systemctl is-active --quiet botfleet-web.service",
        "systemctl restart botfleet-web.service",
        "systemctl restart botfleet@hangman.service",
        "botfleet status hangman",
        "botfleet status hangman",
        "botfleet status hangman",
        "systemctl restart botfleet@utility.service",
        "botfleet status utility",
        "botfleet status utility",
        "botfleet status utility",
    ]


def test_a_bot_that_does_not_come_back_stops_the_restart(tmp_path: Path) -> None:
    status, calls = restart(tmp_path, FAKE_NEVER_ONLINE="hangman")
    assert status == 1
    assert calls[-1] == "botfleet status hangman"
    assert "systemctl restart botfleet@utility.service" not in calls
