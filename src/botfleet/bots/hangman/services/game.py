"""The rules of one game of hangman, as an immutable board: each move returns the next board.

A miss is a wrong letter, a wrong guess of the whole word, or a hint (a revealed letter costs
a life). Six misses lose; revealing every letter, or guessing the word, wins. Only the letters
A to Z are guessed: spaces, hyphens and apostrophes of a phrase are shown from the start.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from botfleet.bots.hangman.services.words import fold, letters_of
from botfleet.errors import UserError

MAX_MISSES: Final = 6
ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz"
MAX_WORD_GUESS_LENGTH: Final = 64
HIDDEN: Final = "_"


class GameOverError(UserError):
    """A move on a board that is already won or lost."""

    def __init__(self) -> None:
        super().__init__("This game is over — start a new one with /hangman start.")


class Outcome(StrEnum):
    """What one move did."""

    HIT = "hit"
    MISS = "miss"
    HINT = "hint"
    WRONG_WORD = "wrong_word"
    SOLVED = "solved"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class Board:
    """A secret and everything guessed about it so far."""

    secret: str
    guessed: tuple[str, ...] = ()
    """Letters guessed or revealed, in order."""
    wrong_words: tuple[str, ...] = ()
    hints: int = 0
    solved: bool = False
    """Set by a right guess of the whole word."""
    max_misses: int = MAX_MISSES
    letters: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "letters", letters_of(self.secret))
        if not self.letters:
            raise ValueError(f"a secret needs letters to guess, got {self.secret!r}")

    @property
    def wrong_letters(self) -> tuple[str, ...]:
        """Guessed letters that are not in the secret, in the order they were tried."""
        return tuple(letter for letter in self.guessed if letter not in self.letters)

    @property
    def misses(self) -> int:
        return len(self.wrong_letters) + len(self.wrong_words) + self.hints

    @property
    def lives_left(self) -> int:
        return max(0, self.max_misses - self.misses)

    @property
    def hidden_letters(self) -> frozenset[str]:
        return self.letters - set(self.guessed)

    @property
    def won(self) -> bool:
        return self.solved or not self.hidden_letters

    @property
    def lost(self) -> bool:
        return not self.won and self.misses >= self.max_misses

    @property
    def over(self) -> bool:
        return self.won or self.lost

    @property
    def flawless(self) -> bool:
        """Won without a wrong letter, a wrong word or a hint."""
        return self.won and self.misses == 0

    def masked(self) -> str:
        """The secret with every letter not found yet as ``_`` (all of it once the game is over)."""
        if self.over:
            return self.secret
        shown = set(self.guessed)
        return "".join(
            HIDDEN if char in self.letters and char not in shown else char for char in self.secret
        )

    def guess_letter(self, text: str) -> tuple[Board, Outcome]:
        """Try one letter; a friendly error for anything but a new letter A to Z."""
        self._check_playing()
        letter = fold(text)
        if len(letter) != 1 or letter not in ALPHABET:
            raise UserError("Guess one letter from A to Z.")
        if letter in self.guessed:
            raise UserError(f"{letter.upper()} was already guessed — try another letter.")
        board = replace(self, guessed=(*self.guessed, letter))
        if letter in self.letters:
            return board, Outcome.SOLVED if board.won else Outcome.HIT
        return board, Outcome.LOST if board.lost else Outcome.MISS

    def guess_word(self, text: str) -> tuple[Board, Outcome]:
        """Guess the whole secret; a wrong guess costs a life, the same wrong guess is refused."""
        self._check_playing()
        guess = fold(text)
        if not guess:
            raise UserError("Type the word you think it is.")
        if len(guess) > MAX_WORD_GUESS_LENGTH:
            raise UserError(f"A guess has at most {MAX_WORD_GUESS_LENGTH} characters.")
        if guess == self.secret:
            return replace(self, solved=True), Outcome.SOLVED
        if guess in self.wrong_words:
            raise UserError(f"“{guess.upper()}” was already tried — it isn't the word.")
        board = replace(self, wrong_words=(*self.wrong_words, guess))
        return board, Outcome.LOST if board.lost else Outcome.WRONG_WORD

    def hint(self, rng: random.Random) -> tuple[Board, str]:
        """Reveal a random hidden letter for a life; refused when it would decide the game."""
        self._check_playing()
        if self.lives_left <= 1:
            raise UserError("A hint costs a life, and this is the last one — no hints now!")
        hidden = sorted(self.hidden_letters)
        if len(hidden) <= 1:
            raise UserError("Only one letter is left to find — no hint needed, you can do it!")
        letter = rng.choice(hidden)
        return replace(self, guessed=(*self.guessed, letter), hints=self.hints + 1), letter

    def _check_playing(self) -> None:
        if self.over:
            raise GameOverError
