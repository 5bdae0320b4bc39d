"""The shared profanity filter: disguises are seen through, innocent words are left alone."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.services.profanity import (
    DEFAULT_FILTER,
    EMBEDDED,
    ENDINGS,
    EXACT,
    WITH_ENDINGS,
    ProfanityFilter,
    contains_profanity,
    find_profanity,
    is_profane_word,
    repeatable,
)

INNOCENT = [
    "Scunthorpe",
    "assess",
    "classic",
    "assassin",
    "bass",
    "passage",
    "class",
    "cocktail",
    "cockpit",
    "Dickens",
    "shiitake",
    "sniggering",
    "niggardly",
    "cumulus",
    "document",
    "title",
    "spicy",
    "therapist",
    "Penistone",
    "analysis",
    "raccoon",
    "mishmash",
    "as",
    "hello",
]

LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "$", "t": "7"}


@pytest.mark.parametrize("word", INNOCENT)
def test_innocent_words_that_contain_listed_letters_are_clean(word: str) -> None:
    assert not is_profane_word(word)
    assert not contains_profanity(f"I read about {word} today.")


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("shit", "shit"),
        ("sh1t", "shit"),
        ("$hit", "shit"),
        ("SHIT!", "shit"),
        ("sh!t", "shit"),
        ("fuuuuuck", "fuuuuuck"),
        ("f.u.c.k", "fuck"),
        ("f-u-c-k", "fuck"),
        ("motherfucker", "motherfucker"),
        ("ＦＵＣＫ", "fuck"),
        ("shít", "shit"),
        ("ѕhit", "shit"),
        ("sh\u200bit", "shit"),
        ("b1tches", "bitches"),
        ("well...shit", "shit"),
        ("a55hole", "asshole"),
    ],
)
def test_disguised_words_are_found(typed: str, read_as: str) -> None:
    [match] = find_profanity(f"oh {typed} again")
    assert match.read_as == read_as
    assert match.text == typed
    assert f"oh {typed} again"[match.start : match.end] == typed


def test_letters_spaced_apart_are_read_as_one_word() -> None:
    text = "you are a f u c k ing legend"
    [match] = find_profanity(text)
    assert match.read_as == "fuck"
    assert match.text == "f u c k"
    assert not contains_profanity("I am a b c student")


def test_words_take_endings_only_when_listed_with_them() -> None:
    assert is_profane_word("shitty")
    assert is_profane_word("whores")
    assert is_profane_word("cock")
    assert not is_profane_word("cocked"), "cock is listed without endings"
    assert not is_profane_word("asses"), "ass is listed without endings (donkeys)"


def test_allowed_words_and_custom_lists() -> None:
    relaxed = ProfanityFilter(allowed=["piss", "pissed"])
    assert not relaxed.contains_profanity("I was pissed off")
    assert relaxed.contains_profanity("shit")
    custom = ProfanityFilter(with_endings=["frack"], exact=[], embedded=[])
    assert custom.is_profane_word("fracking")
    assert not custom.is_profane_word("fuck")
    with pytest.raises(ValueError, match="lowercase a-z"):
        ProfanityFilter(exact=["Bad Word"])


def test_every_match_is_reported_in_order() -> None:
    text = "shit, that fucking classic twat"
    assert [match.read_as for match in find_profanity(text)] == ["shit", "fucking", "twat"]


listed = st.sampled_from(sorted(EXACT | WITH_ENDINGS))


@st.composite
def disguised(draw: st.DrawFn) -> str:
    """A listed word with random case, symbols for letters and repeated letters."""
    word = draw(listed)
    letters = []
    for letter in word:
        shown = LEET[letter] if letter in LEET and draw(st.booleans()) else letter
        shown = shown.upper() if draw(st.booleans()) else shown
        letters.append(shown * draw(st.integers(min_value=1, max_value=3)))
    return "".join(letters)


@given(disguised())
def test_any_disguise_of_a_listed_word_is_caught(word: str) -> None:
    assert DEFAULT_FILTER.is_profane_word(word)


clean_words = st.sampled_from([*INNOCENT, "the", "game", "word", "letters", "guess"])


@given(st.lists(clean_words, max_size=8), disguised(), st.lists(clean_words, max_size=8))
def test_a_disguised_word_is_found_where_it_is_among_clean_words(
    before: list[str], word: str, after: list[str]
) -> None:
    text = " ".join([*before, word, *after])
    matches = find_profanity(text)
    assert [match.text for match in matches] == [word]
    assert text[matches[0].start : matches[0].end] == word


@given(st.lists(clean_words, max_size=12))
def test_clean_sentences_are_never_flagged(words: list[str]) -> None:
    assert not contains_profanity(" ".join(words))


@pytest.mark.parametrize("text", ["a r s e n a l", "s p i c e", "a s s e s s", "i s h i t a k e"])
def test_innocent_words_spelled_out_are_not_flagged(text: str) -> None:
    assert not contains_profanity(text)


def _pattern_of_the_lists() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The filter's words as regexes of ``repeatable`` patterns: what it matched before its
    dict lookup, kept here as the reference its answers must equal."""
    words = {*EXACT, *WITH_ENDINGS}
    words.update(stem + ending for stem in WITH_ENDINGS for ending in ENDINGS)
    whole = re.compile("|".join(sorted(map(repeatable, words), key=len, reverse=True)))
    return whole, re.compile("|".join(map(repeatable, sorted(EMBEDDED))))


REFERENCE_WHOLE, REFERENCE_INSIDE = _pattern_of_the_lists()


@st.composite
def near_listed(draw: st.DrawFn) -> str:
    """A listed word with letters repeated, dropped or added around it ("fuuckk", "as")."""
    word = draw(st.sampled_from(sorted({*EXACT, *WITH_ENDINGS, *EMBEDDED})))
    runs = [draw(st.integers(min_value=0, max_value=3)) * letter for letter in word]
    ending = draw(st.sampled_from(["", "", *ENDINGS]))
    affix = st.text(alphabet="fuckas", max_size=3)
    return draw(affix) + "".join(runs) + ending + draw(affix)


@given(st.one_of(near_listed(), st.text(alphabet="fuckasthi", max_size=12)))
def test_the_word_lookup_answers_as_the_lists_patterns_do(spelling: str) -> None:
    expected = (
        REFERENCE_WHOLE.fullmatch(spelling) is not None
        or REFERENCE_INSIDE.search(spelling) is not None
    )
    assert DEFAULT_FILTER.is_profane_word(spelling) is expected
