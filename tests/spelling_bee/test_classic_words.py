"""The classic mode's word data and masking, without Discord."""

from __future__ import annotations

import gc
import json
import random
import re
import tracemalloc
from pathlib import Path
from statistics import fmean

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wordfreq import zipf_frequency

from botfleet.bots.spelling_bee.services import classic_words
from botfleet.bots.spelling_bee.services.classic_words import (
    MASK,
    ClassicWord,
    ClassicWordBank,
    Difficulty,
    gives_away,
    mask_word,
    shares_spelling,
    shows_word,
)

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


@pytest.fixture(scope="module")
def bank() -> ClassicWordBank:
    return ClassicWordBank.bundled()


def test_the_bundled_file_has_words_of_every_difficulty(bank: ClassicWordBank) -> None:
    for level in Difficulty:
        assert bank.size(level) >= 500, level
    easy = {entry.word for entry in bank.words(Difficulty.EASY)}
    hard = {entry.word for entry in bank.words(Difficulty.HARD)}
    assert {"garden", "water"} <= easy
    assert not easy & hard


def test_no_clue_in_the_file_gives_a_spelling_away(bank: ClassicWordBank) -> None:
    """Over the whole file: no clue word shares 60 % of the answer's letters in a row."""
    for level in Difficulty:
        for entry in bank.words(level):
            assert not gives_away(entry.definition, entry.word), entry
            assert not gives_away(entry.example or "", entry.word), entry


def test_difficulty_follows_how_hard_a_word_is_to_spell(bank: ClassicWordBank) -> None:
    """Mean frequency falls strictly from easy to medium to hard, over the whole file."""
    means = [
        fmean(zipf_frequency(entry.word, "en") for entry in bank.words(level))
        for level in Difficulty
    ]
    assert means[0] > means[1] > means[2], means


def test_every_word_has_clues_that_never_show_it(bank: ClassicWordBank) -> None:
    parts = {"noun", "verb", "adjective", "adverb"}
    with_example = 0
    for level in Difficulty:
        for entry in bank.words(level):
            assert re.fullmatch(r"[a-z]{4,14}", entry.word), entry
            assert entry.part_of_speech in parts, entry
            assert entry.definition.strip(), entry
            assert entry.word not in entry.definition.casefold(), entry
            if entry.example is not None:
                with_example += 1
                assert entry.word not in entry.example.casefold(), entry
                assert MASK in entry.example, "examples are kept only when they use the word"
    assert with_example > 3000


def test_the_words_a_game_draws_have_definitions(bank: ClassicWordBank) -> None:
    rng = random.Random(5)
    for level in Difficulty:
        used: set[str] = set()
        for _ in range(30):
            entry = bank.pick(level, rng, used)
            assert entry.word not in used, "a game never asks the same word twice"
            assert entry.difficulty is level and entry.definition
            used.add(entry.word)


def test_a_bank_whose_clues_show_the_word_is_refused() -> None:
    def entry(word: str, definition: str, level: Difficulty) -> ClassicWord:
        return ClassicWord(word, "noun", definition, None, level)

    words = ("dove", "kite", "lamp")
    good = [entry(word, "a thing", level) for word, level in zip(words, Difficulty, strict=True)]
    assert ClassicWordBank(good).size(Difficulty.HARD) == 1
    with pytest.raises(ValueError, match="clues of 'tree' give its spelling away"):
        ClassicWordBank([*good, entry("tree", "a tall tree", Difficulty.EASY)])
    with pytest.raises(ValueError, match="clues of 'voter' give its spelling away"):
        ClassicWordBank([*good, entry("voter", "one who may vote", Difficulty.EASY)])
    with pytest.raises(ValueError, match="no classic words for hard"):
        ClassicWordBank(good[:2])


@pytest.mark.parametrize(
    ("text", "word", "forms", "expected"),
    [
        ("You must carry your gear", "carry", (), f"You must {MASK} your gear"),
        ("she carried it; Carriers", "carry", (), f"she {MASK} it; {MASK}"),
        ("making a cake", "make", (), f"{MASK} a cake"),
        ("he ran home", "run", ("ran",), f"he {MASK} home"),
        ("a portable table", "table", (), f"a {MASK} {MASK}"),
        ("nothing to hide", "garden", (), "nothing to hide"),
        (
            "a citizen who has a legal right to vote",
            "voter",
            (),
            f"a citizen who has a legal right to {MASK}",
        ),
        ("of or relating to pedagogy", "pedagogical", (), f"of or relating to {MASK}"),
        ("migration into a place", "immigration", (), f"{MASK} into a place"),
        ("appear again", "reappear", (), f"{MASK} again"),
        (
            "they invaded our territorial waters",
            "water",
            (),
            f"they invaded our territorial {MASK}",
        ),
    ],
)
def test_masking_hides_the_word_and_its_forms(
    text: str, word: str, forms: tuple[str, ...], expected: str
) -> None:
    assert mask_word(text, word, forms) == expected


def test_masking_hides_words_derived_from_the_same_root() -> None:
    definition = "practice deception and be a deceiver"
    assert mask_word(definition, "deceive", derived=("deception", "deceiver", "deceptive")) == (
        f"practice {MASK} and be a {MASK}"
    )
    assert mask_word("act as an actor", "actor", derived=("act",)) == f"act as an {MASK}"


