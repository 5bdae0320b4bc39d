"""Automod's scans of a message, compiled and in Python: the same answers (issue 13).

The compiled clean-word table walks a message once instead of splitting it, the case count is
one pass, and ``contains`` is memmem; the Python versions are what runs where no C compiler
built them. Both are held to ``str.split`` and a set, plain counts and ``in``, on any text.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botfleet import doctor
from botfleet.bots.mod.services import text_scan
from botfleet.bots.mod.services.text_scan import PyCleanWords
from botfleet.bots.mod.services.word_filter import CLEAN_WORDS_KEPT, WordFilter, fleet_entries
from botfleet.doctor import Status
from required import import_backend

# Spaces str.split() splits on, and characters of every width a str stores (1, 2 and 4 bytes).
SEPARATORS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2028\u3000"
LETTERS = "abcé\u0101\u4e2d\U0001f600\u200b"

words = st.text(alphabet=LETTERS, min_size=1, max_size=6)
texts = st.lists(st.tuples(words, st.sampled_from(SEPARATORS)), max_size=40).map(
    lambda parts: "".join(word + separator for word, separator in parts)
)


@pytest.fixture(scope="module")
def compiled() -> Any:
    return import_backend("botfleet.bots.mod.services._text_scan").CleanWords


def tables(compiled: Any, capacity: int) -> list[Any]:
    return [compiled(capacity), PyCleanWords(capacity)]


@settings(max_examples=300, deadline=None)
@given(known=st.lists(words, max_size=30), text=texts, capacity=st.integers(1, 40))
def test_both_tables_tell_the_words_they_do_not_hold_as_a_set_would(
    compiled: Any, known: list[str], text: str, capacity: int
) -> None:
    """The Python table is a set; the compiled one may let a word go (a slot too far from its
    place), which only sends that word the slow way: it never holds a word it was not given."""
    kept = set(list(dict.fromkeys(known))[:capacity])
    python_table = PyCleanWords(capacity)
    python_table.add(known)
    assert len(python_table) == len(kept)
    assert python_table.unseen(text) == [word for word in text.split() if word not in kept]
    table = compiled(capacity)
    table.add(known)
    held = {word for word in kept if not table.unseen(word)}
    assert len(table) == len(held) >= len(kept) - 1  # 30 words in 64 slots: at most one let go
    assert table.unseen(text) == [word for word in text.split() if word not in held]


def test_a_word_is_found_whatever_width_the_text_around_it_is_stored_in(compiled: Any) -> None:
    for table in tables(compiled, 8):
        table.add(["hello", "caf\u00e9"])
        assert table.unseen("hello caf\u00e9") == []
        assert table.unseen("\U0001f600 hello\u3000caf\u00e9 \u4e2d") == ["\U0001f600", "\u4e2d"]
        assert table.unseen("hello\u200bhello") == ["hello\u200bhello"]  # not a space


def test_a_full_table_takes_no_more_words_and_clear_empties_it(compiled: Any) -> None:
    for table in tables(compiled, 3):
        table.add(["one", "two", "one", "three", "four"])
        assert len(table) == 3
        assert table.unseen("one two three four") == ["four"]
        table.clear()
        assert len(table) == 0
        assert table.unseen("one two") == ["one", "two"]
        table.add(["four"])
        assert table.unseen("one four") == ["one"]


def test_bad_arguments_are_refused_and_leave_the_table_as_it_was(compiled: Any) -> None:
    with pytest.raises(ValueError, match="capacity"):
        compiled(0)
    with pytest.raises(ValueError, match="capacity"):
        PyCleanWords(0)
    table = compiled(4)
    table.add(["kept"])
    with pytest.raises(TypeError):
        table.unseen(b"kept")
    with pytest.raises(TypeError):
        table.add(["fine", 3])
    assert table.unseen("kept fine") == []  # the words before the bad one were kept
    assert table.capacity == 4


def test_a_full_table_answers_for_a_long_text_as_it_does_word_by_word(compiled: Any) -> None:
    """More words than the table keeps, so its slots fill and probes run long."""
    table = compiled(2048)
    vocabulary = [f"w{number}" for number in range(5000)]
    table.add(vocabulary)
    kept = {word for word in vocabulary if not table.unseen(word)}
    assert len(kept) == len(table) <= 2048
    text = " ".join(vocabulary)
    assert table.unseen(text) == [word for word in vocabulary if word not in kept]
    assert len(kept) >= 2040  # half full at most: a word is seldom 32 slots from its place


def test_long_words_alike_at_both_ends_are_told_apart_by_their_middle(compiled: Any) -> None:
    words = [f"abcdefgh{number:012d}ijklmnop" for number in range(200)]
    table = compiled(256)
    table.add(words)
    assert len(table) == 200
    assert table.unseen(" ".join(words)) == []
    assert table.unseen("abcdefgh999999999999ijklmnop") == ["abcdefgh999999999999ijklmnop"]


def test_a_str_subclass_is_kept_as_a_plain_str(compiled: Any) -> None:
    class Loud(str):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = str.__hash__

    table = compiled(4)
    table.add([Loud("quiet")])
    assert table.unseen("quiet loud") == ["loud"]


def test_doctor_says_whether_the_automod_scans_run_compiled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert doctor.check_compiled_scans().status is (
        Status.OK if text_scan.COMPILED else Status.WARN
    )
    monkeypatch.setattr(text_scan, "COMPILED", False)
    check = doctor.check_compiled_scans()
    assert check.status is Status.WARN
    assert "build-essential" in (check.fix or "")


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="asshit $1!0@ .fuuckclassic\u00e9\U0001f600\n", max_size=60))
def test_a_word_list_finds_the_same_words_with_either_table(text: str) -> None:
    compiled_list, python_list = WordFilter(fleet_entries()), WordFilter(fleet_entries())
    python_list._clean = PyCleanWords(CLEAN_WORDS_KEPT)
    for _ in range(2):  # the second time, from the words each remembered as clean
        assert compiled_list.find(text) == python_list.find(text)


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_both_scans_count_the_ascii_capitals_and_small_letters_of_any_text(text: str) -> None:
    expected = (
        sum(character in string.ascii_uppercase for character in text),
        sum(character in string.ascii_lowercase for character in text),
    )
    assert text_scan.py_ascii_cases(text) == expected
    assert import_backend("botfleet.bots.mod.services._text_scan").ascii_cases(text) == expected


def test_the_compiled_count_refuses_what_is_not_a_str() -> None:
    with pytest.raises(TypeError):
        import_backend("botfleet.bots.mod.services._text_scan").ascii_cases(b"ABC")


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="abw./:\u00e9\u4e2d\U0001f600", max_size=40),
    needle=st.text(alphabet="abw./:\u00e9\u4e2d\U0001f600", max_size=4),
)
def test_the_compiled_search_finds_what_in_finds(text: str, needle: str) -> None:
    compiled_contains = import_backend("botfleet.bots.mod.services._text_scan").contains
    assert compiled_contains(text, needle) is (needle in text)
    assert compiled_contains(text * 3, needle) is (needle in text * 3)


def test_the_compiled_search_refuses_what_is_not_a_str() -> None:
    compiled_contains = import_backend("botfleet.bots.mod.services._text_scan").contains
    with pytest.raises(TypeError):
        compiled_contains(b"www.", "www.")
    with pytest.raises(TypeError):
        compiled_contains("www.", None)
