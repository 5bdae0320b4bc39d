"""Forged and tampered custom ids on the buttons of every bot.

A modified client can send any component interaction it likes. Discord checks it against the
message it names, and refuses a custom id the message does not carry, a disabled button, or a
menu value not offered (50035 COMPONENT_VALIDATION_FAILED): the bot never hears of it. What a
bot does hear is every component its own messages carry, including messages an older release
left with ids in shapes this release reads differently, or naming a game, a poll, a menu or a
server that is not there (another member's, another server's, gone, out of range, not a
number). Each such press is refused privately, logged once with the member's id, and changes
nothing the member can see.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import discord
import pytest
from reliability_helpers import banned_and_appealed, start_hangman
from sqlalchemy import func, select

from botfleet.bots.grammar.services.lessons import Lessons
from botfleet.bots.mod.bot import mod_permissions
from botfleet.core.bot import FleetBot
from botfleet.database.models.grammar import GrammarQuizAnswer, GrammarQuizPost
from botfleet.database.models.polls import PollVote
from botfleet.sandbox import (
    DiscordHTTPError,
    InteractionResponse,
    JSONErrorCode,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage
from botfleet.sandbox.scripting import wait_until
from botfleet.sandbox.validation import parse_message

WAIT = 10.0
TOO_LARGE = str(2**63)
"""A number that matches a persistent id's pattern but fits no 64-bit column."""


def left_by_an_older_release(
    stage: FleetBotStage,
    channel: SandboxChannel,
    custom_id: str,
    *,
    choices: Sequence[str] = (),
) -> Message:
    """A message of the bot carrying one button with ``custom_id`` (a menu offering
    ``choices``, if any), as an earlier release of the bot could have posted it: Discord
    delivers presses of whatever is on the message."""
    item: dict[str, Any] = {"type": 2, "style": 2, "label": "Old button", "custom_id": custom_id}
    if choices:
        options = [{"label": choice, "value": choice} for choice in choices]
        item = {"type": 3, "custom_id": custom_id, "options": options}
    body = {"content": "From an earlier release", "components": [{"type": 1, "components": [item]}]}
    return stage.sandbox.state.post_message(
        channel.channel, stage.app.bot_user, parse_message(body)
    )


def visible_world(guild: SandboxGuild) -> tuple[Any, ...]:
    """What a press could change that members see: the messages (ephemeral answers aside),
    the roles each member holds, the bans."""
    messages = [
        (message.id, message.content, str(message.embeds), str(message.components))
        for channel in guild.guild.channels.values()
        for message in guild.sandbox.state.messages_in(channel)
        if not message.ephemeral
    ]
    roles = sorted(
        (member.user.id, tuple(member.role_ids)) for member in guild.guild.members.values()
    )
    return messages, roles, [ban.user.id for ban in guild.bans]


def log_lines_about(caplog: pytest.LogCaptureFixture, member: SandboxMember) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("botfleet") and str(member.id) in record.getMessage()
    ]


async def pressed_elsewhere(
    stage: FleetBotStage, member: SandboxMember, guild: SandboxGuild, custom_id: str
) -> InteractionResponse:
    """``member`` presses ``custom_id`` on an old message of the bot in ``guild``'s general."""
    elsewhere = left_by_an_older_release(stage, guild.channel("general"), custom_id)
    return await (await member.click(elsewhere, custom_id)).wait_for_response()


async def rows(bot: FleetBot, model: type[Any]) -> int:
    async with bot.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def refused_and_logged_once(
    answer: InteractionResponse,
    words: str,
    caplog: pytest.LogCaptureFixture,
    member: SandboxMember,
) -> None:
    assert answer.ephemeral and words in answer.content, answer.content
    assert len(log_lines_about(caplog, member)) == 1, log_lines_about(caplog, member)


@dataclass(frozen=True)
class Tampered:
    """A custom id on an old message of ``bot``; ``{guild}`` stands for the test's guild.
    ``moderator``: the member pressing it may ban members."""

    bot: str
    custom_id: str
    moderator: bool = False


