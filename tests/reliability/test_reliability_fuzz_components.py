"""Hostile input through the forms and menus of the bots, drawn by hypothesis.

Forms (modals) get texts at their lengths' limits and inside them, full of what members paste:
unicode and zero-width characters, markdown, ``@everyone``, member and role mentions, very
long words. Past the limits, the stand-in refuses the submit as Discord does, so the bot never
sees it. Menus get every choice they allow. For each input the bot answers within Discord's
deadline, shows no traceback or "went wrong", logs no error, pings nobody it was not asked to
ping (what ``allowed_mentions`` of each public message lets ping) and stores all or nothing:
what a form saved reads back whole, what it refused is not there.

The examples are drawn once, derandomized, a few per form, so a run is bounded and repeatable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import combinations
from typing import Any

import pytest
from component_fuzzing import WAIT, Scene, Watch, answered, drawn, hostile_text
from hypothesis import strategies as st
from reliability_helpers import banned_and_appealed, start_hangman

from botfleet.bots.hangman.services.game import MAX_WORD_GUESS_LENGTH
from botfleet.bots.hangman.services.store import GameStore
from botfleet.bots.hangman.services.words import MAX_SECRET_LENGTH, MIN_SECRET_LETTERS, fold
from botfleet.bots.mod.services.appeals import MAX_APPEAL_LENGTH, MIN_APPEAL_LENGTH
from botfleet.bots.spelling_bee.services.classic import MAX_ANSWER_LENGTH
from botfleet.bots.spelling_bee.views.classic_buttons import COG_NAME as CLASSIC_COG
from botfleet.bots.utility.services.tags import MAX_CONTENT_LENGTH
from botfleet.sandbox import (
    InteractionHandle,
    Message,
    SandboxChannel,
    SandboxMember,
    SandboxScriptError,
)
from botfleet.sandbox.pytest_plugin import FleetBotStage
from botfleet.sandbox.scripting import wait_until


def form_input(modal: dict[str, Any]) -> str:
    """The custom id of the form's only text input."""
    [text_input] = [
        child
        for row in modal["components"]
        for child in row.get("components", [row.get("component", {})])
        if child.get("type") == 4
    ]
    return str(text_input["custom_id"])


async def submit(member: SandboxMember, opened: InteractionHandle, text: str) -> InteractionHandle:
    modal = await opened.wait_for_modal(timeout=WAIT)
    return await member.submit_modal(opened, {form_input(modal): text})


async def refused_by_discord(member: SandboxMember, opened: InteractionHandle, text: str) -> bool:
    """Whether the stand-in refuses a submit of ``text`` as Discord's client does."""
    try:
        await submit(member, opened, text)
    except SandboxScriptError:
        return True
    return False


async def test_tag_forms_store_hostile_text_whole_and_post_it_without_pings(
    scene: Callable[[str], Scene],
) -> None:
    on = scene("utility")
    stage, alice, general, watch = on.stage, on.alice, on.general, on.watch
    texts = on.texts(1, MAX_CONTENT_LENGTH)
    async with stage.running():
        opened = await alice.run_command(
            general, stage.app, "tag", {"name": "t"}, subcommand="create"
        )
        assert await refused_by_discord(alice, opened, "w" * (MAX_CONTENT_LENGTH + 1))
        for number, text in enumerate(texts):
            name = f"tag {number}"
            opened = await alice.run_command(
                general, stage.app, "tag", {"name": name}, subcommand="create"
            )
            saved = await (await submit(alice, opened, text)).wait_for_response()
            shown = await alice.run_command(
                general, stage.app, "tag", {"name": name}, subcommand="show"
            )
            posted = await shown.wait_for_response()
            assert saved.ephemeral and posted.message is not None, saved.content
            if "created" in saved.content:
                assert posted.content == text and not posted.ephemeral
            else:
                assert posted.ephemeral, (saved.content, posted.content)
            watch.check()


