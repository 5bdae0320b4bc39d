"""Permission escalation: a plain member trying what is above their rights.

A member runs the moderator and admin commands of the Mod Bot, the Utility Bot, the Music
Bot's settings and the gamification admin commands (which every bot carries); presses the
buttons of a game that is not theirs, or the staff's decision on a ban appeal; submits one form
twice; an interaction reaches the bot twice. Each attempt is refused with an ephemeral message, one
log line names the member, and nothing the attempt would have changed has changed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from reliability_helpers import start_hangman

from botfleet.bots.mod.bot import mod_permissions
from botfleet.core.bot import FleetBot
from botfleet.core.errors import log as errors_log
from botfleet.sandbox import Message, SandboxChannel, SandboxGuild, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage

WAIT = 10.0


async def no_ban(bot: FleetBot, guild: SandboxGuild, target: SandboxMember) -> bool:
    return guild.bans == []


async def no_xp(bot: FleetBot, guild: SandboxGuild, target: SandboxMember) -> bool:
    await bot.gamification.xp.flush()
    profile = await bot.gamification.xp.profile(target.id, guild.id)
    return profile.progress.total_xp == 0


async def no_dj_role(bot: FleetBot, guild: SandboxGuild, target: SandboxMember) -> bool:
    cog: Any = bot.get_cog("Music")
    return (await cog.store.settings(guild.id)).dj_role_id is None


async def nothing_posted(bot: FleetBot, guild: SandboxGuild, target: SandboxMember) -> bool:
    return guild.channel("general").messages() == []


@dataclass(frozen=True)
class Attempt:
    """``/command [subcommand]`` of ``bot`` run by a plain member, ``unchanged`` the state
    check after the refusal (``target`` is the member the command would act on)."""

    bot: str
    command: str
    subcommand: str | None
    options: Callable[[SandboxMember, SandboxGuild], dict[str, Any]]
    unchanged: Callable[[FleetBot, SandboxGuild, SandboxMember], Awaitable[bool]]


ATTEMPTS = {
    "mod ban": Attempt("mod", "ban", None, lambda target, _: {"user": target}, no_ban),
    "mod kick": Attempt("mod", "kick", None, lambda target, _: {"member": target}, nothing_posted),
    "utility role menu": Attempt(
        "utility", "rolemenu", "create", lambda _, __: {"title": "Free roles"}, nothing_posted
    ),
    "gamification xp give": Attempt(
        "utility", "xp", "give", lambda target, _: {"member": target, "amount": 5000}, no_xp
    ),
    "music dj role": Attempt(
        "music", "music", "dj", lambda _, guild: {"role": guild.role("Staff")}, no_dj_role
    ),
}


def refusals_of(caplog: pytest.LogCaptureFixture, member: SandboxMember) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == errors_log.name and f"refused for user {member.id}" in record.getMessage()
    ]


@pytest.mark.parametrize("attempt", ATTEMPTS.values(), ids=ATTEMPTS.keys())
async def test_a_member_running_a_staff_command_is_refused_logged_and_changes_nothing(
    fleet_bot: FleetBotFactory, attempt: Attempt, caplog: pytest.LogCaptureFixture
) -> None:
    stage = fleet_bot(attempt.bot)
    mallory = stage.guild.add_member("mallory")
    victim = stage.guild.add_member("victim")
    stage.guild.add_role("Staff")
    general = stage.guild.channel("general")
    caplog.set_level(logging.INFO, logger=errors_log.name)
    async with stage.running() as bot:
        handle = await mallory.run_command(
            general,
            stage.app,
            attempt.command,
            attempt.options(victim, stage.guild),
            subcommand=attempt.subcommand,
        )
        answer = await handle.wait_for_message(timeout=WAIT)
        unchanged = await attempt.unchanged(bot, stage.guild, victim)

    assert answer.ephemeral and answer.content.strip(), answer.content
    assert "went wrong" not in answer.content and "Traceback" not in answer.content
    assert len(refusals_of(caplog, mallory)) == 1, refusals_of(caplog, mallory)
    assert unchanged


async def test_a_member_pressing_the_buttons_of_anothers_solo_game_is_refused(
    fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    stage = fleet_bot("hangman")
    alice, mallory = (stage.guild.add_member(name) for name in ("alice", "mallory"))
    general: SandboxChannel = stage.guild.channel("general")
    caplog.set_level(logging.INFO, logger=errors_log.name)
    async with stage.running() as bot:
        board, before, store = await start_hangman(bot, stage.app, alice, general, solo=True)
        letter = next(letter for letter in before.board.secret if letter != "z")  # on the board
        pressed = await mallory.click(board, f"hangman:{before.id}:letter:{letter}")
        answer = await pressed.wait_for_response(timeout=WAIT)
        after = await store.in_channel(general.id)

    assert answer.ephemeral and "not your game" in answer.content, answer.content
    assert len(refusals_of(caplog, mallory)) == 1, refusals_of(caplog, mallory)
    assert after is not None and after.board == before.board


def empowered_mod_bot(fleet_bot: FleetBotFactory) -> FleetBotStage:
    """The Mod Bot's stage, the bot holding a role with what moderation needs."""
    stage = fleet_bot("mod")
    powers = stage.guild.add_role("Mod Bot powers", permissions=mod_permissions())
    stage.guild.guild.members[stage.app.bot_user.id].role_ids.append(powers.id)
    return stage


