"""Strings: truncate_string, chunk_list and paginate_text keep to their limits and lose nothing."""

from __future__ import annotations

import functools
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botfleet.utils.text import (
    ELLIPSIS,
    MESSAGE_CONTENT_LIMIT,
    PAGINATE_MIN_LIMIT,
    chunk_list,
    paginate_text,
    truncate_string,
)

FENCE = "```"
EMOJI = "<:blob:123456789012345678>"
LINK = "[the docs](https://example.com/docs/page)"

# --- truncate_string -----------------------------------------------------------------------


def test_short_text_is_left_alone() -> None:
    assert truncate_string("hello", 5) == "hello"
    assert truncate_string("", 0) == ""


def test_long_text_is_cut_with_an_ellipsis_inside_the_limit() -> None:
    assert truncate_string("hello world", 8) == "hello w" + ELLIPSIS
    assert truncate_string("hello world", 7) == "hello" + ELLIPSIS
    assert truncate_string("abcdef", 4) == "abc" + ELLIPSIS
    assert truncate_string("abcdef", 1) == ELLIPSIS
    assert truncate_string("abcdef", 0) == ""


def test_negative_limit_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        truncate_string("abc", -1)


@pytest.mark.parametrize("token", [EMOJI, LINK, "<@123456789012345678>", "<t:1700000000:R>"])
def test_the_cut_steps_back_before_markup_that_renders_as_one_thing(token: str) -> None:
    text = f"see {token} now"
    for limit in range(5, len(text)):
        result = truncate_string(text, limit)
        assert len(result) <= limit
        kept = result.removesuffix(ELLIPSIS)
        assert token in kept or token[:2] not in kept


def test_the_cut_keeps_a_letter_with_its_accent_and_an_emoji_with_its_joiners() -> None:
    assert truncate_string("cafe\u0301 au lait", 6) == "cafe\u0301" + ELLIPSIS
    assert truncate_string("cafe\u0301 au lait", 5) == "caf" + ELLIPSIS
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert truncate_string(f"ok {family} ok", 6) == "ok" + ELLIPSIS


@given(st.text(), st.integers(min_value=0, max_value=300))
def test_truncate_string_never_exceeds_the_limit_and_keeps_a_prefix(text: str, limit: int) -> None:
    result = truncate_string(text, limit)
    assert len(result) <= limit
    if len(text) <= limit:
        assert result == text
    elif limit:
        assert result.endswith(ELLIPSIS)
        assert text.startswith(result.removesuffix(ELLIPSIS))


# --- chunk_list ------------------------------------------------------------------------------


