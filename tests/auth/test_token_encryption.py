"""Members' OAuth2 tokens are encrypted at rest, readable after a key rotation, and migrated."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from botfleet.auth.oauth2 import DiscordOAuth2Client, OAuth2Error
from botfleet.auth.refresh import DEAD_GRANT, RefreshClaims, usable_access_token
from botfleet.auth.tokens import (
    DiscordTokens,
    TokenCipher,
    TokenKeyError,
    TokenStore,
    generate_key,
)
from botfleet.cli import main
from botfleet.database import Database
from botfleet.database.migrate import MigrationError, downgrade, upgrade
from botfleet.database.models import User

EXPIRY = datetime(2026, 12, 13, 12, 0, tzinfo=UTC)


def tokens_of(user_id: int) -> DiscordTokens:
    return DiscordTokens(f"access-{user_id}", f"refresh-{user_id}", EXPIRY)


def test_a_token_is_unreadable_without_its_key() -> None:
    first, second = generate_key(), generate_key()
    stored = TokenCipher([first]).encrypt("plain-access-token")
    assert "plain-access-token" not in stored
    assert TokenCipher([second, first]).decrypt(stored) == "plain-access-token"
    with pytest.raises(TokenKeyError, match="fits none"):
        TokenCipher([second]).decrypt(stored)


def test_missing_or_malformed_keys_are_named() -> None:
    with pytest.raises(TokenKeyError, match="TOKEN_ENCRYPTION_KEYS"):
        TokenCipher([])
    with pytest.raises(TokenKeyError, match="key #2"):
        TokenCipher([generate_key(), "not-a-key"])


async def test_tokens_are_stored_encrypted(database: Database) -> None:
    store = TokenStore(database, TokenCipher([generate_key()]))
    await store.save(41, "ada", tokens_of(41))
    async with database.session() as session:
        user = (await session.execute(select(User).where(User.id == 41))).scalar_one()
    assert user.username == "ada"
    assert user.access_token is not None and "access-41" not in user.access_token
    assert user.refresh_token is not None and "refresh-41" not in user.refresh_token
    assert await store.load(41) == tokens_of(41)
    await store.forget(41)
    assert await store.load(41) is None


async def test_a_rotation_leaves_every_token_readable_with_the_new_key_alone(
    database: Database,
) -> None:
    old_key, new_key = generate_key(), generate_key()
    old_store = TokenStore(database, TokenCipher([old_key]))
    members = range(1, 8)
    for user_id in members:
        await old_store.save(user_id, f"member{user_id}", tokens_of(user_id))
    rotating = TokenStore(database, TokenCipher([new_key, old_key]))
    assert await rotating.rotate_all(batch_size=3) == len(members)
    new_only = TokenStore(database, TokenCipher([new_key]))
    for user_id in members:
        assert await new_only.load(user_id) == tokens_of(user_id)
    with pytest.raises(TokenKeyError):
        await old_store.load(1)


def test_keys_rotate_command_re_encrypts_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    old_key, new_key = generate_key(), generate_key()

    async def prepare() -> None:
        await upgrade(url)
        database = Database(url)
        try:
            await TokenStore(database, TokenCipher([old_key])).save(7, "kim", tokens_of(7))
        finally:
            await database.dispose()

    async def read_with_new_key() -> DiscordTokens | None:
        database = Database(url)
        try:
            return await TokenStore(database, TokenCipher([new_key])).load(7)
        finally:
            await database.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", f"{new_key}, {old_key}")
    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "tokens of 1 member re-encrypted" in result.output
    assert asyncio.run(read_with_new_key()) == tokens_of(7)

    shown = CliRunner().invoke(main, ["config", "show"])
    assert new_key not in shown.output and old_key not in shown.output
    assert "auth.token_keys" in shown.output


async def test_migration_encrypts_existing_plain_tokens_and_downgrade_restores_them(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await upgrade(database_url, "0016")
    database = Database(database_url)
    try:
        async with database.session() as session:
            await session.execute(
                text(
                    "INSERT INTO users (id, username, access_token, refresh_token) "
                    "VALUES (5, 'lee', 'plain-a', 'plain-r'), (6, 'max', NULL, NULL)"
                )
            )
            await session.commit()
        with pytest.raises(MigrationError, match="TOKEN_ENCRYPTION_KEYS"):
            await upgrade(database_url)

        key = generate_key()
        monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", key)
        await upgrade(database_url)
        store = TokenStore(database, TokenCipher([key]))
        loaded = await store.load(5)
        assert loaded is not None
        assert (loaded.access_token, loaded.refresh_token) == ("plain-a", "plain-r")
        assert await store.load(6) is None

        await downgrade(database_url, "0016")
        async with database.session() as session:
            query = text("SELECT access_token, refresh_token FROM users WHERE id = 5")
            row = (await session.execute(query)).first()
        assert tuple(row or ()) == ("plain-a", "plain-r")
    finally:
        await database.dispose()


async def test_a_renewal_or_a_dead_grant_never_overwrites_tokens_renewed_elsewhere(
    database: Database,
) -> None:
    store = TokenStore(database, TokenCipher([generate_key()]))
    first = tokens_of(41)
    await store.save(41, "ada", first)
    elsewhere = DiscordTokens("access-b", "refresh-b", EXPIRY + timedelta(days=7))
    assert await store.renew(41, elsewhere, replacing=first)

    late = DiscordTokens("access-c", "refresh-c", EXPIRY + timedelta(days=7, seconds=1))
    assert not await store.renew(41, late, replacing=first), "renewed elsewhere meanwhile"
    assert not await store.forget(41, only=first), "the dead grant was the old one"
    assert await store.load(41) == elsewhere
    assert await store.forget(41, only=elsewhere)
    assert not await store.renew(41, late, replacing=elsewhere), "logged out meanwhile"
    assert await store.load(41) is None


class RenewedElsewhere:
    """Discord's answer to a refresh token another process spent a moment before: that
    process stored the new tokens, and this refresh is declared dead."""

    def __init__(self, store: TokenStore, renewed: DiscordTokens) -> None:
        self.store = store
        self.renewed = renewed

    def clock(self) -> datetime:
        return EXPIRY

    async def refresh(self, refresh_token: str) -> DiscordTokens:
        await self.store.renew(41, self.renewed, replacing=tokens_of(41))
        raise OAuth2Error(400, DEAD_GRANT, "Invalid refresh token")


async def test_a_refresh_token_spent_by_another_process_keeps_the_member_logged_in(
    database: Database,
) -> None:
    store = TokenStore(database, TokenCipher([generate_key()]))
    await store.save(41, "ada", tokens_of(41))
    renewed = DiscordTokens("access-b", "refresh-b", EXPIRY + timedelta(days=7))
    client = RenewedElsewhere(store, renewed)

    token = await usable_access_token(
        cast(DiscordOAuth2Client, client), store, RefreshClaims(None, "test:"), 41
    )

    assert token == "access-b"
    assert await store.load(41) == renewed
