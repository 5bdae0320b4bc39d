"""What a member may send to be checked, and what an auto-check channel reads of a message."""

from __future__ import annotations

import pytest

from botfleet.bots.grammar.config import GrammarOptions
from botfleet.bots.grammar.services.checker import GrammarChecker
from botfleet.bots.grammar.services.corrections import apply_all
from botfleet.bots.grammar.services.issues import Strictness
from botfleet.bots.grammar.services.spelling import SpellingEngine
from botfleet.bots.grammar.services.text import (
    protected_spans,
    strip_markup,
    worth_auto_checking,
)
from botfleet.bots.grammar.services.validation import (
    EmptyTextError,
    NotEnglishError,
    NoWordsError,
    OnlyCodeError,
    OnlyEmojiError,
    TextTooLongError,
    looks_english,
    validate_check_text,
)
from botfleet.errors import UserError


def validate(text: str, vocabulary: SpellingEngine | None, max_length: int = 1500) -> str:
    return validate_check_text(text, max_length=max_length, language="en-US", vocabulary=vocabulary)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("", EmptyTextError, "nothing to check"),
        ("   \n ", EmptyTextError, "nothing to check"),
        ("a" * 1501, TextTooLongError, "1,501 characters; I check up to 1,500"),
        ("😀🎉 👍🏽 ❤️", OnlyEmojiError, "only emoji"),
        ("<:blobcat:123456789> <a:party:987654321>", OnlyEmojiError, "only emoji"),
        ("```py\nprint('hi')\n```", OnlyCodeError, "looks like code"),
        ("`x = 1`", OnlyCodeError, "looks like code"),
        ("if (x == 1) { y = foo(x); }", OnlyCodeError, "looks like code"),
        ("!!! ... ???", NoWordsError, "no words"),
        ("Das ist ein Haus und ich bin hier.", NotEnglishError, "doesn't look like English"),
        ("Wir gehen morgen ins Kino und essen Pizza.", NotEnglishError, "English"),
        ("Je suis très content de te voir aujourd'hui.", NotEnglishError, "English"),
        ("Vamos a la playa mañana con mis amigos.", NotEnglishError, "English"),
        ("Привет, как у тебя дела сегодня?", NotEnglishError, "English"),
        ("今日はとても良い天気ですね", NotEnglishError, "English"),
    ],
)
def test_bad_input_gets_a_clear_answer(
    spelling_engine: SpellingEngine, text: str, error: type[UserError], message: str
) -> None:
    with pytest.raises(error, match=message):
        validate(text, spelling_engine)


@pytest.mark.parametrize(
    "text",
    [
        "I has a apple",
        "I will see you tomorow 😀",
        "Jorge and Priya met in Zürich yesterday.",
        "Run `pip install botfleet` and tell me (if it works).",
        "lol ok brb",
        "Hey <@123>, check https://example.com/docs/setup and <#456>.",
    ],
)
def test_english_prose_is_accepted(spelling_engine: SpellingEngine, text: str) -> None:
    assert validate(text, spelling_engine) == text


def test_the_limit_is_configurable(spelling_engine: SpellingEngine) -> None:
    assert validate("I has a apple", spelling_engine, max_length=13)
    with pytest.raises(TextTooLongError, match="14 characters; I check up to 13"):
        validate("I has a apple!", spelling_engine, max_length=13)
    assert GrammarOptions().max_check_length == 1500


def test_without_a_dictionary_only_the_alphabet_tells_english_apart() -> None:
    assert looks_english("Das ist ein Haus und ich bin hier.", None)
    assert not looks_english("Привет, как у тебя дела сегодня?", None)


def test_markup_is_protected_in_a_direct_check() -> None:
    text = "See `teh` at https://exmaple.com/x, <@1> <:blob:22>. Thx :wave:"
    assert [text[start:end] for start, end in protected_spans(text)] == [
        "`teh`",
        "https://exmaple.com/x",
        "<@1>",
        "<:blob:22>",
        ":wave:",
    ]


@pytest.mark.parametrize(
    ("message", "prose"),
    [
        ("Hey <@123> how are you?", "Hey how are you?"),
        ("Thanks <@&42>! See you", "Thanks! See you"),
        ("Look at this https://example.com/a.png, nice", "Look at this, nice"),
        ("Read [the docs](https://example.com) first", "Read first"),
        ("```py\nx = teh\n```\nI has a apple", "I has a apple"),
        ("Use `pip instal` now", "Use now"),
        ("> they said teh thing\nI has a apple", "I has a apple"),
        ("I agree\n>>> everything here\nis quoted", "I agree"),
        ("Great game 🎉🎉 <:pog:123> gg", "Great game gg"),
        ("<t:1700000000:R> in <#9> with @everyone", "in with"),
    ],
)
def test_auto_check_reads_only_the_prose(message: str, prose: str) -> None:
    stripped = strip_markup(message)
    assert stripped.text == prose
    assert "".join(message[origin] for origin in stripped.origins) == prose


@pytest.mark.parametrize(
    ("message", "worth"),
    [
        ("lol", False),
        ("ok thanks", False),
        ("😀 <@1> https://example.com", False),
        ("```\na long block of code with many words\n```", False),
        ("> a quote of many words from someone\nyes", False),
        ("I has a apple", True),
    ],
)
def test_auto_check_skips_short_or_empty_messages(message: str, worth: bool) -> None:
    assert worth_auto_checking(strip_markup(message), min_words=3) is worth


async def test_auto_check_reports_spans_against_the_message_as_posted(
    checker: GrammarChecker,
) -> None:
    message = "Hey <@123> 😀 i has a apple, see `teh` and https://x.io/tomorow tomorow!"
    result = await checker.check_message(message)
    assert result is not None
    assert result.text == message
    assert [issue.excerpt(message) for issue in result.issues] == ["has", "a", "tomorow"]
    assert apply_all(message, result.issues).text == (
        "Hey <@123> 😀 i have an apple, see `teh` and https://x.io/tomorow tomorrow!"
    )
    strict = await checker.check_message(message, Strictness.STRICT)
    assert strict is not None
    assert [issue.excerpt(message) for issue in strict.issues] == ["i", "has", "a", "tomorow"]


async def test_auto_check_stays_quiet_on_what_it_should_not_read(
    checker: GrammarChecker,
) -> None:
    for message in ["lol", "```py\nx = 1\n```", "😀😀😀", "Das ist ein Haus und ich bin hier."]:
        assert await checker.check_message(message) is None


async def test_an_issue_across_removed_markup_is_left_out(checker: GrammarChecker) -> None:
    stripped = strip_markup("I has <@1> a apple")
    assert stripped.text == "I has a apple"
    assert stripped.to_original(2, 5) == (2, 5)
    assert stripped.to_original(6, 7) == (11, 12)
    assert stripped.to_original(2, 7) is None
    assert stripped.to_original(13, 13) == (18, 18)