TAMPERED = {
    "hangman game gone": Tampered("hangman", "hangman:424242:letter:e"),
    "hangman game id out of range": Tampered("hangman", f"hangman:{TOO_LARGE}:letter:e"),
    "hangman game id not a number": Tampered("hangman", "hangman:abc:letter:e"),
    "hangman action unknown": Tampered("hangman", "hangman:424242:reveal"),
    "grammar quiz post gone": Tampered("grammar", "grammar:quiz:424242:1"),
    "grammar quiz choice out of range": Tampered("grammar", "grammar:quiz:424242:7"),
    "grammar practice question gone": Tampered("grammar", "grammar:practice:no-such-one:0"),
    "spelling bee game gone": Tampered("spelling_bee", "bee-classic:abc:def:spell"),
    "spelling bee key not hex": Tampered("spelling_bee", "bee-classic:abc:xyz:spell"),
    "mod appeal of this server, not banned": Tampered("mod", "modappeal:{guild}:open"),
    "mod appeal of another server": Tampered("mod", "modappeal:424242:open"),
    "mod appeal decision, appeal gone": Tampered("mod", "modappeal:424242:accept"),
    "mod appeal id out of range": Tampered("mod", f"modappeal:{TOO_LARGE}:deny"),
    "mod raid massban by a member": Tampered("mod", "modraid:{guild}:massban"),
    "mod raid massban of another server": Tampered("mod", "modraid:424242:massban"),
    "mod raid massban of another server, by a moderator": Tampered(
        "mod", "modraid:424242:massban", moderator=True
    ),
    "music control unknown": Tampered("music", "music:control:volume"),
    "music control with nothing playing": Tampered("music", "music:control:skip"),
    "utility poll gone": Tampered("utility", "poll:424242:0"),
    "utility poll id out of range": Tampered("utility", f"poll:{TOO_LARGE}:1"),
    "utility role menu gone": Tampered("utility", "rolemenu:424242:role:{guild}"),
    "utility role id out of range": Tampered("utility", f"rolemenu:424242:role:{TOO_LARGE}"),
}


@pytest.mark.parametrize("tampered", TAMPERED.values(), ids=TAMPERED.keys())
async def test_a_tampered_persistent_id_is_refused_privately_logged_once_and_changes_nothing(
    fleet_bot: FleetBotFactory, tampered: Tampered, caplog: pytest.LogCaptureFixture
) -> None:
    stage = fleet_bot(tampered.bot)
    powers = discord.Permissions(ban_members=tampered.moderator)
    mallory = stage.guild.add_member(
        "mallory", roles=[stage.guild.add_role("R", permissions=powers)]
    )
    general = stage.guild.channel("general")
    caplog.set_level(logging.INFO, logger="botfleet")
    async with stage.running():
        custom_id = tampered.custom_id.format(guild=stage.guild.id)
        old = left_by_an_older_release(stage, general, custom_id)
        before = visible_world(stage.guild)
        pressed = await mallory.click(old, custom_id)
        answer = await pressed.wait_for_response()
        after = visible_world(stage.guild)

    assert answer.ephemeral and answer.content.strip(), answer.content
    assert "went wrong" not in answer.content and "Traceback" not in answer.content
    assert len(log_lines_about(caplog, mallory)) == 1, log_lines_about(caplog, mallory)
    assert after == before