async def test_word_guesses_with_hostile_text_are_answered_without_pings(
    scene: Callable[[str], Scene],
) -> None:
    on = scene("hangman")
    guesses = on.texts(1, MAX_WORD_GUESS_LENGTH)
    async with on.stage.running() as bot:
        game: int | None = None
        answered = 0
        for guess in guesses:
            button = controls(on.general, on.stage) if game is not None else None
            word = button.find_component(f"hangman:{game}:word") if button else None
            if button is None or word is None or word.get("disabled"):
                _, started, _ = await start_hangman(bot, on.stage.app, on.alice, on.general)
                game, button = started.id, controls(on.general, on.stage)
            opened = await on.alice.click(button, f"hangman:{game}:word")
            if guess is guesses[0]:
                assert await refused_by_discord(on.alice, opened, "w" * (MAX_WORD_GUESS_LENGTH + 1))
                opened = await on.alice.click(button, f"hangman:{game}:word")
            await (await submit(on.alice, opened, guess)).wait_for_response()
            answered += 1
            on.watch.check(asked=[on.alice])
    assert answered == len(guesses)


async def test_own_words_with_hostile_text_start_a_game_of_that_word_or_none(
    scene: Callable[[str], Scene],
) -> None:
    on = scene("hangman")
    words = on.texts(MIN_SECRET_LETTERS, MAX_SECRET_LENGTH)
    async with on.stage.running() as bot:
        store = GameStore(bot.database)
        for number, word in enumerate(words):
            opened = await on.alice.run_command(
                on.general, on.stage.app, "hangman", {}, subcommand="custom"
            )
            if number == 0:
                assert await refused_by_discord(on.alice, opened, "w" * (MAX_SECRET_LENGTH + 1))
                assert await refused_by_discord(on.alice, opened, "w" * (MIN_SECRET_LETTERS - 1))
            answer = await (await submit(on.alice, opened, word)).wait_for_response()
            game = await store.in_channel(on.general.id)
            if game is None:
                assert answer.ephemeral, answer.content
            else:
                assert game.board.secret == fold(word)  # the word whole, as the game compares
                stopped = await on.alice.run_command(
                    on.general, on.stage.app, "hangman", {}, subcommand="stop"
                )
                await stopped.wait_for_response()
            on.watch.check(asked=[on.alice])


async def test_spellings_with_hostile_text_are_judged_without_pings(
    scene: Callable[[str], Scene],
) -> None:
    on = scene("spelling_bee")
    spellings = on.texts(1, MAX_ANSWER_LENGTH)
    async with on.stage.running(on.stage.settings(speech=False)) as bot:
        classic: Any = bot.get_cog(CLASSIC_COG)
        for number, spelling in enumerate(spellings):
            if classic.service.round_in(on.general.id) is None:
                options = {"difficulty": "easy", "rounds": 10, "lives": 10}
                begun = await on.alice.run_command(
                    on.general, on.stage.app, "bee", options, subcommand="classic"
                )
                await begun.wait_for_response()
            round_message, spell = await wait_until(
                on.stage.sandbox,
                lambda: current_round(on.general, classic.service.round_in(on.general.id)),
                timeout=WAIT,
                describe_failure=lambda: "waiting for the round's message",
            )
            opened = await on.alice.click(round_message, spell)
            if number == 0:
                assert await refused_by_discord(on.alice, opened, "w" * (MAX_ANSWER_LENGTH + 1))
                opened = await on.alice.click(round_message, spell)
            await (await submit(on.alice, opened, spelling)).wait_for_response()
            on.watch.check(asked=[on.alice])


def current_round(channel: SandboxChannel, now: Any) -> tuple[Message, str] | None:
    """The message of the round ``now`` (a classic game's round) and its spell button."""
    if now is None:
        return None
    spell = f"bee-classic:{now.game_id}:{now.key}:spell"
    found = [message for message in channel.messages() if spell in message.custom_ids]
    return (found[-1], spell) if found else None


def controls(channel: SandboxChannel, stage: FleetBotStage) -> Message:
    """The newest game's second message: Z and the actions."""
    [*_, newest] = [
        message
        for message in channel.messages()
        if message.author.id == stage.app.bot_user.id
        and any(custom_id.endswith(":word") for custom_id in message.custom_ids)
    ]
    return newest


