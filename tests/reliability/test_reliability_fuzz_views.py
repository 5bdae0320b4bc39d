"""Hostile input through the views the first component fuzz pass left out (issue 19).

Leaderboard page buttons (three pages, some members only another server knows, by hostile
names), the Mod Bot's ``/massban`` dry run and the raid alert's massban confirmation, role-menu
buttons in each of a menu's modes, the Grammar Bot's rewrite tone menu (against the local
OpenAI-compatible server, whose answers are hostile too), and reminders with hostile text as
they fire. The same checks as ``test_reliability_fuzz_components.py``: answered within
Discord's deadline, no traceback shown, nothing logged at ERROR, nobody pinged who was not
asked, pressed by a stranger (where Discord shows them the message) and by the member it is
for, and state whole or untouched.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from component_fuzzing import WAIT, Scene, Watch, answered, drawn, hostile_text
from hypothesis import strategies as st
from pydantic import SecretStr

from botfleet.bots.grammar.services.tutor import Tone
from botfleet.bots.mod.services.cases import CaseStore
from botfleet.bots.mod.views import massban as massban_view
from botfleet.bots.mod.views import raid as raid_view
from botfleet.bots.utility.services.role_menus import MAX_LABEL_LENGTH, MAX_TITLE_LENGTH
from botfleet.bots.utility.views import reminders as reminder_views
from botfleet.config.schema import AISection, RateLimitsSection, Settings
from botfleet.gamification import Board
from botfleet.sandbox import (
    DiscordHTTPError,
    Message,
    SandboxChannel,
    SandboxMember,
    SandboxScriptError,
)
from botfleet.sandbox.fleet import fleet_test_settings
from botfleet.sandbox.openai_server import LocalOpenAIServer
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until

API_KEY = "sk-fuzz-views-0123456789abcdef"
DELIVERED = "you asked me to remind you"


def roomy(stage: FleetBotStage, **sections: Any) -> Settings:
    """The bot's test settings with a command budget no fuzz run exhausts."""
    return fleet_test_settings(
        stage.definition.name,
        stage.directory,
        rate_limits=RateLimitsSection(commands_per_user=100_000, time_window=1),
        **sections,
    )


def buttons_of(message: Message) -> list[str]:
    return [str(c["custom_id"]) for c in message.iter_components() if c.get("type") == 2]


def enabled(message: Message, custom_id: str) -> bool:
    component = message.find_component(custom_id)
    return component is not None and not component.get("disabled")


def page_of(message: Message) -> tuple[int, int]:
    """The page shown and the pages there are, read from the leaderboard's footer."""
    footer = str(message.embeds[0]["footer"]["text"])
    shown, pages = footer.split(" · ", maxsplit=1)[0].removeprefix("Page ").split("/")
    return int(shown), int(pages)


async def test_leaderboard_pages_turned_by_anyone_in_any_order_stay_in_their_board(
    scene: Callable[[str], Scene],
) -> None:
    """Twelve members here, thirteen known only by their hostile names from another server:
    the board here has two pages, the one of every server three. Mallory presses what she
    sees of Alice's boards; Alice turns them in an order hypothesis draws."""
    on = scene("utility")
    mallory = on.stage.guild.add_member("mallory")
    other = on.stage.sandbox.create_guild("Chess Club", bots=[on.stage.app])
    names = drawn(hostile_text(1, 32, on.bob, on.role_id), 13)
    strangers = [other.add_member(name.replace("\n", " ")) for name in names]
    locals_ = [on.stage.guild.add_member(f"player{number}") for number in range(11)]
    turns = drawn(st.lists(st.sampled_from([0, 1]), min_size=12, max_size=12), 2)
    async with on.stage.running(roomy(on.stage)) as bot:
        xp = bot.gamification.xp
        for number, member in enumerate([*locals_, on.alice]):
            await xp.award_xp(member.id, 500 - number, "quiz", guild_id=on.stage.guild.id)
        for number, (member, name) in enumerate(zip(strangers, names, strict=True)):
            await xp.award_xp(member.id, 900 - number, "quiz", guild_id=other.id, username=name)
        await xp.flush()
        for everywhere, presses in zip((False, True), turns, strict=True):
            opened = await on.alice.run_command(
                on.general, on.stage.app, "leaderboard", {"everywhere": everywhere}
            )
            board = (await opened.wait_for_response()).message
            assert board is not None and not board.ephemeral
            previous_id, next_id = buttons_of(board)
            page, pages = page_of(board)
            assert (page, pages) == (1, 3 if everywhere else 2)
            for custom_id in (previous_id, next_id):
                if enabled(board, custom_id):
                    refused = await (await mallory.click(board, custom_id)).wait_for_response()
                    assert refused.ephemeral and "belong to whoever" in refused.content
            assert page_of(board) == (1, pages)
            for press in presses:
                custom_id = (previous_id, next_id)[press]
                if not enabled(board, custom_id):
                    continue
                await (await on.alice.click(board, custom_id)).wait_for_response()
                page = page - 1 if press == 0 else page + 1
                assert page_of(board) == (page, pages)
                assert enabled(board, previous_id) == (page > 1)
                assert enabled(board, next_id) == (page < pages)
                on.watch.check(asked=[on.alice])


