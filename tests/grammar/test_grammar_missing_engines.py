"""Engines whose library is missing, or that fail to start: the bot runs and says so."""

from __future__ import annotations

import asyncio
import gc
import sys

import pytest
from grammar_helpers import SlowEngine

from botfleet.bots.grammar.config import GrammarOptions
from botfleet.bots.grammar.services.checker import (
    INSTALL_HINT,
    RULE_PACKAGES,
    GrammarChecker,
    NoEngineError,
    build_checker,
)
from botfleet.bots.grammar.services.issues import Issue
from botfleet.bots.grammar.services.rule_engine import MODEL_PACKAGE
from botfleet.bots.grammar.services.validation import NotEnglishError


class BrokenEngine:
    """An engine whose start fails, as a corrupt dictionary would."""

    name = "broken"

    def supports(self, language: str) -> bool:
        return True

    async def start(self) -> None:
        raise OSError("dictionary file is corrupt")

    async def check(self, text: str, language: str) -> list[Issue]:
        raise AssertionError("a broken engine is never asked")

    async def close(self) -> None:
        """Nothing was opened."""


async def test_every_engine_installed_is_ready() -> None:
    checker = build_checker(GrammarOptions())
    await checker.start()
    assert checker.status() == ["harper: ready", "rules: ready", "spelling: ready"]
    await checker.close()


async def test_loaded_engines_are_kept_out_of_the_garbage_collectors_walks() -> None:
    gc.unfreeze()
    checker = build_checker(GrammarOptions())
    await checker.start()
    assert gc.get_freeze_count() > 100_000, "the dictionaries and the tagger are frozen"
    await checker.close()


async def test_without_harper_spelling_still_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "harper", None)
    checker = build_checker(GrammarOptions(rules=False))
    await checker.start()
    assert checker.status() == [
        "spelling: ready",
        f"harper: unavailable — harper-py is not installed ({INSTALL_HINT})",
    ]
    text = "I will see you tomorow"
    result = await checker.check_text(text)
    assert [(issue.excerpt(text), issue.engine) for issue in result.issues] == [
        ("tomorow", "spelling")
    ]


async def test_without_pyspellchecker_the_alphabet_alone_tells_english_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "spellchecker", None)
    checker = build_checker(GrammarOptions())
    await checker.start()
    assert checker.status()[-1] == (
        f"spelling: unavailable — pyspellchecker is not installed ({INSTALL_HINT})"
    )
    assert checker.vocabulary is None
    result = await checker.check_text("Das ist ein Haus und ich bin hier.")
    assert result.issues
    with pytest.raises(NotEnglishError):
        await checker.check_text("Привет, как у тебя дела сегодня?")


async def test_with_no_engine_a_check_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "harper", None)
    monkeypatch.setitem(sys.modules, "spellchecker", None)
    monkeypatch.setitem(sys.modules, MODEL_PACKAGE, None)
    checker = build_checker(GrammarOptions())
    await checker.start()
    assert [line.split(":")[0] for line in checker.status()] == ["harper", "rules", "spelling"]
    assert checker.status()[1] == (
        f"rules: unavailable — {RULE_PACKAGES} are not installed ({INSTALL_HINT})"
    )
    with pytest.raises(
        NoEngineError, match=r"no checking engine is installed.*botfleet\[grammar\]"
    ):
        await checker.check_text("I has a apple")


async def test_an_engine_that_fails_to_start_is_set_aside() -> None:
    checker = GrammarChecker(GrammarOptions(), [BrokenEngine()])
    await checker.start()
    assert checker.status() == ["broken: unavailable — failed to start: dictionary file is corrupt"]
    with pytest.raises(NoEngineError, match="not available right now"):
        await checker.check_text("I has a apple")


async def test_a_language_no_engine_knows_is_refused() -> None:
    checker = build_checker(GrammarOptions())
    with pytest.raises(NoEngineError, match="can't check fr-FR yet"):
        await checker.check("Bonjour", "fr-FR")
    assert checker.engines


class BrokenDictionary(BrokenEngine):
    """A spelling engine whose word list fails to load: it is also the checker's vocabulary."""

    def is_common_english(self, word: str) -> bool:
        raise OSError("dictionary file is corrupt")


async def test_a_vocabulary_that_failed_to_start_is_not_used_for_auto_checks() -> None:
    broken = BrokenDictionary()
    checker = GrammarChecker(GrammarOptions(), [broken], vocabulary=broken)
    await checker.start()
    assert checker.vocabulary is None
    with pytest.raises(NoEngineError):
        await checker.check_message("I has a apple and we goes to the park")


async def test_auto_checks_in_another_language_are_not_dropped_as_not_english() -> None:
    class German(BrokenEngine):
        name = "german"

        async def start(self) -> None:
            """Ready at once."""

        async def check(self, text: str, language: str) -> list[Issue]:
            return []

    class EnglishOnly:
        def is_common_english(self, word: str) -> bool:
            return False  # no German word is common English

    checker = GrammarChecker(GrammarOptions(language="de-DE"), [German()], vocabulary=EnglishOnly())
    await checker.start()
    result = await checker.check_message("Das ist ein Haus und ich bin heute hier.")
    assert result is not None and result.language == "de-DE"


async def test_engines_load_in_the_background_and_checks_wait_for_them() -> None:
    engine = SlowEngine()
    checker = GrammarChecker(GrammarOptions(), [engine])
    checker.start_loading()
    assert not checker.loaded
    check = asyncio.create_task(checker.check("Hello there", "en"))
    await asyncio.sleep(0)
    assert not check.done()
    engine.may_finish.set()
    result = await check
    assert checker.loaded
    assert [issue.rule for issue in result.issues] == ["SLOW"]
    await checker.close()