async def test_ban_appeals_with_hostile_text_reach_the_staff_without_pings(
    scene: Callable[[str], Scene],
) -> None:
    on = scene("mod")
    stage, general, watch = on.stage, on.general, on.watch
    owner, staff = stage.guild.owner, stage.guild.add_text_channel("appeals")
    texts = on.texts(MIN_APPEAL_LENGTH, MAX_APPEAL_LENGTH, 3)
    async with stage.running():
        await (
            await owner.run_command(
                general, stage.app, "appeals", {"channel": staff}, subcommand="channel"
            )
        ).wait_for_message(timeout=WAIT)
        for number, text in enumerate(texts):
            banned = stage.guild.add_member(f"banned{number}")
            ban = await owner.run_command(
                general, stage.app, "ban", {"user": banned, "reason": "x"}
            )
            await ban.wait_for_message(timeout=WAIT)
            [offer] = banned.dm_with(stage.app).messages()
            [appeal_id] = offer.custom_ids
            if number == 0:
                opened = await banned.click(offer, appeal_id)
                assert await refused_by_discord(banned, opened, "w" * (MAX_APPEAL_LENGTH + 1))
                opened = await banned.click(offer, appeal_id)
                assert await refused_by_discord(banned, opened, "w" * (MIN_APPEAL_LENGTH - 1))
            opened = await banned.click(offer, appeal_id)
            sent = await (await submit(banned, opened, text)).wait_for_message(timeout=WAIT)
            if "went to the staff" in sent.content:
                [*_, posted] = [m for m in staff.messages() if m.author.id == stage.app.bot_user.id]
                fields = {field["name"]: field["value"] for field in posted.embeds[0]["fields"]}
                assert fields["Appeal"] == text.strip(), sent.content
            watch.check(asked=[owner])


async def test_every_choice_of_a_role_menu_gives_and_takes_exactly_those_roles(
    colour_roles: tuple[FleetBotStage, list[int]], caplog: pytest.LogCaptureFixture
) -> None:
    stage, roles = colour_roles
    alice = stage.guild.add_member("alice")
    owner, general = stage.guild.owner, stage.guild.channel("general")
    watch = Watch(stage, caplog)
    choices = [list(chosen) for size in (1, 2, 3) for chosen in combinations(roles, size)]
    async with stage.running():
        created = await owner.run_command(
            general, stage.app, "rolemenu", {"title": "Colours @everyone"}, subcommand="create"
        )
        await created.wait_for_message()
        for role in roles:
            added = await owner.run_command(
                general,
                stage.app,
                "rolemenu",
                {"menu": 1, "role": stage.guild.guild.roles[role]},
                subcommand="add",
            )
            await added.wait_for_message()
        [menu] = [m for m in general.messages() if "rolemenu:1:pick" in m.custom_ids]
        held: set[int] = set()
        for chosen in choices:
            picked = await alice.select(menu, "rolemenu:1:pick", [str(role) for role in chosen])
            answer = await picked.wait_for_response()
            held ^= set(chosen)
            assert answer.ephemeral, answer.content
            assert {role.id for role in alice.roles} == held, (chosen, answer.content)
            watch.check()


