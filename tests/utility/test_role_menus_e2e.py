"""Role menus end to end: the real discord.py client against the local Discord stand-in.

The guild is built before the bot joins, so the menu's roles sit below the bot's own role (as
an admin arranges them), and the bot's role holds Manage Roles.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest

from botfleet.config.schema import Settings
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionResponse,
    Message,
    Permission,
    Role,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import DEFAULT_BOT_PERMISSIONS

MENU = 1
"""The first menu of a fresh database."""


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, app: Application) -> SandboxGuild:
    """Members, Red, Green and Blue below the bot's role; the bot may manage roles."""
    built = discord_sandbox.create_guild("Language Club")
    for name in ("Members", "Red", "Green", "Blue"):
        built.add_role(name)
    built.add_bot(app, permissions=DEFAULT_BOT_PERMISSIONS | Permission.MANAGE_ROLES)
    return built


@pytest.fixture
def owner(guild: SandboxGuild) -> SandboxMember:
    return guild.owner


async def rolemenu(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    subcommand: str,
    options: dict[str, Any] | None = None,
) -> Message:
    """The answer's message: the first answer, or the one that filled a late acknowledgement."""
    handle = await member.run_command(
        channel, app, "rolemenu", options or {}, subcommand=subcommand
    )
    return await handle.wait_for_message()


def menu_message(channel: SandboxChannel, app: Application) -> Message:
    """The menu the bot posted (as it is now, after any edit)."""
    posted = [
        message
        for message in channel.messages()
        if message.author.id == app.bot_user.id and message.embeds and not message.deleted
    ]
    assert len(posted) == 1, posted
    return posted[0]


def held(member: SandboxMember, *roles: Role) -> set[str]:
    """Which of ``roles`` the member holds, by name."""
    ids = {role.id for role in member.roles}
    return {role.name for role in roles if role.id in ids}


async def pick(member: SandboxMember, message: Message, *roles: Role) -> InteractionResponse:
    handle = await member.select(message, f"rolemenu:{MENU}:pick", [str(r.id) for r in roles])
    return await handle.wait_for_response()


async def press(member: SandboxMember, message: Message, role: Role) -> InteractionResponse:
    handle = await member.click(message, f"rolemenu:{MENU}:role:{role.id}")
    return await handle.wait_for_response()


async def build_menu(
    owner: SandboxMember,
    where: SandboxChannel,
    app: Application,
    roles: list[Role],
    **create: Any,
) -> None:
    """Run /rolemenu create in ``where`` with ``create``'s options, then add ``roles``."""
    options = {"title": "Colours", **create}
    handle = await owner.run_command(where, app, "rolemenu", options, subcommand="create")
    created = await handle.wait_for_message()
    assert created.ephemeral and f"Menu #{MENU} “Colours” is posted" in created.content
    for role in roles:
        added = await rolemenu(owner, where, app, "add", {"menu": MENU, "role": role})
        assert f"<@&{role.id}> is on menu #{MENU}" in added.content, added.content


