"""A bot from another package joins the fleet by installing it: one ``botfleet.bots`` entry point.

The package here is written to a folder on ``sys.path`` with its own ``.dist-info``, which is all
``importlib.metadata`` reads, so the fleet finds it exactly as it finds an installed wheel.
"""

from __future__ import annotations

import importlib.metadata
import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner

from botfleet import (
    BotDiscoveryError,
    _bot_entry_points,
    bot_definitions,
    bot_names,
    get_definition,
)
from botfleet.cli import main
from botfleet.errors import EXIT_CONFIG_ERROR
from botfleet.sandbox.console import run_sandbox
from botfleet.services.privacy import (
    data_service_modules,
    delete_user_everywhere,
    registry,
)

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
ADA = 1_234_567_890_123_456_789

PARROT_BOT = """
from pydantic import BaseModel, ConfigDict

from botfleet.core.definition import BotDefinition


class ParrotOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    greeting: str = "Hello"


DEFINITION = BotDefinition(
    name="parrot",
    display_name="Parrot Bot",
    prefix="pa!",
    options_model=ParrotOptions,
    extensions=("fleet_parrot.commands",),
    privacy_modules=("fleet_parrot.privacy",),
    walkthrough=("{prefix}say crackers", ":expect crackers"),
)
"""
PARROT_COMMANDS = """
from discord.ext import commands


class Parrot(commands.Cog):
    def __init__(self, greeting):
        self.greeting = greeting

    @commands.command()
    async def say(self, ctx, *, text: str):
        await ctx.send(f"{self.greeting}! {text}")


async def setup(bot):
    await bot.add_cog(Parrot(bot.options.greeting))
"""
PARROT_PRIVACY = """
from botfleet.services.privacy import registry

SIGHTINGS = {1_234_567_890_123_456_789}


async def forget_sightings(session, user_id):
    seen = user_id in SIGHTINGS
    SIGHTINGS.discard(user_id)
    return int(seen)


registry.register("parrot_sightings", forget_sightings)
"""
PARROT_MODULES = (
    "fleet_parrot",
    "fleet_parrot.bot",
    "fleet_parrot.commands",
    "fleet_parrot.privacy",
)


