"""Web dashboard: OAuth2 tokens encrypted at rest, and each guild's public-page choices.

Existing plain ``users.access_token``/``refresh_token`` values are encrypted in place.

The keys come from the configuration (``auth.token_keys``, TOKEN_ENCRYPTION_KEYS). A database
without stored tokens needs none; one with tokens and no key stops here with a message rather
than leaving plain tokens the application would then fail to read. The downgrade decrypts.

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table(
    "users",
    sa.column("id", sa.BigInteger()),
    sa.column("access_token", sa.Text()),
    sa.column("refresh_token", sa.Text()),
)


def _transform_tokens(convert: Callable[[str], str]) -> None:
    """Apply ``convert`` to every stored token; the cipher is built only when one exists."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_users.c.id, _users.c.access_token, _users.c.refresh_token).where(
            sa.or_(_users.c.access_token.is_not(None), _users.c.refresh_token.is_not(None))
        )
    ).all()
    for user_id, access_token, refresh_token in rows:
        connection.execute(
            _users.update()
            .where(_users.c.id == user_id)
            .values(
                access_token=convert(access_token) if access_token is not None else None,
                refresh_token=convert(refresh_token) if refresh_token is not None else None,
            )
        )


class _LazyCipher:
    """Builds the cipher at the first token, so a database without tokens needs no key."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.call: Callable[[str], str] | None = None

    def __call__(self, value: str) -> str:
        if self.call is None:
            from botfleet.auth.tokens import TokenCipher  # noqa: PLC0415
            from botfleet.config import load_settings  # noqa: PLC0415

            self.call = getattr(TokenCipher.from_settings(load_settings()), self.method)
        return self.call(value)


def upgrade() -> None:
    _transform_tokens(_LazyCipher("encrypt"))
    op.create_table(
        "dashboard_guild_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("public_leaderboard", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_dashboard_guild_settings")),
    )


def downgrade() -> None:
    op.drop_table("dashboard_guild_settings")
    _transform_tokens(_LazyCipher("decrypt"))