def listed(message: Message) -> list[int]:
    """The members a leaderboard page lists, in its order."""
    return [int(found) for found in re.findall(r"<@(\d+)>", message.embeds[0]["description"])]


async def test_a_leaderboard_that_changes_between_presses_lists_nobody_twice(
    scene: Callable[[str], Scene],
) -> None:
    """Twenty members on a two-page board; between Alice's presses members drawn by
    hypothesis gain XP that moves them across the page boundary. Every page she is shown
    comes from one ranking: turning to the next page and back never shows a member twice,
    nor leaves one out, and the buttons still work."""
    on = scene("utility")
    players = [on.stage.guild.add_member(f"player{number}") for number in range(19)]
    everyone = [*players, on.alice]
    # Someone of page 2 (and maybe others) gains enough to climb onto page 1.
    climber = st.tuples(st.integers(10, len(everyone) - 1), st.integers(150, 400))
    anyone = st.tuples(st.integers(0, len(everyone) - 1), st.integers(1, 400))
    changes = drawn(
        st.tuples(climber, st.lists(anyone, max_size=3)).map(lambda drawn: [drawn[0], *drawn[1]]),
        4,
    )
    async with on.stage.running(roomy(on.stage)) as bot:
        xp = bot.gamification.xp
        for number, member in enumerate(everyone):
            await xp.award_xp(member.id, 1000 - 10 * number, "quiz", guild_id=on.stage.guild.id)
        await xp.flush()
        opened = await on.alice.run_command(on.general, on.stage.app, "leaderboard", {})
        board = (await opened.wait_for_response()).message
        assert board is not None and page_of(board) == (1, 2)
        previous_id, next_id = buttons_of(board)
        for change in changes:
            first = listed(board)
            for index, gain in change:
                await xp.award_xp(everyone[index].id, gain, "quiz", guild_id=on.stage.guild.id)
            await xp.flush()
            await (await on.alice.click(board, next_id)).wait_for_response()
            second = listed(board)
            assert page_of(board) == (2, 2) and enabled(board, previous_id)
            await (await on.alice.click(board, previous_id)).wait_for_response()
            again = listed(board)
            assert page_of(board) == (1, 2)
            assert not set(second) & set(again), (again, second)
            assert sorted(again + second) == sorted(member.id for member in everyone)
            assert len(first) == len(again) == 10
            on.watch.check(asked=[on.alice])


def last_shown(message: Message) -> tuple[int, int]:
    """The value and member of the last line of a leaderboard page."""
    lines = message.embeds[0]["description"].splitlines()
    found = re.search(r"<@(\d+)> — ([\d,]+) XP$", lines[-1])
    assert found is not None, lines[-1]
    return int(found[2].replace(",", "")), int(found[1])


