"""The rules of one board: masking, letters, whole-word guesses, hints, winning and losing."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.bots.hangman.services.game import (
    ALPHABET,
    HIDDEN,
    MAX_MISSES,
    Board,
    GameOverError,
    Outcome,
)
from botfleet.errors import UserError

secrets_ = st.from_regex(r"[a-z]{1,8}( [a-z]{1,8}){0,2}", fullmatch=True)
letters = st.sampled_from(ALPHABET)


def test_masking_hides_only_letters_not_found() -> None:
    board = Board("ice-cream cone")
    assert board.masked() == "___-_____ ____"
    board, outcome = board.guess_letter("E")
    assert outcome is Outcome.HIT
    assert board.masked() == "__e-__e__ ___e"


def test_letters_hit_miss_and_refuse_repeats_and_junk() -> None:
    board, outcome = Board("otter").guess_letter("t")
    assert outcome is Outcome.HIT
    board, outcome = board.guess_letter("z")
    assert outcome is Outcome.MISS
    assert board.wrong_letters == ("z",)
    assert board.lives_left == MAX_MISSES - 1
    with pytest.raises(UserError, match="T was already guessed"):
        board.guess_letter("T")
    for junk in ("", "ab", "7", "é?"):
        with pytest.raises(UserError, match="one letter from A to Z"):
            board.guess_letter(junk)


def test_six_misses_lose_and_the_word_is_shown() -> None:
    board = Board("otter")
    for letter in "abcdf":
        board, outcome = board.guess_letter(letter)
        assert outcome is Outcome.MISS
    board, outcome = board.guess_letter("g")
    assert outcome is Outcome.LOST
    assert board.lost and board.over and not board.won
    assert board.masked() == "otter"
    with pytest.raises(GameOverError):
        board.guess_letter("o")


def test_revealing_every_letter_wins_flawlessly() -> None:
    board = Board("otter")
    for letter in "ote":
        board, _ = board.guess_letter(letter)
    board, outcome = board.guess_letter("r")
    assert outcome is Outcome.SOLVED
    assert board.won and board.flawless


def test_word_guesses_win_or_cost_a_life_once() -> None:
    board, outcome = Board("sea lion").guess_word("  Sea   LION ")
    assert outcome is Outcome.SOLVED and board.won

    board, outcome = Board("otter").guess_word("beaver")
    assert outcome is Outcome.WRONG_WORD
    assert board.misses == 1 and not board.flawless
    with pytest.raises(UserError, match="already tried"):
        board.guess_word("BEAVER")
    with pytest.raises(UserError, match="Type the word"):
        board.guess_word("   ")
    with pytest.raises(UserError, match="at most"):
        board.guess_word("x" * 65)


def test_hints_reveal_a_letter_for_a_life_but_never_decide_the_game() -> None:
    board, letter = Board("otter").hint(random.Random(1))
    assert letter in "oter"
    assert letter in board.guessed
    assert board.hints == 1 and board.lives_left == MAX_MISSES - 1

    almost = Board("otter", guessed=("o", "t", "e"))
    with pytest.raises(UserError, match="Only one letter is left"):
        almost.hint(random.Random(1))
    last_life = Board("otter", guessed=tuple("abcdf"))
    with pytest.raises(UserError, match="last one"):
        last_life.hint(random.Random(1))


@given(secrets_, st.lists(letters, unique=True))
def test_masking_property(secret: str, guessed: list[str]) -> None:
    board = Board(secret, guessed=tuple(guessed))
    masked = board.masked()
    assert len(masked) == len(secret)
    for shown, real in zip(masked, secret, strict=True):
        if board.over or real in guessed or not real.isalpha():
            assert shown == real
        else:
            assert shown == HIDDEN


@given(secrets_, st.lists(letters, unique=True, max_size=26))
def test_any_sequence_of_letters_obeys_the_rules(secret: str, sequence: list[str]) -> None:
    board = Board(secret)
    for letter in sequence:
        if board.over:
            with pytest.raises(GameOverError):
                board.guess_letter(letter)
            continue
        before = board
        board, outcome = board.guess_letter(letter)
        assert board.misses == before.misses + (letter not in board.letters)
        assert board.misses <= MAX_MISSES
        assert outcome in {Outcome.HIT, Outcome.MISS, Outcome.SOLVED, Outcome.LOST}
        assert (outcome is Outcome.SOLVED) == board.won
        assert (outcome is Outcome.LOST) == board.lost
    assert not (board.won and board.lost)
    assert board.won == (board.letters <= set(sequence[: len(board.guessed)]))


@given(secrets_, st.integers(min_value=0, max_value=2**32))
def test_a_hint_always_reveals_a_hidden_letter(secret: str, seed: int) -> None:
    board = Board(secret)
    try:
        after, letter = board.hint(random.Random(seed))
    except UserError:
        assert len(board.hidden_letters) <= 1
        return
    assert letter in board.hidden_letters
    assert after.hidden_letters == board.hidden_letters - {letter}
    assert after.misses == board.misses + 1
    assert not after.over