def install_distribution(site: Path, name: str, entry_points: str) -> None:
    """What pip leaves behind that importlib.metadata reads: METADATA and entry_points.txt."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[botfleet.bots]\n{dedent(entry_points)}")
    forget_discovery()  # as a process started after the install would


def forget_discovery() -> None:
    _bot_entry_points.cache_clear()
    get_definition.cache_clear()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on ``sys.path`` that packages are installed into; everything undone after."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    forget_discovery()
    yield folder
    forget_discovery()
    if "parrot_sightings" in registry.names:
        registry.unregister("parrot_sightings")
    for module in PARROT_MODULES:
        sys.modules.pop(module, None)


@pytest.fixture
def parrot(site: Path) -> Path:
    """The Parrot Bot, installed as its own distribution."""
    package = site / "fleet_parrot"
    package.mkdir()
    (package / "__init__.py").write_text('"""The Parrot Bot."""\n')
    (package / "bot.py").write_text(PARROT_BOT)
    (package / "commands.py").write_text(PARROT_COMMANDS)
    (package / "privacy.py").write_text(PARROT_PRIVACY)
    install_distribution(site, "fleet_parrot", "parrot = fleet_parrot.bot:DEFINITION\n")
    return package


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout-like folder with the shipped config and no token anywhere."""
    shutil.copytree(REPO_CONFIG, tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    for name in bot_names():
        monkeypatch.delenv(f"{name.upper()}_DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    return tmp_path


def test_an_installed_bot_is_listed_without_being_imported(parrot: Path) -> None:
    assert bot_names() == (
        "grammar",
        "hangman",
        "mod",
        "music",
        "parrot",
        "spelling_bee",
        "utility",
    )
    assert "fleet_parrot.bot" not in sys.modules, "listing the fleet imports no bot"
    assert get_definition("parrot").display_name == "Parrot Bot"
    assert [definition.name for definition in bot_definitions()] == list(bot_names())


def test_an_installed_bot_is_configurable(
    parrot: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTFLEET_OPTIONS__GREETING", "Squawk")
    result = CliRunner().invoke(main, ["config", "show", "--bot", "parrot"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "pa!" in rows["bot.prefix"] and "[default of the parrot bot]" in rows["bot.prefix"]
    assert "Squawk" in rows["options.greeting"]
    refused = CliRunner().invoke(main, ["config", "show", "--bot", "parot"])
    assert refused.exit_code != 0
    assert "'parrot'" in refused.output, "the choices offered include the installed bot"


def test_an_installed_bot_runs_in_the_sandbox(
    parrot: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTFLEET_OPTIONS__GREETING", "Squawk")
    stdout = io.StringIO()
    status = run_sandbox(["parrot"], stdout=stdout, stdin=io.StringIO())
    transcript = stdout.getvalue()
    assert status == 0, transcript
    assert "── Parrot Bot (text commands start with pa!) ──" in transcript
    assert "[#general] you> pa!say crackers\n  Parrot Bot: Squawk! crackers" in transcript


async def test_the_cli_erases_a_member_from_an_installed_bot_too(
    parrot: Path, migrated_url: str
) -> None:
    assert "fleet_parrot.privacy" in data_service_modules()
    report = await delete_user_everywhere(migrated_url, ADA)
    assert report["parrot_sightings"] == 1
    again = await delete_user_everywhere(migrated_url, ADA)
    assert again["parrot_sightings"] == 0


def test_two_packages_declaring_one_bot_are_refused(parrot: Path, site: Path) -> None:
    install_distribution(site, "fleet_parrot_fork", "parrot = fleet_parrot.bot:DEFINITION\n")
    with pytest.raises(BotDiscoveryError, match="two packages declare the bot 'parrot'") as caught:
        bot_names()
    assert "fleet_parrot_fork" in str(caught.value) and "uninstall one" in str(caught.value)


@pytest.mark.parametrize(
    ("entry_point", "problem"),
    [
        ("Parrot-Bot = fleet_parrot.bot:DEFINITION", "a bot's name is lower-case"),
        ("parrot = fleet_missing.bot:DEFINITION", "cannot be imported: ModuleNotFoundError"),
        ("parrot = fleet_parrot.bot:ParrotOptions", "names a ModelMetaclass, not a BotDefinition"),
        ("macaw = fleet_parrot.bot:DEFINITION", "names the bot 'parrot'; the entry point and"),
    ],
)
def test_a_broken_entry_point_is_named_in_the_error(
    parrot: Path, site: Path, entry_point: str, problem: str
) -> None:
    shutil.rmtree(site / "fleet_parrot-1.0.dist-info")
    install_distribution(site, "fleet_parrot", f"{entry_point}\n")
    with pytest.raises(BotDiscoveryError, match=problem) as caught:
        for name in bot_names():
            get_definition(name)
    assert "botfleet.bots" in str(caught.value) and "fleet_parrot" in str(caught.value)


def test_a_broken_bot_stops_its_configuration_with_one_line(
    site: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(site, "fleet_parrot", "parrot = fleet_missing.bot:DEFINITION\n")
    result = CliRunner().invoke(main, ["config", "show", "--bot", "parrot"])
    assert result.exit_code == EXIT_CONFIG_ERROR, result.output
    assert result.output.startswith("botfleet: botfleet.bots: parrot = 'fleet_missing.bot")
    assert "Traceback" not in result.output


def test_listing_the_fleet_imports_no_bot_and_a_definition_none_of_its_commands() -> None:
    probe = dedent(
        """
        import sys
        import botfleet
        botfleet.bot_names()
        assert not [m for m in sys.modules if m.startswith(("discord", "botfleet.bots."))]
        for definition in botfleet.bot_definitions():
            for extension in definition.extensions:
                assert extension not in sys.modules, extension
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr


def test_a_fleet_without_installed_bots_says_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: ())
    forget_discovery()
    try:
        with pytest.raises(KeyError, match="no bot is installed; install botfleet"):
            get_definition("hangman")
    finally:
        monkeypatch.undo()
        forget_discovery()
    assert "hangman" in bot_names()