async def ranked_after(bot: Any, guild_id: int, anchor: tuple[int, int]) -> list[int]:
    """The members ranked now strictly after ``anchor`` (a value and a member), a page of them."""
    board = Board.current("xp", "all_time", guild_id)
    ranking = await bot.gamification.leaderboards.database_rankings.top(board, 0, 1000)
    return [e.user_id for e in ranking if (e.value, e.user_id) < anchor][:10]


async def test_pages_past_the_tenth_of_a_changing_leaderboard_list_nobody_twice(
    scene: Callable[[str], Scene],
) -> None:
    """130 members, thirteen pages. Alice turns to page 10; a member drawn from below climbs
    above it (and others drawn gain XP); she turns to page 11; an administrator takes XP from
    a member she has seen (the cached pages are dropped) while others gain; she turns to page
    12. Each page lists the members ranked now right after the last one of the page before:
    nobody who stayed put is listed twice or passed over. The buttons' ids fit Discord's 100
    characters, and a press of an id the message does not carry never reaches the bot."""
    on = scene("utility")
    everyone = [on.alice, *(on.stage.guild.add_member(f"player{n}") for n in range(129))]
    anyone = st.tuples(st.integers(0, len(everyone) - 1), st.integers(1, 400))
    [(climber, faller, gains)] = drawn(
        st.tuples(
            st.integers(110, 129), st.integers(0, 99), st.lists(anyone, min_size=1, max_size=4)
        ),
        1,
    )
    guild_id = on.stage.guild.id
    async with on.stage.running(roomy(on.stage)) as bot:
        xp = bot.gamification.xp
        for number, member in enumerate(everyone):
            await xp.award_xp(member.id, 2000 - 5 * (number // 2), "quiz", guild_id=guild_id)
        await xp.flush()
        opened = await on.alice.run_command(on.general, on.stage.app, "leaderboard", {})
        board = (await opened.wait_for_response()).message
        assert board is not None and page_of(board) == (1, 13)
        previous_id, next_id = buttons_of(board)
        assert all(len(custom_id) <= 100 for custom_id in (previous_id, next_id))
        seen = listed(board)
        for _ in range(9):
            await (await on.alice.click(board, next_id)).wait_for_response()
            seen += listed(board)
        assert page_of(board) == (10, 13)

        await xp.award_xp(everyone[climber].id, 5000, "quiz", guild_id=guild_id)
        for index, gain in gains[:2]:
            await xp.award_xp(everyone[index].id, gain, "quiz", guild_id=guild_id)
        await xp.flush()
        expected = await ranked_after(bot, guild_id, last_shown(board))
        await (await on.alice.click(board, next_id)).wait_for_response()
        assert page_of(board) == (11, 13) and listed(board) == expected
        seen += listed(board)

        await xp.take_xp(guild_id, everyone[faller].id, 1500, actor_id=on.bob.id)
        for index, gain in gains[2:]:
            await xp.award_xp(everyone[index].id, gain, "quiz", guild_id=guild_id)
        await xp.flush()
        expected = await ranked_after(bot, guild_id, last_shown(board))
        await (await on.alice.click(board, next_id)).wait_for_response()
        assert page_of(board)[0] == 12 and listed(board) == expected
        seen += listed(board)

        moved = {everyone[index].id for index, _ in gains} | {
            everyone[climber].id,
            everyone[faller].id,
        }
        stayed = [member for member in seen if member not in moved]
        assert len(stayed) == len(set(stayed)), "a member who stayed put was listed twice"
        interactions = len(on.stage.sandbox.state.interactions)
        with pytest.raises(DiscordHTTPError) as refused:
            await on.alice.forge_interaction(
                board, {"component_type": 2, "custom_id": f"{next_id}:page:1"}
            )
        assert refused.value.status == 400
        assert len(on.stage.sandbox.state.interactions) == interactions
        on.watch.check(asked=[on.alice])


def raider_names(on: Scene, prefix: str, count: int) -> list[str]:
    """``count`` names that a ``^prefix`` filter picks, each with hostile text after it."""
    tails = drawn(hostile_text(1, 24, on.bob, on.role_id), count)
    return [f"{prefix}{tail}".replace("\n", " ") for tail in tails]


async def banned_once(stage: FleetBotStage, bot: Any, members: Sequence[SandboxMember]) -> bool:
    """Whether every member is banned with exactly one case, or none is banned and has one."""
    cases = CaseStore(bot.database)
    counts = [len(await cases.for_member(stage.guild.id, member.id)) for member in members]
    bans = {ban.user.id for ban in stage.guild.bans}
    if all(member.id in bans for member in members):
        return counts == [1] * len(members)
    assert not any(member.id in bans for member in members), "half a massban"
    return counts == [0] * len(members)


async def test_massban_dry_runs_pressed_in_any_order_ban_everyone_once_or_nobody(
    scene: Callable[[str], Scene],
) -> None:
    """The moderator presses Ban them, Cancel and Ban them again in each order hypothesis
    draws (a double click among them); the dry run lists members named with hostile text, and
    the reason is hostile too. The dry run is ephemeral: no other member can press it."""
    on = scene("mod")
    moderator = on.stage.guild.owner
    orders = drawn(st.permutations(["mod:massban", "mod:massban:cancel", "mod:massban"]), 3)
    reasons = drawn(hostile_text(1, 200, on.bob, on.role_id), len(orders))
    async with on.stage.running(roomy(on.stage)) as bot:
        for round_number, (order, reason) in enumerate(zip(orders, reasons, strict=True)):
            prefix = f"freenitro{round_number}"
            raiders = [on.stage.guild.add_member(n) for n in raider_names(on, prefix, 3)]
            opened = await moderator.run_command(
                on.general, on.stage.app, "massban", {"name": f"^{prefix}", "reason": reason}
            )
            dry_run = await opened.wait_for_response()
            assert dry_run.ephemeral and dry_run.message is not None, dry_run.content
            assert dry_run.embeds[0]["title"] == "Massban dry run: 3 member(s)"
            with pytest.raises(SandboxScriptError, match="cannot see"):
                await on.alice.click(dry_run.message, "mod:massban")
            # Pressed before the bot answers the first, as a double click is: once one press
            # decided, Discord shows the buttons greyed out and takes no more.
            handles = [await moderator.click(dry_run.message, custom_id) for custom_id in order]
            for custom_id, handle in zip(order, handles, strict=True):
                answer = await answered(handle)
                if answer.id == dry_run.message.id:
                    assert custom_id == "mod:massban:cancel", answer.describe()
                elif "already" in answer.content or "called off" in answer.content:
                    assert answer.ephemeral, answer.describe()
                else:
                    assert custom_id == "mod:massban", answer.describe()
                    assert "3 member(s) banned" in answer.content, answer.describe()
            banned = order[0] == "mod:massban"
            assert await banned_once(on.stage, bot, raiders)
            assert all(
                (raider.id in {ban.user.id for ban in on.stage.guild.bans}) == banned
                for raider in raiders
            )
            on.watch.check(asked=[moderator])


async def raided(on: Scene, modlog: SandboxChannel) -> tuple[Message, list[SandboxMember]]:
    """The owner turns raid defence on, alerting in ``modlog`` and doing nothing else to the
    joiners; three raiders named with hostile text join at once. The alert, and the raiders."""
    options = {"enabled": True, "joins": 3, "action": "nothing", "alert_channel": modlog}
    configured = await on.stage.guild.owner.run_command(
        on.general, on.stage.app, "raid", options, subcommand="config"
    )
    await configured.wait_for_response()
    raiders = [on.stage.guild.add_member(name) for name in raider_names(on, "raider", 3)]
    return await modlog.wait_for_message(author=on.stage.app, timeout=WAIT), raiders


async def test_the_raid_alerts_massban_is_refused_to_members_and_bans_once_when_confirmed(
    scene: Callable[[str], Scene],
) -> None:
    """Raiders named with hostile text join at once; a member without Ban Members presses the
    alert's button, then the owner opens two confirmations, confirms the first twice (a double
    click) and the second after it."""
    on = scene("mod")
    owner, modlog = on.stage.guild.owner, on.stage.guild.add_text_channel("mod-log")
    async with on.stage.running(roomy(on.stage)) as bot:
        alert, raiders = await raided(on, modlog)
        [massban] = buttons_of(alert)
        refused = await (await on.alice.click(alert, massban)).wait_for_response()
        assert refused.ephemeral and "may ban" in refused.content
        assert await banned_once(on.stage, bot, raiders)  # nobody banned yet
        asked = [await (await owner.click(alert, massban)).wait_for_response() for _ in "ab"]
        for confirmation in asked:
            assert confirmation.ephemeral and "Ban the 3 members" in confirmation.content
        first = asked[0].message
        assert first is not None
        [confirm] = buttons_of(first)
        done = await owner.click(first, confirm)
        again = await (await owner.click(first, confirm)).wait_for_response()
        assert again.ephemeral and "already" in again.content, again.content
        assert "Banned 3 flagged members" in (await answered(done)).content
        second = asked[1].message
        assert second is not None
        late = await owner.click(second, buttons_of(second)[0])
        assert "No flagged joiner is left" in (await answered(late)).content
        assert await banned_once(on.stage, bot, raiders)
        assert {ban.user.id for ban in on.stage.guild.bans} == {raider.id for raider in raiders}
        on.watch.check(asked=[owner])


async def test_massban_confirmations_that_time_out_are_greyed_out_not_left_unanswered(
    scene: Callable[[str], Scene], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The raid alert's confirmation kept its button live once its view timed out: a press
    then was never answered ("This interaction failed"). It is greyed out now, as the
    /massban dry run's buttons were already."""
    monkeypatch.setattr(massban_view, "CONFIRM_SECONDS", 0.5)
    monkeypatch.setattr(raid_view, "CONFIRM_SECONDS", 0.5)
    on = scene("mod")
    owner, modlog = on.stage.guild.owner, on.stage.guild.add_text_channel("mod-log")
    async with on.stage.running(roomy(on.stage)):
        alert, raiders = await raided(on, modlog)
        asked = await (await owner.click(alert, buttons_of(alert)[0])).wait_for_response()
        opened = await owner.run_command(on.general, on.stage.app, "massban", {"name": "^raider"})
        dry_run = await opened.wait_for_response()
        for shown in (asked.message, dry_run.message):
            assert shown is not None
            await greyed_out(on.stage, shown)
        assert not on.stage.guild.bans and raiders
        on.watch.check(asked=[owner])


async def greyed_out(stage: FleetBotStage, message: Message) -> None:
    """Wait until no button or menu of ``message`` can be used."""

    def greyed() -> bool | None:
        live = [c for c in message.iter_components() if "custom_id" in c and not c.get("disabled")]
        return None if live else True

    await wait_until(
        stage.sandbox,
        greyed,
        timeout=WAIT,
        describe_failure=lambda: f"still live after the view's timeout: {message.describe()}",
    )


async def test_a_reminder_list_menu_that_times_out_is_greyed_out_before_and_after_a_pick(
    scene: Callable[[str], Scene], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delete menu under /reminders list stayed live after its view timed out: a pick then
    went unanswered. It is greyed out now, as listed and as redrawn after a deletion."""
    on = scene("utility")
    async with on.stage.running(roomy(on.stage)):
        for what in drawn(hostile_text(1, 100, on.bob, on.role_id), 3):
            options = {"when": "in 3 days", "what": what}
            set_one = await on.alice.run_command(on.general, on.stage.app, "remind", options)
            await set_one.wait_for_message()
        listed = await on.alice.run_command(
            on.general, on.stage.app, "reminders", {}, subcommand="list"
        )
        menu = await listed.wait_for_message()
        monkeypatch.setattr(reminder_views, "MENU_TIMEOUT", 0.5)  # the views drawn from now on
        [first, *_] = [str(o["value"]) for o in menu.components[0]["components"][0]["options"]]
        picked = await on.alice.select(menu, menu.custom_ids[0], [first])
        redrawn = (await picked.wait_for_response()).message
        assert redrawn is not None and f"Deleted reminder #{first}" in redrawn.content
        await greyed_out(on.stage, redrawn)
        listed = await on.alice.run_command(
            on.general, on.stage.app, "reminders", {}, subcommand="list"
        )
        await greyed_out(on.stage, await listed.wait_for_message())
        with pytest.raises(SandboxScriptError, match="disabled"):
            await on.alice.select(redrawn, redrawn.custom_ids[0], [first])
        on.watch.check()


@pytest.mark.parametrize(
    ("mode", "limit"), [("any", None), ("one", 1), ("at_most", 2)], ids=["any", "one", "at_most"]
)
async def test_role_menu_buttons_pressed_in_any_order_keep_the_menus_rule(
    colour_roles: tuple[FleetBotStage, list[int]],
    caplog: pytest.LogCaptureFixture,
    mode: str,
    limit: int | None,
) -> None:
    """A button menu titled and labelled with hostile text; Alice and Mallory each press its
    buttons in an order hypothesis draws, and each holds exactly what the menu's rule gives."""
    stage, roles = colour_roles
    alice, mallory = stage.guild.add_member("alice"), stage.guild.add_member("mallory")
    role_id = stage.guild.add_role("Pingable", mentionable=True).id
    owner, general = stage.guild.owner, stage.guild.channel("general")
    watch = Watch(stage, caplog)
    [title] = drawn(hostile_text(1, MAX_TITLE_LENGTH, alice, role_id), 1)
    labels = drawn(hostile_text(1, MAX_LABEL_LENGTH, alice, role_id), len(roles))
    presses = drawn(st.lists(st.sampled_from(range(len(roles))), min_size=8, max_size=8), 2)
    async with stage.running(roomy(stage)):
        create: dict[str, Any] = {"title": title, "style": "buttons", "mode": mode}
        if mode == "at_most":
            create["max_roles"] = limit
        created = await owner.run_command(
            general, stage.app, "rolemenu", create, subcommand="create"
        )
        await created.wait_for_message()
        for role, label in zip(roles, labels, strict=True):
            options = {"menu": 1, "role": stage.guild.guild.roles[role], "label": label}
            added = await owner.run_command(
                general, stage.app, "rolemenu", options, subcommand="add"
            )
            await added.wait_for_message()
        [menu] = [m for m in general.messages() if f"rolemenu:1:role:{roles[0]}" in m.custom_ids]
        for member, order in zip((alice, mallory), presses, strict=True):
            held: set[int] = set()
            for index in order:
                role = roles[index]
                answer = await (
                    await member.click(menu, f"rolemenu:1:role:{role}")
                ).wait_for_response()
                assert answer.ephemeral, answer.content
                held = expected_roles(held, role, mode, limit)
                assert {r.id for r in member.roles} == held, (mode, order, answer.content)
                watch.check()


def expected_roles(held: set[int], pressed: int, mode: str, limit: int | None) -> set[int]:
    """What a member holds after pressing ``pressed``: it toggles; "one" swaps; a pick past
    the limit changes nothing."""
    if pressed in held:
        return held - {pressed}
    if mode == "one":
        return {pressed}
    if limit is not None and len(held) >= limit:
        return held
    return held | {pressed}


@pytest.fixture
async def openai_server() -> AsyncIterator[LocalOpenAIServer]:
    async with LocalOpenAIServer(api_key=API_KEY) as server:
        yield server


def hostile_ai_answers(on: Scene) -> list[str | None]:
    """What an AI model may answer: mentions, markdown, past an embed's length, nothing."""
    return [
        f"@everyone {on.bob.mention} <@&{on.role_id}> **Rewritten** ||text||",
        "W" * 5000,
        "```\nunclosed code block " + "x " * 2500,
        None,
        *drawn(hostile_text(1, 3000, on.bob, on.role_id), 2),
    ]


async def test_the_rewrite_tone_menu_answers_hostile_text_and_hostile_ai_answers(
    scene: Callable[[str], Scene], openai_server: LocalOpenAIServer, tmp_path: Path
) -> None:
    """Alice checks hostile text and picks every tone in an order hypothesis draws; the AI
    answers with mentions, very long words, an unclosed code block, or nothing. Mallory picks
    a tone on Alice's check first: refused, and the AI is not asked."""
    on = scene("grammar")
    mallory = on.stage.guild.add_member("mallory")
    ai = AISection(
        api_key=SecretStr(API_KEY),
        base_url=openai_server.base_url,
        timeout=3,
        max_retries=0,
        retry_base_delay=0.1,
        max_retry_wait=1,
        user_daily_requests=1000,
        user_daily_tokens=10_000_000,
        guild_daily_tokens=10_000_000,
    )
    texts = drawn(hostile_text(1, 300, on.bob, on.role_id), 2)
    answers = hostile_ai_answers(on)
    [order] = drawn(st.permutations([tone.value for tone in Tone]), 1)
    async with on.stage.running(roomy(on.stage, ai=ai)):
        picked = 0
        for text in [f"Their going tomorow, {on.bob.mention} @everyone.", *texts]:
            checked = await on.alice.run_command(
                on.general, on.stage.app, "grammar", {"text": text}, subcommand="check"
            )
            result = await answered(checked)
            if "grammar:rewrite" not in result.custom_ids:
                continue
            asked_before = len(openai_server.completions)
            refused = await (
                await mallory.select(result, "grammar:rewrite", [order[0]])
            ).wait_for_response()
            assert refused.ephemeral and len(openai_server.completions) == asked_before
            for tone in order:
                answer = answers[picked % len(answers)]
                if answer is None:
                    openai_server.queue_empty_answer()
                else:
                    openai_server.queue_reply(answer)
                handle = await on.alice.select(result, "grammar:rewrite", [tone])
                shown = await answered(handle)
                assert shown.ephemeral, shown.describe()
                picked += 1
                on.watch.check(asked=[on.alice, mallory])
    assert picked >= len(order)


async def deliveries(channel: SandboxChannel, count: int, stage: FleetBotStage) -> list[Message]:
    """The first ``count`` reminders the bot delivered in ``channel``, waited for."""

    def delivered() -> list[Message] | None:
        found = [
            message
            for message in channel.messages()
            if message.author.id == stage.app.bot_user.id and DELIVERED in message.content
        ]
        return found if len(found) >= count else None

    return await wait_until(
        stage.sandbox,
        delivered,
        timeout=WAIT,
        describe_failure=lambda: f"waiting for {count} reminders",
    )


async def test_reminders_with_hostile_text_fire_pinging_only_their_owner(
    scene: Callable[[str], Scene],
) -> None:
    """Reminders full of ``@everyone``, role and member mentions, due in a second, in the
    channel and by DM: each arrives once, its text whole, and pings Alice alone."""
    on = scene("utility")
    whats = drawn(hostile_text(1, 1000, on.bob, on.role_id), 4)
    pings = f"@everyone @here <@&{on.role_id}> {on.bob.mention} <@!{on.bob.id}>"
    whats = [pings, pings, *whats]  # the first by DM, the others in the channel
    async with on.stage.running(roomy(on.stage)):
        accepted: list[str] = []
        for number, what in enumerate(whats):
            options = {"when": "in 1s", "what": what, "dm": number == 0}
            handle = await on.alice.run_command(on.general, on.stage.app, "remind", options)
            if "Reminder #" in (await handle.wait_for_response()).content:  # else refused
                accepted.append(what)
        assert accepted[0] == whats[0]
        [by_dm] = await deliveries(on.alice.dm_with(on.stage.app), 1, on.stage)
        in_channel = await deliveries(on.general, len(accepted) - 1, on.stage)
        for message in [by_dm, *in_channel]:
            assert message.mention_user_ids == [on.alice.id], message.describe()
            assert not message.mention_everyone and message.mention_role_ids == []
        delivered = [message.content for message in [by_dm, *in_channel]]
        assert len(delivered) == len(accepted)
        for what in accepted:
            assert any(what.strip() in content for content in delivered), what
        on.watch.check(asked=[on.alice])