async def test_a_replayed_interaction_is_handled_once_and_logged(
    fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    stage = empowered_mod_bot(fleet_bot)
    moderators = stage.guild.add_role(
        "Moderators", permissions=discord.Permissions(moderate_members=True)
    )
    mia = stage.guild.add_member("mia", roles=[moderators])
    alice = stage.guild.add_member("alice")
    general = stage.guild.channel("general")
    caplog.set_level(logging.INFO)
    async with stage.running():
        warned = await mia.run_command(general, stage.app, "warn", {"member": alice, "reason": "x"})
        first = await warned.wait_for_message(timeout=WAIT)
        await warned.redeliver()
        standing = await (
            await mia.run_command(general, stage.app, "warnings", {"user": alice})
        ).wait_for_message(timeout=WAIT)

    replays = [r for r in caplog.records if str(warned.id) in r.getMessage()]
    assert "1 active" in first.content, first.content
    assert "of 1 warning(s)" in standing.embeds[0]["footer"]["text"], standing.embeds
    assert [r.levelno for r in replays] == [logging.WARNING], [r.getMessage() for r in replays]


def button(message: Message, label_part: str) -> str:
    """The custom id of the button whose label holds ``label_part``."""
    [custom_id] = [
        str(component["custom_id"])
        for component in message.iter_components()
        if component.get("type") == 2 and label_part in str(component.get("label"))
    ]
    return custom_id


async def test_an_appeal_is_decided_by_staff_only_and_sent_once_from_one_form(
    fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    stage = empowered_mod_bot(fleet_bot)
    owner, alice, mallory = (
        stage.guild.owner,
        *(stage.guild.add_member(name) for name in ("alice", "mallory")),
    )
    general, staff = stage.guild.channel("general"), stage.guild.add_text_channel("appeals")
    caplog.set_level(logging.INFO, logger=errors_log.name)
    async with stage.running():
        for command, options, subcommand in (
            ("appeals", {"channel": staff}, "channel"),
            ("ban", {"user": alice, "reason": "spam"}, None),
        ):
            ran = await owner.run_command(
                general, stage.app, command, options, subcommand=subcommand
            )
            await ran.wait_for_message(timeout=WAIT)
        [offer] = alice.dm_with(stage.app).messages()
        opened = await alice.click(offer, button(offer, "Appeal"))
        await opened.wait_for_modal(timeout=WAIT)
        text = {"appeal_text": "It was a misunderstanding, I promise."}
        sent = await (await alice.submit_modal(opened, text)).wait_for_response(timeout=WAIT)
        again = await (await alice.submit_modal(opened, text)).wait_for_response(timeout=WAIT)
        appealed = await staff.wait_for_message(author=stage.app, timeout=WAIT)
        pressed = await mallory.click(appealed, button(appealed, "Accept"))
        refused = await pressed.wait_for_response(timeout=WAIT)

    assert "went to the staff" in sent.content, sent.content
    # The form's second submit is answered by the form's own guard, or, when it arrives while
    # the first is still being stored, by the appeal's: either way once, privately, logged.
    assert again.ephemeral, again.content
    assert "was sent already" in again.content or "with the staff already" in again.content
    assert [m for m in staff.messages() if m.author.id == stage.app.bot_user.id] == [appealed]
    assert refused.ephemeral and "Only members who may unban" in refused.content
    assert len(refusals_of(caplog, mallory)) == 1, refusals_of(caplog, mallory)
    assert len(refusals_of(caplog, alice)) == 1, refusals_of(caplog, alice)
    assert [ban.user.id for ban in stage.guild.bans] == [alice.id]
    assert appealed.components, "the decision buttons are still there for the staff"
