"""The daily tip and quiz end to end: the real discord.py client against the local Discord
stand-in, the real scheduler waking the bot, and the buttons surviving a restart."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from botfleet.bots.grammar.bot import DEFINITION
from botfleet.bots.grammar.events.daily import QuizEvents
from botfleet.bots.grammar.services.lessons import Lessons, Question
from botfleet.bots.grammar.views.quiz import ANSWERS_FIELD, QUIZ_COG_NAME
from botfleet.config.schema import Settings
from botfleet.core.bot import FleetBot
from botfleet.database.models.grammar import GrammarDailySchedule, GrammarQuizPost
from botfleet.database.models.timer import Timer
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionResponse,
    Message,
    SandboxChannel,
    SandboxGuild,
    SandboxMember,
)
from botfleet.sandbox.fleet import run_fleet_bot
from botfleet.sandbox.scripting import wait_until


async def daily(
    member: SandboxMember,
    channel: SandboxChannel,
    app: Application,
    action: str,
    options: dict[str, object] | None = None,
) -> InteractionResponse:
    handle = await member.run_command(
        channel, app, "grammar", options or {}, subcommand=f"daily {action}"
    )
    return await handle.wait_for_response()


async def press(member: SandboxMember, message: Message, custom_id: str) -> InteractionResponse:
    handle = await member.click(message, custom_id)
    return await handle.wait_for_response()


def quiz_of(bot: FleetBot) -> QuizEvents:
    cog = bot.get_cog(QUIZ_COG_NAME)
    assert isinstance(cog, QuizEvents)
    return cog


async def post_now(bot: FleetBot, channel: SandboxChannel, app: Application) -> Message:
    """Make the guild's post due now and its alarm lost, as after a crash; the bot re-makes
    the alarm, the scheduler wakes it, and the post arrives."""
    async with bot.database.session() as session:
        await session.execute(
            update(GrammarDailySchedule).values(next_post_at=datetime.now(UTC), timer_id=None)
        )
        await session.execute(delete(Timer))
        await session.commit()
    await quiz_of(bot).posts.restore_timers()
    return await channel.wait_for_message(author=app, timeout=10)


async def question_of(bot: FleetBot) -> tuple[int, Question]:
    async with bot.database.session() as session:
        post = (await session.scalars(select(GrammarQuizPost))).one()
    question = Lessons.bundled().question(post.question_id)
    assert question is not None
    return post.id, question


def answers_shown(message: Message) -> str:
    fields = message.embeds[1]["fields"]
    return next(str(field["value"]) for field in fields if field["name"] == ANSWERS_FIELD)


async def test_admins_set_show_and_stop_the_daily_post(
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    admin: SandboxMember,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with run_fleet_bot(discord_sandbox, app, DEFINITION, settings):
        refused = await daily(alice, general, app, "set", {"channel": general, "time": "09:00"})
        assert refused.ephemeral and "Every day" not in refused.content
        bad_time = await daily(admin, general, app, "set", {"channel": general, "time": "9pm"})
        assert bad_time.ephemeral and "HH:MM" in bad_time.content
        bad_zone = await daily(
            admin, general, app, "set", {"channel": general, "time": "09:00", "timezone": "Pariss"}
        )
        assert "I don't know the time zone" in bad_zone.content
        assert "Europe/Paris" in bad_zone.content  # the suggestion
        typing = await admin.autocomplete(
            general,
            app,
            "grammar",
            {"channel": general, "time": "09:00", "timezone": "new y"},
            focused="timezone",
            subcommand="daily set",
        )
        assert [choice["value"] for choice in await typing.wait_for_choices()] == [
            "America/New_York"
        ]
        nothing = await daily(admin, general, app, "show")
        assert "no daily grammar post" in nothing.content
        done = await daily(
            admin,
            general,
            app,
            "set",
            {"channel": general, "time": "07:30", "timezone": "America/New_York"},
        )
        assert done.ephemeral and "Every day at **07:30** (America/New_York)" in done.content
        shown = await daily(admin, general, app, "show")
        assert "**07:30** (America/New_York)" in shown.content and general.mention in shown.content
        assert "Every day" not in (await daily(alice, general, app, "show")).content
        off = await daily(admin, general, app, "off")
        assert off.ephemeral and "are off" in off.content
        again = await daily(admin, general, app, "off")
        assert "no daily grammar post" in again.content


async def test_the_post_arrives_and_members_answer_once_even_after_a_restart(
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    admin: SandboxMember,
    alice: SandboxMember,
    bob: SandboxMember,
    guild: SandboxGuild,
    general: SandboxChannel,
) -> None:
    async with run_fleet_bot(discord_sandbox, app, DEFINITION, settings) as bot:
        await daily(admin, general, app, "set", {"channel": general, "time": "09:00"})
        message = await post_now(bot, general, app)
        post_id, question = await question_of(bot)
        assert message.embeds[0]["title"].startswith("💡 Grammar tip:")
        assert question.prompt in message.embeds[1]["title"]
        assert answers_shown(message).startswith("A 0")
        right_id = f"grammar:quiz:{post_id}:{question.answer}"
        wrong_choice = (question.answer + 1) % len(question.choices)
        wrong_id = f"grammar:quiz:{post_id}:{wrong_choice}"
        assert set(message.custom_ids) == {
            f"grammar:quiz:{post_id}:{index}" for index in range(len(question.choices))
        }
        right = await press(alice, message, right_id)
        assert right.ephemeral and right.content.startswith("✅ Right!")
        assert question.explanation in right.content
        assert "1 answered, 1 right (100%), 🔥 1 day in a row" in right.content
        twice = await press(alice, message, wrong_id)
        assert twice.ephemeral and "already answered" in twice.content
        await wait_until(
            discord_sandbox,
            lambda: "(1 in all)" in answers_shown(message) or None,
            timeout=5,
            describe_failure=lambda: f"counts not shown: {answers_shown(message)}",
        )
        stats = await alice.run_command(general, app, "grammar", {}, subcommand="stats")
        fields = {
            field["name"]: field["value"]
            for field in (await stats.wait_for_response()).embeds[0]["fields"]
        }
        assert "1 answered, 1 right" in fields["Daily quiz"]
    async with run_fleet_bot(discord_sandbox, app, DEFINITION, settings):
        wrong = await press(bob, message, wrong_id)
        assert wrong.ephemeral and wrong.content.startswith("❌ Not quite")
        assert question.choices[question.answer] in wrong.content
        await wait_until(
            discord_sandbox,
            lambda: "(2 in all)" in answers_shown(message) or None,
            timeout=5,
            describe_failure=lambda: f"counts not shown: {answers_shown(message)}",
        )
        tips = [m for m in general.messages() if m.embeds and "Grammar tip" in m.embeds[0]["title"]]
        assert tips == [message]  # one post, however many alarms and restarts


async def test_a_practice_question_is_private_and_not_counted(
    discord_sandbox: DiscordSandbox,
    app: Application,
    settings: Settings,
    alice: SandboxMember,
    general: SandboxChannel,
) -> None:
    async with run_fleet_bot(discord_sandbox, app, DEFINITION, settings):
        handle = await alice.run_command(general, app, "grammar", {}, subcommand="quiz")
        asked = await handle.wait_for_response()
        assert asked.ephemeral and asked.message is not None
        question_id = asked.message.custom_ids[0].split(":")[2]
        question = Lessons.bundled().question(question_id)
        assert question is not None
        answered = await press(
            alice, asked.message, f"grammar:practice:{question_id}:{question.answer}"
        )
        assert "✅ Right!" in answered.content and "not counted" in answered.content
        assert answered.message is not None
        assert all(
            answered.message.find_component(custom_id)["disabled"]  # type: ignore[index]
            for custom_id in answered.message.custom_ids
        )
        stats = await alice.run_command(general, app, "grammar", {}, subcommand="stats")
        response = await stats.wait_for_response()
        assert "Daily quiz" not in [field["name"] for field in response.embeds[0].get("fields", [])]
