"""Ban appeals end to end: the DM before the ban, the form, the staff's decision."""

from __future__ import annotations

import pytest
from automod_helpers import CaseFeed, answer, cases_of
from mod_commands_helpers import answer as ask
from mod_commands_helpers import answer_of

from botfleet.bots.mod.events.appeals import APPEAL_LINE
from botfleet.bots.mod.services.limits import CaseAction
from botfleet.config.schema import Settings
from botfleet.core.answers import SLOW_NOTE_OPENING, slow_note
from botfleet.core.bot import FleetBot
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionCallbackType,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.flags import Permission
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until

APPEAL_TEXT = {"appeal_text": "I posted that invite by mistake, it was my own server."}


@pytest.fixture
def staff(guild: SandboxGuild) -> SandboxChannel:
    return guild.add_text_channel("appeals")


def button(message: Message, label_part: str) -> str:
    [custom_id] = [
        component["custom_id"]
        for component in message.iter_components()
        if component.get("type") == 2 and label_part in str(component.get("label"))
    ]
    return str(custom_id)


async def edited_to(stage: FleetBotStage, message: Message, text: str) -> Message:
    """``message`` once its content says ``text`` (the decision written into the DM)."""
    return await wait_until(
        stage.sandbox,
        lambda: message if text in message.content else None,
        timeout=5,
        describe_failure=lambda: f"waiting for {text!r} in {message.describe()}",
    )


async def banned_by_automod(
    bot: FleetBot,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    staff: SandboxChannel,
    app: Application,
) -> Message:
    """Appeals on, an invite rule that bans, and alice breaking it: the DM she got."""
    feed = CaseFeed(bot)
    turned_on = await answer(owner, general, app, "channel", {"channel": staff}, command="appeals")
    assert "appeals land in" in turned_on.content
    await answer(owner, general, app, "rule", {"kind": "invites", "actions": "ban"})
    await alice.send(general, "discord.gg/elsewhere")
    assert (await feed.next()).action is CaseAction.BAN
    offer = await alice.dm_with(app).wait_for_message(author=app)
    assert "being banned" in offer.embeds[0]["title"]
    return offer


async def appeal(
    alice: SandboxMember, offer: Message, staff: SandboxChannel, app: Application
) -> Message:
    """Alice appeals from the DM that offered it: the staff's message of her appeal."""
    opened = await alice.click(offer, button(offer, "Appeal"))
    await opened.wait_for_modal()
    sent = await answer_of(await alice.submit_modal(opened, APPEAL_TEXT))
    assert sent.ephemeral and "went to the staff" in sent.content, sent.content
    appealed = await staff.wait_for_message(author=app)
    assert "my own server" in str(appealed.embeds[0]) and "#1" in str(appealed.embeds[0])
    return appealed


