"""The offline engines on a table of sentences: mistakes found and fixed, correct ones kept."""

from __future__ import annotations

import asyncio
import threading
from typing import cast

import harper
import pytest

from botfleet.bots.grammar.config import GrammarOptions
from botfleet.bots.grammar.services.checker import GrammarChecker
from botfleet.bots.grammar.services.corrections import apply_all
from botfleet.bots.grammar.services.engine import EngineError
from botfleet.bots.grammar.services.harper_engine import HarperEngine, _misspellings
from botfleet.bots.grammar.services.issues import Category, Issue, Strictness
from botfleet.bots.grammar.services.spelling import SpellingEngine

MISTAKES = [
    pytest.param(
        "Their going to the park",
        [("Their", "They're", Category.GRAMMAR)],
        "They're going to the park",
        id="their-going",
    ),
    pytest.param(
        "I will see you tomorow",
        [("tomorow", "tomorrow", Category.SPELLING)],
        "I will see you tomorrow",
        id="tomorow",
    ),
    pytest.param(
        "He go to school every day",
        [("go", "goes", Category.GRAMMAR)],
        "He goes to school every day",
        id="he-go",
    ),
    pytest.param(
        "I has a apple",
        [("has", "have", Category.GRAMMAR), ("a", "an", Category.GRAMMAR)],
        "I have an apple",
        id="i-has-a-apple",
    ),
]

CORRECT = [
    "The quick brown fox jumps over the lazy dog.",
    "My name is Jorge and I live in Zürich.",
    "Alice and Bob bought 12 apples for $3.50 at Trader Joe's.",
    "I can't believe it's already 2024!",
    "We're meeting at 10:30 tomorrow, don't be late.",
    "See https://example.com/teh-docs for details, it's at 5 pm.",
    "Thanks <@123456789>, I'll review the pull request tonight.",
    "She's been living in New York since 2019.",
]


@pytest.mark.parametrize(("text", "expected", "corrected"), MISTAKES)
async def test_mistakes_are_found_with_the_fix(
    checker: GrammarChecker,
    text: str,
    expected: list[tuple[str, str, Category]],
    corrected: str,
) -> None:
    result = await checker.check_text(text)
    found = [(issue.excerpt(text), issue.suggestions[0], issue.category) for issue in result.issues]
    assert found == expected
    assert all(issue.message and issue.explanation for issue in result.issues)
    assert apply_all(text, result.issues).text == corrected


@pytest.mark.parametrize("text", CORRECT)
async def test_correct_sentences_have_no_issue(checker: GrammarChecker, text: str) -> None:
    result = await checker.check_text(text)
    assert [issue.excerpt(text) for issue in result.issues] == []
    assert result.failures == ()


async def test_harper_alone_catches_the_common_mistakes(harper_engine: HarperEngine) -> None:
    for text, expected in [
        ("Their going to the park", {"Their"}),
        ("I will see you tomorow", {"tomorow"}),
        ("He go to school every day", {"go"}),
        ("I has a apple", {"has", "a"}),
    ]:
        issues = await harper_engine.check(text, "en-US")
        assert {issue.excerpt(text) for issue in issues} == expected
        assert {issue.engine for issue in issues} == {"harper"}


async def test_harper_agreement_leaves_irregular_past_forms_alone(
    harper_engine: HarperEngine,
) -> None:
    for text in ["He lent me his pen.", "She froze the account.", "He dealt the cards."]:
        assert await harper_engine.check(text, "en-US") == [], text
    text = "She go to school every day."
    assert [i.rule for i in await harper_engine.check(text, "en-US")] == ["PronounVerbAgreement"]


async def test_harper_merges_words_but_not_technical_compounds(
    harper_engine: HarperEngine,
) -> None:
    for text in ["The cron job runs nightly.", "Check the log file.", "Read the change log."]:
        assert await harper_engine.check(text, "en-US") == [], text
    text = "I need a note book."
    issues = await harper_engine.check(text, "en-US")
    assert [(i.excerpt(text), i.suggestions[0]) for i in issues] == [("note book", "notebook")]


