"""Fleet events and what the bots do with them.

Premium granted: the Utility Bot sends the member's confirmation DM as soon as the grant is
committed, not on the premium outbox's next pass, whether the grant comes from the same process
(the in-process bus) or from the web process's Stripe webhook in another (RabbitMQ). An
operator's grant from the command line (``botfleet premium grant``) is announced the same way.

Each test first lets the bot's opening outbox pass send a DM owed from before it started, so
the next pass is ``OUTBOX_PASS`` seconds away: only the event can bring the second DM in time.

A member banned, told by the Mod Bot: the Utility Bot drops their reminders in that server.

A member's data deleted by another process (``botfleet data delete-user``): a bot with only its
memory cache stops showing their cached Hangman record once the deletion is announced, on the
bot's own bus or over RabbitMQ.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from scale_processes import AMQP_URL, BotProcess

from botfleet.bots.utility.events.reminders import ReminderEvents
from botfleet.bots.utility.services.reminders import NewReminder
from botfleet.config import token_variable
from botfleet.config.schema import BusSection, PaymentsSection, Settings, WebSection
from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.database.models.hangman import HangmanStats
from botfleet.events_bus import MemberBanned, MemberDataDeleted
from botfleet.payments.plans import Purchase
from botfleet.payments.stripe_client import StripeGateway
from botfleet.sandbox import Application, DiscordSandbox, SandboxGuild, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotFactory
from botfleet.sandbox.stripe_server import LocalStripeServer
from botfleet.services.premium import (
    Cancel,
    Change,
    Grant,
    Message,
    Outcome,
    PaymentEvent,
    Plan,
    PremiumService,
    Revoke,
    Subject,
)
from botfleet.services.premium.service import Notify, no_messages
from botfleet.services.privacy import registry
from botfleet.web import create_app

PUBLIC_URL = "https://fleet.example"
OUTBOX_PASS = 600.0
DM_TIMEOUT = 15.0


def stripe_event(
    member: SandboxMember, event_type: str, change: Change, messages: Notify = no_messages
) -> PaymentEvent:
    """A Stripe event of ``event_type`` that makes ``change`` to ``member``'s premium."""
    return PaymentEvent(
        provider="stripe",
        event_id=f"evt_{uuid4().hex}",
        event_type=event_type,
        target=Subject.user(member.id),
        change=change,
        messages=messages,
    )


def paid(member: SandboxMember) -> PaymentEvent:
    """A payment that gives ``member`` premium for a month and owes them a confirmation."""
    now = datetime.now(UTC)
    return stripe_event(
        member,
        "checkout.session.completed",
        Grant(
            at=now, period_end=now + timedelta(days=30), provider="stripe", purchaser_id=member.id
        ),
        lambda _membership: [
            Message(member.id, "confirmation", f"Thank you, {member.user.username}! Premium is on.")
        ],
    )


async def grant_before_start(url: str, member: SandboxMember) -> None:
    """A grant made while no bot runs: its DM waits in the outbox for the opening pass."""
    await upgrade(url)
    database = Database(url)
    try:
        await PremiumService(database).apply_event(paid(member))
    finally:
        await database.dispose()


async def confirmed(member: SandboxMember, app: Application) -> str:
    dm = await member.dm_with(app).wait_for_message(author=app, timeout=DM_TIMEOUT)
    return str(dm.content)


async def test_in_one_process_a_grant_sends_its_dm_at_once(fleet_bot: FleetBotFactory) -> None:
    stage = fleet_bot("utility", guild="Language Club")
    alice, bob = stage.guild.add_member("alice"), stage.guild.add_member("bob")
    settings = stage.settings(premium_outbox_seconds=OUTBOX_PASS)
    await grant_before_start(settings.database.url.get_secret_value(), bob)
    async with stage.running(settings) as bot:
        assert "Thank you, bob!" in await confirmed(bob, stage.app)
        web = PremiumService(bot.database, bus=bot.bus, source="web")
        await web.apply_event(paid(alice))
        assert "Thank you, alice!" in await confirmed(alice, stage.app)


async def test_a_grant_announced_by_another_process_counts_at_once_in_a_bots_cache(
    fleet_bot: FleetBotFactory,
) -> None:
    """The bot's memory cache answered "not premium" a moment ago; the grant's announcement
    makes it ask the database again instead of trusting that answer for minutes."""
    stage = fleet_bot("hangman", guild="Language Club")
    alice = stage.guild.add_member("alice")
    async with stage.running(stage.settings()) as bot:
        assert not await bot.premium.covers(alice.id)
        web = PremiumService(bot.database, bus=bot.bus, source="web")
        await web.apply_event(paid(alice))
        assert await bot.premium.covers(alice.id)