async def test_an_accepted_appeal_unbans_and_amends_the_case(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    staff: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        offer = await banned_by_automod(bot, owner, alice, general, staff, app)
        assert [ban.user.id for ban in guild.bans] == [alice.id]
        feed = CaseFeed(bot)
        # Discord holds the appeal's post to the staff past the 3 s of a first answer.
        discord_sandbox.force_rate_limit(
            "POST /channels/{channel_id}/messages", retry_after=3.5, application=app
        )
        appealed = await appeal(alice, offer, staff, app)

        refused = await (await alice.click(offer, button(offer, "Appeal"))).wait_for_response()
        assert "not banned" not in refused.content  # still banned: the form opens again
        # Discord holds the unban back past the 3 s of a first answer: the press is answered.
        discord_sandbox.force_rate_limit(
            "DELETE /guilds/{guild_id}/bans/{user_id}", retry_after=3.5
        )
        decided = await (await owner.click(appealed, button(appealed, "Accept"))).wait_for_edit()
        assert "Accepted by" in str(decided.embeds[0]) and not decided.components
        assert guild.bans == []
        unban = await feed.next()
        assert (unban.number, unban.action, unban.moderator_id) == (2, CaseAction.UNBAN, owner.id)
        ban_case = (await cases_of(bot, guild, alice))[0]
        assert ban_case.reason is not None and "appeal accepted by owner" in ban_case.reason
        assert ban_case.amended_by == owner.id
        told = await edited_to(stage, offer, "was accepted")
        assert not told.components


async def test_a_denied_appeal_keeps_the_ban_and_is_decided_once(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
    staff: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        offer = await banned_by_automod(bot, owner, alice, general, staff, app)
        appealed = await appeal(alice, offer, staff, app)

        again = await alice.click(offer, button(offer, "Appeal"))
        await again.wait_for_modal()
        waiting = await answer_of(await alice.submit_modal(again, APPEAL_TEXT))
        assert "with the staff already" in waiting.content

        not_staff = await (await bob.click(appealed, button(appealed, "Deny"))).wait_for_response()
        assert "Only members who may unban" in not_staff.content
        await (await owner.click(appealed, button(appealed, "Deny"))).wait_for_response()
        assert [ban.user.id for ban in guild.bans] == [alice.id]
        await edited_to(stage, offer, "was denied")


async def test_the_appeal_button_survives_a_restart_and_refuses_the_unbanned(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    staff: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        offer = await banned_by_automod(bot, owner, alice, general, staff, app)
    async with stage.running(settings):
        await appeal(alice, offer, staff, app)
        await guild.unban(alice)
        late = await (await alice.click(offer, button(offer, "Appeal"))).wait_for_response()
        assert late.ephemeral and "not banned" in late.content


async def test_without_an_appeals_channel_no_appeal_is_offered(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        feed = CaseFeed(bot)
        await answer(owner, general, app, "rule", {"kind": "invites", "actions": "ban"})
        await alice.send(general, "discord.gg/elsewhere")
        assert (await feed.next()).action is CaseAction.BAN
        assert alice.dm_with(app).messages() == []


async def test_a_ban_by_a_moderator_carries_the_appeal_in_its_one_dm(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    staff: SandboxChannel,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        await answer(owner, general, app, "channel", {"channel": staff}, command="appeals")
        banned = await ask(owner, general, app, "ban", {"user": alice, "reason": "spam"})
        assert "Banned **alice**" in banned.content, banned.content
        [dm] = alice.dm_with(app).messages()
        assert "You were banned from" in dm.content and "Reason: spam" in dm.content
        assert APPEAL_LINE in dm.content
        [case] = await cases_of(bot, guild, alice)
        assert case.dm_text == dm.content

        await appeal(alice, dm, staff, app)


async def test_appeals_turned_off_leave_the_ban_dm_without_an_appeal(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    staff: SandboxChannel,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        await answer(owner, general, app, "channel", {"channel": staff}, command="appeals")
        off = await answer(owner, general, app, "off", command="appeals")
        assert off.ephemeral and "Appeals are off" in off.content, off.content
        refused = await answer(alice, general, app, "off", command="appeals")
        assert refused.ephemeral and "Appeals are off" not in refused.content

        banned = await ask(owner, general, app, "ban", {"user": alice, "reason": "spam"})
        assert "Banned **alice**" in banned.content, banned.content
        [dm] = alice.dm_with(app).messages()
        assert "You were banned from" in dm.content and APPEAL_LINE not in dm.content
        assert not list(dm.iter_components()) and staff.messages() == []


async def test_an_appeal_that_cannot_reach_the_staff_is_not_kept_and_can_be_sent_again(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    staff: SandboxChannel,
) -> None:
    async with stage.running(settings) as bot:
        offer = await banned_by_automod(bot, owner, alice, general, staff, app)
        bot_member = guild.member(app.bot_user.username)
        await staff.set_permissions(bot_member, deny=Permission.SEND_MESSAGES)

        opened = await alice.click(offer, button(offer, "Appeal"))
        await opened.wait_for_modal()
        failed = await answer_of(await alice.submit_modal(opened, APPEAL_TEXT))
        assert failed.ephemeral and "could not reach the staff" in failed.content, failed.content
        assert "again later" in failed.content

        await staff.clear_permissions(bot_member)
        await appeal(alice, offer, staff, app)  # not "with the staff already"


async def test_a_bot_without_ban_members_answers_appeals_and_keeps_them_open(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    staff: SandboxChannel,
) -> None:
    """Discord refuses the bot the ban list and the unban: each press is answered, none lost."""
    async with stage.running(settings) as bot:
        offer = await banned_by_automod(bot, owner, alice, general, staff, app)
        powers, bot_member = guild.role("Mod Bot powers"), guild.member(app.bot_user.username)
        await guild.take_role(bot_member, powers)
        refused = await (await alice.click(offer, button(offer, "Appeal"))).wait_for_response()
        assert refused.ephemeral and "can't check your ban" in refused.content, refused.content
        await guild.give_role(bot_member, powers)
        appealed = await appeal(alice, offer, staff, app)

        await guild.take_role(bot_member, powers)
        # Refused within the grace: the private refusal is the press's first response.
        refused = await (
            await owner.click(appealed, button(appealed, "Accept"))
        ).wait_for_response()
        assert refused.ephemeral and "appeal stays open" in refused.content, refused.content
        assert [ban.user.id for ban in guild.bans] == [alice.id]
        assert appealed.components and "Decision" not in str(appealed.embeds[0])

        await guild.give_role(bot_member, powers)
        decided = await (await owner.click(appealed, button(appealed, "Accept"))).wait_for_edit()
        assert "Accepted by" in str(decided.embeds[0]) and not decided.components
        assert guild.bans == []
        actions = [case.action for case in await cases_of(bot, guild, alice)]
        assert actions == [CaseAction.BAN, CaseAction.UNBAN]
        await edited_to(stage, offer, "was accepted")


UNBAN_ROUTE = "DELETE /guilds/{guild_id}/bans/{user_id}"
DECISION = "appeal decision"
HELD_BACK = {"interaction_deadline": 1.5}
"""Discord's deadline shortened (it is 3 s), with room for a loaded machine to acknowledge."""


def paced(settings: Settings) -> Settings:
    """The bot acknowledges a late answer after 0.2 s and notes it after 0.8 s."""
    settings.bot.answer_grace = 0.2
    settings.bot.slow_note_after = 0.8
    return settings


async def test_a_quick_decision_is_one_update_of_the_staff_message(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    staff: SandboxChannel,
) -> None:
    """In time, the decision is the press's first response: the staff message updated (7)."""
    async with stage.running(settings) as bot:
        offer = await banned_by_automod(bot, owner, alice, general, staff, app)
        appealed = await appeal(alice, offer, staff, app)
        handle = await owner.click(appealed, button(appealed, "Deny"))
        response = await handle.wait_for_response()
        await edited_to(stage, offer, "was denied")

    assert response.type is InteractionCallbackType.UPDATE_MESSAGE
    assert response.message is appealed and appealed.edit_count == 1
    assert "Denied by" in str(appealed.embeds[0]) and not appealed.components
    assert handle.interaction.followup_results == []


@pytest.mark.parametrize("discord_sandbox_options", [HELD_BACK])
async def test_a_decision_held_back_is_acknowledged_noted_privately_and_edited_once(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    staff: SandboxChannel,
) -> None:
    """A 429 storm holds the unban back: type 6 at once, the note to the presser alone, the
    staff message edited once with the decision, and the note taken down."""
    async with stage.running(paced(settings)) as bot:
        offer = await banned_by_automod(bot, owner, alice, general, staff, app)
        appealed = await appeal(alice, offer, staff, app)
        stage.sandbox.force_rate_limit(UNBAN_ROUTE, retry_after=0.5, times=3)
        handle = await owner.click(appealed, button(appealed, "Accept"))
        response = await handle.wait_for_response()
        note = await handle.wait_for_followup(timeout=5)
        note_text = note.content
        await edited_to(stage, offer, "was accepted")
        await wait_until(
            stage.sandbox,
            lambda: note.deleted or None,
            timeout=5,
            describe_failure=lambda: f"waiting for the note to go: {note.describe()}",
        )

    assert response.type is InteractionCallbackType.DEFERRED_UPDATE_MESSAGE
    assert note.ephemeral and note_text == slow_note(DECISION)
    assert handle.interaction.followup_results == [note.id]
    assert appealed.edit_count == 1 and SLOW_NOTE_OPENING not in appealed.content
    assert "Accepted by" in str(appealed.embeds[0]) and not appealed.components
    assert guild.bans == []


@pytest.mark.parametrize("discord_sandbox_options", [HELD_BACK])
async def test_an_unban_refused_after_the_note_replaces_the_note_privately(
    stage: FleetBotStage,
    settings: Settings,
    app: Application,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
    staff: SandboxChannel,
) -> None:
    """Held back by a 429 storm, then refused for want of Ban Members: the presser's note
    becomes the refusal; the staff message and the ban stay as they were."""
    async with stage.running(paced(settings)) as bot:
        offer = await banned_by_automod(bot, owner, alice, general, staff, app)
        appealed = await appeal(alice, offer, staff, app)
        await guild.take_role(guild.member(app.bot_user.username), guild.role("Mod Bot powers"))
        stage.sandbox.force_rate_limit(UNBAN_ROUTE, retry_after=0.5, times=3)
        handle = await owner.click(appealed, button(appealed, "Accept"))
        response = await handle.wait_for_response()
        note = await handle.wait_for_followup(timeout=5)
        assert note.content == slow_note(DECISION)
        await wait_until(
            stage.sandbox,
            lambda: "appeal stays open" in note.content or None,
            timeout=5,
            describe_failure=lambda: f"waiting for the refusal: {note.describe()}",
        )

    assert response.type is InteractionCallbackType.DEFERRED_UPDATE_MESSAGE
    assert note.ephemeral and not note.deleted
    assert handle.interaction.followup_results == [note.id]
    assert appealed.edit_count == 0 and appealed.components
    assert [ban.user.id for ban in guild.bans] == [alice.id]
