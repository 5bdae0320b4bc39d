"""Tags and welcome messages end to end, through the local Discord stand-in."""

from __future__ import annotations

import io

import discord
from PIL import Image
from utility_helpers import answer

from botfleet.config.schema import Settings
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    Permission,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import DEFAULT_BOT_PERMISSIONS, wait_until

ADMIN = 0x20  # manage guild
MODERATOR = 0x2000  # manage messages


async def create_tag(
    member: SandboxMember, channel: SandboxChannel, app: Application, name: str, text: str
) -> str:
    """Run /tag create, fill its form, and return the bot's answer."""
    opened = await member.run_command(channel, app, "tag", {"name": name}, subcommand="create")
    form = await opened.wait_for_modal()
    field = form["components"][0]["components"][0]["custom_id"]
    submitted = await member.submit_modal(opened, {field: text})
    return (await submitted.wait_for_response()).content


async def test_members_make_and_call_tags_and_only_owners_or_mods_change_them(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    bob: SandboxMember,
    general: SandboxChannel,
) -> None:
    mod = guild.add_member("mod", permissions=MODERATOR)
    async with stage.running(settings):
        created = await create_tag(alice, general, app, "Rules", "1. Be kind\n2. @everyone no")
        assert "Tag **Rules** created" in created
        taken = await create_tag(bob, general, app, "rules", "mine now")
        assert "already a tag called “rules”" in taken

        shown = await answer(bob, general, app, "tag", {"name": "RULES"}, subcommand="show")
        assert not shown.ephemeral and shown.content == "1. Be kind\n2. @everyone no"
        assert shown.message is not None and not shown.message.mention_everyone

        handle = await bob.autocomplete(
            general, app, "tag", {"name": "ru"}, focused="name", subcommand="show"
        )
        assert [choice["value"] for choice in await handle.wait_for_choices()] == ["Rules"]

        refused = await answer(bob, general, app, "tag", {"name": "rules"}, subcommand="edit")
        assert refused.ephemeral and "only they or a moderator can edit it" in refused.content
        refused = await answer(bob, general, app, "tag", {"name": "rules"}, subcommand="delete")
        assert refused.ephemeral and "only they or a moderator can delete it" in refused.content

        opened = await mod.run_command(general, app, "tag", {"name": "rules"}, subcommand="edit")
        form = await opened.wait_for_modal()
        text_input = form["components"][0]["components"][0]
        assert text_input["value"] == "1. Be kind\n2. @everyone no"  # the form starts filled in
        submitted = await mod.submit_modal(opened, {text_input["custom_id"]: "Be kind."})
        assert "updated" in (await submitted.wait_for_response()).content

        info = await answer(alice, general, app, "tag", {"name": "rules"}, subcommand="info")
        fields = {field["name"]: field["value"] for field in info.embeds[0]["fields"]}
        assert fields["Owner"] == f"<@{alice.id}>" and fields["Uses"] == "1"

        listing = await answer(bob, general, app, "tag", subcommand="list")
        assert "**Rules**" in listing.embeds[0]["description"]
        missing = await answer(bob, general, app, "tag", {"name": "nope"}, subcommand="show")
        assert missing.ephemeral and "There is no tag called “nope”" in missing.content

        deleted = await answer(mod, general, app, "tag", {"name": "rules"}, subcommand="delete")
        assert "deleted" in deleted.content
        empty = await answer(bob, general, app, "tag", subcommand="list")
        assert "no tags yet" in empty.content


