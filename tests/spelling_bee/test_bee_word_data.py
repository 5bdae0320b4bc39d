"""The Spelling Bee's shipped word data is family-safe, and so is every puzzle made from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from importlib import resources

from botfleet.bots.spelling_bee.services.classic_words import ClassicWordBank, Difficulty
from botfleet.bots.spelling_bee.services.game import puzzle_day
from botfleet.bots.spelling_bee.services.puzzle import WordList
from botfleet.services.content_policy import flagged_words

ANSWERS = (
    resources.files("botfleet.bots.spelling_bee.data").joinpath("words.txt").read_text("utf-8")
).split()
WORDS = WordList(ANSWERS)
FIRST_DAY = date(2027, 1, 1)


def test_every_answer_is_family_safe_by_every_judge() -> None:
    assert len(ANSWERS) > 9000
    assert flagged_words(ANSWERS) == {}


def test_a_year_of_daily_puzzles_holds_no_flagged_word() -> None:
    days = [FIRST_DAY + timedelta(days=offset) for offset in range(365)]
    answers: set[str] = set()
    for day in days:
        puzzle = WORDS.generate(day.isoformat())
        assert puzzle.answers, day
        answers |= puzzle.answers
    assert flagged_words(answers) == {}


def test_every_classic_word_is_family_safe_by_every_judge() -> None:
    bank = ClassicWordBank.bundled()
    words = [entry.word for level in Difficulty for entry in bank.words(level)]
    assert flagged_words(words) == {}


def test_the_puzzle_seed_is_the_day() -> None:
    """The puzzles above are the ones members get: the bot seeds by the same ISO day."""
    assert puzzle_day(datetime(2027, 1, 1, 12, tzinfo=UTC)) == FIRST_DAY.isoformat()