async def test_discord_refuses_a_press_of_what_the_message_does_not_offer(
    fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """The stand-in's forged-interaction path, against a real game: a button of the other
    message, a pressed (disabled) letter, a very long id and a button sent as a menu."""
    stage = fleet_bot("hangman")
    alice, mallory = (stage.guild.add_member(name) for name in ("alice", "mallory"))
    general = stage.guild.channel("general")
    caplog.set_level(logging.INFO, logger="botfleet")
    async with stage.running() as bot:
        board, game, store = await start_hangman(bot, stage.app, alice, general)
        first = next(letter for letter in game.board.secret if letter.isalpha() and letter != "z")
        pressed_id = f"hangman:{game.id}:letter:{first}"
        await (await alice.click(board, pressed_id)).wait_for_response(timeout=WAIT)
        await wait_until(
            stage.sandbox,
            lambda: (board.find_component(pressed_id) or {}).get("disabled"),
            timeout=WAIT,
            describe_failure=lambda: "waiting for the pressed letter to be disabled",
        )
        before = await store.in_channel(general.id)
        interactions = len(stage.sandbox.state.interactions)
        forged = [
            {"component_type": 2, "custom_id": f"hangman:{game.id}:quit"},
            {"component_type": 2, "custom_id": pressed_id},
            {"component_type": 2, "custom_id": "hangman:" + "9" * 4000},
            {"component_type": 3, "custom_id": f"hangman:{game.id}:letter:b", "values": ["b"]},
        ]
        refusals = []
        for data in forged:
            with pytest.raises(DiscordHTTPError) as refused:
                await mallory.forge_interaction(board, data)
            refusals.append(refused.value)
        after = await store.in_channel(general.id)

    assert [(error.status, error.code) for error in refusals] == [
        (400, JSONErrorCode.INVALID_FORM_BODY)
    ] * len(forged)
    assert all(
        error.body()["errors"]["data"]["_errors"][0]["code"] == "COMPONENT_VALIDATION_FAILED"
        for error in refusals
    )
    assert len(stage.sandbox.state.interactions) == interactions, "none reached the bot"
    assert log_lines_about(caplog, mallory) == []
    assert before is not None and after is not None and after.board == before.board


@pytest.mark.parametrize("action", ["letter:{letter}", "quit", "word"])
async def test_a_button_naming_a_game_of_another_channel_moves_nothing(
    fleet_bot: FleetBotFactory, action: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A Hangman button names its game by id: pressed in another channel (an old message
    there naming this game), it is refused, and the game where it lives is left alone."""
    stage = fleet_bot("hangman")
    moderators = stage.guild.add_role(
        "Moderators", permissions=discord.Permissions(moderate_members=True)
    )
    alice = stage.guild.add_member("alice")
    mia = stage.guild.add_member("mia", roles=[moderators])
    general, games = stage.guild.channel("general"), stage.guild.add_text_channel("games")
    caplog.set_level(logging.INFO, logger="botfleet")
    async with stage.running() as bot:
        _, before, store = await start_hangman(bot, stage.app, alice, general)
        letter = next(letter for letter in before.board.secret if letter.isalpha())
        custom_id = f"hangman:{before.id}:{action.format(letter=letter)}"
        elsewhere = left_by_an_older_release(stage, games, custom_id)
        answer = await (await mia.click(elsewhere, custom_id)).wait_for_response()
        after = await store.in_channel(general.id)

    assert answer.ephemeral and "another channel" in answer.content, answer.content
    assert len(log_lines_about(caplog, mia)) == 1, log_lines_about(caplog, mia)
    assert after is not None and after.board == before.board


async def test_a_decision_naming_another_servers_appeal_decides_nothing(
    fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A moderator of one server presses a decision button naming an appeal of another (an
    old message there): refused, logged, and the appeal stays open for its own staff."""
    stage = fleet_bot("mod")
    for guild in (stage.guild, other := stage.sandbox.create_guild("Other", bots=[stage.app])):
        powers = guild.add_role("Mod Bot powers", permissions=mod_permissions())
        guild.guild.members[stage.app.bot_user.id].role_ids.append(powers.id)
    mia = other.add_member("mia", roles=[other.add_role("Mods", permissions=mod_permissions())])
    alice = stage.guild.add_member("alice")
    general, staff = stage.guild.channel("general"), stage.guild.add_text_channel("appeals")
    caplog.set_level(logging.INFO, logger="botfleet")
    async with stage.running():
        appealed = await banned_and_appealed(
            stage.app, stage.guild.owner, alice, general, staff, reason="spam", appeal="x" * 30
        )
        accept = next(cid for cid in appealed.custom_ids if cid.endswith(":accept"))
        elsewhere = left_by_an_older_release(stage, other.channel("general"), accept)
        answer = await (await mia.click(elsewhere, accept)).wait_for_response()
        deny = next(cid for cid in appealed.custom_ids if cid.endswith(":deny"))
        denied = await (await stage.guild.owner.click(appealed, deny)).wait_for_response()
        await wait_until(
            stage.sandbox,
            lambda: True if not appealed.custom_ids else None,
            timeout=10,
            describe_failure=lambda: "waiting for the staff's own decision to close the appeal",
        )

    assert "decided already" not in denied.content, "open for its own staff"
    assert answer.ephemeral and "not this server's" in answer.content, answer.content
    assert len(log_lines_about(caplog, mia)) == 1, log_lines_about(caplog, mia)
    assert [ban.user.id for ban in stage.guild.bans] == [alice.id]


async def test_a_vote_button_naming_another_servers_poll_votes_nowhere(
    fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Poll numbers count up from 1, so a vote button is easy to point at another server's
    poll: pressed there, it is refused and logged, and the poll gets no vote."""
    stage = fleet_bot("utility")
    other = stage.sandbox.create_guild("Other", bots=[stage.app])
    alice, mallory = stage.guild.add_member("alice"), other.add_member("mallory")
    caplog.set_level(logging.INFO, logger="botfleet")
    async with stage.running() as bot:
        options = {"question": "Lunch?", "answers": "Pizza | Pasta"}
        created = await alice.run_command(
            stage.guild.channel("general"), stage.app, "poll", options, subcommand="create"
        )
        poll = (await created.wait_for_response()).message
        assert poll is not None
        answer = await pressed_elsewhere(stage, mallory, other, poll.custom_ids[0])
        stored = await rows(bot, PollVote)

    assert (stored, answer.ephemeral, "another server" in answer.content) == (0, True, True)
    assert len(log_lines_about(caplog, mallory)) == 1, log_lines_about(caplog, mallory)


async def test_an_answer_naming_another_servers_daily_question_counts_nowhere(
    fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Daily questions are numbered from 1 too: an answer button pointed at another server's
    post is refused and logged, and no answer (nor its XP) is stored there."""
    stage = fleet_bot("grammar")
    other = stage.sandbox.create_guild("Other", bots=[stage.app])
    mallory = other.add_member("mallory")
    caplog.set_level(logging.INFO, logger="botfleet")
    async with stage.running() as bot:
        lessons = Lessons.bundled()
        question = lessons.questions[0]
        async with bot.database.session() as session:
            post = GrammarQuizPost(
                guild_id=stage.guild.id,
                channel_id=stage.guild.channel("general").id,
                day=date.today(),
                tip_id=lessons.tips[0].id,
                question_id=question.id,
            )
            session.add(post)
            await session.commit()
        custom_id = f"grammar:quiz:{post.id}:{question.answer}"
        answer = await pressed_elsewhere(stage, mallory, other, custom_id)
        answers = await rows(bot, GrammarQuizAnswer)

    assert answers == 0
    refused_and_logged_once(answer, "another server", caplog, mallory)


async def test_a_role_menu_choice_that_is_no_role_id_is_refused(
    fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A menu's choices are role ids; one that is not (an older release's menu) picks none."""
    caplog.set_level(logging.INFO, logger="botfleet")
    stage = fleet_bot("utility")
    mallory = stage.guild.add_member("mallory")
    async with stage.running():
        before = visible_world(stage.guild)
        old = left_by_an_older_release(
            stage, stage.guild.channel("general"), "rolemenu:1:pick", choices=["admin", "1"]
        )
        picked = await mallory.select(old, "rolemenu:1:pick", ["admin"])
        answer = await picked.wait_for_response()
        after = visible_world(stage.guild)

    refused_and_logged_once(answer, "not a role of this menu", caplog, mallory)
    assert after[1:] == before[1:]


async def test_a_menu_shown_before_a_restart_is_answered_not_dropped(
    fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reminders' delete menu lives in its process only: after a crash (a stop greys it
    out) discord.py knows no view for it and dropped the pick ("This interaction failed"); it
    is answered now, and the reminder stays."""
    caplog.set_level(logging.INFO, logger="botfleet")
    stage = fleet_bot("utility")
    alice = stage.guild.add_member("alice")
    general = stage.guild.channel("general")
    async with stage.running() as crashing:

        async def killed_before_expiring_views() -> None:
            """A killed process greys nothing out."""

        monkeypatch.setattr(crashing, "_expire_views", killed_before_expiring_views)
        remind = {"when": "in 3 days", "what": "water the plants"}
        await (await alice.run_command(general, stage.app, "remind", remind)).wait_for_message()
        listed = await alice.run_command(general, stage.app, "reminders", {}, subcommand="list")
        menu = await listed.wait_for_message()
    caplog.clear()  # what setting the reminder logged
    async with stage.running():
        select = next(item for item in menu.iter_components() if item.get("type") == 3)
        [reminder] = [str(option["value"]) for option in select["options"]]
        picked = await alice.select(menu, menu.custom_ids[0], [reminder])
        answer = await picked.wait_for_response()
        again = await alice.run_command(general, stage.app, "reminders", {}, subcommand="list")
        still = await again.wait_for_message()

    refused_and_logged_once(answer, "run the command again", caplog, alice)
    assert f"#{reminder}" in str(still.embeds), still.embeds