async def test_newcomers_are_welcomed_with_a_card_and_leavers_noted(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    admin = guild.add_member("admin", permissions=ADMIN)
    lobby = guild.add_text_channel("lobby")
    async with stage.running(settings):
        refused = await answer(
            alice, general, app, "welcome", {"channel": general}, subcommand="set"
        )
        assert refused.ephemeral and "admin" in refused.content.casefold()
        typo = await answer(
            admin,
            general,
            app,
            "welcome",
            {"channel": general, "message": "Hi {usr}"},
            subcommand="set",
        )
        assert typo.ephemeral and "placeholder {usr}" in typo.content
        done = await answer(
            admin,
            general,
            app,
            "welcome",
            {"channel": general, "message": "Hello {user}, welcome to {server}!", "card": True},
            subcommand="set",
        )
        assert "Welcome message set" in done.embeds[0]["title"]
        await answer(admin, general, app, "welcome", {"channel": lobby}, subcommand="goodbye")

        newcomer = guild.add_member("newcomer")
        welcome = await general.wait_for_message(author=app, check=lambda m: "Hello" in m.content)
        assert welcome.content == f"Hello <@{newcomer.id}>, welcome to Language Club!"
        assert welcome.mention_user_ids == [newcomer.id]
        [card] = welcome.attachments
        with Image.open(io.BytesIO(card.data)) as picture:
            assert picture.format == "PNG"

        await guild.remove_member(newcomer)
        goodbye = await lobby.wait_for_message(author=app)
        assert "newcomer" in goodbye.content and "has left Language Club" in goodbye.content

        asked = await admin.run_command(general, app, "welcome", {}, subcommand="preview")
        preview = await asked.wait_for_message()
        assert preview.ephemeral and f"Hello <@{admin.id}>" in preview.content
        assert len(preview.attachments) == 1

        await answer(admin, general, app, "welcome", {"which": "both"}, subcommand="off")
        guild.add_member("quiet")
        shown = await answer(admin, general, app, "welcome", subcommand="show")
        fields = {field["name"]: field["value"] for field in shown.embeds[0]["fields"]}
        assert fields["Welcome"] == "off" and fields["Goodbye"] == "off"
        assert not [m for m in general.messages() if "quiet" in m.content]


async def test_a_channel_the_bot_cannot_post_in_is_refused(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    general: SandboxChannel,
) -> None:
    admin = guild.add_member("admin", permissions=ADMIN)
    closed = guild.add_text_channel("closed")
    bot_member = guild.member(app.bot_user.username)
    async with stage.running(settings):
        await closed.set_permissions(bot_member, deny=discord.Permissions(send_messages=True))
        refused = await answer(
            admin, general, app, "welcome", {"channel": closed}, subcommand="set"
        )
        assert refused.ephemeral and "missing Send Messages" in refused.content


async def test_join_roles_are_given_at_once_or_after_the_delay(
    stage: FleetBotStage, discord_sandbox: DiscordSandbox, app: Application, settings: Settings
) -> None:
    guild = discord_sandbox.create_guild("Role Club")
    guild.add_bot(app, permissions=DEFAULT_BOT_PERMISSIONS | Permission.MANAGE_ROLES)
    general = guild.channel("general")
    newcomers = guild.add_role("Newcomers", position=1)
    verified = guild.add_role("Verified", position=1)
    mods = guild.add_role("Mods", permissions=discord.Permissions(kick_members=True), position=1)
    admin = guild.add_member("admin", permissions=ADMIN)
    async with stage.running(settings) as bot:
        refused = await answer(
            admin, general, app, "welcome", {"role": mods}, subcommand="roles add"
        )
        assert refused.ephemeral and "grants Kick Members" in refused.content
        for role in (newcomers, verified):
            added = await answer(
                admin, general, app, "welcome", {"role": role}, subcommand="roles add"
            )
            assert "is given on join" in added.embeds[0]["title"]
        again = await answer(
            admin, general, app, "welcome", {"role": verified}, subcommand="roles add"
        )
        assert "already given on join" in again.content

        first = guild.add_member("first")
        await wait_until(
            discord_sandbox,
            lambda: True if {newcomers, verified} <= set(first.roles) else None,
            timeout=5,
            describe_failure=lambda: f"first holds {first.roles}",
        )
        await answer(admin, general, app, "welcome", {"role": verified}, subcommand="roles remove")
        everyone = await answer(
            admin,
            general,
            app,
            "welcome",
            {"role": guild.role("@everyone")},
            subcommand="roles remove",
        )
        assert everyone.ephemeral
        assert everyone.content.startswith("@everyone is not given on join")
        delayed = await answer(
            admin, general, app, "welcome", {"wait": "1s"}, subcommand="roles delay"
        )
        assert "1s after joining" in delayed.embeds[0]["title"]
        second = guild.add_member("second")
        gone = guild.add_member("gone")
        await guild.remove_member(gone)  # leaves before the delay runs out: nothing to give
        assert second.roles == []
        await wait_until(
            discord_sandbox,
            lambda: True if newcomers in second.roles else None,
            timeout=5,
            describe_failure=lambda: f"second holds {second.roles}",
        )
        assert verified not in second.roles
        shown = await answer(admin, general, app, "welcome", subcommand="show")
        fields = {field["name"]: field["value"] for field in shown.embeds[0]["fields"]}
        assert fields["Join roles"] == f"<@&{newcomers.id}> (after 1s)"
        assert bot.scheduler.running
