"""The classic mode's words: each with its definition, part of speech and a masked example.

``data/classic.json`` is built by ``scripts/build_spelling_bee_definitions.py`` from WordNet 3.0,
so the bot reads one file and needs no WordNet at run time. What is shown about a word never
gives its spelling away: :func:`mask_word` hides, at build time, every run of letters that holds
the word, one of its forms or derivations, or a long enough run of its letters ("vote" in the
clue of *voter*), and the loader refuses a file where :func:`gives_away` finds one. That check
reads every clue (about half a second), so a bot runs it once per file and checker: the hash of
both is remembered in its state directory and a start that finds it unchanged skips the check.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import logging
import math
import random
import re
from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Final, overload

log = logging.getLogger(__name__)

MASK: Final = "___"
"""What stands for the word in a definition or example; it has no letters."""
DATA_FILE: Final = "classic.json"
_LETTERS: Final = re.compile(r"[^\W\d_]+")
_STEM_ENDINGS: Final = "ey"
"""A word ending in e or y drops it before some endings (make: making, carry: carried)."""
MIN_STEM_LENGTH: Final = 3
GIVEAWAY_SHARE: Final = 0.6
"""A clue word holding this share of the answer's letters in a row shows how it is spelled."""
MIN_GIVEAWAY_RUN: Final = 4
"""Three letters in a row are in too many unrelated words ("ter" in *water* and "territory")."""


class Difficulty(StrEnum):
    """How hard a word is to spell: by its frequency, length and spelling traps."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


def _stem(word: str) -> str:
    """``word`` less a final e or y, which some endings drop (make: making, carry: carried)."""
    return word[:-1] if word[-1:] in _STEM_ENDINGS and len(word) > MIN_STEM_LENGTH else word


def giveaway_run(word: str) -> int:
    """How many of ``word``'s letters in a row a clue word may not share with it."""
    return max(MIN_GIVEAWAY_RUN, math.ceil(GIVEAWAY_SHARE * len(word)))


def shares_spelling(run: str, word: str) -> bool:
    """Whether ``run`` holds :func:`giveaway_run` letters of ``word`` in a row ("appear")."""
    run, word = run.casefold(), word.casefold()
    length = giveaway_run(word)
    return any(word[start : start + length] in run for start in range(len(word) - length + 1))


def mask_word(text: str, word: str, forms: Iterable[str] = (), derived: Iterable[str] = ()) -> str:
    """``text`` with every run of letters that would give ``word`` away replaced by :data:`MASK`.

    A run is hidden when it holds the word or one of its ``forms`` (irregular inflections such
    as "ran" for "run"), starts with the word or one of the words ``derived`` from the same
    root ("pedagogy" for "pedagogical") less a final e or y ("making", "carried"), or shares
    :func:`giveaway_run` letters in a row with the word ("migration" for "immigration").
    """
    word = word.casefold()
    hidden = {word, *(form.casefold() for form in forms)}
    stems = {_stem(word)} | {
        _stem(other.casefold()) for other in derived if len(other) >= MIN_GIVEAWAY_RUN
    }

    def hide(match: re.Match[str]) -> str:
        run = match.group().casefold()
        if (
            any(form in run for form in hidden)
            or any(run.startswith(stem) for stem in stems)
            or shares_spelling(run, word)
        ):
            return MASK
        return match.group()

    return _LETTERS.sub(hide, text)


def shows_word(text: str, word: str) -> bool:
    """Whether ``text`` would tell a reader how ``word`` is spelled."""
    return word.casefold() in text.casefold()


def gives_away(text: str, word: str) -> bool:
    """Whether ``text`` holds the word or a run of letters that shows how it is spelled."""
    return shows_word(text, word) or any(
        shares_spelling(run, word) for run in _LETTERS.findall(text)
    )


_LEVEL_LINE: Final = re.compile(r'"(\w+)": \[')
_OTHER_LINES: Final = re.compile(r'[{}\],]*|"(?:generated_by|sources)": ".*",|"words": \{')


