"""Daily budgets on SQLite and real PostgreSQL: limits, premium, the UTC day, races, resets."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from ai_helpers import API_KEY, RecordedSleeps
from pydantic import SecretStr

from botfleet.config.schema import AISection
from botfleet.database import Database
from botfleet.sandbox.openai_server import LocalOpenAIServer
from botfleet.services.ai.budget import AIBudget, Limits, Scope
from botfleet.services.ai.errors import AIBudgetExceededError
from botfleet.services.ai.service import AIService
from botfleet.services.premium import PremiumService, Subject
from botfleet.services.privacy import delete_user, registry

ADA, BOB, CY = 1_234_567_890_123_456_789, 987_654_321_098_765_432, 555_000_111_222_333_444
GUILD, OTHER_GUILD = 111_222_333_444_555_666, 777_888_999_000_111_222
NOON = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOON) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settings(**overrides: int | float) -> AISection:
    values: dict[str, int | float] = {
        "user_daily_requests": 2,
        "user_daily_tokens": 1000,
        "guild_daily_requests": 3,
        "guild_daily_tokens": 5000,
        "premium_multiplier": 2.5,
    }
    values.update(overrides)
    return AISection(**values)


async def make_premium(
    database: Database, *, user_id: int | None = None, guild: int | None = None
) -> None:
    premium = PremiumService(database)
    until = NOON + timedelta(days=30)
    if user_id is not None:
        await premium.override(Subject.user(user_id), actor="test", reason="patron", until=until)
    if guild is not None:
        await premium.override(Subject.guild(guild), actor="test", reason="patron", until=until)


async def spend(budget: AIBudget, user_id: int, guild_id: int | None, tokens: int = 10) -> None:
    reservation = await budget.reserve(user_id, guild_id)
    await budget.record(reservation, tokens)


async def test_a_member_gets_their_daily_requests_then_a_friendly_refusal(
    database: Database,
) -> None:
    budget = AIBudget(database, settings(), clock=Clock())
    await spend(budget, ADA, GUILD)
    await spend(budget, ADA, OTHER_GUILD)
    with pytest.raises(AIBudgetExceededError) as raised:
        await budget.reserve(ADA, GUILD)
    assert raised.value.scope == "user"
    assert raised.value.resets_at == datetime(2026, 3, 15, tzinfo=UTC)
    assert "your AI limit for today" in raised.value.message
    assert f"<t:{int(raised.value.resets_at.timestamp())}:R>" in raised.value.message
    usage = await budget.user_usage(ADA)
    assert (usage.requests, usage.tokens, usage.exhausted) == (2, 20, True)
    guild = await budget.guild_usage(GUILD)
    assert guild.requests == 1, "the refused request took nothing from the server's budget"


async def test_a_server_budget_bounds_all_its_members_together(database: Database) -> None:
    budget = AIBudget(database, settings(), clock=Clock())
    await spend(budget, ADA, GUILD)
    await spend(budget, ADA, GUILD)
    await spend(budget, BOB, GUILD)
    with pytest.raises(AIBudgetExceededError) as raised:
        await budget.reserve(BOB, GUILD)
    assert raised.value.scope == "guild"
    assert "this server's AI limit" in raised.value.message
    assert (await budget.user_usage(BOB)).requests == 1, "the member's row was rolled back"
    await spend(budget, BOB, OTHER_GUILD)
    await spend(budget, CY, None)


async def test_tokens_have_a_budget_too(database: Database) -> None:
    budget = AIBudget(database, settings(user_daily_requests=10), clock=Clock())
    await spend(budget, ADA, None, tokens=999)
    await spend(budget, ADA, None, tokens=5)
    with pytest.raises(AIBudgetExceededError):
        await budget.reserve(ADA, None)
    usage = await budget.user_usage(ADA)
    assert (usage.requests, usage.tokens) == (2, 1004), "the last answer may overshoot"


async def test_premium_members_and_servers_get_larger_budgets(database: Database) -> None:
    await make_premium(database, user_id=ADA, guild=GUILD)
    budget = AIBudget(database, settings(guild_daily_requests=100), clock=Clock())
    for _ in range(5):
        await spend(budget, ADA, GUILD)
    with pytest.raises(AIBudgetExceededError):
        await budget.reserve(ADA, GUILD)
    await spend(budget, BOB, GUILD)
    await spend(budget, BOB, GUILD)
    with pytest.raises(AIBudgetExceededError):
        await budget.reserve(BOB, GUILD)

    ada = await budget.user_usage(ADA)
    assert ada.premium
    assert ada.limits == Limits(5, 2500)
    server = await budget.guild_usage(GUILD)
    assert server.premium
    assert server.limits == Limits(250, 12_500)
    assert not (await budget.guild_usage(OTHER_GUILD)).premium


async def test_budgets_start_again_each_utc_day(database: Database) -> None:
    clock = Clock(datetime(2026, 3, 14, 23, 59, tzinfo=UTC))
    budget = AIBudget(database, settings(), clock=clock)
    await spend(budget, ADA, GUILD)
    late = await budget.reserve(ADA, GUILD)
    clock.now += timedelta(minutes=2)
    await budget.record(late, 40)
    assert (await budget.user_usage(ADA, date(2026, 3, 14))).tokens == 50, "billed to its day"
    assert (await budget.user_usage(ADA)).requests == 0
    await spend(budget, ADA, GUILD)
    assert (await budget.user_usage(ADA)).requests == 1


async def test_concurrent_requests_never_pass_the_budget(
    database_url: str, database: Database
) -> None:
    """Two engines (as two processes) race for one server's budget and two members' budgets."""
    second = Database(database_url)
    limits = settings(user_daily_requests=7, guild_daily_requests=12)
    budgets = [AIBudget(engine, limits) for engine in (database, second)]
    members = [ADA, BOB] * 10
    try:
        outcomes = await asyncio.gather(
            *(
                budgets[number % 2].reserve(member, GUILD)
                for number, member in enumerate(reversed(members))
            ),
            return_exceptions=True,
        )
    finally:
        await second.dispose()
    granted = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, AIBudgetExceededError)]
    assert (len(granted), len(refused)) == (12, 8), "exactly the server's budget got through"
    for member in (ADA, BOB):
        usage = await budgets[0].user_usage(member)
        assert usage.requests == sum(1 for grant in granted if grant.user_id == member)
        assert usage.requests <= 7
    assert (await budgets[0].guild_usage(GUILD)).requests == 12


async def test_concurrent_answers_add_up_their_tokens(database: Database) -> None:
    budget = AIBudget(database, settings(user_daily_requests=50, guild_daily_requests=50))
    reservations = await asyncio.gather(*(budget.reserve(ADA, GUILD) for _ in range(20)))
    await asyncio.gather(*(budget.record(reservation, 7) for reservation in reservations))
    await asyncio.gather(*(budget.refund(reservation) for reservation in reservations[:5]))
    usage = await budget.guild_usage(GUILD)
    assert (usage.requests, usage.tokens) == (15, 140)


async def test_an_admin_reset_gives_a_member_their_budget_back(database: Database) -> None:
    budget = AIBudget(database, settings(), clock=Clock())
    await spend(budget, ADA, GUILD, tokens=30)
    await spend(budget, ADA, GUILD, tokens=30)
    cleared = await budget.reset_user(ADA)
    assert (cleared.scope, cleared.requests, cleared.tokens) == (Scope.USER, 2, 60)
    assert (await budget.user_usage(ADA)).requests == 0
    assert (await budget.guild_usage(GUILD)).requests == 2, "the server's count stays"
    await spend(budget, ADA, GUILD)
    assert (await budget.reset_guild(GUILD)).requests == 3
    assert (await budget.guild_usage(GUILD)).requests == 0
    nothing = await budget.reset_user(BOB)
    assert (nothing.requests, nothing.tokens) == (0, 0)


async def test_a_data_deletion_request_removes_the_members_usage(database: Database) -> None:
    assert "ai_usage" in registry.names
    clock = Clock()
    budget = AIBudget(database, settings(), clock=clock)
    await spend(budget, ADA, GUILD)
    clock.now += timedelta(days=1)
    await spend(budget, ADA, GUILD)
    await spend(budget, BOB, GUILD)
    report = await delete_user(ADA, database=database)
    assert report["ai_usage"] == 2
    assert (await budget.user_usage(ADA)).requests == 0
    assert (await budget.user_usage(BOB)).requests == 1
    assert (await budget.guild_usage(GUILD)).requests == 2, "servers' counts name no one"


async def test_the_service_uses_the_budget_on_every_backend(
    database: Database, openai_server: LocalOpenAIServer
) -> None:
    ai = settings(user_daily_requests=1)
    service = AIService(
        ai.model_copy(update={"api_key": SecretStr(API_KEY), "base_url": openai_server.base_url}),
        database,
        sleep=RecordedSleeps(),
    )
    try:
        answer = await service.ask("hello", user_id=ADA, guild_id=GUILD)
        with pytest.raises(AIBudgetExceededError):
            await service.ask("again", user_id=ADA, guild_id=GUILD)
    finally:
        await service.close()
    assert len(openai_server.completions) == 1, "a refused request never reaches the model"
    assert (await service.budget.user_usage(ADA)).tokens == answer.total_tokens
