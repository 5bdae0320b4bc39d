"""Schemathesis fuzzes the JSON API of a running ``botfleet web`` process against its OpenAPI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from web_helpers import all_time_xp, free_port

from botfleet.database import Database
from botfleet.database.migrate import upgrade
from botfleet.database.models import User
from botfleet.web.dashboard import set_leaderboard_public

PUBLIC_GUILD = 1
STARTUP_TIMEOUT = 30.0


async def seed(url: str) -> None:
    """A public guild whose leaderboard has two members."""
    await upgrade(url)
    database = Database(url)
    try:
        async with database.session() as session:
            for user_id, xp in ((10, 500), (11, 90)):
                session.add(User(id=user_id, username=f"member{user_id}"))
                await session.flush()
                session.add(all_time_xp(user_id, PUBLIC_GUILD, xp))
            await session.commit()
        await set_leaderboard_public(database, PUBLIC_GUILD, True, actor_id=10)
    finally:
        await database.dispose()


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"botfleet web exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise TimeoutError("botfleet web did not answer /health in time")


@pytest.fixture(scope="module")
def web_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``botfleet web`` in a process of its own, on a seeded SQLite file."""
    directory: Path = tmp_path_factory.mktemp("web-process")
    url = f"sqlite+aiosqlite:///{directory}/fuzz.db"
    asyncio.run(seed(url))
    port = free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("BOTFLEET_") or name.startswith("BOTFLEET_TEST_")
    }
    environment.update(
        DATABASE_URL=url,
        BOTFLEET_ENV_FILE=str(directory / "absent.env"),
        BOTFLEET_WEB__API_REQUESTS_PER_MINUTE="1000000",
        BOTFLEET_LOGGING__DIRECTORY=str(directory / "logs"),
    )
    environment.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "botfleet", "web", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_api_answers_as_its_document_says(web_process: str) -> None:
    """Every operation, with generated valid and invalid input, answers as documented."""
    schema = schemathesis.openapi.from_url(web_process + "/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 3
    runs = [(operation, schemathesis.GenerationMode.POSITIVE) for operation in operations]
    # Invalid input exists only where there is input: the leaderboard's id and page.
    runs += [
        (operation, schemathesis.GenerationMode.NEGATIVE)
        for operation in operations
        if operation.definition.raw.get("parameters")
    ]
    for operation, mode in runs:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=web_process)

        answers_as_documented()
