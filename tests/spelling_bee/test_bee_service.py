"""The puzzle service on real databases: verdicts, per-guild progress, races, privacy."""

from __future__ import annotations

import asyncio
import gc
import weakref
from datetime import UTC, datetime

from botfleet.bots.spelling_bee.services.game import BeeService, puzzle_day
from botfleet.bots.spelling_bee.services.puzzle import Verdict, WordList, word_score
from botfleet.bots.spelling_bee.services.store import BeeStore
from botfleet.database import Database
from botfleet.errors import UserError
from botfleet.services.privacy import registry

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)
WORDS = ("bractlet", "table", "tablet", "able", "cable", "battle")
"""One pangram; the hive's centre is one of a, b, l, e (in every word), so all six answer."""


def service(database: Database, moment: datetime = NOON) -> BeeService:
    return BeeService(database, lambda: WordList(WORDS), clock=lambda: moment)


async def test_submitting_words_records_them_for_the_guild(database: Database) -> None:
    bee = service(database)
    puzzle = await bee.puzzle(bee.today())
    assert puzzle.pangrams == {"bractlet"}
    assert puzzle.answers == set(WORDS)
    centre_word = "cable"

    accepted = await bee.submit(1, 10, centre_word.upper())
    assert accepted.verdict is Verdict.ACCEPTED
    assert accepted.points == word_score(centre_word)
    assert accepted.progress.words == [centre_word]

    pangram = await bee.submit(1, 11, "bractlet")
    assert pangram.verdict is Verdict.PANGRAM and pangram.points == 15
    assert (await bee.submit(1, 12, centre_word)).verdict is Verdict.ALREADY_FOUND
    assert (await bee.submit(1, 12, "zzzz")).verdict is Verdict.BAD_LETTERS

    progress = await bee.progress(1)
    assert sorted(progress.words) == sorted([centre_word, "bractlet"])
    assert progress.score == word_score(centre_word) + 15
    assert (await bee.progress(2)).words == [], "another guild has its own progress"
    restarted = service(database)
    assert (await restarted.progress(1)).score == progress.score, "progress is persisted"


async def test_a_new_day_starts_afresh(database: Database) -> None:
    bee = service(database)
    await bee.submit(1, 10, "bractlet")
    tomorrow = service(database, datetime(2026, 11, 26, 0, 1, tzinfo=UTC))
    assert tomorrow.today() == "2026-11-26" == puzzle_day(datetime(2026, 11, 26, 0, 1, tzinfo=UTC))
    assert (await tomorrow.progress(1)).words == []


async def test_two_members_sending_the_same_word_at_once_score_it_once(
    database: Database,
) -> None:
    bee = service(database)
    answers = await asyncio.gather(*(bee.submit(1, user, "bractlet") for user in (10, 11, 12)))
    verdicts = sorted(answer.verdict for answer in answers)
    assert verdicts.count(Verdict.PANGRAM) == 1
    assert verdicts.count(Verdict.ALREADY_FOUND) == 2
    assert (await bee.progress(1)).score == 15


async def test_unusable_input_is_refused_kindly(database: Database) -> None:
    bee = service(database)
    for text in ("", "   ", "two words", "a" * 21):
        try:
            await bee.submit(1, 10, text)
        except UserError as problem:
            assert "one word" in problem.message
        else:
            raise AssertionError(f"{text!r} was accepted")


async def test_puzzle_channel_and_data_deletion(database: Database) -> None:
    bee = service(database)
    assert await bee.channel_of(1) is None
    await bee.open_in(1, 100, 10)
    await bee.open_in(1, 200, 11)
    assert await bee.channel_of(1) == 200
    await bee.submit(1, 11, "bractlet")

    report = await registry.delete_user(database, 11)
    assert report["spelling_bee"] == 2
    finds = await BeeStore(database).finds(1, bee.today())
    assert [(find.word, find.user_id) for find in finds] == [("bractlet", None)]
    assert (await bee.progress(1)).score == 15, "the guild keeps its word"


async def test_contributions_rank_todays_finders(database: Database) -> None:
    bee = service(database)
    assert await bee.contributions(1) == []
    await bee.submit(1, 10, "able")
    await bee.submit(1, 10, "table")
    await bee.submit(1, 11, "bractlet")
    await bee.submit(2, 12, "tablet")
    ranking = await bee.contributions(1)
    assert [(entry.user_id, entry.words, entry.points, entry.pangrams) for entry in ranking] == [
        (11, 1, 15, 1),
        (10, 2, 6, 0),
    ]


async def test_the_word_list_is_read_for_each_new_days_puzzle_and_not_kept(
    database: Database,
) -> None:
    """Reading it takes milliseconds once a day; kept, it cost an idle bot 1.3 MB (issue 16)."""
    reads: list[weakref.ref[WordList]] = []

    def read() -> WordList:
        words = WordList(WORDS)
        reads.append(weakref.ref(words))
        return words

    bee = BeeService(database, read, clock=lambda: NOON)
    await bee.puzzle(bee.today())
    await asyncio.gather(bee.puzzle(bee.today()), bee.progress(1))
    assert len(reads) == 1  # today's puzzle is kept, not made again
    await bee.puzzle("2026-11-26")
    assert len(reads) == 2
    gc.collect()
    assert [ref() for ref in reads] == [None, None]  # nothing holds a list once read