async def test_harper_reads_you_before_a_group_as_addressing_it(
    harper_engine: HarperEngine,
) -> None:
    for text in ["You two are late.", "You guys should come.", "You kids are loud."]:
        assert await harper_engine.check(text, "en-US") == [], text
    for text, flagged in [("You car is red.", "You"), ("You goes there.", "goes")]:
        assert [i.excerpt(text) for i in await harper_engine.check(text, "en-US")] == [flagged]


async def test_harper_follows_the_dialect(harper_engine: HarperEngine) -> None:
    text = "The colour of my favourite jumper."
    american = await harper_engine.check(text, "en-US")
    british = await harper_engine.check(text, "en-GB")
    assert {issue.excerpt(text) for issue in american} >= {"colour", "favourite"}
    assert british == []


async def test_spelling_suggests_the_most_common_words_first(
    spelling_engine: SpellingEngine,
) -> None:
    text = "I will recieve the leter tomorow."
    issues = await spelling_engine.check(text, "en")
    assert [(issue.excerpt(text), issue.suggestions[:2]) for issue in issues] == [
        ("recieve", ("receive", "relieve")),
        ("leter", ("later", "letter")),
        ("tomorow", ("tomorrow",)),
    ]
    assert all(issue.category is Category.SPELLING for issue in issues)


@pytest.mark.parametrize(
    "text",
    [
        "Priya and Jorge met at Xochimilco.",  # names, even opening a sentence
        "The NASA and WHO reports agree.",  # acronyms
        "I'd say it's fine, y'all.",  # contractions
        "Meet at 5pm in room 12b, ok?",  # numbers and words with digits
        "Open file_name.txt or see https://exampel.com/recieve.",  # technical words, links
        "Ping @moderator or <@123> in <#456>, lol.",  # handles, mentions, chat words
    ],
)
async def test_spelling_leaves_names_numbers_links_and_chat_alone(
    spelling_engine: SpellingEngine, text: str
) -> None:
    assert await spelling_engine.check(text, "en") == []


async def test_spelling_checks_the_words_of_a_hyphenated_word(
    spelling_engine: SpellingEngine,
) -> None:
    text = "It is a well-knwon fact."
    issues = await spelling_engine.check(text, "en-US")
    assert [(issue.excerpt(text), issue.suggestions[0]) for issue in issues] == [("knwon", "known")]


async def test_a_word_both_engines_flag_is_reported_once_by_harper(
    checker: GrammarChecker,
) -> None:
    text = "I will recieve it tomorow."
    result = await checker.check_text(text)
    assert [(issue.excerpt(text), issue.engine) for issue in result.issues] == [
        ("recieve", "harper"),
        ("tomorow", "harper"),
    ]


async def test_strictness_hides_minor_issues(checker: GrammarChecker) -> None:
    text = "i has a apple , ok?"
    result = await checker.check_text(text)
    found = [(issue.excerpt(text), issue.category) for issue in result.issues]
    assert found == [
        ("i", Category.CAPITALIZATION),
        ("has", Category.GRAMMAR),
        ("a", Category.GRAMMAR),
        (" ", Category.PUNCTUATION),
        ("ok", Category.STYLE),
    ]
    shown = {
        level: [issue.excerpt(text) for issue in result.shown_at(level).issues]
        for level in Strictness
    }
    assert shown == {
        Strictness.RELAXED: ["has", "a"],
        Strictness.NORMAL: ["has", "a", " "],
        Strictness.STRICT: ["i", "has", "a", " ", "ok"],
    }


async def test_checks_run_in_parallel_without_tripping_the_linter(
    checker: GrammarChecker,
) -> None:
    texts = ["I has a apple", "He go to school every day"] * 10
    results = await asyncio.gather(*(checker.check_text(text) for text in texts))
    assert [len(result.issues) for result in results] == [2, 1] * 10


class FailingHarper:
    """Harper failing every check in this process, as an engine error would make it."""

    name = "harper"

    def supports(self, language: str) -> bool:
        return True

    async def start(self) -> None:
        """Nothing to load."""

    async def check(self, text: str, language: str) -> list[Issue]:
        return self.check_in_thread(text, language)

    def check_in_thread(self, text: str, language: str) -> list[Issue]:
        raise EngineError(self.name, "the linter crashed")

    async def close(self) -> None:
        """Nothing to release."""