async def test_an_admin_builds_a_select_menu_and_members_toggle_roles(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    red, green, blue = guild.role("Red"), guild.role("Green"), guild.role("Blue")
    async with stage.running(settings):
        created = await rolemenu(
            owner, general, app, "create", {"title": "Colours", "description": "Be bright"}
        )
        assert "any number of roles" in created.content
        assert menu_message(general, app).components == []
        handle = await owner.autocomplete(
            general, app, "rolemenu", {"menu": "col"}, focused="menu", subcommand="add"
        )
        assert [choice["value"] for choice in await handle.wait_for_choices()] == [MENU]
        added = await rolemenu(
            owner,
            general,
            app,
            "add",
            {"menu": MENU, "role": red, "emoji": "🔴", "description": "Warm", "label": "Team red"},
        )
        assert added.ephemeral and "(1 of 25)" in added.content
        for role in (green, blue):
            await rolemenu(owner, general, app, "add", {"menu": MENU, "role": role})

        message = menu_message(general, app)
        assert message.embeds[0]["title"] == "Colours"
        assert "Be bright" in message.embeds[0]["description"]
        select = message.find_component(f"rolemenu:{MENU}:pick")
        assert select is not None and select["max_values"] == 3
        assert [option["label"] for option in select["options"]] == ["Team red", "Green", "Blue"]
        assert select["options"][0]["description"] == "Warm"

        answer = await pick(alice, message, red, green)
        assert answer.ephemeral and f"Added <@&{red.id}>, <@&{green.id}>" in answer.content
        assert held(alice, red, green, blue) == {"Red", "Green"}
        answer = await pick(alice, message, red, blue)
        assert f"Added <@&{blue.id}>" in answer.content
        assert f"Removed <@&{red.id}>" in answer.content
        assert held(alice, red, green, blue) == {"Green", "Blue"}

        listing = await rolemenu(owner, general, app, "list")
        text = listing.embeds[0]["description"]
        assert listing.ephemeral and "#1 Colours" in text and "Team red" in text

        removed = await rolemenu(owner, general, app, "remove", {"menu": MENU, "role": str(red.id)})
        assert "2 left" in removed.content
        select = menu_message(general, app).find_component(f"rolemenu:{MENU}:pick")
        assert select is not None and len(select["options"]) == 2

        deleted = await rolemenu(owner, general, app, "delete", {"menu": MENU})
        assert "Deleted menu #1" in deleted.content and "keep the roles" in deleted.content
        assert not [m for m in general.messages() if m.embeds and not m.deleted]
        assert held(alice, green, blue) == {"Green", "Blue"}


async def test_buttons_in_one_of_mode_swap_the_role(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    red, blue = guild.role("Red"), guild.role("Blue")
    roles_channel = guild.add_text_channel("roles")
    async with stage.running(settings):
        await build_menu(
            owner, general, app, [red, blue], style="buttons", mode="one", channel=roles_channel
        )
        message = menu_message(roles_channel, app)
        assert [c["custom_id"] for c in message.iter_components() if c.get("type") == 2] == [
            f"rolemenu:{MENU}:role:{red.id}",
            f"rolemenu:{MENU}:role:{blue.id}",
        ]
        await press(alice, message, red)
        assert held(alice, red, blue) == {"Red"}
        swapped = await press(alice, message, blue)
        assert f"Added <@&{blue.id}>" in swapped.content
        assert f"Removed <@&{red.id}>" in swapped.content and "swapped" in swapped.content
        assert held(alice, red, blue) == {"Blue"}
        await press(alice, message, blue)
        assert held(alice, red, blue) == set()


async def test_at_most_n_refuses_one_more_with_a_clear_message(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    red, green, blue = guild.role("Red"), guild.role("Green"), guild.role("Blue")
    async with stage.running(settings):
        await build_menu(owner, general, app, [red, green, blue], max_roles=2)
        message = menu_message(general, app)
        await pick(alice, message, red, green)
        refused = await pick(alice, message, blue)
        assert refused.ephemeral and "at most 2 roles from this menu" in refused.content
        assert "“Red”, “Green”" in refused.content
        assert held(alice, red, green, blue) == {"Red", "Green"}


async def test_members_without_the_required_role_are_refused(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    members, red = guild.role("Members"), guild.role("Red")
    async with stage.running(settings):
        await build_menu(owner, general, app, [red], style="buttons", required_role=members)
        message = menu_message(general, app)
        assert f"For members with <@&{members.id}>" in message.embeds[0]["description"]
        refused = await press(alice, message, red)
        assert "only for members with the @Members role" in refused.content
        assert held(alice, red) == set()
        await guild.give_role(alice, members)
        await press(alice, message, red)
        assert held(alice, red) == {"Red"}


async def test_roles_the_bot_must_not_hand_out_are_refused_when_added(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    owner: SandboxMember,
    general: SandboxChannel,
) -> None:
    too_high = guild.add_role("Above the bot")
    mods = guild.add_role(
        "Mods", permissions=Permission.BAN_MEMBERS | Permission.KICK_MEMBERS, position=2
    )
    other_bot = discord_sandbox.add_application("Music Bot")
    guild.add_bot(other_bot)
    managed = guild.role("Music Bot")
    everyone = guild.guild.roles[guild.id]
    red = guild.role("Red")
    async with stage.running(settings):
        await build_menu(owner, general, app, [red])
        refusals = {
            too_high.name: "at or above my highest role (@Utility Bot)",
            mods.name: "grants Ban Members, Kick Members",
            managed.name: "managed by Discord or an integration",
            everyone.name: "@everyone belongs to every member",
            red.name: "@Red is already on menu #1",
        }
        for role in (too_high, mods, managed, everyone, red):
            answer = await rolemenu(owner, general, app, "add", {"menu": MENU, "role": role})
            assert answer.ephemeral and refusals[role.name] in answer.content, answer.content
        select = menu_message(general, app).find_component(f"rolemenu:{MENU}:pick")
        assert select is not None and [o["label"] for o in select["options"]] == ["Red"]


async def test_a_deleted_role_is_explained_marked_and_removable(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    red, blue = guild.role("Red"), guild.role("Blue")
    async with stage.running(settings):
        await build_menu(owner, general, app, [red, blue], style="buttons")
        # The deletion reaches the bot on its gateway before the member's press does.
        await guild.delete_role(red)
        message = menu_message(general, app)
        answer = await press(alice, message, red)
        assert "“Red” was deleted from the server" in answer.content
        listing = await rolemenu(owner, general, app, "list")
        assert "“Red”: **role deleted**" in listing.embeds[0]["description"]
        handle = await owner.autocomplete(
            general,
            app,
            "rolemenu",
            {"menu": MENU, "role": ""},
            focused="role",
            subcommand="remove",
        )
        choices = await handle.wait_for_choices()
        assert [choice["name"] for choice in choices] == ["Red (deleted role)", "Blue (@Blue)"]
        await rolemenu(owner, general, app, "remove", {"menu": MENU, "role": choices[0]["value"]})
        assert menu_message(general, app).custom_ids == [f"rolemenu:{MENU}:role:{blue.id}"]
        await press(alice, menu_message(general, app), blue)
        assert held(alice, blue) == {"Blue"}


async def test_the_menu_keeps_working_after_a_restart(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    red, green = guild.role("Red"), guild.role("Green")
    async with stage.running(settings):
        await build_menu(owner, general, app, [red, green], mode="one")
    async with stage.running(settings):
        message = menu_message(general, app)
        await pick(alice, message, red)
        answer = await pick(alice, message, green)
        assert "swapped" in answer.content
        assert held(alice, red, green) == {"Green"}


async def test_members_who_are_not_admins_cannot_manage_menus(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with stage.running(settings):
        refused = await rolemenu(alice, general, app, "create", {"title": "Mine"})
        assert refused.ephemeral and "for admins" in refused.content
        listing = await rolemenu(alice, general, app, "list")
        assert "for admins" in listing.content
    assert not [m for m in general.messages() if m.embeds]


async def test_a_menu_whose_message_was_deleted_is_posted_again(
    stage: FleetBotStage,
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    guild: SandboxGuild,
    owner: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    red = guild.role("Red")
    async with stage.running(settings):
        await rolemenu(owner, general, app, "create", {"title": "Colours", "style": "buttons"})
        await owner.delete(menu_message(general, app))
        added = await rolemenu(owner, general, app, "add", {"menu": MENU, "role": red})
        assert "posted it again" in added.content
        await press(alice, menu_message(general, app), red)
        assert held(alice, red) == {"Red"}


async def test_a_bot_without_manage_roles_says_so(
    stage: FleetBotStage, discord_sandbox: DiscordSandbox, app: Application, settings: Settings
) -> None:
    guild = discord_sandbox.create_guild("Quiet Club")
    guild.add_bot(app)
    quiet = guild.channel("general")
    async with stage.running(settings):
        refused = await rolemenu(guild.owner, quiet, app, "create", {"title": "Colours"})
        assert "I need the Manage Roles permission" in refused.content
    assert discord.utils.find(lambda m: bool(m.embeds), quiet.messages()) is None
