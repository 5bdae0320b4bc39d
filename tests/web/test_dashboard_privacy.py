"""A data-deletion request removes the member's id from the guild choices they made."""

from __future__ import annotations

from datetime import UTC, datetime

from botfleet.auth.tokens import DiscordTokens, TokenCipher, TokenStore, generate_key
from botfleet.database import Database
from botfleet.database.models.dashboard import DashboardGuildSettings
from botfleet.services.privacy import delete_user, import_data_services
from botfleet.web.dashboard import leaderboard_is_public, set_leaderboard_public

GUILD = 555
ADMIN = 77


async def test_the_guild_keeps_its_choice_and_loses_the_members_id(database: Database) -> None:
    import_data_services()
    tokens = TokenStore(database, TokenCipher([generate_key()]))
    await tokens.save(ADMIN, "ada", DiscordTokens("a", "r", datetime(2027, 1, 1, tzinfo=UTC)))
    await set_leaderboard_public(database, GUILD, True, ADMIN)

    report = await delete_user(ADMIN, database=database)

    assert report.anonymised["dashboard_guild_settings"] == 1
    assert report["users"] == 1
    assert await tokens.load(ADMIN) is None
    assert await leaderboard_is_public(database, GUILD)
    async with database.session() as session:
        row = await session.get(DashboardGuildSettings, GUILD)
    assert row is not None and row.updated_by is None
