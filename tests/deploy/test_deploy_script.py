"""deploy/deploy.sh: shellcheck finds nothing, and the rolling restart and rollback do their steps.

There is no Docker engine here, so the script runs against a ``docker`` command of the test's
own that records each call and answers like docker: ``image inspect`` knows only the images the
test says were built on the host, ``compose config --services`` lists the enabled services, and
``up --wait`` fails for the one service the test makes unhealthy on one image.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from artefacts import DEPLOY, run

SCRIPT = DEPLOY / "deploy.sh"
NEW, OLD = "registry.example/botfleet:new", "registry.example/botfleet:old"

FAKE_DOCKER = """#!{python}
import json, os, sys
arguments = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    log.write(json.dumps({{"image": os.environ.get("IMAGE"), "arguments": arguments}}) + "\\n")
if arguments[:2] == ["image", "inspect"]:
    sys.exit(0 if arguments[2] in os.environ.get("FAKE_LOCAL_IMAGES", "").split() else 1)
elif "config" in arguments:
    print("postgres\\nredis\\nmigrate\\nweb\\nhangman\\nutility\\nnginx")
elif "up" in arguments and "--wait" in arguments:
    broken = os.environ.get("FAKE_UNHEALTHY", "")
    sys.exit(1 if broken == os.environ.get("IMAGE") + " " + arguments[-1] else 0)
elif "run" in arguments:
    sys.exit(int(os.environ.get("FAKE_MIGRATION_STATUS", "0")))
"""


class Host:
    """A compose host as the script sees it: a fake docker on PATH and a state folder."""

    def __init__(self, tmp_path: Path) -> None:
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        docker = self.bin / "docker"
        docker.write_text(FAKE_DOCKER.format(python=sys.executable))
        docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
        self.log = tmp_path / "docker.log"
        self.state = tmp_path / "state"
        self.environment = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "FAKE_DOCKER_LOG": str(self.log),
            "DEPLOY_STATE_DIR": str(self.state),
            "HOME": str(tmp_path),
        }

    def deploy(self, argument: str, **fake: str) -> int:
        self.log.write_text("")
        result = subprocess.run(
            ["bash", str(SCRIPT), argument],
            env={**self.environment, **fake},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return result.returncode

    def calls(self) -> list[tuple[str | None, str]]:
        """(IMAGE, what) per docker call: "pull", "migrate", or the service brought up."""
        steps = []
        for line in self.log.read_text().splitlines():
            call = json.loads(line)
            arguments = call["arguments"]
            if "config" in arguments or "inspect" in arguments:
                continue
            what = "pull" if "pull" in arguments else arguments[-1]
            steps.append((call["image"], what))
        return steps

    def deployed(self) -> str:
        return (self.state / "deployed-image").read_text().strip()


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(tmp_path)


@pytest.mark.parametrize("script", [SCRIPT, DEPLOY / "systemd" / "rolling-restart.sh"])
def test_shellcheck_finds_nothing(script: Path, program: Callable[[str, str], str]) -> None:
    result = run(program("shellcheck", "checking the deploy scripts"), script)
    assert result.returncode == 0, result.stdout


def test_rolling_restart_migrates_then_replaces_one_service_at_a_time(host: Host) -> None:
    assert host.deploy(NEW) == 0
    assert host.calls() == [
        (NEW, "pull"),
        (NEW, "migrate"),
        (NEW, "web"),
        (NEW, "hangman"),
        (NEW, "utility"),
        (NEW, "nginx"),
    ]
    assert host.deployed() == NEW


def test_unhealthy_service_rolls_back_what_was_replaced(host: Host) -> None:
    assert host.deploy(OLD) == 0
    assert host.deploy(NEW, FAKE_UNHEALTHY=f"{NEW} hangman") == 1
    assert host.calls()[2:] == [(NEW, "web"), (NEW, "hangman"), (OLD, "web"), (OLD, "hangman")]
    assert host.deployed() == OLD


def test_failed_migration_restarts_nothing(host: Host) -> None:
    assert host.deploy(NEW, FAKE_MIGRATION_STATUS="1") == 1
    assert host.calls() == [(NEW, "pull"), (NEW, "migrate")]
    assert not (host.state / "deployed-image").exists()


def test_rollback_deploys_the_image_before(host: Host) -> None:
    assert host.deploy(OLD) == 0
    assert host.deploy(NEW) == 0
    assert host.deploy("--rollback") == 0
    assert host.calls()[0] == (OLD, "pull")
    assert host.deployed() == OLD


def test_image_built_on_the_host_is_not_pulled(host: Host) -> None:
    assert host.deploy(NEW, FAKE_LOCAL_IMAGES=NEW) == 0
    assert host.calls()[:2] == [(NEW, "migrate"), (NEW, "web")]
