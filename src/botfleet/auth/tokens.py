"""Members' Discord OAuth2 tokens, encrypted at rest with a rotating list of Fernet keys.

A stolen database copy must not hand out working Discord tokens: ``users.access_token`` and
``users.refresh_token`` hold Fernet tokens (AES-128-CBC with an HMAC-SHA256), never the plain
values. The configured keys are a list, newest first: the newest encrypts, any of them decrypts,
so a key is replaced by prepending the new one, running ``botfleet keys rotate`` (which
re-encrypts every stored token with the newest key) and then dropping the old one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import or_, select, update

from botfleet.config.schema import Settings
from botfleet.database.base import Database, changed_rows
from botfleet.database.models.user import User
from botfleet.errors import BotfleetError

log = logging.getLogger(__name__)

ROTATION_BATCH = 500
"""Users re-encrypted per transaction: a crash mid-rotation keeps finished batches."""


class TokenKeyError(BotfleetError):
    """The token keys are missing or malformed, or a stored token fits none of them."""


def generate_key() -> str:
    """A fresh key for ``auth.token_keys`` (32 random bytes, URL-safe base64)."""
    return Fernet.generate_key().decode()


def parse_keys(text: str) -> list[str]:
    """The keys of a comma-separated list, blanks dropped, order kept (newest first)."""
    return [key.strip() for key in text.split(",") if key.strip()]


class TokenCipher:
    """Encrypts with the newest key, decrypts with any: the MultiFernet of the key list."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise TokenKeyError(
                "no token encryption key is configured: set TOKEN_ENCRYPTION_KEYS "
                "(make one with `botfleet keys generate`)"
            )
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode()))
            except ValueError:
                raise TokenKeyError(
                    f"token encryption key #{position} is not a Fernet key (32 bytes in "
                    "URL-safe base64; `botfleet keys generate` makes one)"
                ) from None
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        """The cipher of ``auth.token_keys``; :class:`TokenKeyError` when none is set."""
        configured = settings.auth.token_keys
        return cls(parse_keys(configured.get_secret_value() if configured else ""))

    def encrypt(self, plain: str) -> str:
        """``plain`` encrypted with the newest key."""
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """The plain token of a stored one; :class:`TokenKeyError` when no key opens it."""
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(
                "a stored token fits none of the configured keys (was a key dropped before "
                "`botfleet keys rotate` ran?)"
            ) from None

    def rotate(self, stored: str) -> str:
        """``stored`` re-encrypted with the newest key (its original timestamp kept)."""
        try:
            return self._fernet.rotate(stored.encode()).decode()
        except InvalidToken:
            raise TokenKeyError("a stored token fits none of the configured keys") from None


@dataclass(frozen=True)
class DiscordTokens:
    """A member's OAuth2 grant: what the token endpoint answered, in plain text."""

    access_token: str
    refresh_token: str
    expires_at: datetime


class TokenStore:
    """Keeps members' tokens in the ``users`` table, encrypted; plain text only in memory."""

    def __init__(self, database: Database, cipher: TokenCipher) -> None:
        self.database = database
        self.cipher = cipher

    async def save(self, user_id: int, username: str, tokens: DiscordTokens) -> None:
        """Store ``tokens`` for ``user_id``, creating the user row on a first login."""
        values = {
            "username": username,
            "access_token": self.cipher.encrypt(tokens.access_token),
            "refresh_token": self.cipher.encrypt(tokens.refresh_token),
            "token_expires_at": tokens.expires_at,
        }
        statement = self.database.upsert(User).values(id=user_id, **values)
        async with self.database.session() as session:
            await session.execute(
                statement.on_conflict_do_update(index_elements=[User.id], set_=values)
            )
            await session.commit()

    async def renew(self, user_id: int, tokens: DiscordTokens, *, replacing: DiscordTokens) -> bool:
        """Replace the stored tokens of ``user_id`` after a refresh, if they are still the
        ``replacing`` ones it was made from; False when another process renewed them or the
        member logged out meanwhile (neither is undone). The rest of the row (the name the
        bots keep up to date) stays, and a row deleted meanwhile is not made again."""
        async with self.database.session() as session:
            result = await session.execute(
                update(User)
                .where(User.id == user_id, User.token_expires_at == replacing.expires_at)
                .values(
                    access_token=self.cipher.encrypt(tokens.access_token),
                    refresh_token=self.cipher.encrypt(tokens.refresh_token),
                    token_expires_at=tokens.expires_at,
                )
            )
            await session.commit()
        return changed_rows(result) > 0

    async def load(self, user_id: int) -> DiscordTokens | None:
        """The stored tokens of ``user_id``, decrypted; None when the member never logged in."""
        async with self.database.session() as session:
            row = (
                await session.execute(
                    select(User.access_token, User.refresh_token, User.token_expires_at).where(
                        User.id == user_id
                    )
                )
            ).one_or_none()
        if row is None or row.access_token is None or row.refresh_token is None:
            return None
        return DiscordTokens(
            access_token=self.cipher.decrypt(row.access_token),
            refresh_token=self.cipher.decrypt(row.refresh_token),
            expires_at=row.token_expires_at,
        )

    async def forget(self, user_id: int, *, only: DiscordTokens | None = None) -> bool:
        """Drop the tokens of ``user_id`` (after logout revoked them; or, given ``only``, if
        they are still those that Discord declared dead, not newer ones another process
        stored meanwhile); the user row stays. False when nothing was dropped."""
        condition = [User.id == user_id]
        if only is not None:
            condition.append(User.token_expires_at == only.expires_at)
        async with self.database.session() as session:
            result = await session.execute(
                update(User)
                .where(*condition)
                .values(access_token=None, refresh_token=None, token_expires_at=None)
            )
            await session.commit()
        return changed_rows(result) > 0

    async def rotate_all(self, batch_size: int = ROTATION_BATCH) -> int:
        """Re-encrypt every stored token with the newest key; the number of users rewritten.

        Batches are keyed by user id, so a rotation interrupted half-way is simply run again:
        rotating an already rotated token is harmless.
        """
        rewritten = 0
        after = -1
        while True:
            async with self.database.session() as session:
                rows = (
                    await session.execute(
                        select(User.id, User.access_token, User.refresh_token)
                        .where(
                            User.id > after,
                            or_(User.access_token.is_not(None), User.refresh_token.is_not(None)),
                        )
                        .order_by(User.id)
                        .limit(batch_size)
                        .with_for_update()
                    )
                ).all()
                if not rows:
                    return rewritten
                rotated = await asyncio.to_thread(self._rotate_rows, rows)
                for user_id, access_token, refresh_token in rotated:
                    await session.execute(
                        update(User)
                        .where(User.id == user_id)
                        .values(access_token=access_token, refresh_token=refresh_token)
                    )
                await session.commit()
            rewritten += len(rows)
            after = rows[-1].id

    def _rotate_rows(
        self, rows: Sequence[tuple[int, str | None, str | None]]
    ) -> list[tuple[int, str | None, str | None]]:
        return [
            (
                user_id,
                self.cipher.rotate(access) if access is not None else None,
                self.cipher.rotate(refresh) if refresh is not None else None,
            )
            for user_id, access, refresh in rows
        ]
