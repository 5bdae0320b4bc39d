"""How `botfleet sandbox` shows bots' messages: embeds, components, forms and Discord markup."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from botfleet.sandbox import Application, DiscordSandbox, Message, MessageFlag, SandboxGuild
from botfleet.sandbox.models import Attachment
from botfleet.sandbox.render import (
    EMBED_BAR,
    ComponentNumbers,
    TranscriptRenderer,
    Viewpoint,
    modal_fields,
    relative_time,
)

NOW = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def app(discord_sandbox: DiscordSandbox) -> Application:
    return discord_sandbox.add_application("Hangman Bot")


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, app: Application) -> SandboxGuild:
    guild = discord_sandbox.create_guild("botfleet sandbox", bots=[app])
    guild.add_text_channel("games")
    return guild


@pytest.fixture
def renderer(discord_sandbox: DiscordSandbox) -> TranscriptRenderer:
    return TranscriptRenderer(discord_sandbox.state, ComponentNumbers())


def bot_message(
    discord_sandbox: DiscordSandbox,
    app: Application,
    channel_id: int,
    content: str = "",
    **fields: Any,
) -> Message:
    return Message(
        id=discord_sandbox.state.snowflakes.next(),
        channel_id=channel_id,
        guild_id=None,
        author=app.bot_user,
        content=content,
        created_at=NOW,
        **fields,
    )


async def test_embed_with_fields_rows_footer_and_markup(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    renderer: TranscriptRenderer,
) -> None:
    you = guild.add_member("you")
    players = guild.add_role("Players")
    general, games = guild.channel("general"), guild.channel("games")
    embed: dict[str, Any] = {
        "author": {"name": "Game master"},
        "title": "Round 3",
        "url": "https://example.com/round",
        "description": f"{you.mention} to play in {games.mention} with <@&{players.id}> :) "
        f"<@&{guild.id}>",
        "fields": [
            {"name": "Lives", "value": "5", "inline": True},
            {"name": "Score", "value": "120", "inline": True},
            {"name": "Level", "value": "2", "inline": True},
            {"name": "Streak", "value": "4", "inline": True},
            {"name": "Word", "value": "_ a _ _\nfour letters", "inline": False},
        ],
        "image": {"url": "https://example.com/gallows.png"},
        "footer": {"text": "Guess with </guess:123> <:heart:456>"},
    }
    message = bot_message(
        discord_sandbox,
        app,
        general.id,
        "Your turn!",
        embeds=[embed],
        flags=MessageFlag.EPHEMERAL,
    )
    lines = renderer.message(message, Viewpoint(you.user, general.id))
    assert lines == [
        "  Hangman Bot [only you can see this]:",
        "    Your turn!",
        "    ┃ Game master",
        "    ┃ Round 3 <https://example.com/round>",
        "    ┃ @you to play in #games with @Players :) @everyone",
        "    ┃ Lives: 5 │ Score: 120 │ Level: 2",
        "    ┃ Streak: 4",
        "    ┃ Word:",
        "    ┃   _ a _ _",
        "    ┃   four letters",
        "    ┃ [image: https://example.com/gallows.png]",
        "    ┃ — Guess with /guess :heart:",
    ]
    elsewhere = renderer.message(message, Viewpoint(you.user, games.id), note="edited")
    assert elsewhere[0] == "  [#general] Hangman Bot [edited, only you can see this]:"


async def test_components_are_numbered_once_per_message(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    renderer: TranscriptRenderer,
) -> None:
    you = guild.add_member("you")
    general = guild.channel("general")
    components = [
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 1,
                    "label": "Guess",
                    "custom_id": "guess",
                    "emoji": {"name": "🔤"},
                },
                {"type": 2, "style": 4, "label": "Give up", "custom_id": "quit", "disabled": True},
                {"type": 2, "style": 5, "label": "Rules", "url": "https://example.com/rules"},
            ],
        },
        {
            "type": 1,
            "components": [
                {
                    "type": 3,
                    "custom_id": "level",
                    "placeholder": "Difficulty",
                    "options": [
                        {"label": "Easy", "value": "easy", "default": True},
                        {"label": "Hard", "value": "hard"},
                    ],
                }
            ],
        },
        {"type": 1, "components": [{"type": 5, "custom_id": "who", "max_values": 3}]},
    ]
    first = bot_message(discord_sandbox, app, general.id, components=components)
    view = Viewpoint(you.user, general.id)
    expected_first = [
        "  Hangman Bot:",
        "    [1] 🔤 Guess [2] Give up (disabled) [link: Rules <https://example.com/rules>]",
        "    [3] ▾ Difficulty: 1) Easy (default)  2) Hard",
        "    [4] ▾ choose a user (pick 1-3)",
    ]
    assert renderer.message(first, view) == expected_first
    assert renderer.message(first, view) == expected_first, "numbers stay on re-render"
    second = bot_message(discord_sandbox, app, general.id, "Again?", components=components[:1])
    assert renderer.message(second, view)[2].startswith("    [5] 🔤 Guess [6] Give up")
    numbered = renderer.numbers.get(3)
    assert numbered is not None
    assert (numbered.message_id, numbered.custom_id) == (first.id, "level")
    assert [n.number for n in renderer.numbers.newest_first()][:2] == [6, 5]


async def test_components_v2_attachments_deletions_reactions_and_dms(
    discord_sandbox: DiscordSandbox,
    app: Application,
    guild: SandboxGuild,
    renderer: TranscriptRenderer,
) -> None:
    you = guild.add_member("you")
    general = guild.channel("general")
    container = {
        "type": 17,
        "components": [
            {"type": 10, "content": "## Scores"},
            {"type": 14},
            {
                "type": 9,
                "components": [{"type": 10, "content": "you: 3"}],
                "accessory": {"type": 2, "style": 2, "label": "More", "custom_id": "more"},
            },
        ],
    }
    board = bot_message(
        discord_sandbox,
        app,
        general.id,
        components=[container],
        attachments=[
            Attachment(1, "board.png", "image/png", b"x" * 2048, "http://x/board.png"),
            Attachment(
                2, "rank.png", "image/png", b"xx", "http://x/rank.png", description="Level 3"
            ),
        ],
    )
    view = Viewpoint(you.user, general.id)
    assert renderer.message(board, view) == [
        "  Hangman Bot:",
        "    📎 board.png (2.0 KB)",
        "    📎 rank.png (2 bytes) — Level 3",
        "    │ ## Scores",
        "    │ " + "─" * 24,
        "    │ you: 3",
        "    │ [1] More",
    ]
    assert renderer.deletion(board, view) == ["  Hangman Bot deleted 'a message without text'"]
    dm = you.dm_with(app)
    note = bot_message(discord_sandbox, app, dm.id, "psst")
    assert renderer.message(note, view) == ["  [DM with Hangman Bot] Hangman Bot: psst"]
    mine = Message(
        id=discord_sandbox.state.snowflakes.next(),
        channel_id=general.id,
        guild_id=guild.id,
        author=you.user,
        content="h!guess e",
        created_at=NOW,
    )
    assert renderer.reaction(mine, view, app.bot_user, "✅") == [
        "  Hangman Bot reacted ✅ to your message"
    ]
    loading = bot_message(discord_sandbox, app, general.id, flags=MessageFlag.LOADING)
    assert renderer.message(loading, view) == ["  Hangman Bot is thinking..."]


async def test_modals_in_both_layouts(
    discord_sandbox: DiscordSandbox, app: Application, renderer: TranscriptRenderer
) -> None:
    modal = {
        "custom_id": "feedback",
        "title": "Feedback",
        "components": [
            {"type": 10, "content": "Tell us what you think."},
            {
                "type": 1,
                "components": [
                    {"type": 4, "custom_id": "name", "label": "Name", "style": 1, "min_length": 2}
                ],
            },
            {
                "type": 18,
                "label": "Comment",
                "component": {
                    "type": 4,
                    "custom_id": "comment",
                    "style": 2,
                    "required": False,
                    "max_length": 500,
                    "value": "Nice",
                },
            },
        ],
    }
    fields = modal_fields(modal)
    assert [(f.custom_id, f.label, f.required, f.default) for f in fields] == [
        ("name", "Name", True, ""),
        ("comment", "Comment", False, "Nice"),
    ]
    assert renderer.modal(modal, app.bot_user) == [
        "  Hangman Bot opened a form: 'Feedback'",
        "    Tell us what you think.",
        "    1. Name (required, 2-4000 characters)",
        "    2. Comment (optional, 0-500 characters, several lines allowed)",
    ]


async def test_timestamps_read_as_discord_shows_them(renderer: TranscriptRenderer) -> None:
    later = NOW + datetime.timedelta(minutes=5)
    assert relative_time(later, NOW) == "in 5 minutes"
    assert relative_time(NOW - datetime.timedelta(hours=1), NOW) == "1 hour ago"
    assert relative_time(NOW + datetime.timedelta(days=3, hours=2), NOW) == "in 3 days"
    assert relative_time(NOW + datetime.timedelta(seconds=10), NOW) == "in a few seconds"
    assert relative_time(NOW - datetime.timedelta(seconds=2), NOW) == "a few seconds ago"
    in_an_hour = int(datetime.datetime.now(datetime.UTC).timestamp()) + 3600
    assert renderer.text(f"Next round <t:{in_an_hour}:R>.") == "Next round in 1 hour."


TUESDAY_AFTERNOON = 1_618_928_430
"""2021-04-20 14:20:30 UTC."""


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (
            "Europe/Paris",
            {
                "t": "4:20 PM CEST",
                "T": "4:20:30 PM CEST",
                "d": "04/20/2021 CEST",
                "D": "April 20, 2021 CEST",
                "f": "April 20, 2021 4:20 PM CEST",
                "F": "Tuesday, April 20, 2021 4:20 PM CEST",
            },
        ),
        (
            "Pacific/Auckland",
            {
                "t": "2:20 AM NZST",
                "T": "2:20:30 AM NZST",
                "d": "04/21/2021 NZST",
                "D": "April 21, 2021 NZST",
                "f": "April 21, 2021 2:20 AM NZST",
                "F": "Wednesday, April 21, 2021 2:20 AM NZST",
            },
        ),
    ],
)
async def test_absolute_timestamps_show_in_the_readers_zone_with_its_name(
    renderer: TranscriptRenderer, zone: str, expected: dict[str, str]
) -> None:
    renderer.zone = ZoneInfo(zone)
    for style, shown in expected.items():
        assert renderer.text(f"<t:{TUESDAY_AFTERNOON}:{style}>") == shown, style
    assert renderer.text(f"<t:{TUESDAY_AFTERNOON}>") == expected["f"]
    embed: dict[str, Any] = {"description": "x", "timestamp": "2021-04-20T14:20:30+00:00"}
    assert renderer.embed(embed)[-1] == f"{EMBED_BAR}— {expected['f']}"