async def test_spelling_stands_in_for_harper_only_when_harper_cannot_answer(
    harper_engine: HarperEngine, spelling_engine: SpellingEngine
) -> None:
    text = "Could you repost the link? I will see you tomorow."
    with_harper = GrammarChecker(GrammarOptions(), [harper_engine, spelling_engine])
    result = await with_harper.check(text, "en-US")
    assert [(i.excerpt(text), i.engine) for i in result.issues] == [("tomorow", "harper")]
    failing = GrammarChecker(GrammarOptions(), [FailingHarper(), spelling_engine])
    result = await failing.check(text, "en-US")
    assert [(i.excerpt(text), i.engine) for i in result.issues] == [
        ("repost", "spelling"),
        ("tomorow", "spelling"),
    ]
    assert [failure.engine for failure in result.failures] == ["harper"]


async def test_in_process_engines_share_one_worker_thread_off_the_event_loop(
    harper_engine: HarperEngine, spelling_engine: SpellingEngine
) -> None:
    threads: list[int] = []

    class Watched(HarperEngine):
        def check_in_thread(self, text: str, language: str) -> list[Issue]:
            threads.append(threading.get_ident())
            return harper_engine.check_in_thread(text, language)

    class Crashing(FailingHarper):
        name = "crashing"

        def check_in_thread(self, text: str, language: str) -> list[Issue]:
            threads.append(threading.get_ident())
            raise RuntimeError("a bug")

    checker = GrammarChecker(GrammarOptions(), [Watched(), Crashing(), spelling_engine])
    text = "I has a apple"
    result = await checker.check(text, "en-US")
    assert [i.excerpt(text) for i in result.issues] == ["has", "a"]
    assert [(f.engine, f.reason) for f in result.failures] == [("crashing", "an internal error")]
    assert len(set(threads)) == 1 and threads[0] != threading.get_ident()


async def test_harper_spells_words_in_place_but_never_names_code_or_links(
    harper_engine: HarperEngine,
) -> None:
    text = "Ask Oluwaseun, teh `recieve()` guy, about https://exampel.com or tomorow's plan."
    issues = await harper_engine.check(text, "en-US")
    spelled = [(i.excerpt(text), i.suggestions[0]) for i in issues if i.rule == "SpellCheck"]
    assert spelled == [("teh", "the"), ("tomorow's", "tomorrow's")]


def test_harper_is_asked_to_spell_only_the_words_worth_spelling() -> None:
    asked: list[str] = []

    class Speller:
        def organized_lints(self, text: str, language: object) -> dict[str, list[object]]:
            asked.append(text)
            return {}

    text = "Ask Priya about user_id in `code`, then <@123> and https://x.io/teh, ok?"
    assert _misspellings(cast(harper.Linter, Speller()), text, None) == []
    assert asked == ["Ask about in then and ok"]
    asked.clear()
    text = "run kubeadm and pgbouncer, I typed asdfghjkl and recieve"
    assert _misspellings(cast(harper.Linter, Speller()), text, lambda w: "k" not in w) == []
    assert asked == ["run and pgbouncer typed and recieve"]


def test_a_word_no_known_word_lies_near_is_no_typo(spelling_engine: SpellingEngine) -> None:
    for typo in ("recieve", "definately", "teh", "becuase", "skaffold", "pgbouncer"):
        assert spelling_engine.could_be_typo(typo), typo
    for word in ("the", "Receive", "neighbour"):
        assert spelling_engine.could_be_typo(word), word  # known words: Harper judges them
    for beyond in ("asdfghjkl", "qwertzuiop", "kubeadm", "istioctl", "vcpkg", "Oluwaseun"):
        assert not spelling_engine.could_be_typo(beyond), beyond


async def test_harper_leaves_words_no_suggestion_could_mend(harper_engine: HarperEngine) -> None:
    text = "I typed asdfghjkl and qwertzuiop, then recieve and kubeadm"
    issues = await harper_engine.check(text, "en-US")
    assert [(i.excerpt(text), i.suggestions[0]) for i in issues] == [("recieve", "receive")]