@pytest.mark.parametrize(
    ("run", "word", "shares"),
    [
        ("vote", "voter", True),
        ("pedagogy", "pedagogical", True),
        ("migration", "immigration", True),
        ("appear", "reappear", True),
        ("effect", "affect", True),
        ("territorial", "water", False),
        ("the", "ether", False),
        ("peda", "pedagogical", False),
    ],
)
def test_a_clue_word_shares_the_spelling_from_60_percent_of_the_letters_in_a_row(
    run: str, word: str, shares: bool
) -> None:
    assert shares_spelling(run, word) is shares
    assert gives_away(f"a clue with {run} in it", word) is shares


@given(text=st.text(max_size=80), word=WORDS, forms=st.lists(WORDS, max_size=3))
def test_a_masked_text_never_shows_the_word_or_its_forms(
    text: str, word: str, forms: list[str]
) -> None:
    masked = mask_word(text, word, forms)
    assert not shows_word(masked, word)
    assert not any(shows_word(masked, form) for form in forms)


@given(prefix=st.text(max_size=20), word=WORDS, suffix=st.text(max_size=20))
def test_a_text_holding_the_word_is_masked(prefix: str, word: str, suffix: str) -> None:
    text = prefix + word + suffix
    assert shows_word(text, word)
    assert not shows_word(mask_word(text, word), word)


def test_the_clues_are_checked_once_per_words_file_and_checker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check of every clue (about half a second) runs at a bot's first start, and again
    only when the words file or the checking code changed (their fingerprint differs)."""
    checked: list[str] = []
    real_check = classic_words.gives_away

    def counted(text: str, word: str) -> bool:
        checked.append(word)
        return real_check(text, word)

    monkeypatch.setattr(classic_words, "gives_away", counted)
    mark = tmp_path / "state" / "clues.sha256"
    first = ClassicWordBank.bundled(mark)
    assert checked
    assert mark.read_text() == classic_words.clues_fingerprint(
        (Path(classic_words.__file__).parent.parent / "data" / "classic.json").read_bytes()
    )
    checked.clear()
    again = ClassicWordBank.bundled(mark)
    assert checked == []
    assert again.words(Difficulty.HARD) == first.words(Difficulty.HARD)
    mark.write_text("the fingerprint of another file or checker")
    ClassicWordBank.bundled(mark)
    assert checked


def test_an_unwritable_state_directory_only_means_checking_each_time(tmp_path: Path) -> None:
    blocked = tmp_path / "a file, not a directory"
    blocked.write_text("")
    bank = ClassicWordBank.bundled(blocked / "clues.sha256")
    assert bank.size(Difficulty.EASY) >= 500


BUNDLED_FILE = Path(classic_words.__file__).parent.parent / "data" / "classic.json"


def test_the_words_file_read_line_by_line_gives_what_decoding_it_whole_gives() -> None:
    text = BUNDLED_FILE.read_text(encoding="utf-8")
    by_lines = ClassicWordBank.from_lines(text.splitlines(), check_clues=False)
    whole = ClassicWordBank.from_document(json.loads(text), check_clues=False)
    for level in Difficulty:
        assert list(by_lines.words(level)) == list(whole.words(level))
        assert by_lines.words(level)[-2:] == list(whole.words(level))[-2:]


def test_a_words_file_not_laid_out_as_the_build_script_writes_is_refused() -> None:
    lines = BUNDLED_FILE.read_text(encoding="utf-8").splitlines()
    squeezed = [lines[5] + lines[6], *lines[:5], *lines[7:]]
    with pytest.raises(ValueError, match="line 1 of the words file"):
        ClassicWordBank.from_lines(squeezed, check_clues=False)


def test_a_pick_skips_the_used_words_until_every_word_was_used() -> None:
    bank = ClassicWordBank.from_lines(
        BUNDLED_FILE.read_text(encoding="utf-8").splitlines(), check_clues=False
    )
    hard = [entry.word for entry in bank.words(Difficulty.HARD)]
    rng = random.Random(7)
    left = hard[:3]
    assert bank.pick(Difficulty.HARD, rng, set(hard) - set(left)).word in left
    assert bank.pick(Difficulty.HARD, rng, set(hard)).word in hard


def test_words_are_kept_packed_and_read_back_as_given() -> None:
    """One UTF-8 block per difficulty (the bundled words held as one string each kept 1.9 MB),
    from which any word, whatever its letters, reads back as it was given."""
    tracemalloc.start()
    try:
        bundled = ClassicWordBank.bundled()
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert sum(bundled.size(level) for level in Difficulty) > 10_000
    assert kept < 1.4 * 2**20, f"{kept / 2**20:.2f} MB"

    entries = [
        ClassicWord("café", "noun", "a small restaurant — coffee, tea", "meet me at the ___", level)
        for level in Difficulty
    ] + [
        ClassicWord("naïve", "adjective", "showing little experience", None, Difficulty.HARD),
        ClassicWord("zeal", "noun", "great energy: “fervour”", "with ___", Difficulty.HARD),
    ]
    bank = ClassicWordBank(entries, check_clues=False)
    hard = bank.words(Difficulty.HARD)
    assert list(hard) == [entries[2], *entries[3:]]
    assert hard[-1] == entries[-1]
    assert hard[1:] == entries[3:]
    with pytest.raises(IndexError):
        hard[3]
    rng = random.Random(3)
    assert {bank.pick(Difficulty.HARD, rng, {"café", "zeal"}).word for _ in range(5)} == {"naïve"}
