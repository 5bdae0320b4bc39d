"""``botfleet invite BOT``: the OAuth2 link asking for exactly the permissions the bot declares."""

from __future__ import annotations

import base64
import shutil
import urllib.parse
from pathlib import Path

import discord
import pytest
from click.testing import CliRunner, Result

from botfleet import bot_names
from botfleet.cli import main
from botfleet.config import token_variable

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
BASE = {"view_channel", "send_messages", "embed_links", "read_message_history"}
EXPECTED_PERMISSIONS = {
    "grammar": BASE | {"add_reactions"},
    "hangman": BASE,
    "mod": BASE
    | {
        "kick_members",
        "ban_members",
        "moderate_members",
        "manage_messages",
        "manage_channels",
        "manage_roles",
        "view_audit_log",
        "manage_guild",
    },
    "music": BASE | {"connect", "speak", "attach_files"},
    "spelling_bee": BASE | {"attach_files"},
    "utility": BASE | {"manage_roles", "attach_files", "send_polls"},
}
APPLICATION_ID = 1_187_654_321_098_765_432


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO_CONFIG, tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    for name in bot_names():
        monkeypatch.delenv(token_variable(name), raising=False)
    return tmp_path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def token_of(application_id: int) -> str:
    """A token shaped as Discord makes them: the bot's id in base64, a timestamp, an HMAC."""
    first = base64.b64encode(str(application_id).encode()).decode().rstrip("=")
    return f"{first}.GhT2kQ.Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0"


def query_of(url: str) -> dict[str, str]:
    parsed = urllib.parse.urlsplit(url)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == (
        "https://discord.com/oauth2/authorize"
    )
    return dict(urllib.parse.parse_qsl(parsed.query, strict_parsing=True))


@pytest.mark.parametrize("bot_name", bot_names())
def test_the_invite_asks_for_exactly_what_the_bot_needs(workdir: Path, bot_name: str) -> None:
    result = invoke("invite", bot_name, "--client-id", str(APPLICATION_ID))
    assert result.exit_code == 0, result.output
    query = query_of(result.output.strip())
    assert query["client_id"] == str(APPLICATION_ID)
    assert query["scope"] == "bot applications.commands"
    expected = discord.Permissions(**dict.fromkeys(EXPECTED_PERMISSIONS[bot_name], True))
    assert query["permissions"] == str(expected.value)


def test_the_client_id_comes_from_the_bots_token(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(token_variable("utility"), token_of(APPLICATION_ID))
    result = invoke("invite", "utility")
    assert result.exit_code == 0, result.output
    assert query_of(result.output.strip())["client_id"] == str(APPLICATION_ID)
    assert "GhT2kQ" not in result.output, "the token itself is never printed"


def test_without_a_usable_token_it_asks_for_the_client_id(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = invoke("invite", "hangman")
    assert result.exit_code == 2
    assert "no Discord token for the hangman bot" in result.output
    assert "--client-id" in result.output

    monkeypatch.setenv(token_variable("hangman"), "not-a-token.at.all")
    result = invoke("invite", "hangman")
    assert result.exit_code == 2
    assert "does not look like a Discord bot token" in result.output
    assert "not-a-token" not in result.output

    result = invoke("invite", "pinball", "--client-id", "1")
    assert result.exit_code == 2
    assert "'pinball' is not one of" in result.output