@pytest.mark.postgres
async def test_a_payment_in_the_web_process_sends_the_dm_at_once_over_rabbitmq(
    discord_sandbox: DiscordSandbox, tmp_path: Path, postgres_url: str, exchange: str
) -> None:
    """The Utility Bot in a process of its own; the web process's Stripe webhook grants."""
    app = discord_sandbox.add_application("Utility Bot")
    guild = discord_sandbox.create_guild("Language Club", bots=[app])
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    await grant_before_start(postgres_url, bob)
    utility = await BotProcess.start(
        ("run", "utility"),
        discord_sandbox.url,
        tmp_path,
        {
            "UTILITY_DISCORD_TOKEN": app.token,
            "DATABASE_URL": postgres_url,
            "BOTFLEET_BUS__BACKEND": "rabbitmq",
            "BOTFLEET_BUS__EXCHANGE": exchange,
            "AMQP_URL": AMQP_URL,
            "BOTFLEET_OPTIONS__PREMIUM_OUTBOX_SECONDS": str(OUTBOX_PASS),
        },
    )
    database = Database(postgres_url)
    try:
        await utility.wait_for_output("ready as")
        assert "Thank you, bob!" in await confirmed(bob, app)
        async with LocalStripeServer() as stripe:
            settings = Settings(
                web=WebSection(public_url=PUBLIC_URL),
                payments=PaymentsSection(
                    stripe_api_key=SecretStr(stripe.api_key),
                    stripe_webhook_secret=SecretStr(stripe.webhook_secret),
                    stripe_api_base=stripe.base_url,
                    stripe_prices={"user_monthly": "price_monthly"},
                ),
                bus=BusSection(backend="rabbitmq", amqp_url=SecretStr(AMQP_URL), exchange=exchange),
            )
            web: TestClient[Any, Any] = TestClient(
                TestServer(create_app(settings, database=database, redis=None))
            )
            await web.start_server()
            stripe.webhooks.url = str(web.make_url("/webhooks/stripe"))
            try:
                async with StripeGateway(settings.payments, PUBLIC_URL) as gateway:
                    purchase = Purchase(alice.id, Subject.user(alice.id), Plan.MONTHLY)
                    checkout = await gateway.create_checkout(purchase, attempt="interaction-1")
                async with web.session.post(checkout, allow_redirects=False) as paid:
                    assert paid.status == 303
                assert "Thank you!" in await confirmed(alice, app)
            finally:
                await web.close()
        status = await utility.stop()
    finally:
        await database.dispose()
        await utility.kill()
    assert status == 0, utility.text
    assert "premium granted" in utility.text


async def fleet_on_one_sqlite_file(tmp_path: Path, exchange: str) -> dict[str, str]:
    """The settings of processes that share one migrated SQLite file and a RabbitMQ exchange."""
    url = f"sqlite+aiosqlite:///{tmp_path}/botfleet.db"
    await upgrade(url)
    return {
        "DATABASE_URL": url,
        "BOTFLEET_DATABASE__AUTO_MIGRATE": "false",
        "BOTFLEET_BUS__BACKEND": "rabbitmq",
        "BOTFLEET_BUS__EXCHANGE": exchange,
        "AMQP_URL": AMQP_URL,
    }


async def ready_bot_process(
    bot: str, app: Application, sandbox: DiscordSandbox, tmp_path: Path, fleet: dict[str, str]
) -> BotProcess:
    """``botfleet run <bot>`` in a process of its own with ``app``'s token, once ready."""
    settings = {**fleet, token_variable(bot): app.token}
    process = await BotProcess.start(("run", bot), sandbox.url, tmp_path / bot, settings)
    try:
        await process.wait_for_output("ready as")
    except BaseException:
        await process.kill()
        raise
    return process


async def operator_command(
    argv: tuple[str, ...], sandbox: DiscordSandbox, tmp_path: Path, fleet: dict[str, str]
) -> str:
    """Run ``botfleet <argv>`` in a process of its own, as an operator would; its output."""
    operator = await BotProcess.start(argv, sandbox.url, tmp_path / "operator", fleet)
    assert await operator.finish() == 0, operator.text
    return operator.text


