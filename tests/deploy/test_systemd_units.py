"""deploy/systemd: ``systemd-analyze verify`` and ``security`` accept the units as installed.

The units are laid out in a throwaway root as the README installs them (units in
/etc/systemd/system, botfleet in /opt/botfleet/.venv, the secrets file in /etc/botfleet), with
the machine's own system units beside them, so ``verify`` resolves every dependency and checks
that ``ExecStart`` is executable. Warnings count as failures: ``verify`` only warns about an
unknown key or a value it cannot parse.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from artefacts import DEPLOY, run

from botfleet import bot_names

UNITS = DEPLOY / "systemd"
SYSTEM_UNITS = Path("/lib/systemd/system")
MAX_EXPOSURE = "20"
"""``systemd-analyze security`` scores 0 (locked down) to 100; ours score 15 ("OK")."""


@pytest.fixture
def root(tmp_path: Path, tool: Callable[[str], str]) -> Path:
    """A file system root holding the installed units and an executable botfleet."""
    botfleet = tool("botfleet")
    root = tmp_path / "root"
    (root / "etc" / "botfleet").mkdir(parents=True)
    (root / "etc" / "botfleet" / "botfleet.env").write_text("HANGMAN_DISCORD_TOKEN=\n")
    installed = root / "etc" / "systemd" / "system"
    installed.mkdir(parents=True)
    for unit in UNITS.glob("*.service"):
        shutil.copy2(unit, installed)
    shutil.copytree(SYSTEM_UNITS, root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    bin_dir = root / "opt" / "botfleet" / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    shutil.copy2(botfleet, bin_dir / "botfleet")
    return root


def instances() -> list[str]:
    return [f"botfleet@{name}.service" for name in bot_names()]


def test_units_verify_without_a_warning(root: Path, tool: Callable[[str], str]) -> None:
    units = [*instances(), "botfleet-web.service", "botfleet-migrate.service"]
    result = run(tool("systemd-analyze"), "verify", "--man=no", f"--root={root}", *units)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_verify_rejects_a_unit_whose_program_is_missing(
    root: Path, tool: Callable[[str], str]
) -> None:
    (root / "opt" / "botfleet" / ".venv" / "bin" / "botfleet").unlink()
    web = "botfleet-web.service"
    result = run(tool("systemd-analyze"), "verify", "--man=no", f"--root={root}", web)
    assert result.returncode != 0
    assert "is not executable" in result.stderr


@pytest.mark.parametrize("unit", ["botfleet@hangman.service", "botfleet-web.service"])
def test_units_are_hardened(root: Path, unit: str, tool: Callable[[str], str]) -> None:
    result = run(
        tool("systemd-analyze"),
        "security",
        "--offline=yes",
        f"--root={root}",
        f"--threshold={MAX_EXPOSURE}",
        unit,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Overall exposure level" in result.stdout


def test_bot_instances_run_the_named_bot_and_restart_on_failure() -> None:
    template = (UNITS / "botfleet@.service").read_text()
    assert "ExecStart=/opt/botfleet/.venv/bin/botfleet run %i\n" in template
    assert "Restart=on-failure\n" in template
    assert "Requires=botfleet-migrate.service\n" in template
    migrate = (UNITS / "botfleet-migrate.service").read_text()
    assert "Type=oneshot\n" in migrate
    assert "ExecStart=/opt/botfleet/.venv/bin/botfleet db upgrade\n" in migrate
