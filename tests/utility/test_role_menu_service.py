"""Role menus without Discord: which roles may be offered, what a pick changes, and the store
on SQLite and the real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from botfleet.auth.roles import DANGEROUS_PERMISSIONS, BotFacts, RoleFacts, role_problem
from botfleet.bots.utility.config import UtilityOptions
from botfleet.bots.utility.services.role_menus import (
    MenuMode,
    MenuOption,
    MenuStyle,
    NewMenu,
    PickRefusedError,
    RoleMenu,
    RoleMenuError,
    RoleMenuNotFoundError,
    RoleMenuService,
    RoleNotAllowedError,
    check_emoji,
    plan_pick,
    resolve_mode,
)
from botfleet.database import Database
from botfleet.database.models.role_menus import RoleMenuOption as OptionRow

GUILD, OTHER_GUILD, CHANNEL = 500, 501, 600
RED, GREEN, BLUE, MEMBERS = 11, 12, 13, 20
BOT = BotFacts(top_role_position=10, top_role_name="Utility Bot", can_manage_roles=True)


def role(role_id: int, name: str = "", position: int = 3, **facts: Any) -> RoleFacts:
    return RoleFacts(id=role_id, name=name or f"role{role_id}", position=position, **facts)


ROLES = {
    RED: role(RED, "Red"),
    GREEN: role(GREEN, "Green"),
    BLUE: role(BLUE, "Blue"),
    MEMBERS: role(MEMBERS, "Members"),
}


def menu(mode: MenuMode = MenuMode.ANY, **fields: Any) -> RoleMenu:
    fields.setdefault("max_roles", 2 if mode is MenuMode.AT_MOST else None)
    return RoleMenu(
        id=1,
        guild_id=GUILD,
        channel_id=CHANNEL,
        message_id=None,
        title="Colours",
        description=None,
        style=MenuStyle.SELECT,
        mode=mode,
        required_role_id=fields.pop("required_role_id", None),
        options=(MenuOption(RED, "Red"), MenuOption(GREEN, "Green"), MenuOption(BLUE, "Blue")),
        **fields,
    )


# --- What may be offered --------------------------------------------------------------------


def test_an_ordinary_role_below_the_bot_may_be_offered() -> None:
    assert role_problem(role(RED, permissions=frozenset({"send_messages"})), BOT) is None


@pytest.mark.parametrize(
    ("facts", "bot", "reason"),
    [
        (role(1, "@everyone", 0, is_default=True), BOT, "@everyone belongs to every member"),
        (role(2, "Nitro Booster", managed=True), BOT, "managed by Discord or an integration"),
        (role(3, "Mods", 10), BOT, "at or above my highest role (@Utility Bot)"),
        (role(3, "Mods", 12), BOT, "Move @Utility Bot above it"),
        (role(4, "Fans"), BotFacts(10, "Utility Bot", False), "Manage Roles permission"),
        (role(5, "Boss", permissions=frozenset({"administrator"})), BOT, "grants Administrator"),
    ],
)
def test_roles_the_bot_cannot_hand_out_are_refused_with_the_reason(
    facts: RoleFacts, bot: BotFacts, reason: str
) -> None:
    problem = role_problem(facts, bot)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("permission", sorted(DANGEROUS_PERMISSIONS))
def test_every_dangerous_permission_is_refused_by_its_settings_name(permission: str) -> None:
    facts = role(RED, "Trouble", permissions=frozenset({"send_messages", permission}))
    problem = role_problem(facts, BOT)
    assert problem is not None and DANGEROUS_PERMISSIONS[permission] in problem


def test_all_the_dangerous_permissions_of_a_role_are_named() -> None:
    facts = role(RED, "Trouble", permissions=frozenset({"ban_members", "kick_members"}))
    problem = role_problem(facts, BOT)
    assert problem is not None and "Kick Members" in problem and "Ban Members" in problem


def test_modes_and_limits() -> None:
    assert resolve_mode(None, None) == (MenuMode.ANY, None)
    assert resolve_mode(None, 3) == (MenuMode.AT_MOST, 3)
    assert resolve_mode(MenuMode.ONE, None) == (MenuMode.ONE, None)
    with pytest.raises(RoleMenuError, match="needs a limit"):
        resolve_mode(MenuMode.AT_MOST, None)
    with pytest.raises(RoleMenuError, match="only applies to the “at most” mode"):
        resolve_mode(MenuMode.ONE, 2)


@pytest.mark.parametrize("emoji", ["🎮", "🇫🇷", "👩‍💻", "<:party:123456789012345678>"])
def test_emojis_are_accepted(emoji: str) -> None:
    assert check_emoji(f" {emoji} ") == emoji


@pytest.mark.parametrize("emoji", ["game", ":smile:", "<:x:12>", "🎮 fun"])
def test_words_are_not_emojis(emoji: str) -> None:
    with pytest.raises(RoleMenuError, match="is not an emoji"):
        check_emoji(emoji)


# --- What a pick changes --------------------------------------------------------------------


def test_a_pick_toggles_each_role() -> None:
    change = plan_pick(menu(), {RED, 99}, [GREEN, RED], ROLES, BOT)
    assert change.added == (GREEN,) and change.removed == (RED,)


def test_one_of_swaps_the_role_held_for_the_new_one() -> None:
    change = plan_pick(menu(MenuMode.ONE), {RED, 99}, [BLUE], ROLES, BOT)
    assert change.added == (BLUE,) and change.removed == (RED,)


def test_one_of_picking_the_held_role_gives_it_back() -> None:
    change = plan_pick(menu(MenuMode.ONE), {RED}, [RED], ROLES, BOT)
    assert change.added == () and change.removed == (RED,)


def test_one_of_refuses_two_new_roles_at_once() -> None:
    with pytest.raises(PickRefusedError, match="one role at a time"):
        plan_pick(menu(MenuMode.ONE), set(), [RED, BLUE], ROLES, BOT)


def test_at_most_refuses_the_role_past_the_limit_and_names_those_held() -> None:
    with pytest.raises(PickRefusedError, match="at most 2 roles") as refused:
        plan_pick(menu(MenuMode.AT_MOST), {RED, GREEN}, [BLUE], ROLES, BOT)
    assert "“Red”" in refused.value.message and "“Green”" in refused.value.message


def test_at_most_allows_a_swap_within_one_pick() -> None:
    change = plan_pick(menu(MenuMode.AT_MOST), {RED, GREEN}, [RED, BLUE], ROLES, BOT)
    assert change.added == (BLUE,) and change.removed == (RED,)


def test_a_required_role_is_needed_to_get_roles_but_not_to_give_them_back() -> None:
    gated = menu(required_role_id=MEMBERS)
    with pytest.raises(PickRefusedError, match="only for members with the @Members role"):
        plan_pick(gated, set(), [RED], ROLES, BOT)
    assert plan_pick(gated, {MEMBERS}, [RED], ROLES, BOT).added == (RED,)
    assert plan_pick(gated, {RED}, [RED], ROLES, BOT).removed == (RED,)


def test_a_deleted_required_role_locks_the_menu() -> None:
    gated = menu(required_role_id=77)
    with pytest.raises(PickRefusedError, match="role that no longer exists"):
        plan_pick(gated, set(), [RED], ROLES, BOT)


def test_a_deleted_role_is_explained() -> None:
    without_green = {key: value for key, value in ROLES.items() if key != GREEN}
    with pytest.raises(PickRefusedError, match="“Green” was deleted"):
        plan_pick(menu(), set(), [GREEN], without_green, BOT)


def test_a_role_taken_off_the_menu_is_refused() -> None:
    with pytest.raises(PickRefusedError, match="no longer on this menu"):
        plan_pick(menu(), set(), [MEMBERS], ROLES, BOT)


def test_a_role_made_dangerous_since_it_was_offered_is_refused() -> None:
    changed = {**ROLES, RED: role(RED, "Red", permissions=frozenset({"manage_roles"}))}
    with pytest.raises(PickRefusedError, match="grants Manage Roles"):
        plan_pick(menu(), set(), [RED], changed, BOT)


menu_roles = st.sets(st.sampled_from([RED, GREEN, BLUE]))


@given(
    mode=st.sampled_from(list(MenuMode)),
    held=menu_roles,
    picked=st.lists(st.sampled_from([RED, GREEN, BLUE]), min_size=1, max_size=3, unique=True),
)
def test_a_pick_never_leaves_a_member_above_the_limit(
    mode: MenuMode, held: set[int], picked: list[int]
) -> None:
    rules = menu(mode)
    limit = rules.limit
    if limit is not None and len(held) > limit:
        held = set(sorted(held)[:limit])
    try:
        change = plan_pick(rules, held, picked, ROLES, BOT)
    except PickRefusedError:
        return
    after = (held - set(change.removed)) | set(change.added)
    assert limit is None or len(after) <= limit
    assert set(change.added).isdisjoint(held) and set(change.removed) <= held
    assert set(change.added) | set(change.removed) >= set(picked)


# --- The store --------------------------------------------------------------------------------


@pytest.fixture
def make_service(database: Database) -> Callable[..., RoleMenuService]:
    def make(**options: Any) -> RoleMenuService:
        return RoleMenuService(database, UtilityOptions(**options))

    return make


@pytest.fixture
def service(make_service: Callable[..., RoleMenuService]) -> RoleMenuService:
    return make_service()


def new_menu(**fields: Any) -> NewMenu:
    fields.setdefault("guild_id", GUILD)
    fields.setdefault("title", "Colours")
    return NewMenu(channel_id=CHANNEL, **fields)


async def test_a_menu_is_created_found_listed_and_searched(service: RoleMenuService) -> None:
    created = await service.create(
        new_menu(title="  Games  ", description="Pick yours", max_roles=2, required_role_id=9)
    )
    assert (created.title, created.mode, created.max_roles) == ("Games", MenuMode.AT_MOST, 2)
    other = await service.create(new_menu(title="Colours", style=MenuStyle.BUTTONS))
    await service.create(new_menu(guild_id=OTHER_GUILD))
    await service.set_message(created.id, CHANNEL + 1, 777)
    found = await service.get(GUILD, created.id)
    assert (found.channel_id, found.message_id, found.required_role_id) == (CHANNEL + 1, 777, 9)
    assert found.jump_url() == f"https://discord.com/channels/{GUILD}/{CHANNEL + 1}/777"
    assert [menu.id for menu in await service.list_for(GUILD)] == [created.id, other.id]
    assert [menu.id for menu in await service.search(GUILD, "gam")] == [created.id]
    assert [menu.id for menu in await service.search(GUILD, f"#{other.id}")] == [other.id]


async def test_another_servers_menu_is_not_found(service: RoleMenuService) -> None:
    theirs = await service.create(new_menu(guild_id=OTHER_GUILD))
    with pytest.raises(RoleMenuNotFoundError, match=f"no role menu #{theirs.id}"):
        await service.get(GUILD, theirs.id)
    with pytest.raises(RoleMenuNotFoundError):
        await service.add_option(GUILD, theirs.id, ROLES[RED], BOT)
    with pytest.raises(RoleMenuNotFoundError):
        await service.delete(GUILD, theirs.id)


async def test_bad_menus_are_refused(make_service: Callable[..., RoleMenuService]) -> None:
    service = make_service(max_role_menus_per_guild=1)
    with pytest.raises(RoleMenuError, match="Give the menu a title"):
        await service.create(new_menu(title="   "))
    with pytest.raises(RoleMenuError, match="at most 100"):
        await service.create(new_menu(title="x" * 101))
    await service.create(new_menu())
    with pytest.raises(RoleMenuError, match="already has 1 role menu,"):
        await service.create(new_menu())
    assert len(await service.list_for(GUILD)) == 1


async def test_options_keep_their_order_and_their_details(service: RoleMenuService) -> None:
    created = await service.create(new_menu())
    await service.add_option(GUILD, created.id, ROLES[BLUE], BOT, emoji="🔵")
    updated = await service.add_option(
        GUILD, created.id, ROLES[RED], BOT, label=" Team red ", description="Warm"
    )
    assert updated.options == (
        MenuOption(BLUE, "Blue", "🔵", None),
        MenuOption(RED, "Team red", None, "Warm"),
    )
    assert (await service.get(GUILD, created.id)).options == updated.options


async def test_refused_options(make_service: Callable[..., RoleMenuService]) -> None:
    service = make_service(max_role_menu_options=2)
    created = await service.create(new_menu(required_role_id=MEMBERS))
    with pytest.raises(RoleNotAllowedError, match=r"I can't offer that role: .*Ban Members"):
        await service.add_option(
            GUILD, created.id, role(30, "Mods", permissions=frozenset({"ban_members"})), BOT
        )
    with pytest.raises(RoleNotAllowedError, match="at or above my highest role"):
        await service.add_option(GUILD, created.id, role(31, "Top", 11), BOT)
    with pytest.raises(RoleMenuError, match="the role this menu requires"):
        await service.add_option(GUILD, created.id, ROLES[MEMBERS], BOT)
    with pytest.raises(RoleMenuError, match="is not an emoji"):
        await service.add_option(GUILD, created.id, ROLES[RED], BOT, emoji="red")
    await service.add_option(GUILD, created.id, ROLES[RED], BOT)
    with pytest.raises(RoleMenuError, match="@Red is already on menu"):
        await service.add_option(GUILD, created.id, ROLES[RED], BOT, label="Again")
    await service.add_option(GUILD, created.id, ROLES[GREEN], BOT)
    with pytest.raises(RoleMenuError, match="already offers 2 roles, the most one menu can hold"):
        await service.add_option(GUILD, created.id, ROLES[BLUE], BOT)
    assert (await service.get(GUILD, created.id)).role_ids == (RED, GREEN)


async def test_admins_adding_at_once_never_pass_the_limit(
    make_service: Callable[..., RoleMenuService],
) -> None:
    service = make_service(max_role_menu_options=3)
    created = await service.create(new_menu())
    candidates = [role(100 + index, f"Game {index}") for index in range(6)]
    results = await asyncio.gather(
        *(service.add_option(GUILD, created.id, facts, BOT) for facts in candidates),
        return_exceptions=True,
    )
    refused = [result for result in results if isinstance(result, RoleMenuError)]
    assert len(refused) == 3 and all("already offers 3" in error.message for error in refused)
    assert len((await service.get(GUILD, created.id)).options) == 3


async def test_options_are_removed_and_menus_deleted_with_them(
    service: RoleMenuService, database: Database
) -> None:
    created = await service.create(new_menu())
    for facts in (ROLES[RED], ROLES[GREEN]):
        await service.add_option(GUILD, created.id, facts, BOT)
    updated = await service.remove_option(GUILD, created.id, RED)
    assert updated.role_ids == (GREEN,)
    with pytest.raises(RoleMenuError, match="That role is not on menu"):
        await service.remove_option(GUILD, created.id, RED)
    deleted = await service.delete(GUILD, created.id)
    assert deleted.role_ids == (GREEN,)
    with pytest.raises(RoleMenuNotFoundError):
        await service.get(GUILD, created.id)
    async with database.session() as session:
        assert await session.scalar(select(func.count(OptionRow.id))) == 0