async def test_an_operators_grant_from_the_command_line_reaches_a_bot_over_rabbitmq(
    discord_sandbox: DiscordSandbox, tmp_path: Path, exchange: str
) -> None:
    """The Utility Bot in one process, ``botfleet premium grant`` in another, one SQLite file."""
    app = discord_sandbox.add_application("Utility Bot")
    guild = discord_sandbox.create_guild("Language Club", bots=[app])
    alice = guild.add_member("alice")
    fleet = await fleet_on_one_sqlite_file(tmp_path, exchange)
    utility = await ready_bot_process("utility", app, discord_sandbox, tmp_path, fleet)
    try:
        told = await operator_command(
            ("premium", "grant", "user", str(alice.id), "--days", "30", "--reason", "partner"),
            discord_sandbox,
            tmp_path,
            fleet,
        )
        assert f"announced on RabbitMQ (exchange {exchange})" in told
        await utility.wait_for_output("premium granted")
        status = await utility.stop()
    finally:
        await utility.kill()
    assert status == 0, utility.text


@pytest.mark.parametrize("ending", ["refund", "subscription ended", "operator"])
async def test_a_revocation_announced_by_another_process_counts_at_once_in_a_bots_cache(
    fleet_bot: FleetBotFactory, ending: str
) -> None:
    """The bot's memory cache answered "premium" a moment ago; the revocation's announcement
    (a webhook's refund or subscription's end, an operator's revoke) makes it ask the
    database again instead of trusting that answer for minutes."""
    stage = fleet_bot("hangman", guild="Language Club")
    alice = stage.guild.add_member("alice")
    async with stage.running(stage.settings()) as bot:
        web = PremiumService(bot.database, bus=bot.bus, source="web")
        await web.apply_event(paid(alice))
        assert await bot.premium.covers(alice.id)
        if ending == "operator":
            revoked = await web.override(
                Subject.user(alice.id), actor="cli:ops", reason="chargeback", until=None
            )
            assert revoked is not None
        else:
            now = datetime.now(UTC)
            ended = (
                stripe_event(alice, "charge.refunded", Revoke(at=now))
                if ending == "refund"
                else stripe_event(
                    alice, "customer.subscription.deleted", Cancel(at=now, ends_at=now)
                )
            )
            assert (await web.apply_event(ended)).outcome is Outcome.APPLIED
        assert not await bot.premium.covers(alice.id)


async def test_a_ban_told_on_the_bus_drops_the_members_reminders_in_that_server(
    fleet_bot: FleetBotFactory, discord_sandbox: DiscordSandbox
) -> None:
    stage = fleet_bot("utility", guild="Language Club")
    alice = stage.guild.add_member("alice")
    general = stage.guild.channel("general")
    elsewhere = discord_sandbox.create_guild("Elsewhere", bots=[stage.app])
    async with stage.running() as bot:
        events = bot.get_cog("Reminder events")
        assert isinstance(events, ReminderEvents)
        reminders = events.service
        for guild_id, channel_id in (
            (stage.guild.guild.id, general.channel.id),
            (elsewhere.guild.id, elsewhere.channel("general").channel.id),
        ):
            await reminders.create(
                NewReminder(alice.id, guild_id, channel_id, "in 2 hours", "water the plants")
            )
        await bot.bus.publish(
            MemberBanned(source_bot="mod", guild_id=stage.guild.guild.id, user_id=alice.id)
        )
        left = await reminders.list_for(alice.id)
    assert [reminder.guild_id for reminder in left] == [elsewhere.guild.id]


async def record_hangman_wins(url: str, guild_id: int, member: SandboxMember) -> None:
    """Three wins in four games for ``member``, written by another process."""
    database = Database(url)
    try:
        async with database.session() as session:
            session.add(
                HangmanStats(guild_id=guild_id, user_id=member.id, played=4, won=3, points=90)
            )
            await session.commit()
    finally:
        await database.dispose()


async def hangman_stats(member: SandboxMember, guild: SandboxGuild, app: Application) -> str:
    """What ``/hangman stats`` shows ``member``: its embed's description and fields."""
    handle = await member.run_command(guild.channel("general"), app, "hangman", subcommand="stats")
    answer = await handle.wait_for_response()
    assert answer.message is not None, answer.content
    [embed] = answer.message.embeds
    fields = [f"{field['name']}: {field['value']}" for field in embed.get("fields", [])]
    return "\n".join([str(embed.get("description") or ""), *fields])