def _entries_of_lines(lines: Iterable[str]) -> Iterator[ClassicWord]:
    """The words of the build script's document, each line decoded alone (see ``from_lines``)."""
    difficulty: Difficulty | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("[") and difficulty is not None:
            word, part_of_speech, definition, example = json.loads(line.removesuffix(","))
            yield ClassicWord(word, part_of_speech, definition, example or None, difficulty)
        elif (level := _LEVEL_LINE.fullmatch(line)) is not None:
            difficulty = Difficulty(level.group(1))
        elif _OTHER_LINES.fullmatch(line) is None:
            raise ValueError(f"line {number} of the words file is not as the build script writes")


def clues_fingerprint(content: bytes) -> str:
    """The hash of a words file and of this module, whose code decides what gives a word away:
    a change to either means the clues must be checked again."""
    digest = hashlib.sha256(content)
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _read_mark(mark: Path) -> str | None:
    try:
        return mark.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _write_mark(mark: Path, fingerprint: str) -> None:
    """Remember the checked fingerprint; written whole or not at all (a crash leaves no half)."""
    partial = mark.with_name(f"{mark.name}.partial")
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(fingerprint, encoding="ascii")
        partial.replace(mark)
    except OSError as exc:
        log.warning("could not remember that the classic clues were checked (%s)", exc)


@dataclass(frozen=True, slots=True)
class ClassicWord:
    """A word to spell and what the bot tells about it."""

    word: str
    part_of_speech: str
    definition: str
    example: str | None
    difficulty: Difficulty


_FIELD: Final = "\x1f"
"""Between the fields of a packed word (the unit separator: in no clue)."""
_FIELD_BYTE: Final = _FIELD.encode()


class _PackedWords(Sequence[ClassicWord]):
    """Words of one difficulty, kept as one UTF-8 block with where each row and its word end;
    a word is unpacked when read.

    Some 14,000 words kept as frozen objects of four strings each held 4.6 MB of an idle
    Spelling Bee, as one string a word 1.9 MB; one block and two arrays of offsets hold them in
    1.2 MB (three objects instead of 14,000), and choosing a word not yet spelled compares the
    words' bytes in place.
    """

    def __init__(
        self, difficulty: Difficulty, block: bytes, ends: array[int], word_ends: array[int]
    ) -> None:
        self._difficulty = difficulty
        self._block = block
        self._ends = ends
        self._word_ends = word_ends

    def __len__(self) -> int:
        return len(self._ends)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _PackedWords):
            return NotImplemented
        return (self._difficulty, self._block, self._ends) == (
            other._difficulty,
            other._block,
            other._ends,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequence: unhashable, as list

    @overload
    def __getitem__(self, index: int) -> ClassicWord: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ClassicWord]: ...

    def __getitem__(self, index: int | slice) -> ClassicWord | Sequence[ClassicWord]:
        if isinstance(index, slice):
            return [self._unpack(self._row(at)) for at in range(len(self))[index]]
        return self._unpack(self._row(range(len(self))[index]))

    def _starts(self) -> Iterator[int]:
        """Where each word's row begins in the block."""
        return itertools.chain((0,), itertools.islice(self._ends, max(len(self._ends) - 1, 0)))

    def _row(self, index: int) -> str:
        start = self._ends[index - 1] if index else 0
        return self._block[start : self._ends[index]].decode()

    def _unpack(self, row: str) -> ClassicWord:
        word, part_of_speech, definition, example = row.split(_FIELD)
        return ClassicWord(word, part_of_speech, definition, example or None, self._difficulty)

    def pick(self, rng: random.Random, used: Collection[str]) -> ClassicWord:
        """A word not among ``used`` (any word once all were used)."""
        every = range(len(self))
        fresh: Sequence[int] = every
        if used:
            spelled = {word.encode() for word in used}
            block = self._block
            fresh = [
                index
                for index, (start, end) in enumerate(
                    zip(self._starts(), self._word_ends, strict=True)
                )
                if block[start:end] not in spelled
            ]
        return self[rng.choice(fresh or every)]