async def test_each_reminder_in_the_delete_menu_deletes_that_one_only(
    scene: Callable[[str], Scene],
) -> None:
    on = scene("utility")
    whats = drawn(hostile_text(1, 100, on.bob, on.role_id), 3)
    async with on.stage.running():
        for what in whats:
            set_one = await on.alice.run_command(
                on.general, on.stage.app, "remind", {"when": "in 3 days", "what": what}
            )
            await set_one.wait_for_message()
        listed = await on.alice.run_command(
            on.general, on.stage.app, "reminders", {}, subcommand="list"
        )
        menu = await listed.wait_for_message()
        remaining = [
            str(option["value"]) for option in menu.components[0]["components"][0]["options"]
        ]
        assert len(remaining) == len(whats)
        while remaining:
            chosen = remaining.pop(len(remaining) // 2)
            picked = await on.alice.select(menu, menu.custom_ids[0], [chosen])
            deleted = (await picked.wait_for_response()).message
            assert deleted is not None
            assert f"Deleted reminder #{chosen}" in deleted.content
            offered = [
                str(option["value"])
                for row in deleted.components
                for item in row["components"]
                for option in item.get("options", [])
            ]
            assert offered == remaining
            on.watch.check()


Setup = Callable[[Scene], Awaitable[None]]


async def hangman_game(on: Scene) -> None:
    started = await on.alice.run_command(
        on.general, on.stage.app, "hangman", {}, subcommand="start"
    )
    await started.wait_for_followup(timeout=WAIT)


async def lunch_poll(on: Scene) -> None:
    question = f"Lunch? @everyone {on.bob.mention} <@&{on.role_id}>"
    options = {"question": question, "answers": f"**Pizza** | {on.bob.mention} | @here"}
    created = await on.alice.run_command(
        on.general, on.stage.app, "poll", options, subcommand="create"
    )
    await created.wait_for_response()


async def grammar_check(on: Scene) -> None:
    text = f"Their is a error in this sentense, {on.bob.mention} @everyone."
    checked = await on.alice.run_command(
        on.general, on.stage.app, "grammar", {"text": text}, subcommand="check"
    )
    await answered(checked)  # past the note a loaded machine shows while the engines load


async def spelling_bee(on: Scene) -> None:
    options = {"difficulty": "easy", "rounds": 3, "lives": 3}
    begun = await on.alice.run_command(
        on.general, on.stage.app, "bee", options, subcommand="classic"
    )
    await begun.wait_for_response()
    await on.general.wait_for_message(author=on.stage.app, check=lambda m: bool(m.components))


async def ban_appeal(on: Scene) -> None:
    """Bob, banned, appeals: the staff's decision buttons, and the Appeal button in his DMs."""
    await banned_and_appealed(
        on.stage.app,
        on.stage.guild.owner,
        on.bob,
        on.general,
        on.stage.guild.add_text_channel("appeals"),
        reason=f"spam @everyone {on.alice.mention}",
        appeal=f"Sorry {on.alice.mention} @everyone <@&{on.role_id}>, it was my little brother.",
    )


SWEEPS: dict[str, tuple[str, Setup]] = {
    "hangman board": ("hangman", hangman_game),
    "utility poll": ("utility", lunch_poll),
    "grammar check": ("grammar", grammar_check),
    "spelling bee round": ("spelling_bee", spelling_bee),
    "mod ban appeal": ("mod", ban_appeal),
}


@pytest.mark.parametrize("sweep", SWEEPS.values(), ids=SWEEPS.keys())
async def test_every_button_pressed_by_anyone_in_any_order_is_answered_in_time(
    scene: Callable[[str], Scene], sweep: tuple[str, Setup]
) -> None:
    """Mallory, then the member who started it, press every enabled button the bot showed,
    in an order hypothesis draws; what a press disabled or removed is skipped, as Discord
    would refuse it."""
    bot, setup = sweep
    on = scene(bot)
    mallory = on.stage.guild.add_member("mallory")
    settings = on.stage.settings(speech=False) if bot == "spelling_bee" else None
    async with on.stage.running(settings):
        await setup(on)
        buttons = [
            (message, str(component["custom_id"]))
            for message in on.watch.bot_messages()
            for component in message.iter_components()
            if component.get("type") == 2 and "custom_id" in component
        ]
        assert buttons, "the set-up showed buttons"
        [order] = drawn(st.permutations(range(len(buttons))), 1)
        pressed = 0
        for member in (mallory, on.alice):
            for index in order:
                message, custom_id = buttons[index]
                component = message.find_component(custom_id)
                if message.deleted or component is None or component.get("disabled"):
                    continue
                if not member.can_see(message):
                    continue
                answer = await (await member.click(message, custom_id)).wait_for_response()
                assert answer.type is not None
                pressed += 1
                on.watch.check(asked=[on.alice, mallory])
        assert pressed > 0