async def test_a_deletion_told_on_the_bus_drops_the_members_cached_record(
    fleet_bot: FleetBotFactory,
) -> None:
    """The member's record is in the bot's memory cache; another process (its own database
    connection to the one SQLite file) deletes their data and announces it on the bot's bus."""
    stage = fleet_bot("hangman", guild="Word Games")
    alice = stage.guild.add_member("alice")
    settings = stage.settings()
    url = settings.database.url.get_secret_value()
    async with stage.running(settings) as bot:
        await record_hangman_wins(url, stage.guild.guild.id, alice)
        assert "Won: 3 (75%)" in await hangman_stats(alice, stage.guild, stage.app)
        elsewhere = Database(url)
        try:
            report = await registry.delete_user(elsewhere, alice.id)
        finally:
            await elsewhere.dispose()
        assert report["hangman"] == 1
        assert "Won: 3 (75%)" in await hangman_stats(alice, stage.guild, stage.app), (
            "until it hears of the deletion, the bot serves the record it cached"
        )
        await bot.bus.publish(MemberDataDeleted(source_bot="cli", user_id=alice.id))
        shown = await hangman_stats(alice, stage.guild, stage.app)
    assert "No games yet" in shown
    assert "Won" not in shown


async def test_a_deletion_from_the_command_line_reaches_a_bot_over_rabbitmq(
    discord_sandbox: DiscordSandbox, tmp_path: Path, exchange: str
) -> None:
    """The Hangman Bot in one process with only its memory cache, ``botfleet data
    delete-user`` in another, one SQLite file."""
    app = discord_sandbox.add_application("Hangman Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[app])
    alice = guild.add_member("alice")
    fleet = await fleet_on_one_sqlite_file(tmp_path, exchange)
    hangman = await ready_bot_process("hangman", app, discord_sandbox, tmp_path, fleet)
    try:
        await record_hangman_wins(fleet["DATABASE_URL"], guild.guild.id, alice)
        assert "Won: 3 (75%)" in await hangman_stats(alice, guild, app)
        told = await operator_command(
            ("data", "delete-user", str(alice.id), "--yes"), discord_sandbox, tmp_path, fleet
        )
        assert f"announced on RabbitMQ (exchange {exchange})" in told
        await hangman.wait_for_output(f"forgot the cached data of member {alice.id}")
        shown = await hangman_stats(alice, guild, app)
        status = await hangman.stop()
    finally:
        await hangman.kill()
    assert "No games yet" in shown
    assert status == 0, hangman.text


async def test_a_deletion_and_a_revocation_reach_every_process_of_a_sharded_bot(
    discord_sandbox: DiscordSandbox, tmp_path: Path, exchange: str
) -> None:
    """The Hangman Bot as two shard processes with only their memory caches, each serving
    one of alice's servers and caching her record there; ``botfleet data delete-user`` and
    ``botfleet premium revoke`` in a third process. Forgetting a cached copy is a broadcast:
    both processes forget, not whichever took the event from the bot's shared queue."""
    app = discord_sandbox.add_application("Hangman Bot")
    app.max_concurrency = 2  # both shards identify at once
    guilds = [
        discord_sandbox.create_guild(f"Word Games {shard}", bots=[app], shard=(shard, 2))
        for shard in (0, 1)
    ]
    alice = guilds[0].add_member("alice")
    members = [alice, guilds[1].join(alice)]
    fleet = await fleet_on_one_sqlite_file(tmp_path, exchange)
    shards = []
    try:
        for shard in ("0", "1"):
            process = await BotProcess.start(
                ("run", "hangman", "--shard-count", "2", "--shards", f"{shard}-{shard}"),
                discord_sandbox.url,
                tmp_path / f"hangman-{shard}",
                {**fleet, token_variable("hangman"): app.token},
            )
            shards.append(process)
            await process.wait_for_output("ready as")
        for guild, member in zip(guilds, members, strict=True):
            await record_hangman_wins(fleet["DATABASE_URL"], guild.guild.id, member)
            assert "Won: 3 (75%)" in await hangman_stats(member, guild, app)
        operator = (discord_sandbox, tmp_path, fleet)
        await operator_command(("data", "delete-user", str(alice.id), "--yes"), *operator)
        for process in shards:
            await process.wait_for_output(f"forgot the cached data of member {alice.id}")
        shown = [
            await hangman_stats(member, guild, app)
            for guild, member in zip(guilds, members, strict=True)
        ]
        grant = ("premium", "grant", "user", str(alice.id), "--days", "30", "--reason", "gift")
        await operator_command(grant, *operator)
        revoke = ("premium", "revoke", "user", str(alice.id), "--reason", "refunded")
        told = await operator_command(revoke, *operator)
        assert f"announced on RabbitMQ (exchange {exchange})" in told
        for process in shards:
            await process.wait_for_output(f"user {alice.id}, guild None (premium.revoked by cli)")
        statuses = [await process.stop() for process in shards]
    finally:
        for process in shards:
            await process.kill()
    assert all("No games yet" in each for each in shown), shown
    assert statuses == [0, 0], [process.text for process in shards]
