"""The LanguageTool engine against a LanguageTool-compatible server on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from languagetool_standin import LanguageToolStandIn
from pydantic import ValidationError

from botfleet.bots.grammar.config import GrammarOptions
from botfleet.bots.grammar.services.checker import CheckFailedError, GrammarChecker
from botfleet.bots.grammar.services.engine import EngineError
from botfleet.bots.grammar.services.harper_engine import HarperEngine
from botfleet.bots.grammar.services.issues import Category
from botfleet.bots.grammar.services.languagetool import LanguageToolEngine, check_endpoint


@pytest.fixture
async def engine(languagetool: LanguageToolStandIn) -> AsyncIterator[LanguageToolEngine]:
    opened = LanguageToolEngine(languagetool.url, timeout=0.5)
    await opened.start()
    try:
        yield opened
    finally:
        await opened.close()


async def test_matches_become_issues(
    engine: LanguageToolEngine, languagetool: LanguageToolStandIn
) -> None:
    text = "I has a apple and literally see you tomorow."
    issues = await engine.check(text, "en-US")
    assert languagetool.requests == [{"text": text, "language": "en-US"}]
    assert [(issue.excerpt(text), issue.suggestions, issue.category) for issue in issues] == [
        ("a ", ("an ",), Category.SPELLING),
        ("literally", (), Category.STYLE),
        ("tomorow", ("tomorrow", "tomorrows"), Category.SPELLING),
    ]
    article = issues[0]
    assert article.message == "Use “an” instead of ‘a’ before a vowel sound."
    assert article.explanation == "Use of 'a' vs. 'an'"
    assert (article.engine, article.rule) == ("languagetool", "EN_A_VS_AN")


async def test_utf16_offsets_after_emoji_land_on_the_right_word(
    engine: LanguageToolEngine,
) -> None:
    text = "🎉🎉 Party 👍🏽 tomorow!"
    issues = await engine.check(text, "en-US")
    assert [issue.excerpt(text) for issue in issues] == ["tomorow"]


async def test_a_server_error_is_a_clear_engine_error(
    engine: LanguageToolEngine, languagetool: LanguageToolStandIn
) -> None:
    languagetool.mode = "error"
    with pytest.raises(EngineError, match="answered HTTP 500: Error: internal error"):
        await engine.check("I will see you tomorow", "en-US")


async def test_an_unknown_language_is_refused_by_the_server(engine: LanguageToolEngine) -> None:
    with pytest.raises(EngineError, match="HTTP 400: Error: 'xx' is not a language code"):
        await engine.check("Hello there", "xx")


async def test_a_slow_server_times_out(
    engine: LanguageToolEngine, languagetool: LanguageToolStandIn
) -> None:
    languagetool.mode = "slow"
    with pytest.raises(EngineError, match=r"did not answer within 0\.5 s"):
        await engine.check("I will see you tomorow", "en-US")


async def test_an_answer_that_is_not_languagetool_json_is_refused(
    engine: LanguageToolEngine, languagetool: LanguageToolStandIn
) -> None:
    languagetool.mode = "garbage"
    with pytest.raises(EngineError, match="did not answer with LanguageTool's JSON"):
        await engine.check("I will see you tomorow", "en-US")


async def test_a_server_nobody_listens_on_cannot_be_reached() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = LanguageToolEngine(f"http://127.0.0.1:{port}", timeout=2)
    try:
        with pytest.raises(
            EngineError, match=f"could not reach the LanguageTool server at http://127.0.0.1:{port}"
        ):
            await engine.check("Hello there", "en-US")
    finally:
        await engine.close()


@pytest.mark.parametrize(
    ("server", "endpoint"),
    [
        ("http://lt.local:8081", "http://lt.local:8081/v2/check"),
        ("http://lt.local:8081/", "http://lt.local:8081/v2/check"),
        ("https://api.example.org/v2", "https://api.example.org/v2/check"),
        ("https://api.example.org/lt/v2/check/", "https://api.example.org/lt/v2/check"),
    ],
)
def test_the_check_endpoint_follows_the_configured_url(server: str, endpoint: str) -> None:
    assert str(check_endpoint(server)) == endpoint


@pytest.mark.parametrize("server", ["lt.local:8081", "ftp://lt.local", "not a url"])
def test_a_bad_url_is_refused_when_configured(server: str) -> None:
    with pytest.raises(ValueError, match="must be an http"):
        check_endpoint(server)


def test_the_options_refuse_a_bad_url() -> None:
    with pytest.raises(ValidationError, match="languagetool_url"):
        GrammarOptions(languagetool_url="not a url")


async def test_the_offline_result_survives_a_failing_server(
    harper_engine: HarperEngine, engine: LanguageToolEngine, languagetool: LanguageToolStandIn
) -> None:
    checker = GrammarChecker(GrammarOptions(), [harper_engine, engine])
    text = "I has a apple"
    both = await checker.check_text(text)
    assert [(issue.excerpt(text), issue.engine) for issue in both.issues] == [
        ("has", "harper"),
        ("a", "harper"),
    ]
    languagetool.mode = "error"
    degraded = await checker.check_text(text)
    assert degraded.issues == both.issues
    assert [failure.engine for failure in degraded.failures] == ["languagetool"]
    assert "HTTP 500" in degraded.failures[0].reason


async def test_languagetool_adds_what_harper_missed(
    harper_engine: HarperEngine, engine: LanguageToolEngine
) -> None:
    checker = GrammarChecker(GrammarOptions(), [harper_engine, engine])
    text = "That was literally good."
    result = await checker.check_text(text)
    assert [(issue.excerpt(text), issue.engine) for issue in result.issues] == [
        ("literally", "languagetool")
    ]


async def test_every_engine_failing_is_a_user_error(
    engine: LanguageToolEngine, languagetool: LanguageToolStandIn
) -> None:
    languagetool.mode = "error"
    checker = GrammarChecker(GrammarOptions(), [engine])
    with pytest.raises(CheckFailedError, match="couldn't check that right now"):
        await checker.check_text("I will see you tomorow")
