"""The revisions read from the migration scripts without Alembic: the files Alembic reads, as
Python reads them, and an unreadable script named in a MigrationError."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from botfleet.database import migrate
from botfleet.database.migrate import MigrationError

FIRST = 'revision = "0001"\ndown_revision = None\n'
SECOND = 'revision: str = "0002"\ndown_revision: str | None = "0001"\n'


def heads_of(versions: Path) -> tuple[str, ...]:
    """The heads read without Alembic (``_heads`` caches by folder; each test has its own)."""
    return migrate._heads(versions)


def alembic_heads(versions: Path) -> list[str]:
    """What Alembic reads in the same folder (its script folder is ``versions``' parent)."""
    (versions.parent / "script.py.mako").write_text("")
    return ScriptDirectory(str(versions.parent)).get_heads()


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations" / "versions"
    folder.mkdir(parents=True)
    (folder / "0001_first.py").write_text(FIRST)
    return folder


def test_a_script_with_a_byte_order_mark_is_read(versions: Path) -> None:
    (versions / "0002_second.py").write_bytes(b"\xef\xbb\xbf" + SECOND.encode())

    assert heads_of(versions) == ("0002",) == tuple(alembic_heads(versions))


def test_the_files_alembic_skips_are_skipped(versions: Path) -> None:
    """An empty ``__init__.py`` and an editor's lock file (``.#name.py``, often a dangling
    link) are no revisions for Alembic; read, they raised 'no revision identifier'."""
    (versions / "0002_second.py").write_text(SECOND)
    (versions / "__init__.py").write_text("")
    (versions / ".#0002_second.py").write_text("user@host.1234:1700000000")

    assert heads_of(versions) == ("0002",) == tuple(alembic_heads(versions))


@pytest.mark.parametrize(
    ("name", "body", "why"),
    [
        ("0002_computed.py", 'revision = "0002"\ndown_revision = PREVIOUS\n', "malformed"),
        ("0002_broken.py", 'revision = "0002"\ndown_revision = (\n', "never closed"),
    ],
)
def test_an_unreadable_script_is_a_migration_error_naming_it(
    versions: Path, name: str, body: str, why: str
) -> None:
    (versions / name).write_text(body)

    with pytest.raises(MigrationError, match=f"{name}: .*{why}"):
        heads_of(versions)


async def test_the_scripts_are_read_by_one_thread_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bots of a one-process fleet ask for the heads at once; CPython 3.11's ``ast.parse``
    fails in two threads together ("AST constructor recursion depth mismatch"), which ended a
    bot at its start in one run of the one-process tests."""
    inside = 0
    most_inside = 0
    lock = threading.Lock()

    def slow_heads() -> tuple[str, ...]:
        nonlocal inside, most_inside
        with lock:
            inside += 1
            most_inside = max(most_inside, inside)
        time.sleep(0.05)
        with lock:
            inside -= 1
        return ("0001",)

    monkeypatch.setattr(migrate, "_heads", slow_heads)
    answers = await asyncio.gather(*(migrate.heads() for _ in range(4)))
    assert answers == [("0001",)] * 4
    assert most_inside == 1
