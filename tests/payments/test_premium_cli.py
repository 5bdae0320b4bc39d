"""``botfleet premium grant|revoke``: the operator's override, audited, as a user would run it."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from botfleet.cli import main
from botfleet.database import Database
from botfleet.database.models.premium import PremiumAudit
from botfleet.services.premium import PremiumService, Subject

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
GUILD = 111_222_333_444_555_666


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout-like folder with the shipped config and a SQLite database of its own."""
    shutil.copytree(REPO_CONFIG, tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/fleet.db")
    return tmp_path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


async def state(url: str) -> tuple[bool, list[tuple[str, str]]]:
    database = Database(url)
    try:
        active = await PremiumService(database).is_active(Subject.guild(GUILD))
        async with database.session() as session:
            rows = await session.execute(
                select(PremiumAudit.action, PremiumAudit.reason).order_by(PremiumAudit.id)
            )
            return active, [(action, reason) for action, reason in rows.all()]
    finally:
        await database.dispose()


def test_grant_then_revoke_a_guild_leaves_two_audit_rows(workdir: Path) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    granted = invoke("premium", "grant", "guild", str(GUILD), "--days", "30", "--reason", "partner")
    assert granted.exit_code == 0, granted.output
    assert f"guild {GUILD}: premium until" in granted.output
    assert "not announced: bus.backend is memory, which reaches no other process" in granted.output
    assert "next premium check (within 5 minutes" in granted.output
    url = f"sqlite+aiosqlite:///{workdir}/fleet.db"
    assert asyncio.run(state(url)) == (True, [("grant", "partner")])

    revoked = invoke("premium", "revoke", "guild", str(GUILD), "--reason", "ended")
    assert revoked.exit_code == 0, revoked.output
    assert f"guild {GUILD}: no premium" in revoked.output
    assert "not announced: bus.backend is memory, which reaches no other process" in revoked.output
    assert asyncio.run(state(url)) == (False, [("grant", "partner"), ("revoke", "ended")])


def test_a_reason_is_required(workdir: Path) -> None:
    result = invoke("premium", "grant", "user", "42", "--days", "3")
    assert result.exit_code != 0
    assert "--reason" in result.output


def test_a_grant_the_broker_cannot_take_is_saved_and_said_to_be_unannounced(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("BOTFLEET_BUS__BACKEND", "rabbitmq")
    monkeypatch.setenv("AMQP_URL", f"amqp://guest:guest@127.0.0.1:{port}/")
    assert invoke("db", "upgrade").exit_code == 0
    granted = invoke("premium", "grant", "guild", str(GUILD), "--days", "30", "--reason", "partner")
    assert granted.exit_code == 0, granted.output
    assert "the change is saved but was not announced: RabbitMQ is not reachable" in granted.output
    assert "running bots see the change at their next premium check" in granted.output
    url = f"sqlite+aiosqlite:///{workdir}/fleet.db"
    assert asyncio.run(state(url)) == (True, [("grant", "partner")])