class _Packer:
    """Packs the words of one difficulty as they are read, each row into the block at once:
    no row waits as an object of its own (14,000 of them, freed at the end, left the
    interpreter's small-object arenas they were scattered in resident)."""

    def __init__(self, difficulty: Difficulty) -> None:
        self._difficulty = difficulty
        self._block = bytearray()
        self._ends = array("I")
        self._word_ends = array("I")

    def __len__(self) -> int:
        return len(self._ends)

    def add(self, entry: ClassicWord) -> None:
        self._word_ends.append(len(self._block) + len(entry.word.encode()))
        fields = (entry.word, entry.part_of_speech, entry.definition, entry.example or "")
        self._block += _FIELD.join(fields).encode()
        self._ends.append(len(self._block))

    def packed(self) -> _PackedWords:
        return _PackedWords(self._difficulty, bytes(self._block), self._ends, self._word_ends)


class ClassicWordBank:
    """The words of the classic mode by difficulty."""

    def __init__(self, words: Iterable[ClassicWord], *, check_clues: bool = True) -> None:
        """``check_clues=False`` only for clues already checked (see :meth:`bundled`)."""
        by_difficulty = {level: _Packer(level) for level in Difficulty}
        for entry in words:
            if check_clues and (
                gives_away(entry.definition, entry.word)
                or (entry.example is not None and gives_away(entry.example, entry.word))
            ):
                raise ValueError(f"the clues of {entry.word!r} give its spelling away")
            by_difficulty[entry.difficulty].add(entry)
        empty = [level.value for level, entries in by_difficulty.items() if not entries]
        if empty:
            raise ValueError(f"no classic words for {', '.join(empty)}")
        self._words = {level: packer.packed() for level, packer in by_difficulty.items()}

    @classmethod
    def from_document(
        cls, document: Mapping[str, Any], *, check_clues: bool = True
    ) -> ClassicWordBank:
        """Read the JSON document the build script writes."""
        words = document["words"]
        return cls(
            (
                ClassicWord(word, pos, definition, example or None, Difficulty(level))
                for level in Difficulty
                for word, pos, definition, example in words[level.value]
            ),
            check_clues=check_clues,
        )

    @classmethod
    def from_lines(cls, lines: Iterable[str], *, check_clues: bool = True) -> ClassicWordBank:
        """Read the document the build script writes, one word a line as it writes them.

        Decoding the document whole held all its words as lists of strings at once, a 7 MB
        peak an idle bot kept in its resident memory; read a line at a time, only the packed
        words stay. A line the build script does not write is refused.
        """
        return cls(_entries_of_lines(lines), check_clues=check_clues)

    @classmethod
    def bundled(cls, checked_mark: Path | None = None) -> ClassicWordBank:
        """The words shipped with the bot (file I/O and parsing: call it in a thread).

        ``checked_mark``: a file holding the fingerprint of the last words file whose clues were
        checked with this module's checker; the check runs only when the fingerprint differs,
        and then the file is written (an unwritable one means checking at every start).
        """
        data = resources.files("botfleet.bots.spelling_bee").joinpath("data", DATA_FILE)
        content = data.read_bytes()
        fingerprint = clues_fingerprint(content)
        checked = checked_mark is not None and _read_mark(checked_mark) == fingerprint
        lines = (line.decode("utf-8") for line in io.BytesIO(content))  # one at a time
        bank = cls.from_lines(lines, check_clues=not checked)
        if checked_mark is not None and not checked:
            _write_mark(checked_mark, fingerprint)
        return bank

    def words(self, difficulty: Difficulty) -> Sequence[ClassicWord]:
        return self._words[difficulty]

    def size(self, difficulty: Difficulty) -> int:
        return len(self._words[difficulty])

    def pick(
        self, difficulty: Difficulty, rng: random.Random, used: Collection[str] = ()
    ) -> ClassicWord:
        """A word of ``difficulty`` not among ``used`` (any word once all were used)."""
        return self._words[difficulty].pick(rng, used)
