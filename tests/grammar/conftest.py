"""Fixtures of the Grammar tests: engines built once, and a local LanguageTool server.

The LanguageTool stand-in (:mod:`languagetool_standin`) listens on 127.0.0.1 for one test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import discord
import pytest
from aiohttp import web
from grammar_helpers import GrammarStage
from languagetool_standin import LanguageToolStandIn

from botfleet.bots.grammar.bot import DEFINITION
from botfleet.bots.grammar.config import GrammarOptions
from botfleet.bots.grammar.services.checker import GrammarChecker
from botfleet.bots.grammar.services.harper_engine import HarperEngine
from botfleet.bots.grammar.services.rule_engine import RuleEngine
from botfleet.bots.grammar.services.spelling import SpellingEngine
from botfleet.sandbox import DiscordSandbox, SandboxGuild, SandboxMember
from botfleet.sandbox.pytest_plugin import FleetBotStage


@pytest.fixture
async def languagetool() -> AsyncIterator[LanguageToolStandIn]:
    """A LanguageTool-compatible server on a free port of 127.0.0.1."""
    stand_in = LanguageToolStandIn()
    app = web.Application()
    app.router.add_post("/v2/check", stand_in.handle_check)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    stand_in.url = f"http://{host}:{port}"
    try:
        yield stand_in
    finally:
        stand_in.release.set()
        await runner.cleanup()


@pytest.fixture(scope="session", autouse=True)
def loaded_dictionaries(spelling_engine: SpellingEngine, rule_engine: RuleEngine) -> None:
    """The spelling index and spaCy's tagger, loaded once for the process before any test.

    Both are shared by every engine of the process, so the Grammar Bots the end-to-end tests
    start are ready within the stand-in's timeout even on a busy machine.
    """


@pytest.fixture(scope="session")
def harper_engine(spelling_engine: SpellingEngine) -> Iterator[HarperEngine]:
    """One Harper engine for the session, as the bot builds it (building takes a second)."""
    engine = HarperEngine(could_be_typo=spelling_engine.could_be_typo)
    asyncio.run(engine.start())
    yield engine


@pytest.fixture
def checker(harper_engine: HarperEngine, spelling_engine: SpellingEngine) -> GrammarChecker:
    """The offline checker the bot builds by default, on the session's engines."""
    return GrammarChecker(
        GrammarOptions(), [harper_engine, spelling_engine], vocabulary=spelling_engine
    )


@pytest.fixture(scope="session")
def spelling_engine() -> Iterator[SpellingEngine]:
    engine = SpellingEngine()
    asyncio.run(engine.start())
    yield engine


@pytest.fixture(scope="session")
def rule_engine() -> Iterator[RuleEngine]:
    """One rule engine for the session: loading spaCy's tagger takes about a second."""
    engine = RuleEngine()
    asyncio.run(engine.start())
    yield engine


@pytest.fixture
def stage(discord_sandbox: DiscordSandbox, tmp_path: Path) -> FleetBotStage:
    return GrammarStage(discord_sandbox, DEFINITION, tmp_path, "Language Club")


@pytest.fixture
def admin(guild: SandboxGuild) -> SandboxMember:
    return guild.add_member("admin", permissions=discord.Permissions(administrator=True))