def test_chunk_list_splits_in_order_with_a_shorter_last_chunk() -> None:
    assert chunk_list([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunk_list([], 3) == []
    assert chunk_list("abc", 5) == [["a", "b", "c"]]


def test_chunk_list_needs_a_positive_size() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        chunk_list([1], 0)


@given(st.lists(st.integers()), st.integers(min_value=1, max_value=10))
def test_chunks_rejoin_to_the_items(items: list[int], size: int) -> None:
    chunks = chunk_list(items, size)
    assert [item for chunk in chunks for item in chunk] == items
    assert all(1 <= len(chunk) <= size for chunk in chunks)
    assert all(len(chunk) == size for chunk in chunks[:-1])


# --- paginate_text ---------------------------------------------------------------------------


def fence_open_at(text: str, index: int) -> bool:
    return text[:index].count(FENCE) % 2 == 1


def locate_pages(text: str, pages: list[str]) -> list[tuple[int, int]] | None:
    """Where each page's own text lies in ``text``, following paginate_text's invariant:
    without the fence lines it adds, pages are consecutive stretches of the text separated
    by whitespace only. None when the pages cannot be laid over the text that way."""

    def bodies(page: str, start: int) -> list[int]:
        inner = page
        if fence_open_at(text, start):
            opening = re.match(r"```[A-Za-z0-9_+#.-]*\n", page)
            if opening is None:
                return []
            inner = page[opening.end() :]
        options = [(inner, False)]
        if inner.endswith("\n```"):
            options.append((inner[:-4], True))
        return [
            start + len(body)
            for body, closes in options
            if body.strip()
            and text.startswith(body, start)
            and fence_open_at(text, start + len(body)) == closes
        ]

    @functools.cache
    def search(index: int, position: int) -> tuple[tuple[int, int], ...] | None:
        gap_end = position
        while gap_end < len(text) and text[gap_end].isspace():
            gap_end += 1
        if index == len(pages):
            return () if gap_end == len(text) else None
        for start in range(position, gap_end + 1):
            for end in bodies(pages[index], start):
                rest = search(index + 1, end)
                if rest is not None:
                    return ((start, end), *rest)
        return None

    found = search(0, 0)
    return None if found is None else list(found)


def test_short_text_is_one_page() -> None:
    assert paginate_text("hello\nworld") == ["hello\nworld"]
    assert paginate_text("x" * MESSAGE_CONTENT_LIMIT) == ["x" * MESSAGE_CONTENT_LIMIT]


def test_blank_text_has_no_pages() -> None:
    assert paginate_text("") == []
    assert paginate_text(" \n\n  \n") == []


def test_pages_break_at_newlines_and_drop_the_newline() -> None:
    lines = [f"line {number:03d} " + "x" * 40 for number in range(100)]
    pages = paginate_text("\n".join(lines), 500)
    assert "\n".join(pages) == "\n".join(lines)
    assert all(len(page) <= 500 for page in pages)
    assert len(pages) == 10


def test_a_code_block_cut_by_a_page_break_is_closed_and_reopened_with_its_language() -> None:
    code = "\n".join(f"print({number})" for number in range(60))
    text = f"Here is the code:\n```py\n{code}\n```\nThat is all."
    pages = paginate_text(text, 200)
    assert len(pages) > 3
    assert pages[0].startswith("Here is the code:\n```py\n")
    for page in pages:
        assert len(page) <= 200
        assert page.count(FENCE) == 2
    for page in pages[1:]:
        assert page.startswith("```py\n")
    for page in pages[:-1]:
        assert page.endswith("\n```")
    assert pages[-1].endswith("```\nThat is all.")
    assert locate_pages(text, pages) is not None


def test_a_line_longer_than_a_page_breaks_at_a_space_and_spares_emoji() -> None:
    words = " ".join(f"word{number} {EMOJI}" for number in range(40))
    pages = paginate_text(words, 100)
    assert "".join(pages) == words
    for page in pages:
        assert len(page) <= 100
        assert page.count("<") == page.count(">")
    assert all(page.endswith(" ") for page in pages[:-1])


def test_limit_below_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match=str(PAGINATE_MIN_LIMIT)):
        paginate_text("abc", PAGINATE_MIN_LIMIT - 1)


fragments = st.sampled_from(
    [
        FENCE,
        "```py\n",
        "```\n",
        "\n",
        "\n\n",
        " ",
        "   ",
        "word ",
        "x" * 45,
        "`",
        "``",
        "````",
        EMOJI,
        LINK,
        "cafe\u0301",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",
        "https://example.com/" + "a" * 30,
    ]
)
texts = st.lists(fragments | st.text(max_size=12), max_size=60).map("".join)
limits = st.integers(min_value=PAGINATE_MIN_LIMIT, max_value=120) | st.sampled_from([2000, 4096])


@settings(deadline=None, max_examples=300)
@given(texts, limits)
def test_pages_fit_render_and_rejoin_to_the_text(text: str, limit: int) -> None:
    pages = paginate_text(text, limit)
    for page in pages:
        assert 0 < len(page) <= limit
        assert page.strip()
        assert page.count(FENCE) % 2 == 0
    assert locate_pages(text, pages) is not None, pages
    if not text.strip():
        assert pages == []


lines_without_markup = st.lists(
    st.text(alphabet="abcdefgh .,!", min_size=1, max_size=60).filter(str.strip), min_size=1
)


@settings(deadline=None)
@given(lines_without_markup, st.integers(min_value=90, max_value=300))
def test_text_of_short_lines_breaks_only_at_newlines_and_fills_each_page(
    lines: list[str], limit: int
) -> None:
    text = "\n".join(lines)
    pages = paginate_text(text, limit)
    assert "\n".join(pages) == text
    for page, following in itertools.pairwise(pages):
        next_line = following.split("\n", 1)[0]
        assert len(page) + 1 + len(next_line) > limit
