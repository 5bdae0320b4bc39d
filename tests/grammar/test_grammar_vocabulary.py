"""Chat, technical and code-like words are left alone, and suggestions stay cheap."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from botfleet.bots.grammar.services.checker import GrammarChecker
from botfleet.bots.grammar.services.issues import Strictness
from botfleet.bots.grammar.services.spelling import SpellingEngine
from botfleet.bots.grammar.services.text import looks_like_code
from botfleet.bots.grammar.services.vocabulary import TECH_WORDS, TECH_WORDS_FILE

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_tech_words.py"


@pytest.mark.parametrize(
    "text",
    [
        "Call asyncio.gather on the coroutines in fooBar_baz.",
        "ngl the p99 latency after the hotfix in v2.3.1 is fine.",
        "iirc the setUp method runs before each pytest fixture.",
        "afaik the webhook posts to our endpoint via nginx and gunicorn.",
        "smh, kubectl and terraform disagree about the namespace again.",
        "The regex in the tokenizer refactored the middleware timestamps.",
    ],
)
async def test_technical_chat_has_no_issue(checker: GrammarChecker, text: str) -> None:
    """Nothing a channel is shown by default (chat in small letters is only a strict matter)."""
    result = (await checker.check_text(text)).shown_at(Strictness.NORMAL)
    assert [issue.excerpt(text) for issue in result.issues] == []


@pytest.mark.parametrize(
    ("text", "word", "code"),
    [
        ("see user_id here", "user", True),
        ("call fooBar now", "fooBar", True),
        ("pin v2.3.1 please", "v2", True),
        ("read asyncio.gather docs", "gather", True),
        ("a plain word", "plain", False),
        ("the end.", "end", False),
        ("(quoted) words", "quoted", False),
    ],
)
def test_code_like_chunks_are_told_from_words(text: str, word: str, code: bool) -> None:
    start = text.index(word)
    assert looks_like_code(text, start, start + len(word)) is code


async def test_suggestions_never_run_pyspellchecker_s_edit_search(
    spelling_engine: SpellingEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit_search(*_: object) -> set[str]:
        raise AssertionError("pyspellchecker's candidate search costs a second per long word")

    monkeypatch.setattr("spellchecker.SpellChecker.candidates", edit_search)
    text = "the configuraton of the deploymnet pipleine was recieved"
    issues = await spelling_engine.check(text, "en")
    assert [(issue.excerpt(text), issue.suggestions[0]) for issue in issues] == [
        ("configuraton", "configuration"),
        ("deploymnet", "deployment"),
        ("pipleine", "pipeline"),
        ("recieved", "received"),
    ]


async def test_an_unknown_long_word_is_flagged_without_a_far_fetched_suggestion(
    spelling_engine: SpellingEngine,
) -> None:
    text = "the zqxjvkwplorithmic step"
    issues = await spelling_engine.check(text, "en")
    assert [(issue.excerpt(text), issue.suggestions) for issue in issues] == [
        ("zqxjvkwplorithmic", ())
    ]


def test_the_shipped_technical_vocabulary_is_what_the_script_builds() -> None:
    spec = importlib.util.spec_from_file_location("build_tech_words", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    built = "\n".join(script.build()) + "\n"
    assert TECH_WORDS_FILE.read_text(encoding="utf-8") == built
    assert {"asyncio", "kotlin", "nginx", "webhooks", "refactored", "kubectl"} <= TECH_WORDS
