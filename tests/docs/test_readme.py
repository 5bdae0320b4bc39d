"""The README tells a newcomer what the product does, in the words the bots use themselves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from botfleet import bot_names, get_definition
from botfleet.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _bot_rows() -> dict[str, str]:
    """The README's "What each bot does" table: the bot's short name → its row's text."""
    table = README.split("What each bot does so far:", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1]
    return rows


@pytest.mark.parametrize("bot", bot_names())
def test_readme_describes_each_bot_as_its_about_command_does(bot: str) -> None:
    definition = get_definition(bot)
    description = load_settings(bot, config_dir=ROOT / "config", environ={}).bot.description
    short_name = definition.display_name.removesuffix(" Bot")
    assert _bot_rows()[short_name].startswith(description)


def test_readme_lists_the_extras_make_installs() -> None:
    extras = re.search(r"^EXTRAS \?= (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert extras is not None
    assert f"(`{extras.group(1)}`)" in README.replace("\n", "")
