"""Ban appeals end to end: the DM before the ban, the form, the staff's decision."""

from __future__ import annotations

import pytest
from automod_helpers import CaseFeed, answer, cases_of
from mod_commands_helpers import answer as ask
from mod_commands_helpers import answer_of

from botfleet.bots.mod.events.appeals import APPEAL_LINE
from botfleet.bots.mod.services.limits import CaseAction
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
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
        refused = await (
            await owner.click(appealed, button(appealed, "Accept"))
        ).wait_for_followup()
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
